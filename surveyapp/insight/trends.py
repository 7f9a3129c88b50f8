"""Trends and where to act: a hall's, a unit's and the company's score by month, each checklist section's share of
points by month, and the company's item × unit heat map of failure rates for a month or a quarter.

Month scores are the assessment's, never computed a second way: a month whose notice is published reads the
published revision's frozen results (what the company announced, appeals included); any other month is assessed
live (:func:`surveyapp.assessment.services.assess`, kept per process until the data changes). Hall managers see
published months only. A unit's score of a month is the mean of its assessed halls' scores (it and every unit
below it), as the notice's mean score is the company's.

Section trends and the heat map count the answers of validated visits (live: an upheld appeal corrects them).
"""
from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from surveyapp.assessment import cache
from surveyapp.assessment import services as assessment
from surveyapp.assessment.models import HeatTally, HeatTallyMonth
from surveyapp.assessment.policy import Policy
from surveyapp.assessment.queries import counted_visits
from surveyapp.checklists.models import Checklist, ChecklistItem, ChecklistVersion
from surveyapp.errors import ValidationError
from surveyapp.notices import queries as notices
from surveyapp.org.models import Hall, Unit
from surveyapp.visits.models import Answer, Visit
from surveyapp.visits.queries import unit_subtree

log = logging.getLogger("surveyapp.insight")

#: Months a trend shows, ending with the month asked.
MONTHS = 12
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


def months_ending(period: str, count: int = MONTHS) -> list[str]:
    """``count`` months ending with ``period``, oldest first."""
    return [assessment.shift_period(period, n - count + 1) for n in range(count)]


# --- month scores -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthScores:
    """The assessed halls' scores of one month for the whole company, as published or live."""

    period: str
    published: bool
    #: Hall code → (the hall's unit code, its exact score), assessed halls only.
    halls: dict[str, tuple[str, Fraction]]
    #: The policy's bands of that month: (name, minimum).
    bands: tuple[tuple[str, Fraction], ...]

    def mean(self, unit_codes: set[str] | None = None) -> tuple[Fraction | None, int]:
        """Mean score of the assessed halls (of those units), and how many there are."""
        scores = [s for unit, s in self.halls.values() if unit_codes is None or unit in unit_codes]
        return (sum(scores, Fraction(0)) / len(scores) if scores else None), len(scores)


def _from_snapshot(revision_results: dict) -> MonthScores:
    lines = revision_results["halls"]
    policy = Policy.from_json(revision_results["policy"])
    return MonthScores(revision_results["period"], True,
                       {h["code"]: (h["unit_code"], Fraction(h["score"])) for h in lines if h["score"] is not None},
                       tuple((b.name, Fraction(b.minimum)) for b in policy.bands))


def published_scores(session: Session, period: str) -> MonthScores | None:
    """The month's scores as its newest published revision froze them, or ``None`` when nothing is published."""
    revision = notices.latest_revision(session, period)
    if revision is None:
        return None
    # A published revision never changes; its id and digest name it even across databases emptied and refilled.
    return cache.cached(session, ("published-scores", revision.id, revision.sha256),
                        lambda: _from_snapshot(revision.snapshot["results"]), stamped=False)


def live_scores(session: Session, periods: list[str]) -> dict[str, MonthScores]:
    """The months' scores live from the validated visits, with the current policy (one grouping for all)."""
    if not periods:
        return {}
    rules = assessment.current_policy(session).policy
    scores = assessment.hall_scores(session, periods, rules)
    halls = {row.id: (row.code, row.unit_code) for row in session.execute(
        sa.select(Hall.id, Hall.code, Unit.code.label("unit_code")).join(Hall.unit))}
    bands = tuple((b.name, Fraction(b.minimum)) for b in rules.bands)
    return {p: MonthScores(p, False, {halls[h][0]: (halls[h][1], s) for h, s in scores[p].items()}, bands)
            for p in periods}


