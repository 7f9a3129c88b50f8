"""Insight pages: evidence integrity. The market department sees the month's flagged visits with the reasons,
each linked to the visit's validation page and to the other visit involved. Also checks each submitted visit."""
from __future__ import annotations

from math import ceil
from typing import Any

from flask import Blueprint, current_app, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from surveyapp import inputs, nav
from surveyapp.assessment import services as assessment
from surveyapp.auth.access import roles_required
from surveyapp.auth.models import Role, User
from surveyapp.db import db
from surveyapp.errors import ValidationError
from surveyapp.insight import integrity_queries as integrity
from surveyapp.insight.integrity import Rules
from surveyapp.org.models import Hall
from surveyapp.org.signals import hall_moved
from surveyapp.pagination import Page
from surveyapp.visits.flags import FLAGS
from surveyapp.visits.models import Visit
from surveyapp.visits.signals import evidence_changed, visit_submitted

bp = Blueprint("insight_integrity", __name__, url_prefix="/insight/integrity")
nav.register("insight_integrity.index", _l("Evidence integrity"), (Role.MARKET,), order=68, group="visits")


@visit_submitted.connect
def _check_submitted(session: Session, actor: User | None, visit: Visit, revision: int, **_: Any) -> None:
    """Every submission is checked at once, so the validator finds the reasons waiting in the queue; a second
    submission may have moved the visit in time or changed its photos, so the visits linked to it or next to it
    are checked again too."""
    integrity.refresh(session, Visit.id == visit.id, Rules.from_config(current_app.config), moved=revision > 1)


@evidence_changed.connect
def _check_changed(session: Session, actor: User | None, visit: Visit, **_: Any) -> None:
    """A photo taken off a visit, or the visit cancelled: its flags and those linking to it are found again."""
    integrity.refresh(session, Visit.id == visit.id, Rules.from_config(current_app.config))


@hall_moved.connect
def _check_moved(session: Session, actor: User | None, hall: Hall, **_: Any) -> None:
    """The travel checks of the hall's visits measure from its location: check them again from the new one.
    (A photo's distance to the hall was measured at upload, from the location the hall had then, and its
    coordinates were not kept: that verdict stays as measured.)"""
    integrity.refresh(session, Visit.hall_id == hall.id, Rules.from_config(current_app.config))


@bp.get("/")
@roles_required(Role.MARKET)
def index() -> Any:
    """The month's flagged visits, by hall, with every reason and the other visit linked."""
    period = (request.args.get("period") or assessment.current_period()).strip()
    kind = request.args.get("flag") or None
    if kind is not None and kind not in FLAGS:
        kind = None
    try:
        report = integrity.month_report(db.session, period, kind)
    except ValidationError as exc:
        return render_template("insight/integrity.html", report=None, error=str(exc.message), period=period,
                               kind=kind, flags=FLAGS), 400
    per_page = current_app.config["PAGE_SIZE"]
    number = min(max(1, request.args.get("page", 1, type=inputs.whole) or 1), max(1, ceil(len(report.lines) / per_page)))
    page = Page(list(report.lines[(number - 1) * per_page:number * per_page]), number, per_page, len(report.lines))
    return render_template(
        "insight/integrity.html", report=report, page=page, error=None, period=report.period, kind=kind, flags=FLAGS,
        previous=assessment.shift_period(report.period, -1), next=assessment.shift_period(report.period, 1),
    )
