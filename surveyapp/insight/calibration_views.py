"""Insight pages: calibration. The market department sees each supervisor's severity against the consensus of
the other raters, its interval, the flags with what they mean, and a link to the supervisor's visits."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from surveyapp import nav
from surveyapp.assessment import adjust
from surveyapp.assessment import services as assessment
from surveyapp.assessment.calibration_policy import MAX_MONTHS
from surveyapp.auth.access import roles_required
from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.errors import ValidationError
from surveyapp.insight import calibration_labels as labels
from surveyapp.insight import calibration_queries as calibration
from surveyapp.insight.calibration import LENIENT, SEVERE
from surveyapp.insight.calibration_chart import Row, severity_chart

bp = Blueprint("insight_calibration", __name__, url_prefix="/insight/calibration")
nav.register("insight_calibration.index", _l("Rater calibration"), (Role.MARKET,), order=67, group="results")
adjust.register_severity_source(calibration.severities)


@bp.get("/")
@roles_required(Role.MARKET)
def index() -> Any:
    """Supervisors ranked by severity over a window of months, with intervals drawn and flags explained."""
    period = (request.args.get("period") or assessment.current_period()).strip()
    months = request.args.get("months", "").strip() or None
    policy = assessment.current_policy(db.session).policy
    try:
        report = calibration.month_report(db.session, period, months, policy)
    except ValidationError as exc:
        return render_template("insight/calibration.html", report=None, error=str(exc.message), period=period,
                               months=months or policy.calibration.months, max_months=MAX_MONTHS,
                               adjusting=policy.calibration.adjust), 400
    rated = [line for line in report.lines if line.rater.severity is not None]
    chart = severity_chart(
        [Row(line.name, line.rater.severity, line.rater.low, line.rater.high,  # type: ignore[arg-type]
             LENIENT if LENIENT in line.rater.flags else SEVERE if SEVERE in line.rater.flags else "")
         for line in rated if line.rater.low is not None],
        float(report.rules.threshold), _("Severity of each supervisor with its %(level)s interval, in points", level="95 %"))
    return render_template(
        "insight/calibration.html", report=report, error=None, period=report.period, months=report.months,
        max_months=MAX_MONTHS, chart=chart, rated=len(rated), adjusting=policy.calibration.adjust,
        previous=assessment.shift_period(report.period, -1), next=assessment.shift_period(report.period, 1),
        flag_label=labels.flag_label, flag_explanation=labels.flag_explanation, points_text=labels.points_text,
        interval_text=labels.interval_text, no_severity_reason=labels.no_severity_reason,
    )
