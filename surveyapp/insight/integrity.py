"""Evidence integrity as a pure computation: the reasons to doubt a visit, from plain facts about visits and photos.

No database and no Flask: frozen data in (:class:`VisitFacts`, :class:`PhotoFacts`, :class:`Rules`), a list of
:class:`Flag` out. README "Evidence integrity" says what each check means; in short:

* ``integrity_answer``: an integrity question (trap item) was answered other than its expected answer.
* ``photo_time``: a photo's capture time (EXIF) is more than ``max_photo_offset`` from the visit's time;
  ``photo_no_time``: a photo backing an item whose rule asks for evidence has no capture time at all.
* ``photo_far``: the photo's GPS position was more than the geofence from the hall (checked at upload).
* ``same_photo`` / ``similar_photo``: the same stored picture (SHA-256), or a near-duplicate (perceptual hashes
  differing in at most ``similar_bits`` of 64 bits: re-encoded, resized), is evidence on another visit.
* ``too_short``: started → submitted took less than ``seconds_per_item`` per item answered.
* ``overlap`` / ``travel``: the same supervisor's next visit began before this one could have been done (at
  ``seconds_per_item`` per item), or too soon to travel the distance between the two halls at ``max_speed_kmh``.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from surveyapp.geo import distance_m
from surveyapp.photos import PHASH_BANDS
from surveyapp.visits.flags import (
    INTEGRITY_ANSWER,
    OVERLAP,
    PAIRED,
    PHOTO_FAR,
    PHOTO_NO_TIME,
    PHOTO_TIME,
    SAME_PHOTO,
    SIMILAR_PHOTO,
    TOO_SHORT,
    TRAVEL,
)


def hamming(a: str, b: str) -> int:
    """Bits that differ between two hex hashes."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


@dataclass(frozen=True)
class Rules:
    """The thresholds (settings ``EVIDENCE_*``, README "Evidence integrity")."""

    max_photo_offset: dt.timedelta = dt.timedelta(hours=2)
    seconds_per_item: int = 10
    max_speed_kmh: float = 60.0
    similar_bits: int = 3
    geofence_m: int = 500
    #: A photo used on many visits links each use to this many others (the earliest), not to all of them.
    linked_visits: int = 5

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Rules:
        """From the app's settings; a missing setting keeps its default.

        :raise ValueError: a threshold out of range (a start-up error, with the setting's name).
        """
        default = cls()
        rules = cls(
            max_photo_offset=dt.timedelta(hours=float(config.get("EVIDENCE_MAX_PHOTO_OFFSET",
                                                                  default.max_photo_offset.total_seconds() / 3600))),
            seconds_per_item=int(config.get("EVIDENCE_SECONDS_PER_ITEM", default.seconds_per_item)),
            max_speed_kmh=float(config.get("EVIDENCE_MAX_SPEED_KMH", default.max_speed_kmh)),
            similar_bits=int(config.get("EVIDENCE_SIMILAR_PHOTO_BITS", default.similar_bits)),
            geofence_m=int(config.get("EVIDENCE_GEOFENCE_METRES", default.geofence_m)),
            linked_visits=int(config.get("EVIDENCE_LINKED_VISITS", default.linked_visits)),
        )
        if not 0 <= rules.similar_bits < PHASH_BANDS:
            raise ValueError(f"EVIDENCE_SIMILAR_PHOTO_BITS must be from 0 to {PHASH_BANDS - 1}")
        if rules.max_speed_kmh <= 0 or rules.seconds_per_item < 0 or rules.geofence_m <= 0 or rules.linked_visits < 1:
            raise ValueError("EVIDENCE_MAX_SPEED_KMH, EVIDENCE_GEOFENCE_METRES and EVIDENCE_LINKED_VISITS must be "
                             "positive, EVIDENCE_SECONDS_PER_ITEM not negative")
        return rules


@dataclass(frozen=True)
class PhotoFacts:
    """A photo in use as evidence (not removed from its visit)."""

    id: int
    visit_id: int
    item_key: str | None
    sha256: str
    phash: str | None
    taken_at: dt.datetime | None
    #: The photo backs an item whose rule asks for evidence (``required`` or ``on-fail``).
    evidence_required: bool = False
    #: The check at upload: distance to the hall in metres and its verdict (``None``: not checked).
    hall_distance_m: int | None = None
    near_hall: bool | None = None


@dataclass(frozen=True)
class VisitFacts:
    """What the checks need of one visit."""

    id: int
    supervisor_id: int
    hall_id: int
    #: The hall's ``(latitude, longitude)``, or ``None``.
    position: tuple[float, float] | None
    visited_at: dt.datetime | None
    started_at: dt.datetime | None
    #: The client's time of the first submission.
    submitted_at: dt.datetime | None
    #: Items answered (any kind).
    answered: int
    #: Integrity questions answered other than expected: ``(item key, answer, expected)``.
    wrong_answers: tuple[tuple[str, str, str], ...] = ()
    photos: tuple[PhotoFacts, ...] = field(default=())

    def minimum_duration(self, rules: Rules) -> dt.timedelta:
        """The least time the visit can have taken on site."""
        return dt.timedelta(seconds=rules.seconds_per_item * self.answered)


@dataclass(frozen=True)
class Flag:
    """A reason to doubt a visit: which check, which item, which other visit, and the numbers behind it."""

    visit_id: int
    kind: str
    item_key: str | None = None
    other_visit_id: int | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def mirrored(self) -> Flag:
        """The same finding written on the other visit."""
        assert self.other_visit_id is not None
        return Flag(self.other_visit_id, self.kind, self.details.get("other_item"), self.visit_id,
                    {**self.details, "other_item": self.item_key})


