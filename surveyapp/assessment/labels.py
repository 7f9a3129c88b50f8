"""Translated labels of the assessment: channels, flags, penalty kinds and the policy's settings."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from fractions import Fraction
from typing import Any

from flask_babel import lazy_gettext as _l

from surveyapp import clock
from surveyapp.assessment.results import (
    BELOW_THRESHOLD,
    ESCALATE,
    LAST,
    REDLINE,
    display,
)

#: Short channel names for table headings.
CHANNEL = {
    "unannounced": _l("Unannounced"),
    "announced": _l("Announced"),
    "supervisor": _l("Social supervisors"),
}

FLAG = {
    LAST: _l("Last place"),
    ESCALATE: _l("Talk with the hall manager"),
    BELOW_THRESHOLD: _l("Below the threshold"),
    REDLINE: _l("Red line"),
}

PENALTY = {
    LAST: _l("last place"),
    BELOW_THRESHOLD: _l("below the threshold"),
    REDLINE: _l("red-line visits"),
}

#: The policy's settings by the keys of :func:`surveyapp.assessment.policy.settings`; rank rewards,
#: weights and rectification days are labelled by :func:`setting_label`.
SETTING = {
    "bands": _l("Bands"),
    "rewards.remainder": _l("The fen a tied split leaves"),
    "penalties.last_place": _l("Last-place penalty"),
    "penalties.below_score": _l("Threshold score"),
    "penalties.below_amount": _l("Penalty below the threshold"),
    "penalties.per_redline_visit": _l("Penalty per red-line visit"),
    "penalties.redline_bars_reward": _l("A red line bars the rank reward"),
    "penalties.escalate_after_consecutive_last": _l("Talk after consecutive last places"),
    "deadlines.appeal_days": _l("Days to appeal"),
    "deadlines.rectify_days.default": _l("Days to rectify (other sections)"),
    "calibration.months": _l("Calibration: months in the window"),
    "calibration.min_visits": _l("Calibration: shared visits a severity needs"),
    "calibration.threshold": _l("Calibration: lenient or severe beyond (points)"),
    "calibration.central_tendency": _l("Calibration: central tendency below this share of the median spread"),
    "calibration.perfect_margin": _l("Calibration: too perfect, percentage points above the others"),
    "calibration.drift": _l("Calibration: drift beyond (points per month)"),
    "calibration.adjust": _l("Assess with severity-adjusted visit scores"),
    "stars.months": _l("Star levels: months in the rolling window"),
    "stars.min_visits": _l("Star levels: visits naming the employee a level needs"),
    "stars.levels": _l("Star levels: minimum mean score of each star, ascending"),
}


def channel_label(channel: str) -> str:
    return str(CHANNEL[channel])


def flag_label(flag: str) -> str:
    return str(FLAG[flag])


def penalty_label(kind: str) -> str:
    return str(PENALTY[kind])


REMAINDER = {
    "none": _l("not paid out"),
    "first": _l("all to the first tied hall by hall code"),
    "spread": _l("one fen each to the tied halls, in hall-code order"),
}


def setting_value(key: str, value: str | None) -> str:
    """A setting's value as a person reads it (``true`` → 是, a remainder rule by its label); ``–`` for none."""
    if value is None:
        return "–"
    if key == "rewards.remainder" and value in REMAINDER:
        return str(REMAINDER[value])
    return {"true": str(_l("yes")), "false": str(_l("no"))}.get(value, value)


def setting_label(key: str) -> str:
    """A person's name for a policy setting key (``weights.announced``, ``rank_reward.2``, ...)."""
    if key in SETTING:
        return str(SETTING[key])
    kind, _, rest = key.rpartition(".")
    if kind == "weights":
        return str(_l("Weight: %(channel)s", channel=channel_label(rest)))
    if kind == "rank_reward":
        return str(_l("Reward for rank %(rank)s", rank=rest))
    return str(_l("Days to rectify: %(section)s", section=rest))


def score_text(value: Fraction | None, places: int = 1) -> str:
    """A score as shown: half-up to one decimal, or a dash."""
    shown = display(value, places)
    return "–" if shown is None else str(shown)


def change_text(value: Fraction | None) -> str:
    """A change with its sign (``+1.5``, ``-0.3``, ``0.0``), or a dash."""
    shown = display(value)
    if shown is None:
        return "–"
    return f"+{shown}" if shown > 0 else str(shown)


def money_text(value: Decimal) -> str:
    """Yuan with two places and thousands separators (``1,000.00``)."""
    return f"{value:,.2f}"


def when_text(value: dt.datetime | None) -> str:
    """A moment in the company's time zone, to the minute ("–" for none: the built-in default, not yet stored)."""
    return "–" if value is None else clock.local(value).strftime("%Y-%m-%d %H:%M")


def ranks_text(ranks: Iterable[int]) -> str:
    """Ranks as people write them: runs joined with a dash (``1, 3-5``)."""
    ordered = sorted(ranks)
    parts: list[str] = []
    start = prev = ordered[0]
    for rank in [*ordered[1:], None]:
        if rank is not None and rank == prev + 1:
            prev = rank
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if rank is not None:
            start = prev = rank
    return ", ".join(parts)


def author_text(version: Any) -> str:
    """Who made a policy version: their name, or "the system" (the built-in default, the command line)."""
    return version.created_by.display_name if version.created_by else str(_l("the system"))
