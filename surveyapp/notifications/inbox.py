"""The in-app inbox: messages to users, with optional e-mail.

A message is stored as a kind and its parameters; its text is made when read, in the reader's language
(:func:`text`), so switching languages changes old messages too.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from surveyapp import clock
from surveyapp.auth.models import Role, User, user_hall
from surveyapp.i18n import localized
from surveyapp.notifications import mail
from surveyapp.notifications.models import Notification
from surveyapp.notifications.settings import Delivery
from surveyapp.notifications.settings import delivery as running

#: Kind → message, filled by the capabilities that send them (:func:`register`). Parameters ending in ``_en``
#: are the English variants of data labels (``item``/``item_en``).
MESSAGES: dict[str, Any] = {}
#: Kind → e-mail subject. Made from the template alone, never from the message's parameters: a subject
#: is one header line, and parameters carry people's text (a reason with a line break, say).
SUBJECTS: dict[str, Any] = {}


def register(messages: dict[str, tuple[Any, Any]]) -> None:
    """Declare message kinds at import: ``{kind: (message, e-mail subject)}``, both lazily translated."""
    for kind, (message, subject) in messages.items():
        MESSAGES[kind], SUBJECTS[kind] = message, subject


def text(notification: Notification) -> str:
    """The message in the current language."""
    params = dict(notification.params or {})
    for key in [k for k in params if not k.endswith("_en")]:
        if f"{key}_en" in params:
            params[key] = localized(params[key], params.pop(f"{key}_en"))
    template = MESSAGES.get(notification.kind)
    return str(template) % params if template is not None else notification.kind


def hall_managers(session: Session, hall_id: int) -> list[User]:
    """The active hall managers of a hall."""
    return hall_managers_of(session, [hall_id]).get(hall_id, [])


def hall_managers_of(session: Session, hall_ids: Sequence[int]) -> dict[int, list[User]]:
    """The active hall managers of each hall, in one query."""
    out: dict[int, list[User]] = defaultdict(list)
    for hall_id, user in session.execute(
            sa.select(user_hall.c.hall_id, User).join(user_hall, user_hall.c.user_id == User.id)
            .where(user_hall.c.hall_id.in_(list(hall_ids)), User.role == Role.HALL_MANAGER, User.active.is_(True))
            .order_by(User.id)):
        out[hall_id].append(user)
    return dict(out)


def market_staff(session: Session) -> list[User]:
    return list(session.scalars(sa.select(User).where(User.role == Role.MARKET, User.active.is_(True)).order_by(User.id)))


def notify(session: Session, users: Iterable[User], kind: str, params: dict[str, Any], endpoint: str | None = None,
           args: dict[str, Any] | None = None, dedupe_key: str | None = None,
           delivery: Delivery | None = None) -> list[Notification]:
    """Put a message in each user's inbox (and an e-mail for those with an address in the outbox, same transaction).

    With ``dedupe_key``, users who already had a message with that key get none. ``delivery`` says whether
    and how to write e-mails (the running application's settings when not given).

    :raise LookupError: ``kind`` was never registered, so its message could not be shown.
    """
    if kind not in MESSAGES:
        raise LookupError(f"unregistered message kind {kind!r} (register it with notifications.inbox.register)")
    users = list({u.id: u for u in users}.values())
    if dedupe_key is not None and users:
        had = set(session.scalars(sa.select(Notification.user_id).where(
            Notification.dedupe_key == dedupe_key, Notification.user_id.in_([u.id for u in users]))))
        users = [u for u in users if u.id not in had]
    now = clock.now()
    made = []
    if any(u.email for u in users):
        delivery = delivery or running()
    for user in users:
        notification = Notification(user=user, kind=kind, params=params, endpoint=endpoint, args=args,
                                    dedupe_key=dedupe_key, created_at=now)
        session.add(notification)
        made.append(notification)
        if user.email and delivery is not None and delivery.mail:
            _queue_mail(session, delivery, user, notification)
    return made


#: One message to several users, for :func:`notify_many`: ``(users, kind, params, endpoint, args)``.
Message = tuple[Iterable[User], str, dict[str, Any], str | None, dict[str, Any] | None]


def notify_many(session: Session, messages: Iterable[Message], delivery: Delivery | None = None) -> int:
    """Put many messages in inboxes at once (a month's notice tells every hall): the same rows as :func:`notify`
    for each message in turn (without ``dedupe_key``), written by one INSERT instead of one object each; the
    e-mails of users with an address are queued as :func:`notify` queues them.

    :return: how many inbox messages were written.
    :raise LookupError: a kind was never registered.
    """
    now = clock.now()
    rows: list[dict[str, Any]] = []
    mails: list[tuple[User, Notification]] = []
    for users, kind, params, endpoint, args in messages:
        if kind not in MESSAGES:
            raise LookupError(f"unregistered message kind {kind!r} (register it with notifications.inbox.register)")
        for user in {u.id: u for u in users}.values():
            rows.append({"user_id": user.id, "kind": kind, "params": params, "endpoint": endpoint, "args": args,
                         "dedupe_key": None, "created_at": now})
            if user.email:
                mails.append((user, Notification(user_id=user.id, kind=kind, params=params, endpoint=endpoint,
                                                  args=args, created_at=now)))
    if not rows:
        return 0
    session.flush()  # messages added one by one before these keep their order
    session.execute(sa.insert(Notification), rows)
    if mails:
        delivery = delivery or running()
        if delivery is not None and delivery.mail:
            for user, notification in mails:
                _queue_mail(session, delivery, user, notification)
    return len(rows)


def _queue_mail(session: Session, delivery: Delivery, user: User, notification: Notification) -> None:
    languages = delivery.languages
    with force_locale(user.locale if user.locale in languages else languages[0]):
        body = text(notification)
        subject = str(_l("Service supervision")) + " · " + str(SUBJECTS.get(notification.kind, _l("New message")))
        link = delivery.link(notification.endpoint, notification.args or {}) if notification.endpoint else None
        if link:
            body += "\n\n" + link
    mail.queue(session, user.email, subject, body)


def unread_count(session: Session, user: User) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def for_user(user: User) -> sa.Select[tuple[Notification]]:
    """A user's messages, the newest first."""
    return (sa.select(Notification).where(Notification.user_id == user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc()))


def mark_read(session: Session, user: User, notification_id: int | None = None) -> int:
    """Mark one message (or all, for ``None``) of ``user`` as read; return how many changed. Another user's
    message id changes nothing."""
    query = sa.update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    return session.execute(query.values(read_at=clock.now()).execution_options(synchronize_session=False)).rowcount
