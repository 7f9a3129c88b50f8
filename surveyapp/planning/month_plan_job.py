"""The month plan proposal of a large company as a background job (the planner's draw takes a while there)."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from surveyapp import jobs
from surveyapp.auth.models import Role, User
from surveyapp.jobs.models import Job
from surveyapp.org.models import Hall, Unit
from surveyapp.planning import month_plan


def too_large(session: Session, limit: int) -> bool:
    """Whether the company has more than ``limit`` active halls (the setting ``PLAN_JOB_HALLS``): its proposal is
    then made by a job."""
    halls = session.scalar(sa.select(sa.func.count()).select_from(Hall).where(Hall.active.is_(True))) or 0
    return halls > limit


def start(session: Session, actor: User, settings: month_plan.MonthSettings) -> Job:
    """Start the job proposing ``settings`` (flushed; commit, then :func:`surveyapp.jobs.enqueue`)."""
    return jobs.start(session, actor, "month_plan", {"period": settings.period,
                                                     "unit_id": settings.unit.id if settings.unit else None,
                                                     **settings.to_json()})


@jobs.define("month_plan", _l("Month plan proposal"), {"propose": _l("Drawing the month's visits")},
             roles=(Role.MARKET,))
def run_month_plan(session: Session, job: Job, progress: jobs.Progress) -> None:
    progress("propose")
    params = job.params
    unit = session.get(Unit, params["unit_id"]) if params["unit_id"] else None
    proposal = month_plan.propose(session, job.created_by, month_plan.settings_from_json(session, params["period"],
                                                                                          unit, params))
    jobs.finish(job, jobs.result_path("visit_plan.review", proposal=proposal.uid))
