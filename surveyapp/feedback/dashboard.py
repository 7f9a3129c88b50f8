"""What the hall manager's home shows for one hall."""
from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from surveyapp.feedback import queries
from surveyapp.org.models import Hall
from surveyapp.visits.models import Visit, VisitStatus

#: Released visits listed on the home page.
RECENT_VISITS = 5


def overview(session: Session, hall: Hall, today: dt.date) -> dict[str, Any]:
    """Open findings (overdue first flagged), recent released visits of ``hall``."""
    open_findings = queries.open_for_hall(session, hall.id)
    recent = session.scalars(
        sa.select(Visit).where(Visit.hall_id == hall.id, Visit.status == VisitStatus.VALIDATED,
                               Visit.released_at.is_not(None))
        .options(selectinload(Visit.hall)).order_by(Visit.visited_at.desc(), Visit.id.desc()).limit(RECENT_VISITS)).all()
    return {
        "open_findings": open_findings,
        "overdue_count": sum(1 for f in open_findings if f.overdue_on(today)),
        "recent_visits": recent,
        "today": today,
        # Filled from the notices capability once it is merged: the latest line, the trend chart, the notices.
        "line": None, "trend": None, "notices": [],
    }