def visit_flags(visit: VisitFacts, rules: Rules) -> list[Flag]:
    """The checks that need nothing but the visit itself: trap answers, photo times and places, duration."""
    flags = [Flag(visit.id, INTEGRITY_ANSWER, key, None, {"answer": answer, "expected": expected})
             for key, answer, expected in visit.wrong_answers]
    for photo in visit.photos:
        if photo.taken_at is None:
            if photo.evidence_required:
                flags.append(Flag(visit.id, PHOTO_NO_TIME, photo.item_key, None, {"photo": photo.id}))
        elif visit.visited_at is not None:
            offset = abs(photo.taken_at - visit.visited_at)
            if offset > rules.max_photo_offset:
                flags.append(Flag(visit.id, PHOTO_TIME, photo.item_key, None,
                                  {"photo": photo.id, "hours": round(offset.total_seconds() / 3600, 1),
                                   "limit": round(rules.max_photo_offset.total_seconds() / 3600, 1)}))
        if photo.near_hall is False:
            flags.append(Flag(visit.id, PHOTO_FAR, photo.item_key, None,
                              {"photo": photo.id, "metres": photo.hall_distance_m, "limit": rules.geofence_m}))
    if visit.started_at is not None and visit.submitted_at is not None and visit.answered:
        took, least = visit.submitted_at - visit.started_at, visit.minimum_duration(rules)
        if took < least:
            flags.append(Flag(visit.id, TOO_SHORT, None, None,
                              {"seconds": max(0, int(took.total_seconds())), "minimum": int(least.total_seconds()),
                               "items": visit.answered}))
    return flags


def duplicate_flags(photos: Iterable[PhotoFacts], pairs: Iterable[tuple[int, int]], rules: Rules,
                    uses: Mapping[int, int] | None = None) -> list[Flag]:
    """Photos used as evidence on two visits: the same picture, or one within ``similar_bits`` of the other.

    A picture used on many visits links each photo to ``rules.linked_visits`` other visits, the earliest (by
    photo), not to every one: reused N times it makes on the order of N flags, not N², and the flag says how many
    other visits use it in all.

    :param photos: every photo named in ``pairs``.
    :param pairs: candidate pairs of photo ids (same SHA-256, or a shared perceptual-hash slice); a pair that
        holds gives one flag, on the visit of its first photo, linking the visit of the second.
    :param uses: photo id → how many other visits use the same picture (SHA-256), when known.
    """
    by_id = {p.id: p for p in photos}
    flags: dict[tuple[int, int, str | None], Flag] = {}
    linked: dict[int, set[int]] = defaultdict(set)
    for a_id, b_id in sorted(set(pairs)):
        a, b = by_id.get(a_id), by_id.get(b_id)
        if a is None or b is None or a.visit_id == b.visit_id:
            continue
        if a.sha256 == b.sha256:
            details = {"photo": a.id, "other_item": b.item_key}
            if uses and uses.get(a.id, 0) > rules.linked_visits:
                details["uses"] = uses[a.id]
            flag = Flag(a.visit_id, SAME_PHOTO, a.item_key, b.visit_id, details)
        elif a.phash and b.phash and (bits := hamming(a.phash, b.phash)) <= rules.similar_bits:
            flag = Flag(a.visit_id, SIMILAR_PHOTO, a.item_key, b.visit_id,
                        {"photo": a.id, "other_item": b.item_key, "bits": bits})
        else:
            continue
        if b.visit_id not in linked[a.id] and len(linked[a.id]) >= rules.linked_visits:
            continue
        linked[a.id].add(b.visit_id)
        known = flags.get((a.visit_id, b.visit_id, a.item_key))
        if known is None or (known.kind == SIMILAR_PHOTO and flag.kind == SAME_PHOTO):
            flags[(a.visit_id, b.visit_id, a.item_key)] = flag
    return list(flags.values())


def schedule_flags(visits: Sequence[VisitFacts], rules: Rules) -> list[Flag]:
    """Each supervisor's visits in time order: a visit that began before the previous one could have been done
    (``overlap``), or too soon to cover the distance between the two halls (``travel``). The flag is on the later
    visit and links the earlier one."""
    by_supervisor: dict[int, list[VisitFacts]] = defaultdict(list)
    for visit in visits:
        if visit.visited_at is not None:
            by_supervisor[visit.supervisor_id].append(visit)
    flags = []
    for own in by_supervisor.values():
        own.sort(key=lambda v: (v.visited_at, v.id))
        for first, then in pairwise(own):
            assert first.visited_at is not None and then.visited_at is not None
            done = first.visited_at + first.minimum_duration(rules)
            gap = then.visited_at - done
            if first.hall_id != then.hall_id and then.visited_at < done:
                flags.append(Flag(then.id, OVERLAP, None, first.id,
                                  {"minutes": round((done - then.visited_at).total_seconds() / 60)}))
            elif first.position is not None and then.position is not None and first.hall_id != then.hall_id:
                km = distance_m(*first.position, *then.position) / 1000
                hours = gap.total_seconds() / 3600
                if km > 0 and (hours <= 0 or km / hours > rules.max_speed_kmh):
                    flags.append(Flag(then.id, TRAVEL, None, first.id,
                                      {"km": round(km, 1), "minutes": max(0, round(gap.total_seconds() / 60)),
                                       "limit": rules.max_speed_kmh}))
    return flags


def with_mirrors(flags: Iterable[Flag]) -> list[Flag]:
    """``flags`` plus, for each one linking two visits, the same finding on the other visit (once)."""
    out: dict[tuple[int, str, str | None, int | None], Flag] = {}
    for flag in flags:
        for one in (flag, flag.mirrored()) if flag.kind in PAIRED else (flag,):
            out.setdefault((one.visit_id, one.kind, one.item_key, one.other_visit_id), one)
    return list(out.values())
