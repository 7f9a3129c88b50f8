"""Reading and validating checklist files (``forms/*.toml``): every problem at once, each naming its place.

:func:`parse` turns one file's text into a :class:`~surveyapp.checklists.definition.Definition` or a list of
:class:`Problem`; :func:`read_sources` finds and reads files; :func:`check_sources` parses many and adds
the problems between files. Messages are lazily translated, so callers show them in the reader's language.
No database here: loading into it is :mod:`surveyapp.checklists.services`.
"""
from __future__ import annotations

import difflib
import hashlib
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l

from surveyapp import inputs
from surveyapp.checklists import scoring
from surveyapp.checklists.definition import (
    HALL_TYPES,
    VISIT_TYPES,
    Definition,
    EvidenceRule,
    Item,
    ItemKind,
    Section,
    VisitType,
)
from surveyapp.org.models import HallType

FORM_KEYS = ("id", "version", "title", "title_en", "description", "description_en", "visit_types", "finding_below")
SECTION_KEYS = ("id", "title", "title_en", "item")
ITEM_KEYS = ("id", "text", "text_en", "kind", "points", "per", "redline", "evidence", "visit_types", "hall_types",
             "guidance", "guidance_en", "required", "integrity", "expected", "finding_below")
TOP_KEYS = ("form", "section")

#: Lower-case letters and digits, words joined by single ``-`` or ``_``: safe in answer keys and field names.
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
MAX_ID = 64
MAX_TITLE = 200
MAX_TEXT = 500
MAX_LONG_TEXT = 4000
MAX_POINTS = 100
MAX_VERSION = 2**31 - 1
MAX_FILE_BYTES = 1024 * 1024

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$|\s*\(at end of document\)$")


@dataclass(frozen=True)
class Problem:
    """Something wrong in a checklist file: where (``form``, a section id, ``section.item``, ``line 3``) and what."""

    where: object
    message: object

    def format(self, filename: str) -> str:
        """``forms/x.toml: appearance.uniform: points must be a positive integer``."""
        return f"{filename}: {self.where}: {self.message}" if str(self.where) else f"{filename}: {self.message}"


@dataclass(frozen=True)
class SourceFile:
    """A checklist file as read: the name to show (e.g. ``forms/hall-etiquette.toml``) and its text."""

    name: str
    text: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Checked:
    """One file after validation: its definition when it has no problem."""

    source: SourceFile
    definition: Definition | None
    problems: tuple[Problem, ...]

    def messages(self) -> list[str]:
        return [p.format(self.source.name) for p in self.problems]


