"""Translated names and explanations of rater calibration's flags, and how its numbers are written."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from surveyapp.assessment.calibration_policy import CalibrationRules
from surveyapp.assessment.policy import number_text
from surveyapp.insight.calibration import CENTRAL_TENDENCY, DRIFT, LENIENT, SEVERE, TOO_PERFECT, Rater

FLAG = {
    LENIENT: _l("Lenient"),
    SEVERE: _l("Severe"),
    CENTRAL_TENDENCY: _l("Central tendency"),
    TOO_PERFECT: _l("Too perfect"),
    DRIFT: _l("Drift"),
}


def flag_label(flag: str) -> str:
    return str(FLAG[flag])


def flag_explanation(flag: str, rater: Rater, rules: CalibrationRules, median_ratio: float | None) -> str:
    """Why this supervisor has the flag, with their own numbers and the policy's threshold."""
    if flag == LENIENT:
        return _("Scores %(n)s points above the other supervisors on the same halls and months (more than "
                 "%(threshold)s, and the 95 %% interval %(interval)s is above 0).", n=_size(rater.severity),
                 threshold=number_text(rules.threshold), interval=interval_text(rater.low, rater.high))
    if flag == SEVERE:
        return _("Scores %(n)s points below the other supervisors on the same halls and months (more than "
                 "%(threshold)s, and the 95 %% interval %(interval)s is below 0).",
                 n=_size(rater.severity), threshold=number_text(rules.threshold),
                 interval=interval_text(rater.low, rater.high))
    if flag == CENTRAL_TENDENCY:
        return _("Gives halls much the same score: the spread of their scores is %(ratio)s of the other "
                 "supervisors' on the same halls and months, where the median supervisor's is %(median)s (flagged "
                 "below %(share)s of that). Check for straight-lining: the same answer to every item.",
                 ratio=_percent(rater.spread_ratio or 0.0), median=_percent(median_ratio or 0.0),
                 share=_percent(float(rules.central_tendency)))
    if flag == TOO_PERFECT:
        return _("%(share)s of their visits scored 100, against %(others)s for the other supervisors (more than "
                 "%(margin)s percentage points above, and unlikely by chance).", share=_percent(rater.perfect_share),
                 others=_percent(rater.others_perfect_share or 0.0), margin=number_text(rules.perfect_margin))
    return _("Their severity moves %(n)s points a month (more than %(drift)s, and the trend is clear): %(months)s.",
             n=_size(rater.drift_slope), drift=number_text(rules.drift),
             months=_("; ").join(f"{p}: {points_text(v)}" for p, v in rater.monthly))


def no_severity_reason(rater: Rater, rules: CalibrationRules) -> str:
    """Why a supervisor has no severity (empty when they have one)."""
    if rater.severity is not None:
        return ""
    if not rater.in_main_group:
        return _("No severity: not linked to the other supervisors through halls they visited in the same month.")
    return _("No severity: %(n)s visits shared with other supervisors, %(min)s needed.", n=rater.connected,
             min=rules.min_visits)


def points_text(value: float | None) -> str:
    """Points with a sign and one decimal (``+8.2``, ``-6.0``), or a dash."""
    if value is None:
        return "–"
    shown = f"{value:.1f}"
    return shown if shown.startswith("-") or shown == "0.0" else f"+{shown}"


def interval_text(low: float | None, high: float | None) -> str:
    """``[+4.1, +9.3]``, or a dash."""
    if low is None or high is None:
        return "–"
    return f"[{points_text(low)}, {points_text(high)}]"


def _size(value: float | None) -> str:
    """A number of points without its sign (the sentence says which way)."""
    return "–" if value is None else f"{abs(value):.1f}"


def _percent(share: float) -> str:
    return f"{100 * share:.0f} %"
