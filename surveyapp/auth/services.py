"""Accounts: passwords, login with rate limiting, server-side sessions, user administration."""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets
from collections.abc import Iterable

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from surveyapp import clock
from surveyapp.audit.services import changes, record
from surveyapp.auth.models import LoginAttempt, Role, User, UserSession
from surveyapp.errors import PermissionDenied, ValidationError
from surveyapp.org.models import Hall, Unit

log = logging.getLogger("surveyapp.security")
_hasher = PasswordHasher()  # argon2id with the library's current defaults

MIN_PASSWORD_LENGTH = 8
#: A session unused for this long is dead.
SESSION_IDLE = dt.timedelta(hours=12)
#: ``last_seen_at`` is written at most this often, not on every request.
SEEN_RESOLUTION = dt.timedelta(minutes=1)
#: Used to spend the same time on unknown usernames as on wrong passwords.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


class LoginRefused(Exception):
    """Wrong credentials, inactive account, or too many failures; ``message`` says which for the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_strength(password: str, username: str) -> None:
    """:raise ValidationError: the password is too weak to set."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(_("The password must have at least %(n)d characters.", n=MIN_PASSWORD_LENGTH))
    if password.strip().lower() == username.strip().lower():
        raise ValidationError(_("The password must not be the username."))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _recent_failures(session: Session, column: sa.ColumnElement[str], value: str, since: dt.datetime) -> int:
    query = sa.select(sa.func.count()).where(column == value, LoginAttempt.success.is_(False), LoginAttempt.at >= since)
    return session.scalar(query) or 0


def authenticate(
    session: Session, username: str, password: str, ip: str, limit: int, user_agent: str | None = None
) -> User:
    """Check credentials and open a server-side session; the returned user carries ``session_token``.

    Failed attempts are counted per account and per IP address over the last minute; past ``limit``
    the attempt is refused without checking the password. Every attempt is stored and logged.

    :raise LoginRefused: with a message for the person at the login form.
    """
    username = username.strip().lower()
    now = clock.now()
    since = now - dt.timedelta(minutes=1)
    if (
        _recent_failures(session, LoginAttempt.username, username, since) >= limit
        or _recent_failures(session, LoginAttempt.ip, ip, since) >= limit
    ):
        session.add(LoginAttempt(username=username, ip=ip, at=now, success=False))
        log.warning("login rate-limited: username=%s ip=%s", username, ip)
        raise LoginRefused(_("Too many failed logins. Wait a minute and try again."))

    user = session.scalar(sa.select(User).where(User.username == username))
    ok = False
    try:
        ok = _hasher.verify(user.password_hash if user and user.password_hash else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        ok = False
    ok = ok and user is not None and user.password_hash is not None
    session.add(LoginAttempt(username=username, ip=ip, at=now, success=ok and user.active))
    if not ok or user is None:
        log.warning("login failed: username=%s ip=%s", username, ip)
        raise LoginRefused(_("Wrong username or password."))
    if not user.active:
        log.warning("login refused for deactivated account: username=%s ip=%s", username, ip)
        raise LoginRefused(_("This account has been deactivated. Ask an administrator."))
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
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


def load_session_user(session: Session, token: str) -> User | None:
    """The user of a live session token, or ``None`` when revoked, expired, unknown or deactivated."""
    row = session.scalar(sa.select(UserSession).where(UserSession.token_hash == _token_hash(token)))
    now = clock.now()
    if row is None or row.revoked_at is not None or now - row.last_seen_at > SESSION_IDLE:
        return None
    user = row.user
    if not user.active:
        return None
    if now - row.last_seen_at > SEEN_RESOLUTION:
        row.last_seen_at = now
    user.session_token = token
    return user


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
    record(session, user, "user.password_change", "user", user.id, user.username)


# --- administration -------------------------------------------------------------------------------


def _require_admin(actor: User | None) -> None:
    if actor is not None and actor.role is not Role.ADMIN:
        raise PermissionDenied(_("Only an administrator may manage users."))


def _resolve_scope(session: Session, role: Role, hall_codes: Iterable[str], unit_codes: Iterable[str]) -> tuple[list[Hall], list[Unit]]:
    hall_codes = sorted({c.strip() for c in hall_codes if c.strip()})
    unit_codes = sorted({c.strip() for c in unit_codes if c.strip()})
    # In code order, the order of the account's own lists: an unchanged scope compares equal to them.
    halls = list(session.scalars(sa.select(Hall).where(Hall.code.in_(hall_codes)).order_by(Hall.code))) if hall_codes else []
    units = list(session.scalars(sa.select(Unit).where(Unit.code.in_(unit_codes)).order_by(Unit.code))) if unit_codes else []
    missing = sorted(set(hall_codes) - {h.code for h in halls})
    if missing:
        raise ValidationError(_("Unknown hall code: %(codes)s", codes=", ".join(missing)), field="halls")
    missing = sorted(set(unit_codes) - {u.code for u in units})
    if missing:
        raise ValidationError(_("Unknown unit code: %(codes)s", codes=", ".join(missing)), field="units")
    if halls and role is not Role.HALL_MANAGER:
        raise ValidationError(_("Only hall managers are assigned halls."), field="halls")
    if units and role is not Role.SUPERVISOR:
        raise ValidationError(_("Only supervisors are assigned units to cover."), field="units")
    return halls, units


USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._@\-]{0,63}$")


