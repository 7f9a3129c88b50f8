"""The market department's home: its work list with numbers, each a link to the list behind it."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from flask_login import current_user

from surveyapp import clock, nav
from surveyapp.assessment.services import current_period
from surveyapp.auth.access import roles_required
from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.insight.worklist import market_worklist

bp = Blueprint("worklist", __name__)
nav.register_home(bp, Role.MARKET, "worklist.market")


@bp.get("/home/market")
@roles_required(Role.MARKET)
def market() -> Any:
    """Visits waiting for validation, appeals, rectifications to verify, overdue findings, the month's progress."""
    period = current_period()
    work = market_worklist(db.session, current_user, clock.today(), period)
    waited = clock.now() - work.oldest_received if work.oldest_received else None
    return render_template("insight/worklist.html", work=work, waited=waited)
