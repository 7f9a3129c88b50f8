"""The market department's calendar of visits: a month of due dates and visit dates, with the list's filters.

Server-rendered without scripts: a grid of weeks on wide screens, a list of days on phones (the same
markup; the stylesheet decides), and a day's full list under it when a day is chosen.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, current_app, render_template, request
from flask_babel import lazy_gettext as _l

from surveyapp import clock, inputs, nav
from surveyapp.auth.access import roles_required
from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.pagination import paginate
from surveyapp.planning import calendar as cal
from surveyapp.planning.month_plan import month_days, parse_period
from surveyapp.visits.filters import filter_choices, filters_from_args

bp = Blueprint("visit_calendar", __name__, url_prefix="/visits/calendar")
nav.register("visit_calendar.calendar", _l("Calendar"), (Role.MARKET,), order=32, group="visits")

#: Visits shown in a day's cell before "more".
PER_CELL = 6


def _shift(period: str, months: int) -> str:
    year, month = parse_period(period) or (0, 0)
    index = year * 12 + month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@bp.get("/")
@roles_required(Role.MARKET)
def calendar() -> Any:
    """The month (``?month=YYYY-MM``, default this one) as a calendar; ``?day=YYYY-MM-DD`` lists one day."""
    today = clock.today()
    period = request.args.get("month", "")
    if parse_period(period) is None:
        period = f"{today:%Y-%m}"
    first, last = month_days(period)
    filters = filters_from_args(request.args)
    zone = clock.company_tz()
    weeks = cal.month(db.session, filters, first, last, zone)
    day = None
    try:
        day = dt.date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        pass
    day_page = None
    if day is not None:
        day_page = paginate(db.session, cal.on_days(filters, day, day, zone), request.args.get("page", 1, type=inputs.whole),
                            current_app.config["PAGE_SIZE"])
    args = {k: v for k, v in request.args.items() if k in ("unit", "hall", "type", "supervisor", "status") and v}
    return render_template(
        "planning/calendar.html", weeks=weeks, period=period, first=first, today=today, day=day, day_page=day_page,
        totals=cal.totals(weeks), previous=_shift(period, -1), following=_shift(period, 1), args=args,
        per_cell=PER_CELL, zone=zone, f=filters, month=period, **filter_choices(db.session))
