"""Accounts: passwords, login with rate limiting, server-side sessions, one's own password (administering other
people's accounts: :mod:`surveyapp.users.services`)."""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import threading
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from surveyapp import clock
from surveyapp.auth import throttle
from surveyapp.auth.models import User, UserSession
from surveyapp.auth.signals import password_changed
from surveyapp.errors import ValidationError

log = logging.getLogger("surveyapp.security")
_hasher = PasswordHasher()  # argon2id with the library's current defaults

MIN_PASSWORD_LENGTH = 8
#: A session unused for this long is dead (setting ``SESSION_IDLE_HOURS``)...
SESSION_IDLE = dt.timedelta(hours=12)
#: ... and one this old, however busy (setting ``SESSION_LIFETIME_HOURS``).
SESSION_LIFETIME = dt.timedelta(hours=24)
#: ``last_seen_at`` is written at most this often, not on every request.
SEEN_RESOLUTION = dt.timedelta(minutes=1)
#: A hash of no one's password, made by the hasher in use (64 MiB of work: on first use, not at import).
_dummy: tuple[PasswordHasher, str] | None = None
_dummy_lock = threading.Lock()


class LoginRefused(Exception):
    """Wrong credentials, inactive account, or too many failures; ``message`` says which for the person."""

    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        #: Seconds until a throttled attempt may succeed; ``None`` when the attempt was not throttled.
        self.retry_after = retry_after


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _dummy_hash() -> str:
    """What an unknown username's password is checked against, so that it takes as long as a wrong password."""
    global _dummy
    with _dummy_lock:
        if _dummy is None or _dummy[0] is not _hasher:
            _dummy = (_hasher, _hasher.hash(secrets.token_hex(16)))
        return _dummy[1]


def check_password_strength(password: str, username: str) -> None:
    """:raise ValidationError: the password is too weak to set."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(_("The password must have at least %(n)d characters.", n=MIN_PASSWORD_LENGTH))
    if password.strip().lower() == username.strip().lower():
        raise ValidationError(_("The password must not be the username."))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def book_login(session: Session, username: str, ip: str, limits: throttle.Limits) -> int:
    """Book a login attempt as a failure before its password is checked (see :mod:`surveyapp.auth.throttle`);
    the caller commits the booking, then calls :func:`authenticate` with the returned id.

    :raise LoginRefused: the account from this address, or this address, has used up its failures; nothing is
        booked, so the refusal does not make the wait longer.
    """
    username = username.strip().lower()
    booked = throttle.book(session, username, ip, limits, clock.now())
    if isinstance(booked, int):
        return booked
    log.warning("login throttled: username=%s ip=%s whole_address=%s", username, ip, booked.whole_address)
    if booked.whole_address:
        message = _("Too many failed logins from your network address. Wait %(n)d seconds and try again.",
                    n=booked.retry_after)
    else:
        message = _("Too many failed logins for this account from your network address. Wait %(n)d seconds and "
                    "try again (you can still log in from another device or network).", n=booked.retry_after)
    raise LoginRefused(message, booked.retry_after)


def authenticate(session: Session, attempt_id: int, username: str, password: str, ip: str,
                 user_agent: str | None = None) -> User:
    """Check the credentials of a booked attempt and open a server-side session; the returned user carries
    ``session_token``. A right password turns the booking into a success. Every attempt is logged.

    :raise LoginRefused: with a message for the person at the login form.
    """
    username = username.strip().lower()
    user = session.scalar(sa.select(User).where(User.username == username))
    ok = False
    try:
        ok = _hasher.verify(user.password_hash if user and user.password_hash else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        ok = False
    ok = ok and user is not None and user.password_hash is not None
    if not ok or user is None:
        log.warning("login failed: username=%s ip=%s", username, ip)
        raise LoginRefused(_("Wrong username or password."))
    if not user.active:
        log.warning("login refused for deactivated account: username=%s ip=%s", username, ip)
        raise LoginRefused(_("This account has been deactivated. Ask an administrator."))
    throttle.succeeded(session, attempt_id)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = clock.now()
    user.session_token = open_session(session, user, ip, user_agent)
    log.info("login: username=%s ip=%s", username, ip)
    return user


def open_session(session: Session, user: User, ip: str | None, user_agent: str | None) -> str:
    """Create a server-side session for ``user`` and return the token for the cookie."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    session.add(
        UserSession(
            token_hash=_token_hash(token), user=user, created_at=now, last_seen_at=now,
            ip=ip, user_agent=(user_agent or "")[:255] or None,
        )
    )
    session.flush()
    return token


