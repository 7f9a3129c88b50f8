"""A checklist definition as plain, immutable data: what a ``forms/*.toml`` file says once validated.

Everything else reads checklists through these types: the loader produces a :class:`Definition`, the
database stores it as JSON (:meth:`Definition.to_json`), the scoring engine and the form builder take it.
No database and no Flask here.
"""
from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from surveyapp.org.models import HallType

#: Version of the JSON layout written by :meth:`Definition.to_json` (stored with each checklist version).
SCHEMA = 1


class VisitType(str, enum.Enum):
    """The three channels a visit comes through (DOMAIN.md "Visits")."""

    ANNOUNCED = "announced"  # 明查
    UNANNOUNCED = "unannounced"  # 暗访
    SUPERVISOR = "supervisor"  # 社会监督员


class ItemKind(str, enum.Enum):
    """What a supervisor answers for an item."""

    CHECK = "check"  # pass | fail | na
    COUNT = "count"  # occurrences n >= 0, or na
    SCALE = "scale"  # 0..points, or na
    TEXT = "text"  # free text, not scored
    STAFF = "staff"  # job numbers (工号) of the staff served, not scored

    @property
    def scored(self) -> bool:
        return self in SCORED_KINDS


SCORED_KINDS = frozenset({ItemKind.CHECK, ItemKind.COUNT, ItemKind.SCALE})


class EvidenceRule(str, enum.Enum):
    """When an item needs a photo."""

    NONE = "none"
    OPTIONAL = "optional"
    ON_FAIL = "on-fail"
    REQUIRED = "required"


VISIT_TYPES = tuple(t.value for t in VisitType)
HALL_TYPES = tuple(t.value for t in HallType)


@dataclass(frozen=True, slots=True)
class Item:
    """One question of a checklist. ``key`` (``"section.item"``) is how answers refer to it."""

    key: str
    id: str
    section_id: str
    text: str
    kind: ItemKind
    #: Position in the whole form, from 1.
    position: int
    text_en: str | None = None
    #: Scored kinds only: the most the item is worth.
    points: int | None = None
    #: Count items only: points deducted per occurrence.
    per: int | None = None
    #: A failure (check ``fail``, count n > 0) is a red line: the visit scores 0 (一票否决).
    redline: bool = False
    evidence: EvidenceRule = EvidenceRule.NONE
    #: ``None``: the item applies to every visit type (or hall type) the form allows.
    visit_types: tuple[VisitType, ...] | None = None
    hall_types: tuple[HallType, ...] | None = None
    guidance: str | None = None
    guidance_en: str | None = None
    #: Text and staff items: an answer must be given before the visit is submitted.
    required: bool = False
    #: An integrity question (trap item): asked like any other, never scored and never shown to halls; an
    #: answer other than ``expected`` (canonical, see :mod:`~surveyapp.checklists.scoring`) flags the visit.
    integrity: bool = False
    expected: str | int | None = None
    #: Scale items: an answer below this is a finding (from the item, else the form; ``None``: only 0 is).
    finding_below: int | None = None

    @property
    def scored(self) -> bool:
        """Whether the answer counts in the visit's score (integrity questions never do)."""
        return self.kind.scored and not self.integrity

    @property
    def must_answer(self) -> bool:
        """Whether a submitted visit must answer it: scored kinds (integrity questions too) and required ones."""
        return self.kind.scored or self.required

    def applies(self, visit_type: VisitType | str, hall_type: HallType | str) -> bool:
        """Whether this item is asked on a visit of ``visit_type`` to a hall of ``hall_type``."""
        if self.visit_types is not None and VisitType(visit_type) not in self.visit_types:
            return False
        return self.hall_types is None or HallType(hall_type) in self.hall_types

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "text": self.text, "text_en": self.text_en, "kind": self.kind.value,
            "points": self.points, "per": self.per, "redline": self.redline, "evidence": self.evidence.value,
            "visit_types": None if self.visit_types is None else [t.value for t in self.visit_types],
            "hall_types": None if self.hall_types is None else [t.value for t in self.hall_types],
            "guidance": self.guidance, "guidance_en": self.guidance_en, "required": self.required,
            # Written only when the file sets it, so versions loaded before the key existed stay identical.
            **({"finding_below": self.finding_below} if self.finding_below is not None else {}),
        } | ({"integrity": True, "expected": self.expected} if self.integrity else {})


@dataclass(frozen=True, slots=True)
class Section:
    """A titled group of items (e.g. 仪容仪表); its id prefixes the keys of its items."""

    id: str
    title: str
    items: tuple[Item, ...]
    title_en: str | None = None


@dataclass(frozen=True)
class Definition:
    """A whole checklist version: form metadata and its sections in order."""

    id: str
    version: int
    title: str
    visit_types: tuple[VisitType, ...]
    sections: tuple[Section, ...]
    title_en: str | None = None
    description: str | None = None
    description_en: str | None = None
    _by_key: dict[str, Item] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_key", {item.key: item for item in self.items})

    @property
    def items(self) -> Iterator[Item]:
        """Every item, in form order."""
        return (item for section in self.sections for item in section.items)

    def item(self, key: str) -> Item | None:
        """The item answered under ``key``, or ``None``."""
        return self._by_key.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self._by_key

    def __len__(self) -> int:
        return len(self._by_key)

    def section(self, section_id: str) -> Section | None:
        return next((s for s in self.sections if s.id == section_id), None)

    def to_json(self) -> dict[str, Any]:
        """The normalized definition, every default filled in (stored in the database)."""
        return {
            "schema": SCHEMA, "id": self.id, "version": self.version, "title": self.title, "title_en": self.title_en,
            "description": self.description, "description_en": self.description_en,
            "visit_types": [t.value for t in self.visit_types],
            "sections": [
                {"id": s.id, "title": s.title, "title_en": s.title_en, "items": [i.to_json() for i in s.items]}
                for s in self.sections
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Definition:
        """Rebuild a definition from :meth:`to_json` output."""
        if data.get("schema") != SCHEMA:
            raise ValueError(f"checklist definition schema {data.get('schema')!r} is not {SCHEMA}")
        sections = []
        position = 0
        for s in data["sections"]:
            items = []
            for i in s["items"]:
                position += 1
                items.append(Item(
                    key=f"{s['id']}.{i['id']}", id=i["id"], section_id=s["id"], text=i["text"], text_en=i["text_en"],
                    kind=ItemKind(i["kind"]), position=position, points=i["points"], per=i["per"],
                    redline=i["redline"], evidence=EvidenceRule(i["evidence"]),
                    visit_types=None if i["visit_types"] is None else tuple(VisitType(t) for t in i["visit_types"]),
                    hall_types=None if i["hall_types"] is None else tuple(HallType(t) for t in i["hall_types"]),
                    guidance=i["guidance"], guidance_en=i["guidance_en"], required=i["required"],
                    integrity=i.get("integrity", False), expected=i.get("expected"),
                    finding_below=i.get("finding_below"),
                ))
            sections.append(Section(id=s["id"], title=s["title"], title_en=s["title_en"], items=tuple(items)))
        return cls(
            id=data["id"], version=data["version"], title=data["title"], title_en=data["title_en"],
            description=data["description"], description_en=data["description_en"],
            visit_types=tuple(VisitType(t) for t in data["visit_types"]), sections=tuple(sections),
        )
