"""The scoring engine: DOMAIN.md "Scoring" as pure functions over plain data (no database, no Flask app).

Answers are a mapping from item key (``"section.item"``) to a canonical value:

============  =============================================================
kind          legal answers
============  =============================================================
``check``     ``"pass"`` | ``"fail"`` | ``"na"``
``count``     an ``int`` 0 <= n <= 999 (occurrences) | ``"na"``
``scale``     an ``int`` 0..points | ``"na"``
``text``      a ``str`` (not scored)
``staff``     a ``list`` of job numbers (``str``) (not scored)
============  =============================================================

Typical use by the visits, assessment and notice capabilities::

    definition = version.definition
    problems = validate_answers(definition, "unannounced", "self-run", answers, complete=True)
    result = score_visit(definition, "unannounced", "self-run", answers)
    result.score          # Fraction in [0, 100], or None when nothing was possible
    result.redline        # a red-line item failed: the score is 0
    round_half_up(result.score, 1)   # Decimal('87.5') for display
    result.sections       # per-section earned/possible (see :class:`SectionScore`)

Scores are exact :class:`fractions.Fraction` values; never accumulate floats. Display rounds half-up.

Integrity questions (``integrity = true``, trap items) are validated and must be answered like any check,
count or scale item, but never scored and never a finding (``Item.scored`` is false for them); the evidence
checks (:mod:`surveyapp.insight.integrity`) compare their answers with ``Item.expected``.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from flask_babel import lazy_gettext as _l

from surveyapp.checklists.definition import (
    Definition,
    EvidenceRule,
    Item,
    ItemKind,
    VisitType,
)
from surveyapp.org.models import HallType

PASS, FAIL, NA = "pass", "fail", "na"
CHECK_ANSWERS = (PASS, FAIL, NA)
#: Largest accepted count, longest accepted text answer and job number.
MAX_COUNT = 999
MAX_TEXT_ANSWER = 2000
MAX_JOB_NUMBER = 32


# --- applicability ----------------------------------------------------------------------------------


def applicable_items(definition: Definition, visit_type: VisitType | str, hall_type: HallType | str) -> list[Item]:
    """The items asked on a visit of ``visit_type`` to a hall of ``hall_type``, in form order (all kinds).

    An item applies unless its ``visit_types`` or ``hall_types`` leave this visit out.
    """
    return [item for item in definition.items if item.applies(visit_type, hall_type)]


# --- answers ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerProblem:
    """An answer that cannot be accepted: the item key and a message (lazily translated)."""

    key: str
    message: Any

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


class InvalidAnswers(ValueError):
    """Raised by :func:`score_visit` for answers that break the rules; ``problems`` lists each one."""

    def __init__(self, problems: Sequence[AnswerProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = list(problems)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def answer_problem(item: Item, value: object) -> Any | None:
    """Why ``value`` is not a legal answer to ``item`` (a lazily translated message), or ``None`` if it is."""
    if item.kind is ItemKind.CHECK:
        if value not in CHECK_ANSWERS or not isinstance(value, str):
            return _l("answer pass, fail or na")
    elif item.kind is ItemKind.COUNT:
        if value != NA and not (_is_int(value) and 0 <= value <= MAX_COUNT):  # type: ignore[operator]
            return _l("answer a whole number of times from 0 to %(n)s or na", n=MAX_COUNT)
    elif item.kind is ItemKind.SCALE:
        if value != NA and not (_is_int(value) and 0 <= value <= (item.points or 0)):  # type: ignore[operator]
            return _l("answer a whole number from 0 to %(points)s or na", points=item.points)
    elif item.kind is ItemKind.TEXT:
        if not isinstance(value, str):
            return _l("answer with text")
        if len(value) > MAX_TEXT_ANSWER:
            return _l("the text is too long (at most %(n)s characters)", n=MAX_TEXT_ANSWER)
    elif item.kind is ItemKind.STAFF:
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            return _l("answer with a list of job numbers")
        if any(len(v) > MAX_JOB_NUMBER for v in value):
            return _l("a job number has at most %(n)s characters", n=MAX_JOB_NUMBER)
    return None


def is_answered(item: Item, value: object) -> bool:
    """Whether ``value`` counts as an answer at all (blank text and empty staff lists do not)."""
    if value is None:
        return False
    if item.kind is ItemKind.TEXT:
        return isinstance(value, str) and bool(value.strip())
    if item.kind is ItemKind.STAFF:
        return bool(value)
    return True


def validate_answers(definition: Definition, visit_type: VisitType | str, hall_type: HallType | str,
                     answers: Mapping[str, object], *, complete: bool = False) -> list[AnswerProblem]:
    """Every problem with ``answers`` for this visit, in form order (an empty list means all is well).

    Always checked: each key names an item of the form that applies to this visit, and each value is
    legal for its item's kind (see the module docstring). With ``complete=True`` (submitting a visit)
    every applicable scored item must be answered, and so must every applicable ``required`` text or
    staff item. ``None`` values count as not answered.
    """
    problems: list[AnswerProblem] = []
    for key in answers:
        item = definition.item(key)
        if item is None:
            problems.append(AnswerProblem(key, _l("this checklist has no such item")))
        elif not item.applies(visit_type, hall_type):
            problems.append(AnswerProblem(key, _l("this item does not apply to this visit")))
    for item in applicable_items(definition, visit_type, hall_type):
        value = answers.get(item.key)
        if value is not None:
            message = answer_problem(item, value)
            if message is not None:
                problems.append(AnswerProblem(item.key, message))
                continue
        if complete and not is_answered(item, value) and item.must_answer:
            problems.append(AnswerProblem(item.key, _l("this item must be answered")))
    order = {item.key: item.position for item in definition.items}
    return sorted(problems, key=lambda p: order.get(p.key, 0))


# --- scores -----------------------------------------------------------------------------------------


def is_failed(item: Item, value: object) -> bool:
    """Whether the answer is a finding against the hall: check ``fail``, count n > 0, scale below the item's
    ``finding_below`` (default 1: only the lowest answer, 0; never full points)."""
    if item.kind is ItemKind.CHECK:
        return value == FAIL
    if item.kind is ItemKind.COUNT:
        return _is_int(value) and value > 0  # type: ignore[operator]
    if item.kind is ItemKind.SCALE:
        below = min(item.finding_below or 1, item.points or 0)
        return _is_int(value) and value < below  # type: ignore[operator]
    return False


def is_redline_failure(item: Item, value: object) -> bool:
    """Whether the answer fails a red-line item (check ``fail`` or count n > 0): the visit scores 0."""
    return item.redline and item.kind in (ItemKind.CHECK, ItemKind.COUNT) and is_failed(item, value)


def needs_evidence(item: Item, value: object) -> bool:
    """Whether a photo must back this answer: evidence ``required`` (unless the item is ``na``), or
    ``on-fail`` and the answer fails."""
    if item.evidence is EvidenceRule.REQUIRED:
        return value != NA
    return item.evidence is EvidenceRule.ON_FAIL and is_failed(item, value)


def earned_points(item: Item, value: object) -> int | None:
    """Points a legal answer earns: check pass = points, fail = 0; count = max(0, points − per × n);
    scale = the value. ``None`` for ``na``, for no answer and for unscored kinds (they count nowhere)."""
    if not item.scored or value is None or value == NA:
        return None
    points = item.points or 0
    if item.kind is ItemKind.CHECK:
        return points if value == PASS else 0
    if item.kind is ItemKind.COUNT:
        return max(0, points - (item.per or 1) * value)  # type: ignore[operator]
    return int(value)  # type: ignore[call-overload]


@dataclass(frozen=True)
class ItemScore:
    """How one applicable scored item counted on a visit.

    ``earned``/``possible`` are ``None`` when the item is ``na`` or unanswered: it then counts in
    neither sum. ``failed`` marks a finding; ``redline`` marks a failed red-line item.
    """

    key: str
    section_id: str
    answer: object
    earned: int | None
    possible: int | None
    failed: bool
    redline: bool

    @property
    def na(self) -> bool:
        return self.answer == NA

    @property
    def answered(self) -> bool:
        return self.answer is not None

    @property
    def lost(self) -> int:
        """Points lost on this item (0 when it is not counted)."""
        return (self.possible or 0) - (self.earned or 0)


@dataclass(frozen=True)
class SectionScore:
    """One section's share of a visit: raw percentage of its own points (red lines do not zero it)."""

    section_id: str
    earned: int
    possible: int
    #: ``100 × earned / possible``, or ``None`` when nothing in the section was possible.
    score: Fraction | None
    #: Keys of the failed items of this section, in form order.
    failed: tuple[str, ...]
    #: Whether a red-line item of this section failed.
    redline: bool


