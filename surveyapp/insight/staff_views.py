"""Insight pages: staff (营业员). The market department sees every employee's star level and history; a hall
manager sees their own halls' staff only (another employee's page is reported like a missing one)."""
from __future__ import annotations

from fractions import Fraction
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from surveyapp import inputs, nav
from surveyapp.assessment import services as assessment
from surveyapp.auth.access import roles_required
from surveyapp.auth.models import Role
from surveyapp.charts import line_chart
from surveyapp.db import db
from surveyapp.errors import NotFound, ValidationError
from surveyapp.insight import staff as staff_insight
from surveyapp.insight.trends_views import score_text
from surveyapp.org.models import Staff
from surveyapp.pagination import paginate

bp = Blueprint("insight_staff", __name__, url_prefix="/insight/staff")
nav.register("insight_staff.index", _l("Staff stars"), (Role.MARKET, Role.HALL_MANAGER), order=70, group="results")


def stars_text(level: int | None) -> str:
    """★★★☆☆ for 3 of 5; a dash for no level (too few visits)."""
    if level is None:
        return "–"
    return "★" * level + "☆" * (len(assessment.current_policy(db.session).policy.stars.levels) - level)


def _own_halls() -> list[int] | None:
    """The halls whose staff the acting user may see (``None``: all of them)."""
    return [h.id for h in current_user.halls] if current_user.role is Role.HALL_MANAGER else None


@bp.get("/")
@roles_required(Role.MARKET, Role.HALL_MANAGER)
def index() -> Any:
    """Staff with their star level at the end of a month (a hall manager: their own halls' staff)."""
    rules = assessment.current_policy(db.session).policy.stars
    try:
        period = assessment.parse_period(request.args.get("period") or assessment.current_period())
    except ValidationError as exc:
        return render_template("insight/staff.html", error=str(exc.message), period=request.args.get("period", ""),
                               rules=rules), 400
    page = paginate(db.session, staff_insight.staff_query(_own_halls()),
                    request.args.get("page", 1, type=inputs.whole) or 1, current_app.config["PAGE_SIZE"])
    levels = staff_insight.star_levels(db.session, period, rules, [s.id for s in page.items])
    return render_template("insight/staff.html", error=None, period=period, page=page, levels=levels, rules=rules,
                           stars_text=stars_text, score_text=score_text,
                           previous=assessment.shift_period(period, -1), next=assessment.shift_period(period, 1))


@bp.get("/<job_number>")
@roles_required(Role.MARKET, Role.HALL_MANAGER)
def detail(job_number: str) -> Any:
    """One employee: named visits, findings, commendations and star level by month, and 服务之星 months."""
    member = db.session.scalar(sa.select(Staff).where(Staff.job_number == job_number))
    halls = _own_halls()
    if member is None or (halls is not None and member.hall_id not in halls):
        raise NotFound(_("No employee has the job number %(number)s.", number=job_number))
    rules = assessment.current_policy(db.session).policy.stars
    try:
        period = assessment.parse_period(request.args.get("period") or assessment.current_period())
    except ValidationError as exc:
        return render_template("insight/staff_detail.html", error=str(exc.message), member=member,
                               period=request.args.get("period", ""), rules=rules), 400
    found = staff_insight.history(db.session, member, period, rules)
    chart = line_chart([(p[2:], _float(found.months[p].mean if p in found.months else None),
                         score_text(found.months[p].mean if p in found.months else None)) for p in found.periods],
                       _("Mean score of the visits naming %(name)s, by month", name=member.name))
    return render_template("insight/staff_detail.html", error=None, member=member, history=found, chart=chart,
                           period=period, rules=rules, stars_text=stars_text, score_text=score_text,
                           previous=assessment.shift_period(period, -1), next=assessment.shift_period(period, 1))


def _float(value: Fraction | None) -> float | None:
    return None if value is None else float(value)