@dataclass(frozen=True)
class TrendPoint:
    period: str
    score: Fraction | None
    #: Assessed halls behind the score (1 or 0 for a hall).
    halls: int
    published: bool


@dataclass(frozen=True)
class Trend:
    """A score by month, oldest first, with the band lines of the newest month that has scores."""

    points: tuple[TrendPoint, ...]
    bands: tuple[tuple[str, Fraction], ...]


def unit_codes_below(session: Session, unit: Unit) -> set[str]:
    """The codes of ``unit`` and every unit below it."""
    tree = unit_subtree([unit.id])
    return set(session.scalars(sa.select(Unit.code).where(Unit.id.in_(sa.select(tree.c.id)))))


def score_trend(session: Session, period: str, *, unit: Unit | None = None, hall: Hall | None = None,
                published_only: bool = False, count: int = MONTHS) -> Trend:
    """The company's (or a unit's, or a hall's) score in each of the ``count`` months ending with ``period``.

    Kept per process until the data changes (:mod:`surveyapp.assessment.cache`): the first computation assesses
    every month not published (each at most once per process), later ones cost one small read.
    """
    period = assessment.parse_period(period)
    key = ("trend", period, unit.id if unit else None, hall.id if hall else None, published_only, count)
    return cache.cached(session, key, lambda: _score_trend(session, period, unit, hall, published_only, count))


def _score_trend(session: Session, period: str, unit: Unit | None, hall: Hall | None, published_only: bool,
                 count: int) -> Trend:
    codes = unit_codes_below(session, unit) if unit is not None else None
    points, bands = [], assessment.current_policy(session).policy.bands
    band_lines = tuple((b.name, Fraction(b.minimum)) for b in bands)
    months = months_ending(period, count)
    published = {m: published_scores(session, m) for m in months}
    live = {} if published_only else live_scores(session, [m for m in months if published[m] is None])
    for month in months:
        scores = published[month] or live.get(month)
        if scores is None:
            points.append(TrendPoint(month, None, 0, False))
            continue
        if scores.halls:
            band_lines = scores.bands
        if hall is not None:
            line = scores.halls.get(hall.code)
            points.append(TrendPoint(month, line[1] if line else None, 1 if line else 0, scores.published))
        else:
            mean, halls = scores.mean(codes)
            points.append(TrendPoint(month, mean, halls, scores.published))
    return Trend(tuple(points), tuple(b for b in band_lines if 0 < b[1] < 100))


# --- sections -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SectionTrend:
    """A checklist section's share of the possible points earned, by month (``None``: nothing answered)."""

    checklist: str
    section_id: str
    title: str
    title_en: str | None
    #: Period → (Σ earned, Σ possible) over the section's answered items in validated visits.
    points: dict[str, tuple[int, int]]

    def rate(self, period: str) -> Fraction | None:
        earned, possible = self.points.get(period, (0, 0))
        return Fraction(100 * earned, possible) if possible else None


def section_trends(session: Session, period: str, *, unit: Unit | None = None, hall: Hall | None = None,
                   count: int = MONTHS, only: Sequence[str] | None = None) -> list[SectionTrend]:
    """Each checklist section's trend over the ``count`` months ending with ``period``, in checklist and form order;
    ``only`` narrows to some of those months (a hall manager's: the published ones). Kept per process until the
    data changes (:mod:`surveyapp.assessment.cache`).

    Sections are told apart by checklist and section id across the checklist's versions; titles are the newest.
    """
    periods = months_ending(assessment.parse_period(period), count)
    if only is not None:
        periods = [p for p in periods if p in only]
    if not periods:
        return []
    key = ("sections", tuple(periods), unit.id if unit else None, hall.id if hall else None)
    return cache.cached(session, key, lambda: _section_trends(session, periods, unit, hall))


