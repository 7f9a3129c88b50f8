"""Demo data of planning (``flask demo load`` discovers this module): the demo visits of the previous and the
current month (:mod:`surveyapp.planning.visit_demo`, loaded after the accounts and checklists), then next month
planned by the automatic month plan. Loading again changes nothing: a month that already has a saved plan is
left as it is.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from surveyapp import clock
from surveyapp.auth.models import Role, User
from surveyapp.demo.loader import register
from surveyapp.planning import autoplan, month_plan
from surveyapp.planning import visit_demo as _visits  # noqa: F401 - registers the demo visits' loader
from surveyapp.planning.models import PlanProposal, ProposalStatus


@register("visit_plan", order=45)
def load(session: Session) -> str:
    """Next month's visits for every active hall, proposed by the planner and saved by a market user."""
    period = month_plan.next_period(clock.today())
    saved = session.scalar(sa.select(PlanProposal.id).where(PlanProposal.period == period,
                                                            PlanProposal.status == ProposalStatus.SAVED))
    if saved is not None:
        return f"month plan {period} unchanged"
    market = session.scalar(sa.select(User).where(User.role == Role.MARKET).order_by(User.username))
    config = current_app.config
    settings = month_plan.default_settings(session, period, month_plan.default_counts(config["VISIT_PLAN_COUNTS"]),
                                           int(config["VISIT_PLAN_WINDOWS"]))
    if market is None or len(settings.checklists) < len(autoplan.CHANNELS):
        return "skipped: load the checklists and the accounts first"
    proposal = month_plan.propose(session, market, settings)
    visits = month_plan.save(session, market, proposal, proposal.version)
    review = month_plan.review(session, proposal)
    missing = sum(n for _, _, n in review.shortfalls)
    return (f"month plan {period}: {len(visits)} visits, loads differ by {review.spread}, {review.repeats} repeats, "
            f"{missing} visits nobody covers")