def session_limits(config: Mapping[str, Any]) -> dict[str, dt.timedelta]:
    """The idle and absolute limits of the settings ``SESSION_IDLE_HOURS`` and ``SESSION_LIFETIME_HOURS``."""
    return {"idle": dt.timedelta(hours=config["SESSION_IDLE_HOURS"]),
            "lifetime": dt.timedelta(hours=config["SESSION_LIFETIME_HOURS"])}


def load_session_user(session: Session, token: str, idle: dt.timedelta = SESSION_IDLE,
                      lifetime: dt.timedelta = SESSION_LIFETIME) -> User | None:
    """The user of a live session token, or ``None`` when revoked, expired, unknown or deactivated.

    A session ends when it has been unused for ``idle`` or open for ``lifetime``; it is marked revoked then.
    """
    row = session.scalar(sa.select(UserSession).where(UserSession.token_hash == _token_hash(token)))
    now = clock.now()
    if row is None or row.revoked_at is not None:
        return None
    if now - row.last_seen_at > idle or now - row.created_at > lifetime:
        row.revoked_at = now
        log.info("session expired: username=%s opened=%s", row.user.username, row.created_at.isoformat())
        return None
    user = row.user
    if not user.active:
        return None
    if now - row.last_seen_at > SEEN_RESOLUTION:
        row.last_seen_at = now
    user.session_token = token
    return user


def prune_login_records(session: Session, keep: dt.timedelta, idle: dt.timedelta = SESSION_IDLE,
                        lifetime: dt.timedelta = SESSION_LIFETIME) -> tuple[int, int]:
    """Delete login attempts older than ``keep`` and sessions that ended more than ``keep`` ago (revoked, idle
    for ``idle`` or open for ``lifetime``); return how many of each."""
    cutoff = clock.now() - keep
    attempts = throttle.prune(session, cutoff)
    ended = sa.or_(UserSession.revoked_at < cutoff, UserSession.last_seen_at < cutoff - idle,
                   UserSession.created_at < cutoff - lifetime)
    sessions = session.execute(sa.delete(UserSession).where(ended)).rowcount or 0
    log.info("pruned %d login attempts and %d ended sessions older than %s", attempts, sessions, cutoff.isoformat())
    return attempts, sessions


def revoke_session(session: Session, token: str) -> None:
    """End one session (logout): the cookie that carried it is rejected from now on."""
    row = session.scalar(sa.select(UserSession).where(UserSession.token_hash == _token_hash(token)))
    if row is not None and row.revoked_at is None:
        row.revoked_at = clock.now()


def revoke_other_sessions(session: Session, user: User, keep_token: str | None = None) -> int:
    """End every live session of ``user`` except the one with ``keep_token``; return how many ended."""
    query = sa.update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
    if keep_token:
        query = query.where(UserSession.token_hash != _token_hash(keep_token))
    result = session.execute(query.values(revoked_at=clock.now()))
    return result.rowcount or 0


def change_own_password(session: Session, user: User, current: str, new: str) -> None:
    """A user changes their password; their other sessions end."""
    try:
        valid = user.password_hash is not None and _hasher.verify(user.password_hash, current)
    except (VerificationError, InvalidHashError):
        valid = False
    if not valid:
        raise ValidationError(_("The current password is wrong."))
    check_password_strength(new, user.username)
    user.password_hash = hash_password(new)
    user.password_changed_at = clock.now()
    revoke_other_sessions(session, user, keep_token=user.session_token)
    password_changed.send(session, user=user)
