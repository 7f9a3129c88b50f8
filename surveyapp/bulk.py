"""Bulk import and export of records (units, halls, staff, users) as spreadsheet files.

Each kind of record declares its columns and two functions: one that applies parsed rows through the
capability's services, one that lists the records for export. The CLI and the upload pages both go
through :func:`import_file`, so they accept the same files and report the same per-row errors. An import
is all-or-nothing: the caller commits only when no row has an error, and otherwise rolls back.

Infrastructure: it knows no capability. The acting user is whatever account object the capabilities pass on,
roles are their plain values (``"admin"``), and the audit trail hears of each import through :data:`imported`.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from blinker import Namespace
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from surveyapp.errors import ValidationError
from surveyapp.i18n import localized
from surveyapp.tabular import Sheet, Table, read_table, write_xlsx

T = TypeVar("T")
#: At most this many row errors are listed; the count of the others is given.
MAX_LISTED_ERRORS = 500

#: ``send(session, actor=account | None, kind="halls", filename=..., report=Report)``: an import was written (not yet
#: committed); the audit trail records it in the same transaction.
imported = Namespace().signal("bulk-imported")


@dataclass(frozen=True)
class Column:
    """A column of an import file. Its header may be the key, the English or the Chinese name, or an alias."""

    key: str
    zh: str
    en: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    #: What to write in the column, for the instructions sheet of the template (a lazy string).
    help: Any = None

    @property
    def header(self) -> str:
        """The column name in the user's language, as exports and templates write it."""
        return localized(self.zh, self.en)

    def names(self) -> set[str]:
        return {normalize_header(n) for n in (self.key, self.zh, self.en, *self.aliases)}


def normalize_header(text: str) -> str:
    """Header comparison ignores case, spaces, underscores, hyphens and a required-marker ``*``."""
    return re.sub(r"[\s_\-*＊]+", "", text).lower()


class Row:
    """One data row: its number in the sheet and its cells by column key."""

    def __init__(self, number: int, values: dict[str, str]) -> None:
        self.number = number
        self.values = values

    def __getitem__(self, key: str) -> str:
        return self.values.get(key, "").strip()

    def has(self, key: str) -> bool:
        """Whether the file has this column (an absent optional column leaves the field unchanged)."""
        return key in self.values


@dataclass
class Report:
    """What an import did."""

    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def count(self, created: bool, changed: bool) -> None:
        if created:
            self.created += 1
        elif changed:
            self.updated += 1
        else:
            self.unchanged += 1


class RowErrors:
    """Collects the problems of every row, so the user sees them all at once."""

    def __init__(self) -> None:
        self.items: list[tuple[int, str]] = []

    def add(self, row: Row | int, message: object) -> None:
        self.items.append((row.number if isinstance(row, Row) else row, str(message)))

    def __bool__(self) -> bool:
        return bool(self.items)

    def line(self, number: int, message: str) -> str:
        """How one problem is listed."""
        return _("Row %(row)d: %(error)s", row=number, error=message)

    def raise_if_any(self) -> None:
        """:raise ValidationError: listing "Row 12: ..." for each problem, in row order."""
        if not self.items:
            return
        items = sorted(self.items, key=lambda item: item[0])
        lines = [self.line(n, message) for n, message in items[:MAX_LISTED_ERRORS]]
        if len(items) > MAX_LISTED_ERRORS:
            lines.append(_("… and %(n)d more problems.", n=len(items) - MAX_LISTED_ERRORS))
        raise ValidationError(
            _("Nothing was imported: %(n)d problems were found. Correct the file and import it again.", n=len(items)),
            errors=lines,
        )


@dataclass(frozen=True)
class Kind:
    """A kind of record that can be imported and exported."""

    name: str
    #: A lazy string naming the records ("Halls").
    title: Any
    columns: tuple[Column, ...]
    #: ``(session, actor, rows, report)`` creates or updates records; raises ``ValidationError`` with row errors.
    apply: Callable[[Session, Any, list[Row], Report], None]
    #: ``(session, **filters)`` yields one sequence of cell values per record, in column order.
    export: Callable[..., Iterable[Sequence[Any]]]
    #: Builds the export's filter from a list page's query arguments (``None``: export everything).
    filters: Callable[[Any], Any] | None = None
    #: The roles (plain values) that may import and export this kind in the UI.
    roles: tuple[str, ...] = ("admin", "market")
    #: A lazy string explaining what a re-import does.
    notes: Any = None
    extra_help: list[Any] = field(default_factory=list)


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    KINDS[kind.name] = kind
    return kind