def _clean_username(username: str) -> str:
    username = username.strip().lower()
    if not username:
        raise ValidationError(_("A username is required."), field="username")
    if not USERNAME_RE.match(username):
        raise ValidationError(_("The username \"%(name)s\" is not valid: use at most 64 letters, digits, dots, hyphens, "
                                "underscores or @.", name=username), field="username")
    return username


def _clean_profile(display_name: str, email: str | None) -> tuple[str, str | None]:
    """:raise ValidationError: the display name is empty or too long, or the e-mail address is malformed."""
    display_name = " ".join((display_name or "").split())
    if not display_name:
        raise ValidationError(_("A display name is required."), field="display_name")
    if len(display_name) > 100:
        raise ValidationError(_("The display name has more than %(n)d characters.", n=100), field="display_name")
    email = (email or "").strip() or None
    if email is not None:
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            raise ValidationError(_("\"%(email)s\" is not a valid e-mail address.", email=email), field="email") from None
    return display_name, email


def user_label(user: User) -> str:
    return f"{user.username} {user.display_name}"


def create_user(
    session: Session,
    actor: User | None,
    *,
    username: str,
    display_name: str,
    role: Role | str,
    email: str | None = None,
    password: str | None = None,
    external: bool = False,
    hall_codes: Iterable[str] = (),
    unit_codes: Iterable[str] = (),
) -> User:
    """Create an account. Without a password it cannot log in until an administrator sets one."""
    _require_admin(actor)
    username = _clean_username(username)
    if session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise ValidationError(_("The username %(name)s is already taken.", name=username), field="username")
    display_name, email = _clean_profile(display_name, email)
    role = Role(role)
    halls, units = _resolve_scope(session, role, hall_codes, unit_codes)
    if password is not None:
        check_password_strength(password, username)
    user = User(
        username=username, display_name=display_name, email=email, role=role,
        password_hash=hash_password(password) if password else None, external=external and role is Role.SUPERVISOR,
        active=True, created_at=clock.now(), halls=halls, units=units,
    )
    session.add(user)
    session.flush()
    record(session, actor, "user.create", "user", user.id, username,
           {"role": role, "halls": [h.code for h in halls], "units": [u.code for u in units]})
    return user


def update_user(
    session: Session,
    actor: User | None,
    user: User,
    *,
    display_name: str,
    role: Role | str,
    email: str | None,
    external: bool,
    hall_codes: Iterable[str],
    unit_codes: Iterable[str],
) -> dict[str, list[object]]:
    """Change an account's name, role and scope; returns what changed. One account has exactly one role."""
    _require_admin(actor)
    role = Role(role)
    if actor is not None and user.id == actor.id and role is not Role.ADMIN:
        raise ValidationError(_("You cannot take the administrator role from yourself."), field="role")
    display_name, email = _clean_profile(display_name, email)
    halls, units = _resolve_scope(session, role, hall_codes, unit_codes)
    diff = changes(user, {
        "display_name": display_name, "role": role, "email": email,
        "external": external and role is Role.SUPERVISOR,
    })
    old_halls, old_units = [h.code for h in user.halls], [u.code for u in user.units]
    if old_halls != [h.code for h in halls]:
        diff["halls"] = [old_halls, [h.code for h in halls]]
    if old_units != [u.code for u in units]:
        diff["units"] = [old_units, [u.code for u in units]]
    user.halls, user.units = halls, units
    if diff:
        record(session, actor, "user.update", "user", user.id, user.username, diff)
    return diff


def set_active(session: Session, actor: User | None, user: User, active: bool) -> bool:
    """Deactivate (all sessions end at once) or reactivate an account; returns whether it changed."""
    _require_admin(actor)
    if actor is not None and user.id == actor.id and not active:
        raise ValidationError(_("You cannot deactivate your own account."))
    if user.active == active:
        return False
    user.active = active
    if not active:
        revoke_other_sessions(session, user)
    record(session, actor, "user.activate" if active else "user.deactivate", "user", user.id, user.username)
    return True


def reset_password(session: Session, actor: User | None, user: User, password: str) -> None:
    """An administrator (or the CLI, ``actor=None``) sets a new password; the user's sessions end."""
    _require_admin(actor)
    check_password_strength(password, user.username)
    user.password_hash = hash_password(password)
    user.password_changed_at = clock.now()
    own = actor is not None and actor.id == user.id
    revoke_other_sessions(session, user, keep_token=actor.session_token if own else None)
    record(session, actor, "user.password_reset", "user", user.id, user.username)