@dataclass(frozen=True)
class VisitScore:
    """The result of :func:`score_visit`."""

    #: The applicable scored items, in form order.
    items: tuple[ItemScore, ...]
    earned: int
    possible: int
    #: ``100 × earned / possible``; 0 on a red line; ``None`` when nothing was possible.
    score: Fraction | None
    #: The score before any red line: what the answers alone are worth.
    raw_score: Fraction | None
    #: Keys of the failed red-line items; the visit is a red-line visit when there is one.
    redline_items: tuple[str, ...]
    #: Applicable scored items without an answer (a draft); they count nowhere.
    unanswered: tuple[str, ...]
    sections: tuple[SectionScore, ...]

    @property
    def redline(self) -> bool:
        return bool(self.redline_items)

    @property
    def complete(self) -> bool:
        return not self.unanswered

    @property
    def failed(self) -> tuple[str, ...]:
        """Keys of every failed item (the visit's findings), in form order."""
        return tuple(item.key for item in self.items if item.failed)

    def item(self, key: str) -> ItemScore | None:
        return next((item for item in self.items if item.key == key), None)


def percentage(earned: int, possible: int) -> Fraction | None:
    """``100 × earned / possible`` exactly, or ``None`` when ``possible`` is 0."""
    return Fraction(100 * earned, possible) if possible else None


