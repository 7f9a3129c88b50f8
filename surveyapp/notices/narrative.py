"""The notice's narrative: one editable text per section, written from the figures until someone edits it."""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from surveyapp.assessment import ranking, rewards_policy
from surveyapp.assessment.labels import money_text, score_text
from surveyapp.assessment.results import HallResult, MonthResults
from surveyapp.i18n import localized
from surveyapp.notices.queries import Star


class Figures(Protocol):
    """What the narrative reads of a notice. :class:`surveyapp.notices.document.Document` is one; it is
    declared here so that the document calls the narrative and never the other way round."""

    @property
    def period(self) -> str: ...
    @property
    def results(self) -> MonthResults: ...
    @property
    def problems(self) -> Sequence[Mapping[str, Any]]: ...
    @property
    def best(self) -> Sequence[HallResult]: ...
    @property
    def stars(self) -> Sequence[Star]: ...
    @property
    def deadlines(self) -> Mapping[str, Any]: ...
    @property
    def policy_number(self) -> int: ...


#: The sections with a narrative, in document order, and their headings.
SECTIONS = {
    "overview": _l("Overall situation"),
    "problems": _l("Main problems"),
    "commendations": _l("Commendations and service stars"),
    "money": _l("Rewards and penalties"),
    "instructions": _l("Rectification and appeals"),
}
MAX_LENGTH = 5000


def month_text(period: str) -> str:
    """``2026-11`` as people write it (2026年11月)."""
    year, month = period.split("-")
    return _("%(year)s-%(month)02d", year=year, month=int(month))


def date_text(value: dt.date | str) -> str:
    day = value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
    return _("%(year)s-%(month)02d-%(day)02d", year=day.year, month=day.month, day=day.day)


def title(period: str) -> str:
    return _("Notice on the inspections and mystery visits of business halls in %(month)s", month=month_text(period))


def filled(stored: Mapping[str, str], doc: Figures) -> dict[str, str]:
    """Each section's text: as stored when given, else written from the figures."""
    made = defaults(doc)
    return {key: (stored.get(key) or "").strip() or made[key] for key in SECTIONS}


def defaults(doc: Figures) -> dict[str, str]:
    """Each section's text written from the figures (what a draft starts with)."""
    return {"overview": _overview(doc), "problems": _problems(doc), "commendations": _commendations(doc),
            "money": _money(doc), "instructions": _instructions(doc)}


def _overview(doc: Figures) -> str:
    s = doc.results.summary
    if not s.assessed:
        return _("No validated visit counts in %(month)s yet, so no hall is assessed.", month=month_text(doc.period))
    text = _("In %(month)s the market department checked %(assessed)d of %(halls)d business halls: %(u)d mystery "
             "visits, %(a)d announced inspections and %(s)d visits by social supervisors. The mean score was "
             "%(mean)s.", month=month_text(doc.period), assessed=s.assessed, halls=s.halls,
             u=s.visits.get("unannounced", 0), a=s.visits.get("announced", 0), s=s.visits.get("supervisor", 0),
             mean=score_text(s.mean_score))
    if s.change is not None:
        if s.change > 0:
            text += _(" That is %(n)s points more than last month.", n=score_text(s.change))
        elif s.change < 0:
            text += _(" That is %(n)s points less than last month.", n=score_text(-s.change))
        else:
            text += _(" That is the same as last month.")
    bands = _("; ").join(_("band %(band)s: %(n)d", band=b, n=n) for b, n in s.bands.items())
    text += _(" Halls by band: %(bands)s.", bands=bands)
    if s.redline_halls:
        text += _(" %(n)d halls had red-line visits (%(v)d visits).", n=s.redline_halls, v=s.redline_visits)
    calibration = doc.results.policy.calibration
    if calibration.adjust:
        text += _(" As the assessment policy provides, each visit score was adjusted for its supervisor's severity "
                  "(how far the supervisor scores above or below the other supervisors on the same halls, over the "
                  "%(n)d months ending with this one) before the halls were scored and ranked.", n=calibration.months)
    return text


