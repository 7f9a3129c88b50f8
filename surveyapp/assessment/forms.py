"""The policy edit form. It only collects text; the rules are checked by :mod:`surveyapp.assessment.policy`
(the same checker as for policy files) and each problem is shown at its field."""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from surveyapp import inputs, webforms
from surveyapp.assessment.labels import ranks_text
from surveyapp.assessment.policy import (
    CHANNELS,
    DEFAULT_SECTION,
    Policy,
    PolicyProblem,
    number_text,
)

NUMBER = {"inputmode": "decimal", "autocomplete": "off"}
WHOLE = {"inputmode": "numeric", "autocomplete": "off"}
#: Blank rows offered under the filled ones, for adding entries without JavaScript.
SPARE_ROWS = 2
_RANKS = re.compile(r"^(\d+)(?:-(\d+))?$")


class BandRow(Form):
    name = StringField(_l("Band"), validators=[Optional(), Length(max=20)])
    minimum = StringField(_l("From score"), render_kw=NUMBER)


class RewardRow(Form):
    ranks = StringField(_l("Ranks"), render_kw={"placeholder": "2-3", "autocomplete": "off"})
    amount = StringField(_l("Reward (yuan)"), render_kw=NUMBER)


class RectifyRow(Form):
    section = StringField(_l("Checklist section id"), render_kw={"list": "section-ids", "autocomplete": "off"})
    days = StringField(_l("Days"), render_kw=WHOLE)


