"""Accounts, roles, server-side sessions and login attempts."""
from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.db import Model


class Role(str, enum.Enum):
    """What a user may do; see DOMAIN.md "Roles"."""

    ADMIN = "admin"
    MARKET = "market"
    SUPERVISOR = "supervisor"
    HALL_MANAGER = "hall_manager"


user_hall = sa.Table(
    "user_hall",
    Model.metadata,
    sa.Column("user_id", sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("hall_id", sa.ForeignKey("hall.id", ondelete="CASCADE"), primary_key=True),
)

user_unit = sa.Table(
    "user_unit",
    Model.metadata,
    sa.Column("user_id", sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("unit_id", sa.ForeignKey("unit.id", ondelete="CASCADE"), primary_key=True),
)


class User(Model):
    """A person who logs in. Staff (营业员) are not users."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Login name, stored lower-case.
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(100))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    role: Mapped[Role] = mapped_column(sa.Enum(Role, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]))
    #: argon2id hash; ``None`` means the account has no password and cannot log in.
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    #: Social supervisors are external (社会监督员); internal inspectors are not.
    external: Mapped[bool] = mapped_column(default=False)
    #: Preferred UI language, or ``None`` for the default.
    locale: Mapped[str | None] = mapped_column(sa.String(10))
    created_at: Mapped[dt.datetime]
    password_changed_at: Mapped[dt.datetime | None]
    last_login_at: Mapped[dt.datetime | None]

    # Hall and Unit (surveyapp.org.models) are named by their SQLAlchemy registry names, not imported: accounts sit
    # below the organisation in the layers, which may import them but not the other way round.
    #: Halls a hall manager answers for.
    halls: Mapped[list[Hall]] = relationship("Hall", secondary=user_hall, order_by="Hall.code")  # noqa: F821
    #: Units a supervisor covers (and every unit below them).
    units: Mapped[list[Unit]] = relationship("Unit", secondary=user_unit, order_by="Unit.code")  # noqa: F821

    #: The token of the session this object was loaded for (not a column).
    session_token = None

    def has_role(self, *roles: Role | str) -> bool:
        return self.role in {Role(r) for r in roles}

    # Flask-Login asks these of the user object. The id it keeps in the cookie is the session
    # token, so revoking the server-side session logs that cookie out.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str | None:
        return self.session_token

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role.value}>"


class UserSession(Model):
    """A server-side login session; the cookie carries only its random token."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the token in the cookie, so a database leak does not leak live sessions.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime]
    last_seen_at: Mapped[dt.datetime]
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    user_agent: Mapped[str | None] = mapped_column(sa.String(255))
    revoked_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship()


class LoginAttempt(Model):
    """Every login attempt, for rate limiting and the security log."""

    __tablename__ = "login_attempt"
    __table_args__ = (sa.Index("ix_login_attempt_username_at", "username", "at"), sa.Index("ix_login_attempt_ip_at", "ip", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64))
    ip: Mapped[str] = mapped_column(sa.String(45))
    at: Mapped[dt.datetime]
    success: Mapped[bool]