def failed_text(text: str, text_en: str | None) -> str:
    """A checklist item as what went wrong: the item states the standard, the notice says it was not met."""
    return _("“%(item)s” not met", item=localized(text, text_en))


def _problems(doc: Figures) -> str:
    if not doc.problems:
        return _("No checklist item failed this month.")
    items = _("; ").join(
        _("%(failed)s, %(n)d times in %(halls)d halls", failed=failed_text(p["text"], p["text_en"]), n=p["failures"],
          halls=p["halls"]) for p in doc.problems[:3])
    return _("The problems found most often were: %(items)s. The typical cases below show what was seen.", items=items)


def _commendations(doc: Figures) -> str:
    parts = []
    if doc.best:
        names = _(", ").join(h.name for h in doc.best)
        parts.append(_("%(names)s served customers best this month and are commended.", names=names))
    if doc.stars:
        names = _(", ").join(_("%(name)s (%(hall)s, no. %(job)s)", name=s.name, hall=s.hall_name, job=s.job_number)
                             for s in doc.stars)
        parts.append(_("Service stars of the month: %(names)s.", names=names))
    return " ".join(parts) or _("No hall is commended this month.")


def _money(doc: Figures) -> str:
    s = doc.results.summary
    text = _("Under version %(n)s of the assessment policy, rewards this month total %(rewards)s yuan and penalties "
             "%(penalties)s yuan; the table below lists them by hall.", n=doc.policy_number,
             rewards=money_text(s.rewards), penalties=money_text(s.penalties))
    names = {h.code: h.name for h in doc.results.ranked}
    for share in ranking.shares({h.code: h.rank for h in doc.results.ranked}, doc.results.policy):
        if share.left:
            text += _remainder_text(share, names)
    return text


def _remainder_text(share: ranking.Share, names: dict[str, str]) -> str:
    """Where the fen of a tied split went, as the policy's ``rewards.remainder`` says."""
    said = {"k": len(share.keys), "rank": share.rank, "pool": money_text(share.pool), "each": money_text(share.each),
            "rest": money_text(share.left)}
    if share.rule == rewards_policy.FIRST:
        return _(" The %(k)d halls tied at rank %(rank)d share %(pool)s yuan: %(each)s yuan each, rounded down to "
                 "the fen; as the policy says, the remaining %(rest)s yuan goes to the first of them by hall code, "
                 "%(hall)s.", hall=names.get(share.keys[0], share.keys[0]), **said)
    if share.rule == rewards_policy.SPREAD:
        fen = [names.get(k, k) for k, paid in share.amounts().items() if paid > share.each]
        return _(" The %(k)d halls tied at rank %(rank)d share %(pool)s yuan: %(each)s yuan each, rounded down to "
                 "the fen; as the policy says, the remaining %(rest)s yuan is paid one fen each to the first of "
                 "them by hall code: %(halls)s.", halls=_(", ").join(fen), **said)
    return _(" The %(k)d halls tied at rank %(rank)d share %(pool)s yuan: %(each)s yuan each, rounded down "
             "to the fen; the remaining %(rest)s yuan is not paid out.", **said)


def _instructions(doc: Figures) -> str:
    # No dates in the text: a text saved from the editor would keep the draft's dates. The table under it
    # gives them, counted from the day of publication.
    return _("Each hall rectifies the findings listed in the annex and reports what was done in surveyapp, within "
             "the days of the table below, counted from the day this notice is published. A hall that disagrees "
             "with a finding may appeal in surveyapp, with its reasons and evidence, until the appeal deadline "
             "below; later appeals are not accepted.")


def section_label(doc: Figures, section_id: str) -> str:
    """A checklist section's title for a rectification deadline (``default``: every other finding)."""
    if section_id == "default":
        return _("other findings")
    row = next((r for r in doc.deadlines["rectify"] if r[0] == section_id), None)
    return localized(row[3], row[4]) if row and row[3] else section_id
