"""What a notice says, as plain data: the snapshot frozen into a revision, and what the templates read from it.

:func:`build_snapshot` gathers everything the document shows from the database (the month's results, the
most-failed items, typical cases, service stars, findings per hall with deadlines, the trend, the text);
:class:`Document` reads a snapshot back for the templates. A draft's preview and a published revision go
through the same two steps, so the preview shows exactly what publishing freezes.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from surveyapp.assessment import services as assessment
from surveyapp.assessment.models import PolicyVersion
from surveyapp.assessment.queries import FailedAnswer, ItemFailure
from surveyapp.assessment.results import HallResult, MonthResults
from surveyapp.checklists.models import ChecklistItem
from surveyapp.notices import narrative as texts
from surveyapp.notices import sources
from surveyapp.notices.queries import Star, service_stars
from surveyapp.visits.models import Photo

#: Version of the snapshot layout.
SCHEMA = 1
#: Months shown in the trend chart (this one included).
TREND_MONTHS = 6
#: Most-failed items listed, and typical cases chosen automatically.
PROBLEM_ITEMS = 10
AUTO_CASES = 4
MAX_CASES = 12
#: Fields of a hall's line whose change a revision lists.
COMPARED = ("assessed", "score", "rank", "band", "channel_scores", "visits", "redline_visits", "reward",
            "penalties", "flags")


def build_snapshot(session: Session, notice: Any, version: PolicyVersion, *, issued_on: dt.date,
                   company: str, issuer: str, previous: Mapping[str, Any] | None = None,
                   formal: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Everything the notice of ``notice.period`` shows, computed now with policy ``version``, as JSON-ready data.

    :param issued_on: the date the notice is (or would be) published: deadlines count from it.
    :param previous: the snapshot of the previous revision, to list the hall lines that changed since.
    :param formal: the formal layout's lines (``services.formal_texts``).
    """
    period = notice.period
    results = assessment.assess(session, period, policy=version, closed_at=notice.closed_at)
    findings = assessment.hall_findings(session, period)
    problems = assessment.most_failed_items(session, period, limit=PROBLEM_ITEMS)
    stars = service_stars(session, period)
    deadlines = _deadlines(results, issued_on, _section_titles(session))
    names = {h.code: h.name for h in results.halls}
    cases = choose_cases(findings, problems, notice.cases)
    photo_keys = _photo_keys(session, [uid for f in _all(findings) for uid in f.photos])
    snapshot = {
        "schema": SCHEMA, "period": period, "company": company, "issuer": issuer,
        "doc_number": notice.doc_number or "", "layout": notice.layout or "report", "issued_on": issued_on.isoformat(),
        "formal": dict(formal or {}),
        "policy_number": version.number, "results": results.to_json(),
        "problems": [_problem_json(p) for p in problems],
        "cases": [{**_finding_json(f, deadlines), "hall_name": names.get(f.hall_code, f.hall_code)} for f in cases],
        "stars": [s.to_json() for s in stars],
        "findings": {code: [_finding_json(f, deadlines) for f in items] for code, items in findings.items()},
        "photos": photo_keys, "deadlines": deadlines, "trend": _trend(session, results, version),
        "changes": changed_lines(previous["results"], results.to_json()) if previous else [],
        # Hall feedback: findings of earlier months still not rectified on the issue date.
        "overdue": sources.overdue_annex(session, issued_on),
    }
    snapshot["narrative"] = texts.filled(notice.narrative or {}, Document(snapshot))
    return snapshot


# --- parts of the snapshot ----------------------------------------------------------------------------


def _all(findings: Mapping[str, Sequence[FailedAnswer]]) -> list[FailedAnswer]:
    return [f for items in findings.values() for f in items]


def case_id(finding: FailedAnswer | Mapping[str, Any]) -> str:
    """How a typical case is chosen and stored (``Notice.cases``): ``"<visit uid>:<item key>"``."""
    if isinstance(finding, FailedAnswer):
        return f"{finding.visit_uid}:{finding.key}"
    return f"{finding['visit_uid']}:{finding['key']}"


def choose_cases(findings: Mapping[str, Sequence[FailedAnswer]], problems: Sequence[ItemFailure],
                 chosen: Sequence[str] | None) -> list[FailedAnswer]:
    """The typical cases: those chosen (in their order, missing ones dropped), or else red lines first, then
    findings with a photo and a remark of the most-failed items, at most one per hall."""
    every = _all(findings)
    if chosen is not None:
        by_id = {case_id(f): f for f in every}
        return [by_id[c] for c in chosen if c in by_id][:MAX_CASES]
    order = {p.key: n for n, p in enumerate(problems)}

    def weight(f: FailedAnswer) -> tuple[Any, ...]:
        return (not f.redline, not f.photos, not f.remark, order.get(f.key, len(order)), f.hall_code)

    picked: list[FailedAnswer] = []
    halls: set[str] = set()
    for finding in sorted(every, key=weight):
        if finding.hall_code not in halls:
            picked.append(finding)
            halls.add(finding.hall_code)
        if len(picked) == AUTO_CASES:
            break
    return picked


def _section_titles(session: Session) -> dict[str, tuple[str, str | None]]:
    rows = session.execute(sa.select(ChecklistItem.section_id, sa.func.max(ChecklistItem.section_title),
                                     sa.func.max(ChecklistItem.section_title_en)).group_by(ChecklistItem.section_id))
    return {section: (title, title_en) for section, title, title_en in rows}


