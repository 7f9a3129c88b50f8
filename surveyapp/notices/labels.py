"""How the notice's templates show dates, rates and the changes a revision lists."""
from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from surveyapp import clock
from surveyapp.assessment.labels import (
    channel_label,
    flag_label,
    money_text,
    penalty_label,
    score_text,
)
from surveyapp.assessment.results import display
from surveyapp.notices.narrative import date_text, failed_text, month_text, section_label

#: Fields of a hall's line a revision may list as changed (``document.COMPARED``).
FIELD = {
    "assessed": _l("assessed"), "score": _l("score"), "rank": _l("rank"), "band": _l("band"),
    "channel_scores": _l("channel scores"), "visits": _l("visits"), "redline_visits": _l("red-line visits"),
    "reward": _l("reward"), "penalties": _l("penalties"), "flags": _l("flags"),
}


def percent_text(rate: str | Fraction) -> str:
    """A rate (``"3/8"``) as a percentage, half-up to one decimal."""
    return f"{display(Fraction(rate) * 100)}%"


def visit_date_text(value: str | dt.datetime) -> str:
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return date_text(clock.local(moment).date())


def _value_text(field: str, value: Any) -> str:
    if value is None:
        return "–"
    if field == "score":
        return score_text(Fraction(value))
    if field == "assessed":
        return _("yes") if value else _("no")
    if field == "channel_scores":
        return _(", ").join(f"{channel_label(c)} {score_text(None if s is None else Fraction(s))}" for c, s in value.items())
    if field == "visits":
        return _(", ").join(f"{channel_label(c)} {n}" for c, n in value.items())
    if field == "penalties":
        return _(", ").join(f"{penalty_label(k)} {v}" for k, v in value.items()) or "0.00"
    if field == "flags":
        return _(", ").join(flag_label(f) for f in value) or "–"
    return str(value)


def change_field_text(field: str, pair: list[Any]) -> str:
    """One changed field of a hall's line: ``score 78.5 → 82.0``."""
    old, new = pair
    return f"{FIELD[field]} {_value_text(field, old)} → {_value_text(field, new)}"


def helpers() -> dict[str, Any]:
    """Everything the notice's templates call, for their context."""
    from surveyapp.assessment.labels import change_text

    return {"percent_text": percent_text, "visit_date_text": visit_date_text, "change_field_text": change_field_text,
            "section_label": section_label, "failed_text": failed_text, "date_text": date_text, "month_text": month_text,
            "score_text": score_text, "change_text": change_text, "money_text": money_text,
            "channel_label": channel_label, "flag_label": flag_label, "penalty_label": penalty_label}
