"""Reading accounts: the filtered user list that the admin pages and the export share."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from surveyapp.auth.models import Role, User
from surveyapp.webforms import ListFilter, contains

STATUSES = ("active", "inactive", "all")


@dataclass
class UserFilter(ListFilter):
    """Search (username, display name or e-mail), role and status."""

    CHOICES: ClassVar[dict[str, tuple[str, ...]]] = {"role": ("", *(r.value for r in Role)), "status": STATUSES}
    q: str = ""
    role: str = ""
    status: str = "active"


def user_query(session: Session, f: UserFilter) -> sa.Select[Any]:
    query = sa.select(User).options(selectinload(User.halls), selectinload(User.units)).order_by(User.username)
    if f.q:
        query = query.where(sa.or_(contains(User.username, f.q), contains(User.display_name, f.q), contains(User.email, f.q)))
    if f.role:
        query = query.where(User.role == Role(f.role))
    if f.status == "active":
        query = query.where(User.active.is_(True))
    elif f.status == "inactive":
        query = query.where(User.active.is_(False))
    return query
