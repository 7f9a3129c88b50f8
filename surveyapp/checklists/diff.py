"""What changed between two versions of a checklist: form fields, sections, items (field by field), maximum points."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from surveyapp.checklists.definition import Definition, Item, Section, VisitType
from surveyapp.checklists.scoring import applicable_items
from surveyapp.org.models import HallType

FORM_FIELDS = ("title", "title_en", "description", "description_en", "visit_types")
SECTION_FIELDS = ("title", "title_en", "position")
ITEM_FIELDS = ("text", "text_en", "kind", "points", "per", "redline", "evidence", "visit_types", "hall_types",
               "guidance", "guidance_en", "required", "integrity", "expected", "position")

ADDED, REMOVED, CHANGED = "added", "removed", "changed"


@dataclass(frozen=True)
class FieldChange:
    """One field that differs; ``position`` is the place among the entries both versions have."""

    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class EntryChange:
    """A section or item that was added, removed or changed (with its field changes)."""

    key: str
    status: str
    old: Any
    new: Any
    changes: tuple[FieldChange, ...] = ()

    @property
    def current(self) -> Any:
        return self.new if self.new is not None else self.old


@dataclass(frozen=True)
class PointsChange:
    """The most a visit can score, before and after (``None``: the form did not allow that visit type)."""

    visit_type: VisitType
    hall_type: HallType
    old: int | None
    new: int | None


@dataclass(frozen=True)
class DefinitionDiff:
    old: Definition
    new: Definition
    form: tuple[FieldChange, ...]
    sections: tuple[EntryChange, ...]
    items: tuple[EntryChange, ...]
    points: tuple[PointsChange, ...]

    @property
    def empty(self) -> bool:
        return not (self.form or self.sections or self.items)

    def count(self, status: str) -> int:
        return sum(1 for change in self.items if change.status == status)


def _value(obj: Any, field: str) -> Any:
    value = getattr(obj, field)
    if isinstance(value, tuple):
        return [getattr(v, "value", v) for v in value]
    return getattr(value, "value", value)


def _field_changes(old: Any, new: Any, fields: tuple[str, ...], positions: tuple[int, int] | None = None) -> tuple[FieldChange, ...]:
    changes = [FieldChange(f, _value(old, f), _value(new, f)) for f in fields if f != "position"
               and _value(old, f) != _value(new, f)]
    if positions is not None and positions[0] != positions[1]:
        changes.append(FieldChange("position", positions[0], positions[1]))
    return tuple(changes)


def _ranks(keys: list[str], common: set[str]) -> dict[str, int]:
    """Place (from 1) of each shared key among the shared keys, so an insertion elsewhere moves nothing."""
    return {key: rank for rank, key in enumerate((k for k in keys if k in common), start=1)}


def _entries(old: dict[str, Any], new: dict[str, Any], fields: tuple[str, ...]) -> tuple[EntryChange, ...]:
    common = old.keys() & new.keys()
    old_rank, new_rank = _ranks(list(old), common), _ranks(list(new), common)
    changes: list[EntryChange] = []
    # Shown in the new order; a removed entry right after the entry that preceded it in the old one.
    place: dict[str, float] = {key: index for index, key in enumerate(new)}
    previous = -1.0
    for key, entry in old.items():
        if key in new:
            previous = place[key]
        else:
            place[key] = previous + 0.5
            changes.append(EntryChange(key, REMOVED, entry, None))
    for key, entry in new.items():
        if key not in old:
            changes.append(EntryChange(key, ADDED, None, entry))
            continue
        fields_changed = _field_changes(old[key], entry, fields, (old_rank[key], new_rank[key]))
        if fields_changed:
            changes.append(EntryChange(key, CHANGED, old[key], entry, fields_changed))
    return tuple(sorted(changes, key=lambda change: place[change.key]))


def _max_points(definition: Definition, visit_type: VisitType, hall_type: HallType) -> int | None:
    if visit_type not in definition.visit_types:
        return None
    return sum(item.points or 0 for item in applicable_items(definition, visit_type, hall_type) if item.scored)


def diff_definitions(old: Definition, new: Definition) -> DefinitionDiff:
    """Compare two versions: form fields, sections and items by id/key (added, removed, changed field by field,
    moved), and the maximum points of each kind of visit."""
    sections_old: dict[str, Section] = {s.id: s for s in old.sections}
    sections_new: dict[str, Section] = {s.id: s for s in new.sections}
    items_old: dict[str, Item] = {i.key: i for i in old.items}
    items_new: dict[str, Item] = {i.key: i for i in new.items}
    points = tuple(
        PointsChange(v, h, _max_points(old, v, h), _max_points(new, v, h))
        for v in VisitType for h in HallType
        if v in old.visit_types or v in new.visit_types
    )
    return DefinitionDiff(
        old=old, new=new, form=_field_changes(old, new, FORM_FIELDS),
        sections=_entries(sections_old, sections_new, SECTION_FIELDS),
        items=_entries(items_old, items_new, ITEM_FIELDS), points=points,
    )