def _section_trends(session: Session, periods: list[str], unit: Unit | None, hall: Hall | None) -> list[SectionTrend]:
    rows = _section_rows(session, periods, unit) if hall is None else session.execute(
        sa.select(Visit.period, Checklist.slug, ChecklistItem.section_id,
                  sa.cast(sa.func.coalesce(sa.func.sum(Answer.earned), 0), sa.BigInteger),
                  sa.cast(sa.func.coalesce(sa.func.sum(Answer.possible), 0), sa.BigInteger),
                  sa.func.max(ChecklistItem.id), sa.func.min(ChecklistItem.position))
        .select_from(Answer).join(Visit, Visit.id == Answer.visit_id)
        .join(ChecklistItem, ChecklistItem.id == Answer.item_id)
        .join(ChecklistVersion, ChecklistVersion.id == ChecklistItem.version_id)
        .join(Checklist, Checklist.id == ChecklistVersion.checklist_id)
        .where(counted_visits(periods, None), Visit.hall_id == hall.id, Answer.possible.is_not(None))
        .group_by(Visit.period, Checklist.slug, ChecklistItem.section_id)
    ).all()
    points: dict[tuple[str, str], dict[str, tuple[int, int]]] = defaultdict(dict)
    newest: dict[tuple[str, str], int] = {}
    order: dict[tuple[str, str], int] = {}
    for month, slug, section, earned, possible, item_row, position in rows:
        key = (slug, section)
        points[key][month] = (int(earned), int(possible))
        newest[key] = max(newest.get(key, 0), item_row)
        order[key] = min(order.get(key, position), position)
    items = {i.id: i for i in session.scalars(sa.select(ChecklistItem).where(ChecklistItem.id.in_(newest.values())))}
    return [SectionTrend(slug, section, items[newest[(slug, section)]].section_title,
                         items[newest[(slug, section)]].section_title_en, points[(slug, section)])
            for slug, section in sorted(points, key=lambda k: (k[0], order[k]))]


def _section_rows(session: Session, periods: list[str], unit: Unit | None) -> list[tuple[str, str, str, int, int, int, int]]:
    """``(month, checklist, section, Σ earned, Σ possible, newest item row, first position)`` of the company's or a
    unit's halls, added up from the months' stored counts (:func:`month_tallies`) instead of a year of answers."""
    units = None if unit is None else set(session.scalars(
        sa.select(Unit.id).where(Unit.id.in_(sa.select(unit_subtree([unit.id]).c.id)))))
    tallies = {m: [t for t in month_tallies(session, m) if units is None or t[1] in units] for m in periods}
    where = {i.id: i for i in _items(session, {t[0] for rows in tallies.values() for t in rows})}
    slugs = _slugs(session, {i.version_id for i in where.values()})
    sums: dict[tuple[str, str, str], list[int]] = {}
    for month, rows in tallies.items():
        for item_id, _unit, _failures, _answered, earned, possible in rows:
            item = where[item_id]
            acc = sums.setdefault((month, slugs[item.version_id], item.section_id), [0, 0, 0, item.position])
            acc[0] += earned
            acc[1] += possible
            acc[2] = max(acc[2], item_id)
            acc[3] = min(acc[3], item.position)
    return [(month, slug, section, *acc) for (month, slug, section), acc in sums.items()]  # type: ignore[misc]


def _slugs(session: Session, version_ids: Iterable[int]) -> dict[int, str]:
    """Each checklist version's checklist slug."""
    return dict(session.execute(  # type: ignore[arg-type]
        sa.select(ChecklistVersion.id, Checklist.slug).join(Checklist, Checklist.id == ChecklistVersion.checklist_id)
        .where(ChecklistVersion.id.in_(set(version_ids)))).all())


# --- the heat map ---------------------------------------------------------------------------------------


def parse_span(text: str) -> tuple[str, list[str]]:
    """A month (``YYYY-MM``) or a quarter (``YYYY-Qn``) as its label and its months.

    :raise ValidationError: anything else.
    """
    text = (text or "").strip().upper()
    match = _QUARTER.match(text)
    if match:
        year, quarter = int(match.group(1)), int(match.group(2))
        first = f"{year:04d}-{3 * quarter - 2:02d}"
        return text, [assessment.shift_period(first, n) for n in range(3)]
    try:
        period = assessment.parse_period(text)
    except ValidationError:
        raise ValidationError(_("%(value)s is neither a month nor a quarter: write 2026-11 or 2026-Q4.",
                                value=text)) from None
    return period, [period]