class PolicyForm(webforms.Form):
    """Every setting of the policy; ``based_on`` is the version the page was drawn from."""

    based_on = HiddenField()
    weight_unannounced = StringField(_l("Unannounced visits"), render_kw=NUMBER)
    weight_announced = StringField(_l("Announced inspections"), render_kw=NUMBER)
    weight_supervisor = StringField(_l("Social supervisors"), render_kw=NUMBER)
    bands = FieldList(FormField(BandRow), min_entries=1)
    rewards = FieldList(FormField(RewardRow), min_entries=1)
    remainder = SelectField(_l("The fen a tied split leaves"), default="none", choices=[
        SelectChoice("none", _l("Not paid out (the notice says so)")),
        SelectChoice("first", _l("All to the first tied hall by hall code")),
        SelectChoice("spread", _l("One fen each to the tied halls, in hall-code order")),
    ], description=_l("2,000 yuan shared six ways is 333.33 each, rounded down to the fen: 0.02 is left."))
    last_place = StringField(_l("Last place (yuan)"), render_kw=NUMBER,
                             description=_l("Halls ranked last, when at least 2 are assessed and the last is below the best."))
    below_score = StringField(_l("Threshold score"), render_kw=NUMBER,
                              description=_l("A hall scoring below this pays the penalty below."))
    below_amount = StringField(_l("Below the threshold (yuan)"), render_kw=NUMBER)
    per_redline_visit = StringField(_l("Per red-line visit (yuan)"), render_kw=NUMBER)
    redline_bars_reward = BooleanField(_l("A hall with a red-line visit gets no rank reward"))
    escalate = StringField(_l("Talk with the hall manager after this many consecutive last places"), render_kw=WHOLE,
                           description=_l("0 never flags a hall."))
    appeal_days = StringField(_l("Days to appeal a finding"), render_kw=WHOLE)
    rectify_default = StringField(_l("Days to rectify a finding (sections not listed below)"), render_kw=WHOLE)
    rectify = FieldList(FormField(RectifyRow), min_entries=1)
    cal_months = StringField(_l("Months in the window"), render_kw=WHOLE,
                             description=_l("Calibration reads this many months, ending with the month shown."))
    cal_min_visits = StringField(_l("Shared visits a severity needs"), render_kw=WHOLE,
                                 description=_l("Visits in halls and months another supervisor also visited."))
    cal_threshold = StringField(_l("Lenient or severe beyond (points)"), render_kw=NUMBER,
                                description=_l("Flagged only when the 95 percent interval also excludes 0."))
    cal_central_tendency = StringField(_l("Central tendency below this share of the median spread"), render_kw=NUMBER,
                                       description=_l("From 0 to 1, e.g. 0.5."))
    cal_perfect_margin = StringField(_l("Too perfect: percentage points of 100-point visits above the others"),
                                     render_kw=NUMBER)
    cal_drift = StringField(_l("Drift beyond (points per month)"), render_kw=NUMBER)
    star_months = StringField(_l("Star levels: months in the rolling window"), render_kw=WHOLE)
    star_min_visits = StringField(_l("Star levels: visits naming the employee a level needs"), render_kw=WHOLE)
    star_levels = StringField(_l("Star levels: minimum mean score of each star, ascending"),
                              description=_l("One number per star, separated by commas, e.g. 60, 70, 80, 90, 95."))
    cal_adjust = BooleanField(_l("Assess with severity-adjusted visit scores (the notice then says so)"))
    note = TextAreaField(_l("What changed and why (kept in the history)"), validators=[Optional(), Length(max=1000)])

    @classmethod
    def for_policy(cls, policy: Policy, number: int) -> PolicyForm:
        """The form filled with ``policy`` (version ``number``), with spare blank rows."""
        p, d, c = policy.penalties, policy.deadlines, policy.calibration
        form = cls(formdata=None, data={
            "based_on": str(number),
            **{f"weight_{c.value}": number_text(w) for c, w in policy.weights},
            "bands": [{"name": b.name, "minimum": number_text(b.minimum)} for b in policy.bands],
            "rewards": [{"ranks": ranks_text(r.ranks), "amount": str(r.amount)} for r in policy.rank_rewards],
            "remainder": policy.rewards.remainder,
            "last_place": str(p.last_place), "below_score": number_text(p.below_score), "below_amount": str(p.below_amount),
            "per_redline_visit": str(p.per_redline_visit), "redline_bars_reward": p.redline_bars_reward,
            "escalate": str(p.escalate_after_consecutive_last), "appeal_days": str(d.appeal_days),
            "rectify_default": str(d.rectify_days_for(DEFAULT_SECTION)),
            "rectify": [{"section": s, "days": str(n)} for s, n in d.rectify_days if s != DEFAULT_SECTION],
            "cal_months": str(c.months), "cal_min_visits": str(c.min_visits), "cal_threshold": number_text(c.threshold),
            "cal_central_tendency": number_text(c.central_tendency),
            "cal_perfect_margin": number_text(c.perfect_margin), "cal_drift": number_text(c.drift),
            "cal_adjust": c.adjust, "star_months": str(policy.stars.months),
            "star_min_visits": str(policy.stars.min_visits),
            "star_levels": ", ".join(number_text(v) for v in policy.stars.levels),
        })
        form.add_spare_rows()
        return form

    def add_spare_rows(self) -> None:
        for rows in (self.bands, self.rewards, self.rectify):
            while sum(1 for row in rows if _blank(row)) < SPARE_ROWS:
                rows.append_entry()

    def policy_data(self) -> dict[str, Any]:
        """The ``[policy]`` table the form describes, in the shapes a policy file has (blank rows dropped).

        Problems only the form can see (a row half filled, a band named twice, ranks that are not numbers)
        are added to the fields' errors; :meth:`has_row_errors` tells whether there were any.
        """
        self._row_errors = False
        bands: dict[str, str] = {}
        for row in self._filled(self.bands):
            name = (row.form.name.data or "").strip()
            if name in bands:
                self._error(row.form.name, _l("the band %(name)s is given twice", name=name))
            bands[name] = row.form.minimum.data or ""
        rewards = []
        self._reward_rows = []
        for row in self._filled(self.rewards):
            ranks = parse_ranks(row.form.ranks.data or "")
            if ranks is None:
                self._error(row.form.ranks, _l("write ranks like 1, 2-3 or 2, 3"))
                continue
            rewards.append({"ranks": ranks, "amount": row.form.amount.data or ""})
            self._reward_rows.append(row)
        rectify: dict[str, Any] = {DEFAULT_SECTION: _whole(self.rectify_default.data)}
        for row in self._filled(self.rectify):
            section = (row.form.section.data or "").strip()
            if section in rectify:
                self._error(row.form.section, _l("the section %(id)s is given twice", id=section))
            rectify[section] = _whole(row.form.days.data)
        return {
            "weights": {c.value: (getattr(self, f"weight_{c.value}").data or "").strip() for c in CHANNELS},
            "bands": bands,
            "rank_reward": rewards,
            "rewards": {"remainder": self.remainder.data},
            "penalties": {
                "last_place": (self.last_place.data or "").strip(), "below_score": (self.below_score.data or "").strip(),
                "below_amount": (self.below_amount.data or "").strip(),
                "per_redline_visit": (self.per_redline_visit.data or "").strip(),
                "redline_bars_reward": bool(self.redline_bars_reward.data),
                "escalate_after_consecutive_last": _whole(self.escalate.data),
            },
            "deadlines": {"appeal_days": _whole(self.appeal_days.data), "rectify_days": rectify},
            "calibration": {
                "months": _whole(self.cal_months.data), "min_visits": _whole(self.cal_min_visits.data),
                **{key: (getattr(self, f"cal_{key}").data or "").strip()
                   for key in ("threshold", "central_tendency", "perfect_margin", "drift")},
                "adjust": bool(self.cal_adjust.data),
            },
            "stars": {"months": _whole(self.star_months.data), "min_visits": _whole(self.star_min_visits.data),
                      "levels": [v.strip() for v in (self.star_levels.data or "").replace("，", ",").split(",")
                                 if v.strip()]},
        }

    def has_row_errors(self) -> bool:
        return self._row_errors

    def show_problems(self, problems: Iterable[PolicyProblem]) -> None:
        """Put each problem of the checker at its field (or above the form when it belongs to none)."""
        for problem in problems:
            field = self._field_for(problem.path or ())
            if field is None:
                self.form_errors.append(str(problem))
            else:
                self._error(field, problem.message)

    def _field_for(self, path: tuple[object, ...]) -> Any:
        head, rest = (path[0], path[1:]) if path else (None, ())
        if head == "weights" and rest:
            return getattr(self, f"weight_{rest[0]}", None)
        if head == "bands" and rest:
            return next((r.form.minimum for r in self._filled(self.bands) if (r.form.name.data or "").strip() == rest[0]),
                        None)
        if head == "rank_reward" and rest and isinstance(rest[0], int) and rest[0] <= len(self._reward_rows):
            row = self._reward_rows[rest[0] - 1].form
            return row.amount if rest[1:] == ("amount",) else row.ranks
        if head == "penalties" and rest:
            return getattr(self, "escalate" if rest[0] == "escalate_after_consecutive_last" else str(rest[0]), None)
        if head == "calibration" and rest:
            return getattr(self, f"cal_{rest[0]}", None)
        if head == "rewards":
            return self.remainder
        if head == "stars":
            return getattr(self, f"star_{rest[0]}", None) if rest else self.star_levels
        if head == "deadlines" and rest == ("appeal_days",):
            return self.appeal_days
        if head == "deadlines" and rest[:1] == ("rectify_days",) and len(rest) == 2:
            if rest[1] == DEFAULT_SECTION:
                return self.rectify_default
            return next((r.form.days for r in self._filled(self.rectify) if (r.form.section.data or "").strip() == rest[1]),
                        None)
        return None

    def _filled(self, rows: FieldList) -> list[Any]:
        return [row for row in rows if not _blank(row)]

    def _error(self, field: Any, message: object) -> None:
        if not isinstance(field.errors, list):
            field.errors = list(field.errors)
        field.errors.append(str(message))
        self._row_errors = True


def _blank(row: Any) -> bool:
    return not any((f.data or "").strip() for f in row.form)


def _whole(text: str | None) -> int | str:
    """A whole number typed in a field, or the text as typed (the checker then says what is wrong)."""
    text = (text or "").strip()
    number = inputs.whole_number(text)
    return number if number is not None else text


def parse_ranks(text: str) -> list[int] | None:
    """``"1"``, ``"2-3"``, ``"2, 3"`` or ``"2，3, 5-6"`` as a list of ranks; ``None`` when it is none of these."""
    ranks: list[int] = []
    text = re.sub(r"\s*[-–~至]\s*", "-", text.strip())
    for part in re.split(r"[,，、;；\s]+", text):
        match = _RANKS.match(part)
        if not match:
            return None
        low, high = int(match.group(1)), int(match.group(2) or match.group(1))
        if high < low or high - low >= 1000:
            return None
        ranks.extend(range(low, high + 1))
    return ranks or None
