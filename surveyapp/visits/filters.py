"""The filters of the market department's visit lists (the list, the validation queue, planning's calendar):
read from a query string, and the choices the filter bar offers (``templates/visits/_filters.html``)."""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from surveyapp import inputs
from surveyapp.auth.models import Role, User
from surveyapp.checklists.definition import VisitType
from surveyapp.org.models import Hall, Unit
from surveyapp.visits import queries
from surveyapp.visits.flags import FLAGS
from surveyapp.visits.models import VisitStatus


def filters_from_args(args: Mapping[str, str]) -> queries.VisitFilter:
    """The filters of a query string; a value that is not one of the choices filters nothing."""
    type_ = args.get("type", "")
    status = args.get("status", "")
    period, since = args.get("month", ""), args.get("since", "")
    flag = args.get("flag", "")
    return queries.VisitFilter(
        unit_id=inputs.whole_number(args.get("unit")), hall_id=inputs.whole_number(args.get("hall")),
        supervisor_id=inputs.whole_number(args.get("supervisor")),
        type=VisitType(type_) if type_ in {t.value for t in VisitType} else None,
        status=VisitStatus(status) if status in {s.value for s in VisitStatus} else None,
        period=period if _is_month(period) else None, since=since if _is_month(since) else None,
        flag=flag if flag in {queries.ANY_FLAG, *FLAGS} else None,
    )


def _is_month(text: str) -> bool:
    return re.fullmatch(r"[0-9]{4}-[0-9]{2}", text) is not None


def filter_choices(session: Session) -> dict[str, Any]:
    """What the filter bar offers (template variables)."""
    return {"units": session.scalars(sa.select(Unit).order_by(Unit.code)).all(),
            "halls": session.scalars(sa.select(Hall).order_by(Hall.code)).all(),
            "supervisors": session.scalars(sa.select(User).where(User.role == Role.SUPERVISOR)
                                           .order_by(User.display_name, User.id)).all(),
            "VisitType": VisitType, "VisitStatus": VisitStatus, "FLAGS": FLAGS}
