"""The results workbook of a large company as a background job (downloaded from the job's page when ready)."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from surveyapp import jobs
from surveyapp.assessment import export, services
from surveyapp.assessment.results import MonthResults
from surveyapp.auth.models import Role
from surveyapp.jobs.models import Job
from surveyapp.org.models import Hall


def file_name(month: MonthResults) -> str:
    return f"assessment-{month.period}{'-' + month.unit_code if month.unit_code else ''}.xlsx"


def too_large(session: Session) -> bool:
    """Whether the workbook could have more rows than ``EXPORT_JOB_ROWS`` (one per active hall)."""
    halls = session.scalar(sa.select(sa.func.count()).select_from(Hall).where(Hall.active.is_(True))) or 0
    return halls > current_app.config["EXPORT_JOB_ROWS"]


def params(period: str, unit_code: str | None, policy: int | None) -> dict[str, Any]:
    return {"period": period, "unit": unit_code or None, "policy": policy}


@jobs.define("results_xlsx", _l("Excel export of the results"),
             {"assess": _l("Assessing the month"), "write": _l("Writing the workbook")}, roles=(Role.MARKET,))
def run_results_export(session: Session, job: Job, progress: jobs.Progress) -> None:
    progress("assess")
    number = job.params["policy"]
    policy = None if number is None else services.policy_version(session, number)
    month = services.assess(session, job.params["period"], unit=job.params["unit"], policy=policy)
    progress("write")
    job.result, job.result_name = export.results_workbook(month), file_name(month)
    jobs.finish(job, jobs.result_path("jobs.download", job_id=job.id))
