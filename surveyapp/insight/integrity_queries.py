"""Evidence integrity's reads and writes: the facts of visits in, stored :class:`~surveyapp.visits.models.VisitFlag`
rows out, and the month's report.

Usage (the submission receiver, ``flask integrity``, the report page)::

    from surveyapp.insight import integrity_queries as integrity

    integrity.check(session, Visit.id == visit.id, rules)        # at submission: this visit (and its pairs)
    integrity.check(session, Visit.period == "2026-11", rules)   # ``flask integrity 2026-11 --recompute``
    report = integrity.month_report(session, "2026-11")           # flagged visits with their reasons

Checks run on visits that have been submitted (submitted, returned, validated, rejected); flags linking two visits
are written on both. Recomputing replaces the flags of the visits checked, so it can be run again at will.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.util import identity_key

from surveyapp import clock
from surveyapp.assessment import services as assessment
from surveyapp.auth.models import User
from surveyapp.checklists.definition import Definition, EvidenceRule, Item
from surveyapp.checklists.models import ChecklistItem, ChecklistVersion
from surveyapp.insight.integrity import (
    Flag,
    PhotoFacts,
    Rules,
    VisitFacts,
    duplicate_flags,
    schedule_flags,
    visit_flags,
    with_mirrors,
)
from surveyapp.org.models import Hall
from surveyapp.visits.content import answer_text
from surveyapp.visits.flags import FLAGS, PAIRED, SAME_PHOTO, SIMILAR_PHOTO, flag_reason
from surveyapp.visits.models import Answer, Photo, PhotoHashBand, Visit, VisitFlag, VisitRevision, VisitStatus

#: Visits whose evidence is checked: everything submitted at least once.
CHECKED = (VisitStatus.SUBMITTED, VisitStatus.RETURNED, VisitStatus.VALIDATED, VisitStatus.REJECTED)
#: How far around a visit the same supervisor's other visits are looked at for overlaps and travel.
SCHEDULE_MARGIN = dt.timedelta(days=1)
_CHUNK = 2000


def _chunks(values: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]


def _definitions(session: Session, version_ids: Iterable[int]) -> dict[int, Definition]:
    """The definitions of these checklist versions; those the session holds already (a submitted visit's) are
    not read again."""
    held = {i: v for i in set(version_ids)
            if (v := session.identity_map.get(identity_key(ChecklistVersion, i))) is not None}
    missing = sorted(set(version_ids) - set(held))
    if missing:
        held.update((v.id, v) for v in session.scalars(sa.select(ChecklistVersion).where(ChecklistVersion.id.in_(missing))))
    return {i: v.definition for i, v in held.items()}


def _photo_facts(rows: Iterable[Any], definitions: dict[int, Definition]) -> list[PhotoFacts]:
    out = []
    for row in rows:
        item = definitions[row.version_id].item(row.item_key) if row.item_key else None
        required = item is not None and item.evidence in (EvidenceRule.REQUIRED, EvidenceRule.ON_FAIL)
        out.append(PhotoFacts(row.id, row.visit_id, row.item_key, row.sha256, row.phash, row.taken_at, required,
                              row.hall_distance_m, row.near_hall))
    return out


def _photo_rows(session: Session, condition: Any) -> list[Any]:
    return session.execute(
        sa.select(Photo.id, Photo.visit_id, Photo.item_key, Photo.sha256, Photo.phash, Photo.taken_at,
                  Photo.hall_distance_m, Photo.near_hall, Visit.checklist_version_id.label("version_id"))
        .join(Visit, Visit.id == Photo.visit_id)
        .where(condition, Photo.removed_at.is_(None), Visit.status != VisitStatus.CANCELLED)).all()


def visit_facts(session: Session, condition: Any, *, details: bool = True) -> dict[int, VisitFacts]:
    """The facts of the submitted visits matching ``condition`` (an SQL condition on :class:`Visit`); without
    ``details``, only what the schedule checks need (no photos, no trap answers)."""
    # Correlated, so each visit's own rows are read through their index (not an aggregate of every visit).
    first = (sa.select(sa.func.min(VisitRevision.submitted_at)).where(VisitRevision.visit_id == Visit.id)
             .scalar_subquery())
    answered = sa.select(sa.func.count(Answer.value)).where(Answer.visit_id == Visit.id).scalar_subquery()
    rows = session.execute(
        sa.select(Visit.id, Visit.supervisor_id, Visit.hall_id, Hall.latitude, Hall.longitude, Visit.visited_at,
                  Visit.started_at, first, answered, Visit.checklist_version_id)
        .join(Hall, Hall.id == Visit.hall_id)
        .where(condition, Visit.status.in_(CHECKED))).all()
    versions = {r[0]: r[9] for r in rows}
    wrong: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
    photos: dict[int, list[PhotoFacts]] = defaultdict(list)
    if details and rows:
        definitions = _definitions(session, versions.values())
        traps = {vid: {i.key: answer_text(i.expected) for i in d.items if i.integrity} for vid, d in definitions.items()}
        keys = sorted({k for t in traps.values() for k in t})
        if keys:
            for visit_id, key, value in session.execute(
                    sa.select(Answer.visit_id, ChecklistItem.key, Answer.value).join(Answer.item).join(Visit, Visit.id == Answer.visit_id)
                    .where(condition, Visit.status.in_(CHECKED), ChecklistItem.key.in_(keys), Answer.value.is_not(None))):
                expected = traps[versions[visit_id]].get(key)
                if expected is not None and value != expected:
                    wrong[visit_id].append((key, value, expected))
        for photo in _photo_facts(_photo_rows(session, sa.and_(condition, Visit.status.in_(CHECKED))), definitions):
            photos[photo.visit_id].append(photo)
    return {r[0]: VisitFacts(r[0], r[1], r[2], None if r[3] is None or r[4] is None else (r[3], r[4]), r[5], r[6], r[7],
                             int(r[8]), tuple(sorted(wrong[r[0]])), tuple(photos[r[0]])) for r in rows}


def _candidate_pairs(session: Session, condition: Any, rules: Rules) -> tuple[list[tuple[int, int]], dict[int, int]]:
    """Pairs (photo of a visit matching ``condition``, another visit's photo) with the same SHA-256 or a shared
    slice of the perceptual hash, and how many other visits use each photo's picture.

    Bounded whatever the reuse: per photo, the same picture on the ``rules.linked_visits`` earliest other visits
    (one photo each), and at most four times as many near-duplicate candidates (a shared slice is not yet a match).
    Each is an index lookup, whatever the number of photos stored."""
    ours = sa.select(Photo.id).join(Visit, Visit.id == Photo.visit_id).where(
        condition, Visit.status.in_(CHECKED), Photo.removed_at.is_(None))
    a, b = aliased(Photo), aliased(Photo)
    # Photos on cancelled visits do not count (as _photo_rows): they must not take a linked visit's place.
    live = sa.select(Visit.id).where(Visit.status != VisitStatus.CANCELLED)
    per_visit = (sa.select(a.id.label("a"), sa.func.min(b.id).label("b"))
                 .join(b, sa.and_(b.sha256 == a.sha256, b.visit_id != a.visit_id))
                 .where(a.id.in_(ours), b.removed_at.is_(None), b.visit_id.in_(live))
                 .group_by(a.id, b.visit_id).subquery())
    ranked = sa.select(per_visit.c.a, per_visit.c.b,
                       sa.func.row_number().over(partition_by=per_visit.c.a, order_by=per_visit.c.b).label("n"),
                       sa.func.count().over(partition_by=per_visit.c.a).label("uses")).subquery()
    same = session.execute(sa.select(ranked.c.a, ranked.c.b, ranked.c.uses)
                           .where(ranked.c.n <= rules.linked_visits)).all()
    x, y = aliased(PhotoHashBand), aliased(PhotoHashBand)
    px, py = aliased(Photo), aliased(Photo)
    shared = (sa.select(x.photo_id.label("a"), y.photo_id.label("b")).distinct()
              .join(y, sa.and_(y.band == x.band, y.value == x.value, y.photo_id != x.photo_id))
              .join(px, px.id == x.photo_id).join(py, py.id == y.photo_id)
              # The same picture is the query above's; another photo of the same visit is no reuse.
              .where(x.photo_id.in_(ours), py.sha256 != px.sha256, py.visit_id != px.visit_id,
                     py.removed_at.is_(None), py.visit_id.in_(live)).subquery())
    near_ranked = sa.select(shared.c.a, shared.c.b, sa.func.row_number().over(
        partition_by=shared.c.a, order_by=shared.c.b).label("n")).subquery()
    near = session.execute(sa.select(near_ranked.c.a, near_ranked.c.b)
                           .where(near_ranked.c.n <= 4 * rules.linked_visits)).all()
    return sorted({(p, q) for p, q, *_ in [*same, *near]}), {p: uses for p, _, uses in same}


def find_flags(session: Session, condition: Any, rules: Rules) -> tuple[list[Flag], set[int]]:
    """Every flag of the submitted visits matching ``condition`` (and, for those linking two visits, of the other
    visit too), and the ids of the visits checked."""
    facts = visit_facts(session, condition)
    flags = [flag for visit in facts.values() for flag in visit_flags(visit, rules)]
    # Pairs start from a photo of these visits: none (most submissions carry no photo) means no query to make.
    pairs, uses = _candidate_pairs(session, condition, rules) if any(v.photos for v in facts.values()) else ([], {})
    known = {p.id for v in facts.values() for p in v.photos}
    others = sorted({q for _, q in pairs} - known)
    photos = [p for v in facts.values() for p in v.photos]
    if others:
        rows = [row for chunk in _chunks(others) for row in _photo_rows(session, Photo.id.in_(chunk))]
        photos += _photo_facts(rows, _definitions(session, {r.version_id for r in rows}))
    flags += duplicate_flags(photos, pairs, rules, uses)
    flags += _schedule(session, facts, rules)
    return with_mirrors(flags), set(facts)


def _schedule(session: Session, facts: dict[int, VisitFacts], rules: Rules) -> list[Flag]:
    """Overlap and travel flags involving one of the visits of ``facts``."""
    times = [v.visited_at for v in facts.values() if v.visited_at is not None]
    if not times:
        return []
    supervisors = sorted({v.supervisor_id for v in facts.values()})
    around: dict[int, VisitFacts] = {}
    for chunk in _chunks(supervisors):
        around.update(visit_facts(session, sa.and_(
            Visit.supervisor_id.in_(chunk), Visit.visited_at >= min(times) - SCHEDULE_MARGIN,
            Visit.visited_at <= max(times) + SCHEDULE_MARGIN), details=False))
    return [f for f in schedule_flags(list(around.values()), rules) if f.visit_id in facts or f.other_visit_id in facts]


def check(session: Session, condition: Any, rules: Rules) -> int:
    """Recompute and store the flags of the submitted visits matching ``condition`` (replacing theirs, and the
    other visits' flags that link to them). Flushes, does not commit.

    :return: how many flags the visits checked now have.
    """
    # A visit that reuses a picture links the earliest other visits using it (duplicate_flags), so its links into
    # these visits are its own to find: check it too, or recomputing these would drop them.
    linkers = sa.select(VisitFlag.visit_id).where(
        VisitFlag.kind.in_((SAME_PHOTO, SIMILAR_PHOTO)), VisitFlag.other_visit_id.in_(sa.select(Visit.id).where(condition).correlate(None))).correlate(None)
    if session.execute(linkers.limit(1)).first() is not None:
        condition = sa.or_(condition, Visit.id.in_(linkers))
    flags, checked = find_flags(session, condition, rules)
    ids = sorted(checked)
    for chunk in _chunks(ids):
        session.execute(sa.delete(VisitFlag).where(sa.or_(
            VisitFlag.visit_id.in_(chunk), sa.and_(VisitFlag.other_visit_id.in_(chunk), VisitFlag.kind.in_(PAIRED)))))
    targets = sorted({f.visit_id for f in flags} - checked)
    submitted = set(checked)
    for chunk in _chunks(targets):
        submitted |= set(session.scalars(sa.select(Visit.id).where(Visit.id.in_(chunk), Visit.status.in_(CHECKED))))
    now = clock.now()
    rows = [{"visit_id": f.visit_id, "kind": f.kind, "item_key": f.item_key, "other_visit_id": f.other_visit_id,
             "details": dict(f.details), "found_at": now} for f in flags if f.visit_id in submitted]
    if rows:
        session.execute(sa.insert(VisitFlag), rows)
    return sum(1 for f in flags if f.visit_id in checked)


def refresh(session: Session, condition: Any, rules: Rules, *, moved: bool = False) -> None:
    """Check again the visits matching ``condition`` after something their checks read changed (a photo taken
    off, the visit cancelled or submitted again, its hall's location changed), with every visit whose flags link
    to them, so no stored flag outlives its reason. Flushes, does not commit.

    :param moved: the visits may have moved in time (a new submission): their supervisors' other visits around
        the old and the new times are checked too, as the visits next to each other in time may have changed.
    """
    rows = session.execute(sa.select(Visit.id, Visit.supervisor_id, Visit.visited_at).where(condition)).all()
    if not rows:
        return
    ids = {r.id for r in rows}
    targets = set(ids)
    for chunk in _chunks(sorted(ids)):
        targets |= set(session.scalars(sa.select(VisitFlag.visit_id).where(VisitFlag.other_visit_id.in_(chunk))))
    if moved:
        times: dict[int, set[dt.datetime]] = defaultdict(set)
        for r in rows:
            if r.visited_at is not None:
                times[r.supervisor_id].add(r.visited_at)
        for revision in session.scalars(sa.select(VisitRevision).where(VisitRevision.visit_id.in_(sorted(ids)))):
            moment = revision.content.get("visited_at") if isinstance(revision.content, dict) else None
            if moment:
                times[revision.visit.supervisor_id].add(dt.datetime.fromisoformat(moment).astimezone(dt.UTC))
        for supervisor, moments in times.items():
            targets |= set(session.scalars(sa.select(Visit.id).where(
                Visit.supervisor_id == supervisor, Visit.visited_at >= min(moments) - SCHEDULE_MARGIN,
                Visit.visited_at <= max(moments) + SCHEDULE_MARGIN)))
    for chunk in _chunks(sorted(targets)):
        # Flags of a visit no longer checked (cancelled) go; the others are written again by check().
        session.execute(sa.delete(VisitFlag).where(VisitFlag.visit_id.in_(chunk)))
        check(session, Visit.id.in_(chunk), rules)


# --- the month's report -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlagLine:
    kind: str
    item_key: str | None
    details: dict[str, Any]
    other_uid: str | None
    other_label: str | None
    #: The checklist item (of the visit's version) the flag is about, to show its answers as the form does.
    item: Item | None = None

    def reason(self) -> str:
        """Why, in the reader's language (:func:`~surveyapp.visits.flags.flag_reason`)."""
        return flag_reason(self.kind, self.details, self.item)


@dataclass(frozen=True)
class VisitLine:
    """A flagged visit of the month: which, where, who, and its flags."""

    uid: str
    hall_code: str
    hall_name: str
    supervisor: str
    visited_at: dt.datetime | None
    status: VisitStatus
    flags: tuple[FlagLine, ...]


@dataclass(frozen=True)
class Report:
    period: str
    #: Submitted visits in the month, and how many have a flag.
    visits: int
    flagged: int
    #: Flags of each kind (visits with at least one), in :data:`FLAGS` order.
    by_kind: tuple[tuple[str, int], ...]
    lines: tuple[VisitLine, ...]

    def to_json(self) -> dict[str, Any]:
        """``{"period", "visits", "flagged", "flagged_visits": [{"visit", "hall", "supervisor", "visited_at",
        "status", "flags": [{"kind", "item", "other_visit", "details"}]}]}``."""
        return {"period": self.period, "visits": self.visits, "flagged": self.flagged, "flagged_visits": [
            {"visit": line.uid, "hall": line.hall_code, "supervisor": line.supervisor,
             "visited_at": line.visited_at.isoformat() if line.visited_at else None, "status": line.status.value,
             "flags": [{"kind": f.kind, "item": f.item_key, "other_visit": f.other_uid, "details": f.details}
                       for f in line.flags]} for line in self.lines]}


def month_report(session: Session, period: str, kind: str | None = None) -> Report:
    """The submitted visits of ``period`` with a flag (of ``kind`` when given), by hall code, with their reasons.

    :raise ValidationError: ``period`` is not a month.
    """
    period = assessment.parse_period(period)
    in_month = sa.and_(Visit.period == period, Visit.status.in_(CHECKED))
    visits = session.scalar(sa.select(sa.func.count()).select_from(Visit).where(in_month)) or 0
    other = aliased(Visit)
    other_hall = aliased(Hall)
    query = (sa.select(VisitFlag.visit_id, VisitFlag.kind, VisitFlag.item_key, VisitFlag.details, other.uid,
                       other_hall.code, other.period, Visit.checklist_version_id)
             .join(Visit, Visit.id == VisitFlag.visit_id)
             .outerjoin(other, other.id == VisitFlag.other_visit_id).outerjoin(other_hall, other_hall.id == other.hall_id)
             .where(in_month).order_by(VisitFlag.visit_id, VisitFlag.id))
    by_visit: dict[int, list[FlagLine]] = defaultdict(list)
    rows = session.execute(query).all()
    definitions = _definitions(session, {r.checklist_version_id for r in rows if r.item_key})
    for visit_id, k, item_key, details, other_uid, other_code, other_period, version_id in rows:
        definition = definitions.get(version_id) if item_key else None
        by_visit[visit_id].append(FlagLine(k, item_key, details or {}, other_uid,
                                           f"{other_code} {other_period}" if other_uid else None,
                                           definition.item(item_key) if definition and item_key else None))
    kinds = Counter(k for flags in by_visit.values() for k in {f.kind for f in flags})
    chosen = [vid for vid, flags in by_visit.items() if kind is None or any(f.kind == kind for f in flags)]
    lines = []
    for chunk in _chunks(sorted(chosen)):
        for row in session.execute(
                sa.select(Visit.id, Visit.uid, Hall.code, Hall.name, User.username, Visit.visited_at, Visit.status)
                .join(Hall, Hall.id == Visit.hall_id).join(User, User.id == Visit.supervisor_id)
                .where(Visit.id.in_(chunk))):
            order = {k: n for n, k in enumerate(FLAGS)}
            flags = tuple(sorted(by_visit[row.id], key=lambda f: (order.get(f.kind, 99), f.item_key or "")))
            lines.append(VisitLine(row.uid, row.code, row.name, row.username, row.visited_at, row.status, flags))
    lines.sort(key=lambda line: (line.hall_code, line.visited_at or dt.datetime.min.replace(tzinfo=dt.UTC), line.uid))
    return Report(period, visits, len(by_visit), tuple((k, kinds[k]) for k in FLAGS if kinds[k]), tuple(lines))
