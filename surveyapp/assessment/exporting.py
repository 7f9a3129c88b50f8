"""The results workbook of a large company as a background job (downloaded from the job's page when ready)."""
from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from surveyapp import jobs
from surveyapp.assessment import export, queries, services
from surveyapp.assessment.results import MonthResults
from surveyapp.auth.models import Role
from surveyapp.jobs.models import Job
from surveyapp.org.models import Hall


def file_name(month: MonthResults) -> str:
    return f"assessment-{month.period}{'-' + month.unit_code if month.unit_code else ''}.xlsx"


def month_results(session: Session, period: str, unit_code: str | None,
                  policy: int | None) -> tuple[MonthResults, tuple[int, dt.datetime] | None]:
    """A month's results as the results page and its Excel export show them: a published month's as published
    (the halls of ``unit_code`` among them), with the revision's number and time; else assessed live. An
    explicit ``policy`` version always assesses live (a what-if)."""
    reader = current_app.extensions.get(services.PUBLISHED_RESULTS)
    frozen = reader(session, period) if reader is not None and policy is None else None
    if frozen is not None:
        month, revision, published_at = frozen
        return within(session, month, unit_code), (revision, published_at)
    version = None if policy is None else services.policy_version(session, policy)
    return services.assess(session, period, unit=unit_code or None, policy=version), None


def within(session: Session, month: MonthResults, unit_code: str | None) -> MonthResults:
    """The published lines of the halls of ``unit_code`` and the units below it (ranks stay the published ones)."""
    if not unit_code:
        return month
    unit = services.find_unit(session, unit_code)
    codes = {h.code for h in queries.halls_listed(session, month.period, unit.id)}
    return replace(month, unit_code=unit.code, unit_name=unit.name, halls=tuple(h for h in month.halls if h.code in codes))


def too_large(session: Session) -> bool:
    """Whether the workbook could have more rows than ``EXPORT_JOB_ROWS`` (one per active hall)."""
    halls = session.scalar(sa.select(sa.func.count()).select_from(Hall).where(Hall.active.is_(True))) or 0
    return halls > current_app.config["EXPORT_JOB_ROWS"]


def params(period: str, unit_code: str | None, policy: int | None) -> dict[str, Any]:
    return {"period": period, "unit": unit_code or None, "policy": policy}


@jobs.define("results_xlsx", _l("Excel export of the results"),
             {"assess": _l("Assessing the month"), "write": _l("Writing the workbook")}, roles=(Role.MARKET,))
def run_results_export(session: Session, job: Job, progress: jobs.Progress) -> None:
    progress("assess")  # a published month's results as published, like the page
    month, _published = month_results(session, services.parse_period(job.params["period"]), job.params["unit"],
                                      job.params["policy"])
    progress("write")
    job.result, job.result_name = export.results_workbook(month), file_name(month)
    jobs.finish(job, jobs.result_path("jobs.download", job_id=job.id))