def quarter_of(period: str) -> str:
    year, month = map(int, period.split("-"))
    return f"{year:04d}-Q{(month - 1) // 3 + 1}"


@dataclass(frozen=True)
class HeatRow:
    """One checklist item: its failures and counted answers per column unit, and overall."""

    checklist: str
    key: str
    section_title: str
    section_title_en: str | None
    text: str
    text_en: str | None
    cells: dict[str, tuple[int, int]]

    @property
    def failures(self) -> int:
        return sum(f for f, _ in self.cells.values())

    @property
    def answered(self) -> int:
        return sum(a for _, a in self.cells.values())

    @property
    def rate(self) -> Fraction | None:
        return Fraction(self.failures, self.answered) if self.answered else None

    def cell_rate(self, unit_code: str) -> Fraction | None:
        failures, answered = self.cells.get(unit_code, (0, 0))
        return Fraction(failures, answered) if answered else None


@dataclass(frozen=True)
class HeatMap:
    """Items (rows, most failed first) × units (columns: the units directly below the top of the tree)."""

    span: str
    periods: tuple[str, ...]
    #: (code, name) of each column unit, in code order.
    units: tuple[tuple[str, str], ...]
    rows: tuple[HeatRow, ...]


def _columns(session: Session) -> tuple[list[tuple[str, str]], dict[int, str]]:
    """The column units (the units below the root, and the root for the halls right in it; the roots themselves
    when there are several) and each unit's column."""
    units = session.execute(sa.select(Unit.id, Unit.code, Unit.name, Unit.parent_id).order_by(Unit.code)).all()
    parent = {u.id: u.parent_id for u in units}
    roots = [u for u in units if u.parent_id is None]
    tops = [u for u in units if u.parent_id is not None and parent.get(u.parent_id) is None] if len(roots) == 1 else []
    columns = tops or roots
    chosen = {u.id for u in columns}
    column_of: dict[int, str] = {}
    by_id = {u.id: u for u in units}
    for unit in units:
        node, seen = unit.id, set()
        while node is not None and node not in chosen and node not in seen:
            seen.add(node)
            node = parent.get(node)
        # Halls directly in the top unit get the top unit's own column.
        column_of[unit.id] = by_id[node].code if node in chosen else by_id[roots[0].id].code
    return [(u.code, u.name) for u in columns] + ([(roots[0].code, roots[0].name)] if tops else []), column_of


def heat_map(session: Session, span: str) -> HeatMap:
    """Failure rates of every checklist item answered in the month or quarter ``span``, per top-level unit.

    Kept per process until the data changes (:mod:`surveyapp.assessment.cache`).
    :raise ValidationError: ``span`` is neither a month nor a quarter.
    """
    label, periods = parse_span(span)
    return cache.cached(session, ("heat-map", label), lambda: _heat_map(session, label, periods))


#: ``(item row, hall unit, failures, counted answers, Σ earned, Σ possible)``
Tally = tuple[int, int, int, int, int, int]


