"""Reading accounts: the filtered user list that the admin pages and the export share."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from surveyapp.auth.models import Role, User

STATUSES = ("active", "inactive", "all")


@dataclass
class UserFilter:
    """Search (username, display name or e-mail), role and status."""

    q: str = ""
    role: str = ""
    status: str = "active"

    @classmethod
    def from_args(cls, args: Any) -> UserFilter:
        role = args.get("role", "")
        status = args.get("status", "active")
        return cls(q=args.get("q", "").strip()[:100], role=role if role in {r.value for r in Role} else "",
                   status=status if status in STATUSES else "active")

    def args(self) -> dict[str, str]:
        return {k: v for k, v in vars(self).items() if v}


def user_query(session: Session, f: UserFilter) -> sa.Select[Any]:
    query = sa.select(User).options(selectinload(User.halls), selectinload(User.units)).order_by(User.username)
    if f.q:
        like = "%" + f.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(sa.or_(User.username.ilike(like, escape="\\"), User.display_name.ilike(like, escape="\\"),
                                   User.email.ilike(like, escape="\\")))
    if f.role:
        query = query.where(User.role == Role(f.role))
    if f.status == "active":
        query = query.where(User.active.is_(True))
    elif f.status == "inactive":
        query = query.where(User.active.is_(False))
    return query
