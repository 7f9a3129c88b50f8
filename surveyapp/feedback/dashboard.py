"""What the hall manager's home shows for one hall: the latest notice line, open findings, the score trend,
recent released visits and the published notices."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from typing import Any

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session, selectinload
from werkzeug.routing import BuildError

from surveyapp.assessment.results import display
from surveyapp.charts import line_chart
from surveyapp.feedback import queries
from surveyapp.notices import queries as notices
from surveyapp.notices.models import NoticeRevision
from surveyapp.org.models import Hall
from surveyapp.visits.models import Visit, VisitStatus

#: Released visits listed on the home page; months in the trend.
RECENT_VISITS = 5
TREND_MONTHS = 12


def overview(session: Session, hall: Hall, today: dt.date) -> dict[str, Any]:
    open_findings = queries.open_for_hall(session, hall.id)
    recent = session.scalars(
        sa.select(Visit).where(Visit.hall_id == hall.id, Visit.status == VisitStatus.VALIDATED,
                               Visit.released_at.is_not(None))
        .options(selectinload(Visit.hall)).order_by(Visit.visited_at.desc(), Visit.id.desc()).limit(RECENT_VISITS)).all()
    revisions = notices.published_revisions(session)
    latest = _latest_per_month(revisions)
    lines = [(r, notices.hall_line(r, hall.id)) for r in latest]
    lines = [(r, line) for r, line in lines if line is not None]
    return {
        "open_findings": open_findings,
        "overdue_count": sum(1 for f in open_findings if f.overdue_on(today)),
        "recent_visits": recent,
        "today": today,
        "line": _line(*lines[0]) if lines else None,
        "trend": _trend(lines[:TREND_MONTHS]),
        "notices": [_notice(r, hall) for r in revisions if notices.hall_line(r, hall.id) is not None],
    }


def _latest_per_month(revisions: list[NoticeRevision]) -> list[NoticeRevision]:
    """The newest revision of each month, newest month first (``revisions`` come in that order)."""
    seen: set[str] = set()
    out = []
    for revision in revisions:
        if revision.notice.period not in seen:
            seen.add(revision.notice.period)
            out.append(revision)
    return out


def _score(line: dict[str, Any]) -> Decimal | None:
    return display(Fraction(line["score"])) if line.get("score") is not None else None


def _line(revision: NoticeRevision, line: dict[str, Any]) -> dict[str, Any]:
    halls = revision.snapshot["results"]["halls"]
    return {
        "period": revision.notice.period, "number": revision.number, "assessed": line["assessed"],
        "score": _score(line), "rank": line["rank"], "band": line["band"],
        "ranked": sum(1 for h in halls if h["rank"] is not None),
        "reward": line["reward"], "penalty": str(sum((Decimal(v) for v in line["penalties"].values()), Decimal("0.00"))),
        "penalty_due": bool(line["penalties"]), "revision_pending": revision.notice.revision_pending,
        "download": _url("notices.download", revision),
    }


def _trend(lines: list[tuple[NoticeRevision, dict[str, Any]]]) -> Any:
    if len(lines) < 2:
        return None
    scores = [(r.notice.period[2:], _score(line)) for r, line in reversed(lines)]
    points = [(month, None if score is None else float(score), str(score)) for month, score in scores]
    bands = [(name, float(minimum)) for name, minimum in lines[0][0].snapshot["results"]["policy"]["bands"]]
    return line_chart(points, _("Score by month"), bands, css_class="chart trend")


def _notice(revision: NoticeRevision, hall: Hall) -> dict[str, Any]:
    title = _("Notice of %(period)s", period=revision.notice.period)
    if revision.number > 1:
        title += " · " + _("revision %(n)s", n=revision.number)
    return {"title": title, "published_at": revision.published_at, "reason": revision.reason,
            "url": _url("notices.download", revision), "letter": _url("notices.hall_letter", revision, hall)}


def _url(endpoint: str, revision: NoticeRevision, hall: Hall | None = None) -> str | None:
    """A link into the notices pages. Integration point: ``None`` until the notices views are merged."""
    args: dict[str, Any] = {"revision_id": revision.id}
    if hall is not None:
        args["hall_id"] = hall.id
    try:
        return url_for(endpoint, **args)
    except BuildError:
        return None