def month_tallies(session: Session, period: str) -> list[Tally]:
    """The month's counts over its validated visits' counted answers (``possible`` not NULL), per item row and hall
    unit: read from :class:`~surveyapp.assessment.models.HeatTally` when counted under the month's current key
    (:func:`surveyapp.assessment.cache.month_key`), else counted from the answers and stored for the next reader
    (a month of 5,000 halls is 1.6 million answers; a closed month is counted once)."""
    key = cache.month_key(session, period)
    if key is not None and session.scalar(
            sa.select(HeatTallyMonth.stamp).where(HeatTallyMonth.period == period)) == key:
        return [tuple(row) for row in session.execute(  # type: ignore[misc]
            sa.select(HeatTally.item_id, HeatTally.unit_id, HeatTally.failures, HeatTally.answered, HeatTally.earned,
                      HeatTally.possible)
            .where(HeatTally.period == period)).all()]
    # One pass over the month's answers, grouped by item row and hall unit only (a few thousand rows); the
    # checklist names and the unit tree are joined in later, which keeps the scan as lean as it gets.
    failed = sa.case((Answer.failed.is_(True), 1), else_=0)
    rows: list[Tally] = [
        (item_id, unit_id, int(failures or 0), int(answered or 0), int(earned or 0), int(possible or 0))
        for item_id, unit_id, failures, answered, earned, possible in session.execute(
            sa.select(Answer.item_id, Hall.unit_id, sa.func.sum(failed), sa.func.count(), sa.func.sum(Answer.earned),
                      sa.func.sum(Answer.possible))
            .select_from(Answer).join(Visit, Visit.id == Answer.visit_id).join(Hall, Hall.id == Visit.hall_id)
            .where(counted_visits([period], None), Answer.possible.is_not(None))
            .group_by(Answer.item_id, Hall.unit_id))]
    if key is not None:
        _store_tallies(session, period, key, rows)
    return rows


def _store_tallies(session: Session, period: str, key: str, rows: list[Tally]) -> None:
    """Keep the month's counts, in a transaction of their own (the reader's stays a read)."""
    try:
        with session.get_bind().begin() as connection:
            connection.execute(sa.delete(HeatTally).where(HeatTally.period == period))
            connection.execute(sa.delete(HeatTallyMonth).where(HeatTallyMonth.period == period))
            if rows:
                connection.execute(sa.insert(HeatTally), [
                    {"period": period, "item_id": i, "unit_id": u, "failures": f, "answered": a, "earned": e,
                     "possible": p} for i, u, f, a, e, p in rows])
            connection.execute(sa.insert(HeatTallyMonth).values(period=period, stamp=key))
    except sa.exc.SQLAlchemyError as exc:  # another reader stored the month at the same moment: theirs stands
        log.info("heat map counts of %s not stored: %s", period, exc.__class__.__name__)


def _heat_map(session: Session, label: str, periods: list[str]) -> HeatMap:
    rows = [row for period in periods for row in month_tallies(session, period)]
    columns, column_of = _columns(session)
    items = {i.id: i for i in _items(session, {r[0] for r in rows})}
    slugs = _slugs(session, {i.version_id for i in items.values()})
    cells: dict[tuple[str, str], dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    newest: dict[tuple[str, str], ChecklistItem] = {}
    for item_id, unit_id, failures, answered, _earned, _possible in rows:
        item = items[item_id]
        key = (slugs[item.version_id], item.key)
        cell = cells[key][column_of[unit_id]]
        cell[0] += failures
        cell[1] += answered
        if key not in newest or item.id > newest[key].id:
            newest[key] = item
    heat_rows = [HeatRow(slug, key, newest[(slug, key)].section_title, newest[(slug, key)].section_title_en,
                         newest[(slug, key)].text, newest[(slug, key)].text_en,
                         {unit: (f, a) for unit, (f, a) in by_unit.items()})
                 for (slug, key), by_unit in cells.items()]
    heat_rows.sort(key=lambda r: (-(r.rate or 0), -r.failures, r.checklist, newest[(r.checklist, r.key)].position))
    used = {column_of[r[1]] for r in rows}
    return HeatMap(label, tuple(periods), tuple(c for c in columns if c[0] in used), tuple(heat_rows))


def _items(session: Session, ids: Iterable[int]) -> Sequence[ChecklistItem]:
    wanted = sorted(set(ids))
    found: list[ChecklistItem] = []
    for start in range(0, len(wanted), 1000):
        found.extend(session.scalars(sa.select(ChecklistItem).where(ChecklistItem.id.in_(wanted[start:start + 1000]))))
    return found