def score_item(item: Item, value: object) -> ItemScore:
    """Score one answer (which must be legal for the item; see :func:`answer_problem`)."""
    earned = earned_points(item, value)
    return ItemScore(
        key=item.key, section_id=item.section_id, answer=value, earned=earned,
        possible=None if earned is None else item.points, failed=is_failed(item, value),
        redline=is_redline_failure(item, value),
    )


def score_visit(definition: Definition, visit_type: VisitType | str, hall_type: HallType | str,
                answers: Mapping[str, object]) -> VisitScore:
    """Score a visit's answers exactly as DOMAIN.md "Scoring" says.

    Only applicable scored items count; ``na`` and unanswered items leave both sums. Visit score =
    100 × Σearned / Σpossible, or 0 when a red-line item failed, or ``None`` when nothing was possible.
    Answers to text and staff items are validated but not scored.

    :raise InvalidAnswers: when :func:`validate_answers` finds a problem (an unknown key, an item that
        does not apply, an illegal value). Completeness is not required: drafts can be scored.
    """
    problems = validate_answers(definition, visit_type, hall_type, answers)
    if problems:
        raise InvalidAnswers(problems)
    items = tuple(score_item(item, answers.get(item.key))
                  for item in applicable_items(definition, visit_type, hall_type) if item.scored)
    earned = sum(i.earned for i in items if i.earned is not None)
    possible = sum(i.possible for i in items if i.possible is not None)
    raw = percentage(earned, possible)
    redline_items = tuple(i.key for i in items if i.redline)
    return VisitScore(
        items=items, earned=earned, possible=possible,
        score=Fraction(0) if redline_items and raw is not None else raw, raw_score=raw,
        redline_items=redline_items, unanswered=tuple(i.key for i in items if not i.answered),
        sections=section_scores(definition, items),
    )


def section_scores(definition: Definition, items: Iterable[ItemScore]) -> tuple[SectionScore, ...]:
    """Per-section sums of ``items`` (from :func:`score_visit`), one per section that has an applicable
    scored item, in form order. A section score is its own raw percentage: a red line zeroes the visit
    score, not the sections (each section still says whether it holds the red line)."""
    by_section: dict[str, list[ItemScore]] = {}
    for item in items:
        by_section.setdefault(item.section_id, []).append(item)
    result = []
    for section in definition.sections:
        scored = by_section.get(section.id)
        if not scored:
            continue
        earned = sum(i.earned for i in scored if i.earned is not None)
        possible = sum(i.possible for i in scored if i.possible is not None)
        result.append(SectionScore(
            section_id=section.id, earned=earned, possible=possible, score=percentage(earned, possible),
            failed=tuple(i.key for i in scored if i.failed), redline=any(i.redline for i in scored),
        ))
    return tuple(result)


def round_half_up(value: Fraction | Decimal | int, places: int = 1) -> Decimal:
    """Round exactly, halves away from zero as people expect: 87.25 → ``Decimal("87.3")`` at one place."""
    exact = value if isinstance(value, Fraction) else Fraction(value)
    scaled = abs(exact) * 10**places
    whole, rest = divmod(scaled.numerator, scaled.denominator)
    if 2 * rest >= scaled.denominator:
        whole += 1
    result = Decimal(whole).scaleb(-places)
    return -result if exact < 0 and whole else result
