"""Administering accounts: create, change, deactivate and reactivate them, set their passwords (administrators,
or the command line as the system)."""
from __future__ import annotations

import re
from collections.abc import Iterable

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from surveyapp import clock
from surveyapp.audit import display
from surveyapp.audit.services import changes, record
from surveyapp.auth import services as auth_services
from surveyapp.auth.access import require_role
from surveyapp.auth.labels import role_label
from surveyapp.auth.models import Role, User
from surveyapp.errors import ValidationError
from surveyapp.org.models import Hall, Unit


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
    require_role(actor, Role.ADMIN, because=_l("Only an administrator may manage users."))
    username = _clean_username(username)
    if session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise ValidationError(_("The username %(name)s is already taken.", name=username), field="username")
    display_name, email = _clean_profile(display_name, email)
    role = Role(role)
    halls, units = _resolve_scope(session, role, hall_codes, unit_codes)
    if password is not None:
        auth_services.check_password_strength(password, username)
    user = User(
        username=username, display_name=display_name, email=email, role=role,
        password_hash=auth_services.hash_password(password) if password else None, external=external and role is Role.SUPERVISOR,
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
    require_role(actor, Role.ADMIN, because=_l("Only an administrator may manage users."))
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
    require_role(actor, Role.ADMIN, because=_l("Only an administrator may manage users."))
    if actor is not None and user.id == actor.id and not active:
        raise ValidationError(_("You cannot deactivate your own account."))
    if user.active == active:
        return False
    user.active = active
    if not active:
        auth_services.revoke_other_sessions(session, user)
    record(session, actor, "user.activate" if active else "user.deactivate", "user", user.id, user.username)
    return True


def reset_password(session: Session, actor: User | None, user: User, password: str) -> None:
    """An administrator (or the CLI, ``actor=None``) sets a new password; the user's sessions end."""
    require_role(actor, Role.ADMIN, because=_l("Only an administrator may manage users."))
    auth_services.check_password_strength(password, user.username)
    user.password_hash = auth_services.hash_password(password)
    user.password_changed_at = clock.now()
    own = actor is not None and actor.id == user.id
    auth_services.revoke_other_sessions(session, user, keep_token=actor.session_token if own else None)
    record(session, actor, "user.password_reset", "user", user.id, user.username)


display.register_actions({
    "user.create": _l("Account created"), "user.update": _l("Account changed"), "user.activate": _l("Account reactivated"),
    "user.deactivate": _l("Account deactivated"), "user.password_reset": _l("Password reset by an administrator"),
    "users.import": _l("Accounts imported"),
})
display.register_object("user", _l("Account"))
display.register_fields({
    "display_name": _l("Display name"), "email": _l("E-mail"), "role": _l("Role"), "external": _l("Social supervisor"),
    "halls": _l("Halls"), "units": _l("Units covered"),
})
display.register_value("role", role_label)