def parse(text: str) -> tuple[Definition | None, list[Problem]]:
    """Validate one file's text: the definition, or ``None`` and every problem found."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, [_toml_problem(str(exc))]
    refused = inputs.tree_problem(data)
    if refused is not None:
        return None, [Problem(*refused)]
    checker = _Checker()
    definition = checker.form(data)
    return (definition if not checker.problems else None), checker.problems


def _toml_problem(detail: str) -> Problem:
    match = _TOML_POSITION.search(detail)
    reason = _TOML_POSITION.sub("", detail)
    if match and match.group(1):
        where = _l("line %(line)s, column %(column)s", line=match.group(1), column=match.group(2))
    else:
        where = _l("end of file")
    return Problem(where, _l("not valid TOML: %(reason)s", reason=reason))


def read_sources(paths: Iterable[str | Path], display_base: Path | None = None) -> tuple[list[SourceFile], list[str]]:
    """Read the ``.toml`` files at ``paths`` (files, or folders whose ``*.toml`` are taken, sorted).

    :return: the files read and a message for each path that could not be read.
    """
    base = display_base or Path.cwd()
    sources: list[SourceFile] = []
    errors: list[str] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(p for p in path.glob("*.toml") if p.is_file())
            if not found:
                errors.append(Problem("", _l("no .toml file in this folder")).format(_display(path, base)))
            files = found
        else:
            files = [path]
        for file in files:
            name = _display(file, base)
            try:
                if file.stat().st_size > MAX_FILE_BYTES:
                    errors.append(Problem("", _l("the file is larger than 1 MB")).format(name))
                    continue
                sources.append(SourceFile(name, file.read_bytes().decode("utf-8")))
            except FileNotFoundError:
                errors.append(Problem("", _l("no such file or folder")).format(name))
            except UnicodeDecodeError:
                errors.append(Problem("", _l("the file is not UTF-8 text")).format(name))
            except OSError as exc:
                errors.append(Problem("", _l("cannot read the file: %(error)s", error=exc.strerror or exc)).format(name))
    return sources, errors


def _display(path: Path, base: Path) -> str:
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path)


def check_sources(sources: Sequence[SourceFile]) -> list[Checked]:
    """Validate each file, then what only shows across files: one form version defined twice."""
    checked = []
    first: dict[tuple[str, int], str] = {}
    for source in sources:
        definition, problems = parse(source.text)
        named = inputs.text_problem(source.name)
        if named is not None:
            problems.append(Problem(_l("file name"), named))
            definition = None
        if definition is not None:
            key = (definition.id, definition.version)
            if key in first:
                problems.append(Problem("form", _l(
                    "form %(id)s version %(version)s is also defined in %(other)s",
                    id=definition.id, version=definition.version, other=first[key])))
                definition = None
            else:
                first[key] = source.name
        checked.append(Checked(source, definition, tuple(problems)))
    return checked


class _Checker:
    """Walks the parsed TOML, collecting every problem instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        #: The form's ``finding_below``: what a scale item without its own counts as a finding.
        self.finding_below: int | None = None

    def add(self, where: object, message: object) -> None:
        self.problems.append(Problem(where, message))

    # --- generic value checks; each returns the value, or None after recording a problem --------------

    def unknown_keys(self, table: dict[str, Any], allowed: Sequence[str], where: object) -> None:
        for key in table:
            if key in allowed:
                continue
            hint = difflib.get_close_matches(key, allowed, n=1)
            if hint:
                self.add(where, _l("unknown key %(key)s (did you mean %(hint)s?)", key=key, hint=hint[0]))
            else:
                self.add(where, _l("unknown key %(key)s (allowed: %(allowed)s)", key=key, allowed=", ".join(allowed)))

    def string(self, table: dict[str, Any], key: str, where: object, *, required: bool = False,
               limit: int = MAX_TITLE) -> str | None:
        value = table.get(key)
        if value is None:
            if required:
                self.add(where, _l("%(key)s is missing", key=key))
            return None
        if not isinstance(value, str):
            self.add(where, _l("%(key)s must be a string", key=key))
            return None
        value = value.strip()
        if not value:
            self.add(where, _l("%(key)s must not be empty", key=key))
            return None
        if len(value) > limit:
            self.add(where, _l("%(key)s is too long (at most %(n)s characters)", key=key, n=limit))
            return None
        return value

    def identifier(self, table: dict[str, Any], where: object) -> str | None:
        value = self.string(table, "id", where, required=True, limit=MAX_ID)
        if value is not None and not ID_PATTERN.match(value):
            self.add(where, _l("id %(id)s may only use lower-case letters, digits and single - or _ between them",
                               id=value))
            return None
        return value

    def positive_int(self, table: dict[str, Any], key: str, where: object, limit: int) -> int | None:
        value = table.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.add(where, _l("%(key)s must be a positive integer", key=key))
            return None
        if value > limit:
            self.add(where, _l("%(key)s must be at most %(n)s", key=key, n=limit))
            return None
        return value

    def boolean(self, table: dict[str, Any], key: str, where: object) -> bool:
        value = table.get(key, False)
        if not isinstance(value, bool):
            self.add(where, _l("%(key)s must be true or false", key=key))
            return False
        return value

    def choice(self, table: dict[str, Any], key: str, where: object, choices: Sequence[str],
               default: str | None = None) -> str | None:
        if key not in table and default is None:
            self.add(where, _l("%(key)s is missing", key=key))
            return None
        value = table.get(key, default)
        if not isinstance(value, str) or value not in choices:
            self.add(where, _l("%(key)s must be one of %(choices)s", key=key, choices=" | ".join(choices)))
            return None
        return value

    def choice_list(self, table: dict[str, Any], key: str, where: object, choices: Sequence[str]) -> list[str] | None:
        value = table[key]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.add(where, _l("%(key)s must be a list of strings from %(choices)s", key=key, choices=" | ".join(choices)))
            return None
        if not value:
            self.add(where, _l("%(key)s must not be empty", key=key))
            return None
        ok = True
        for bad in [v for v in value if v not in choices]:
            self.add(where, _l("%(key)s: unknown value %(value)s (use %(choices)s)", key=key, value=bad,
                               choices=" | ".join(choices)))
            ok = False
        for twice in sorted({v for v in value if value.count(v) > 1}):
            self.add(where, _l("%(key)s lists %(value)s twice", key=key, value=twice))
            ok = False
        return value if ok else None

    def table(self, data: dict[str, Any], key: str, where: object) -> dict[str, Any] | None:
        value = data.get(key)
        if value is None:
            self.add(where, _l("the file has no [%(key)s] table", key=key))
            return None
        if not isinstance(value, dict):
            self.add(where, _l("%(key)s must be a table ([%(key)s])", key=key))
            return None
        return value

    def tables(self, data: dict[str, Any], key: str, where: object) -> list[dict[str, Any]] | None:
        value = data.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.add(where, _l("%(key)s must be an array of tables ([[%(key)s]])", key=key))
            return None
        return value

    # --- the checklist structure -------------------------------------------------------------------------

    def form(self, data: dict[str, Any]) -> Definition | None:
        self.unknown_keys(data, TOP_KEYS, "")
        form = self.table(data, "form", "form")
        form_id = version = title = title_en = description = description_en = None
        form_visits = tuple(VisitType)
        if form is not None:
            self.unknown_keys(form, FORM_KEYS, "form")
            form_id = self.identifier(form, "form")
            if "version" in form:
                version = self.positive_int(form, "version", "form", MAX_VERSION)
            else:
                self.add("form", _l("%(key)s is missing", key="version"))
            title = self.string(form, "title", "form", required=True)
            title_en = self.string(form, "title_en", "form")
            description = self.string(form, "description", "form", limit=MAX_LONG_TEXT)
            description_en = self.string(form, "description_en", "form", limit=MAX_LONG_TEXT)
            if "finding_below" in form:
                self.finding_below = self.positive_int(form, "finding_below", "form", MAX_POINTS)
            if "visit_types" in form:
                chosen = self.choice_list(form, "visit_types", "form", VISIT_TYPES)
                form_visits = tuple(VisitType(v) for v in chosen) if chosen else form_visits
            else:
                self.add("form", _l("%(key)s is missing", key="visit_types"))

        raw_sections = self.tables(data, "section", "")
        if raw_sections == []:
            self.add("", _l("the form has no section ([[section]])"))
        sections = self.sections(raw_sections or [], form_visits)
        if raw_sections and len(sections) == len(raw_sections):
            # Judged only on a complete set of sections, so a broken section cannot cause a false alarm.
            items = [item for section in sections for item in section.items]
            if not any(item.scored for item in items):
                self.add("", _l("the form has no scored item (check, count or scale)"))
            else:
                self.coverage(items, form_visits)
        if self.problems or form is None:
            return None
        return Definition(
            id=form_id or "", version=version or 0, title=title or "", title_en=title_en,
            description=description, description_en=description_en, visit_types=form_visits, sections=tuple(sections),
        )

    def sections(self, raw_sections: list[dict[str, Any]], form_visits: tuple[VisitType, ...]) -> list[Section]:
        sections: list[Section] = []
        seen: set[str] = set()
        position = 0
        for index, raw in enumerate(raw_sections, start=1):
            section_id = self.identifier(raw, f"section[{index}]")
            where = section_id or f"section[{index}]"
            if section_id is not None and section_id in seen:
                self.add(where, _l("duplicate section id %(id)s", id=section_id))
            seen.add(section_id or "")
            self.unknown_keys(raw, SECTION_KEYS, where)
            title = self.string(raw, "title", where, required=True)
            title_en = self.string(raw, "title_en", where)
            raw_items = self.tables(raw, "item", where)
            if raw_items == []:
                self.add(where, _l("the section has no items ([[section.item]])"))
            items = []
            item_ids: set[str] = set()
            for item_index, raw_item in enumerate(raw_items or [], start=1):
                position += 1
                item = self.item(raw_item, where, section_id or "", item_index, position, item_ids, form_visits)
                if item is not None:
                    items.append(item)
            if section_id and title and raw_items and len(items) == len(raw_items):
                sections.append(Section(id=section_id, title=title, title_en=title_en, items=tuple(items)))
        return sections

    def item(self, raw: dict[str, Any], section_where: str, section_id: str, index: int, position: int,
             seen: set[str], form_visits: tuple[VisitType, ...]) -> Item | None:
        item_id = self.identifier(raw, f"{section_where}.item[{index}]")
        where = f"{section_where}.{item_id}" if item_id else f"{section_where}.item[{index}]"
        if item_id is not None and item_id in seen:
            self.add(where, _l("duplicate item id %(id)s in this section", id=item_id))
            item_id = None
        seen.add(item_id or "")
        before = len(self.problems)
        self.unknown_keys(raw, ITEM_KEYS, where)
        text = self.string(raw, "text", where, required=True, limit=MAX_TEXT)
        text_en = self.string(raw, "text_en", where, limit=MAX_TEXT)
        kind_name = self.choice(raw, "kind", where, [k.value for k in ItemKind])
        kind = ItemKind(kind_name) if kind_name else None
        points = per = None
        if kind is not None and kind.scored:
            if "points" in raw:
                points = self.positive_int(raw, "points", where, MAX_POINTS)
            else:
                self.add(where, _l("points is missing (%(kind)s items are scored)", kind=kind.value))
        if kind is ItemKind.COUNT:
            per = self.positive_int(raw, "per", where, MAX_POINTS) if "per" in raw else 1
        self.only_for(raw, kind, where, "points", (ItemKind.CHECK, ItemKind.COUNT, ItemKind.SCALE))
        self.only_for(raw, kind, where, "per", (ItemKind.COUNT,))
        self.only_for(raw, kind, where, "redline", (ItemKind.CHECK, ItemKind.COUNT))
        self.only_for(raw, kind, where, "required", (ItemKind.TEXT, ItemKind.STAFF))
        self.only_for(raw, kind, where, "finding_below", (ItemKind.SCALE,))
        finding_below = self.finding_below if kind is ItemKind.SCALE else None
        if "finding_below" in raw and kind is ItemKind.SCALE:
            finding_below = self.positive_int(raw, "finding_below", where, points or MAX_POINTS)
        redline = self.boolean(raw, "redline", where)
        required = self.boolean(raw, "required", where)
        evidence = self.choice(raw, "evidence", where, [e.value for e in EvidenceRule], default=EvidenceRule.NONE.value)
        if evidence == EvidenceRule.ON_FAIL.value and kind is not None and not kind.scored:
            self.add(where, _l("evidence = \"on-fail\" needs an item that can fail (check, count or scale)"))
        visit_types = hall_types = None
        if "visit_types" in raw:
            visit_types = self.choice_list(raw, "visit_types", where, VISIT_TYPES)
            for outside in [v for v in visit_types or [] if VisitType(v) not in form_visits]:
                self.add(where, _l("visit type %(value)s is not among the form's visit_types", value=outside))
        if "hall_types" in raw:
            hall_types = self.choice_list(raw, "hall_types", where, HALL_TYPES)
        guidance = self.string(raw, "guidance", where, limit=MAX_LONG_TEXT)
        guidance_en = self.string(raw, "guidance_en", where, limit=MAX_LONG_TEXT)
        integrity = self.boolean(raw, "integrity", where)
        expected = self.expected(raw, kind, points, integrity, redline, where)
        if len(self.problems) > before or item_id is None or kind is None or text is None:
            return None
        return Item(
            key=f"{section_id}.{item_id}", id=item_id, section_id=section_id, text=text, text_en=text_en, kind=kind,
            position=position, points=points, per=per, redline=redline, evidence=EvidenceRule(evidence or "none"),
            visit_types=None if visit_types is None else tuple(VisitType(v) for v in visit_types),
            hall_types=None if hall_types is None else tuple(HallType(v) for v in hall_types),
            guidance=guidance, guidance_en=guidance_en, required=required, integrity=integrity, expected=expected,
            finding_below=finding_below,
        )

    def expected(self, raw: dict[str, Any], kind: ItemKind | None, points: int | None, integrity: bool,
                 redline: bool, where: str) -> str | int | None:
        """An integrity question's expected answer: required with ``integrity = true``, legal for the kind."""
        self.only_for(raw, kind, where, "integrity", (ItemKind.CHECK, ItemKind.COUNT, ItemKind.SCALE))
        if not integrity:
            if "expected" in raw:
                self.add(where, _l("expected is only for integrity questions (integrity = true)"))
            return None
        if redline:
            self.add(where, _l("an integrity question is never scored, so it cannot be a red line"))
        if "expected" not in raw:
            self.add(where, _l("expected is missing (the answer a supervisor who was there gives)"))
            return None
        value = raw["expected"]
        if kind is None or (kind is ItemKind.SCALE and points is None):
            return None
        probe = Item(key="", id="", section_id="", text="", kind=kind, position=0, points=points)
        problem = scoring.answer_problem(probe, value)
        if problem is not None:
            self.add(where, _l("expected %(value)s is not a possible answer: %(problem)s", value=repr(value),
                               problem=problem))
            return None
        return value  # type: ignore[no-any-return]

    def only_for(self, raw: dict[str, Any], kind: ItemKind | None, where: str, key: str,
                 kinds: tuple[ItemKind, ...]) -> None:
        if key in raw and kind is not None and kind not in kinds:
            self.add(where, _l("%(key)s is only for %(kinds)s items (this one is %(kind)s)",
                               key=key, kinds=", ".join(k.value for k in kinds), kind=kind.value))

    def coverage(self, items: list[Item], form_visits: tuple[VisitType, ...]) -> None:
        """Every visit the form allows must have something to score, or such a visit could never get a score."""
        for visit_type in form_visits:
            for hall_type in HallType:
                if not any(item.scored and item.applies(visit_type, hall_type) for item in items):
                    self.add("", _l("no scored item applies to %(visit)s visits at %(hall)s halls",
                                    visit=visit_type.value, hall=hall_type.value))