def _deadlines(results: MonthResults, issued_on: dt.date,
               titles: Mapping[str, tuple[str, str | None]]) -> dict[str, Any]:
    """Appeal and rectification deadlines counted from ``issued_on``; rectification per checklist section
    (``[section id, days, due date, title, English title]``, ``default`` first, for every other section)."""
    rules = results.policy.deadlines
    return {
        "appeal_days": rules.appeal_days,
        "appeal_until": (issued_on + dt.timedelta(days=rules.appeal_days)).isoformat(),
        "rectify": [[section, days, (issued_on + dt.timedelta(days=days)).isoformat(), *titles.get(section, (None, None))]
                    for section, days in rules.rectify_days],
    }


def _rectify_until(deadlines: Mapping[str, Any], section_id: str) -> str:
    dates = {row[0]: row[2] for row in deadlines["rectify"]}
    return dates.get(section_id, dates["default"])


def _finding_json(f: FailedAnswer, deadlines: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "hall_code": f.hall_code, "visit_uid": f.visit_uid, "channel": f.channel.value,
        "visited_at": f.visited_at.isoformat() if f.visited_at else None, "key": f.key,
        "section_id": f.section_id, "section_title": f.section_title, "section_title_en": f.section_title_en,
        "text": f.text, "text_en": f.text_en, "value": f.value, "remark": f.remark, "redline": f.redline,
        "lost": f.lost, "photos": list(f.photos), "rectify_until": _rectify_until(deadlines, f.section_id),
    }


def _problem_json(p: ItemFailure) -> dict[str, Any]:
    return {"checklist": p.checklist, "key": p.key, "section_title": p.section_title,
            "section_title_en": p.section_title_en, "text": p.text, "text_en": p.text_en, "failures": p.failures,
            "answered": p.answered, "halls": p.halls, "redline_failures": p.redline_failures, "rate": str(p.rate)}


def _photo_keys(session: Session, uids: Sequence[str]) -> dict[str, str]:
    """Storage keys of the evidence photos by public id (photos never change under a key)."""
    keys: dict[str, str] = {}
    unique = sorted(set(uids))
    for start in range(0, len(unique), 1000):
        rows = session.execute(sa.select(Photo.uid, Photo.key).where(Photo.uid.in_(unique[start:start + 1000])))
        keys.update((uid, key) for uid, key in rows)
    return keys


def _trend(session: Session, results: MonthResults, version: PolicyVersion) -> list[list[Any]]:
    """Mean score and halls assessed for this month and the ones before it, with the same policy."""
    points = []
    for back in range(TREND_MONTHS - 1, 0, -1):
        month = assessment.assess(session, assessment.shift_period(results.period, -back), policy=version)
        points.append([month.period, _fraction(month.summary.mean_score), month.summary.assessed])
    points.append([results.period, _fraction(results.summary.mean_score), results.summary.assessed])
    return points


def _fraction(value: Fraction | None) -> str | None:
    return None if value is None else str(value)


def changed_lines(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The hall lines that differ between two ``MonthResults.to_json()`` documents: per hall, each field that
    changed as ``[old, new]`` (a hall only in one of them shows ``None`` for the other side)."""
    old = {h["code"]: h for h in before["halls"]}
    new = {h["code"]: h for h in after["halls"]}
    changes = []
    for code in sorted(old.keys() | new.keys()):
        a, b = old.get(code, {}), new.get(code, {})
        fields = {k: [a.get(k), b.get(k)] for k in COMPARED if a.get(k) != b.get(k)}
        if fields:
            changes.append({"code": code, "name": (b or a)["name"], "fields": fields})
    return changes


# --- reading a snapshot -------------------------------------------------------------------------------


@dataclass
class Document:
    """A snapshot as the templates read it."""

    data: Mapping[str, Any]

    @property
    def period(self) -> str:
        return self.data["period"]

    @cached_property
    def results(self) -> MonthResults:
        return MonthResults.from_json(self.data["results"])

    @cached_property
    def stars(self) -> list[Star]:
        return [Star.from_json(s) for s in self.data["stars"]]

    @property
    def issued_on(self) -> dt.date:
        return dt.date.fromisoformat(self.data["issued_on"])

    @property
    def problems(self) -> list[Mapping[str, Any]]:
        return self.data["problems"]

    @property
    def cases(self) -> list[Mapping[str, Any]]:
        return self.data["cases"]

    @property
    def deadlines(self) -> Mapping[str, Any]:
        return self.data["deadlines"]

    @property
    def policy_number(self) -> int:
        return self.data["policy_number"]

    @property
    def narrative(self) -> Mapping[str, str]:
        return self.data.get("narrative", {})

    @property
    def changes(self) -> list[Mapping[str, Any]]:
        return self.data.get("changes", [])

    def findings(self, code: str) -> list[Mapping[str, Any]]:
        return self.data["findings"].get(code, [])

    def overdue(self, code: str) -> list[Mapping[str, Any]]:
        """The hall's findings overdue on the issue date (snapshots published before hall feedback have none)."""
        return self.data.get("overdue", {}).get(code, [])

    def photo_key(self, uid: str) -> str | None:
        return self.data["photos"].get(uid)

    @property
    def money_lines(self) -> list[HallResult]:
        """Halls with a reward, a withheld reward or a penalty, by rank."""
        return [h for h in self.results.halls if h.reward or h.penalties or h.reward_withheld]

    @property
    def best(self) -> list[HallResult]:
        """The halls commended: rank 1 to 3 without a red line."""
        return [h for h in self.results.ranked if h.rank is not None and h.rank <= 3 and not h.redline_visits]

    @property
    def trend(self) -> list[tuple[str, Fraction | None, int]]:
        return [(p, None if m is None else Fraction(m), n) for p, m, n in self.data["trend"]]

    @property
    def annex(self) -> list[tuple[HallResult, list[Mapping[str, Any]]]]:
        """Every listed hall with its findings, in ranking order (halls without findings included)."""
        return [(h, self.findings(h.code)) for h in self.results.halls]