def parse_rows(kind: Kind, table: Table) -> list[Row]:
    """Map the file's columns to the kind's columns.

    :raise ValidationError: a header is unknown or repeated, or a required column is missing.
    """
    by_name = {name: column for column in kind.columns for name in column.names()}
    keys: list[str | None] = []
    problems: list[str] = []
    for header in table.headers:
        if not header:
            keys.append(None)
            continue
        column = by_name.get(normalize_header(header))
        if column is None:
            problems.append(_("Unknown column \"%(name)s\".", name=header))
        elif column.key in keys:
            problems.append(_("The column \"%(name)s\" appears twice.", name=header))
        keys.append(column.key if column else None)
    for column in kind.columns:
        if column.required and column.key not in keys:
            problems.append(_("The column \"%(name)s\" is missing.", name=column.header))
    if problems:
        expected = ", ".join(f"{c.header}{'*' if c.required else ''}" for c in kind.columns)
        problems.append(_("The columns are: %(columns)s (* required).", columns=expected))
        raise ValidationError(_("The first row of the file does not have the expected column names."), errors=problems)
    rows = []
    for number, cells in table.rows:
        values = {key: (cells[i] if i < len(cells) else "") for i, key in enumerate(keys) if key}
        extra = [c for i, c in enumerate(cells) if c and (i >= len(keys) or keys[i] is None)]
        if extra:
            # A value under no header would be lost: refuse instead.
            values["__extra__"] = extra[0]
        rows.append(Row(number, values))
    return rows


def _no_progress(stage: str, done: int = 0, total: int = 0) -> None:
    """An import from a page reports its progress to no one."""


#: The stages of an import (``progress(stage)``), for a progress bar.
STAGES = {"read": _l("Reading the file"), "write": _l("Checking and writing the rows"), "record": _l("Recording the import")}


def import_file(session: Session, actor: Any, kind_name: str, filename: str, data: bytes,
                progress: Callable[..., None] = _no_progress) -> Report:
    """Import a CSV or XLSX file of ``kind_name`` records; the caller commits on success.

    :param actor: the acting account, ``None`` for the command line.
    :param progress: hears each of :data:`STAGES` as it begins (rows are checked together, all or nothing).
    :raise ValidationError: with one line per bad row; nothing was changed that the caller must keep.
    """
    kind = KINDS[kind_name]
    progress("read")
    rows = parse_rows(kind, read_table(filename, data))
    if not rows:
        raise ValidationError(_("The file has column names but no data rows."))
    stray = RowErrors()
    for row in rows:
        if "__extra__" in row.values:
            stray.add(row, _("the value \"%(value)s\" is in a column without a name", value=row.values["__extra__"]))
    stray.raise_if_any()
    report = Report(kind=kind.name, rows=len(rows))
    progress("write", 0, len(rows))
    kind.apply(session, actor, rows, report)
    session.flush()
    progress("record")
    imported.send(session, actor=actor, kind=kind.name, filename=filename, report=report)
    return report


def export_xlsx(session: Session, kind_name: str, args: Any = None) -> bytes:
    """All records of a kind (narrowed by a list page's query ``args``) as a workbook that can be imported again."""
    kind = KINDS[kind_name]
    filters = {"filter": kind.filters(args)} if kind.filters and args is not None else {}
    return write_xlsx([Sheet(str(kind.title), [c.header for c in kind.columns], kind.export(session, **filters))])


def template_xlsx(kind_name: str) -> bytes:
    """An empty import file with the column names, and a second sheet explaining each column."""
    kind = KINDS[kind_name]
    help_rows = [[c.header, _("yes") if c.required else _("no"), str(c.help or "")] for c in kind.columns]
    notes = [[str(n), "", ""] for n in ([kind.notes] if kind.notes else []) + list(kind.extra_help)]
    return write_xlsx([
        Sheet(str(kind.title), [c.header for c in kind.columns], []),
        Sheet(_("Instructions"), [_("Column"), _("Required"), _("What to write")], help_rows + notes, widths=[18, 10, 90]),
    ])


def upsert(row: Row, errors: RowErrors, report: Report, existing: T | None, create: Callable[[], T],
           update: Callable[[T], object], set_active: Callable[[T, bool], bool], active: bool | None) -> T | None:
    """Create the record or update ``existing`` through the services, then apply the row's active flag;
    a service's refusal becomes the row's error."""
    try:
        if existing is None:
            obj = create()
            report.count(created=True, changed=active is not None and set_active(obj, active))
            return obj
        changed = bool(update(existing))
        changed = (active is not None and set_active(existing, active)) or changed
        report.count(created=False, changed=changed)
        return existing
    except ValidationError as exc:
        errors.add(row, exc.message)
        return None


# --- cell values ---------------------------------------------------------------------------------

_TRUE = {"1", "true", "yes", "y", "是", "启用", "有效", "在用", "active", "x", "√", "✓"}
_FALSE = {"0", "false", "no", "n", "否", "停用", "无效", "inactive"}


def parse_bool(text: str, default: bool) -> bool | None:
    """``True``/``False`` from the usual spellings (是/否, 1/0, yes/no, 启用/停用), ``default`` for an
    empty cell, ``None`` if unreadable."""
    value = text.strip().lower()
    if not value:
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    return None


def split_codes(text: str) -> list[str]:
    """Codes separated by ``;`` (also ``；``, ``,``, ``，``, ``、`` or spaces, as people type them)."""
    return [c for c in re.split(r"[;；,，、\s]+", text.strip()) if c]


def bool_cell(value: bool) -> str:
    """How exports write a flag: 是/否 or yes/no, which imports read back."""
    return localized("是", "yes") if value else localized("否", "no")
