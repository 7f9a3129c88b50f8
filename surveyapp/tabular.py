"""Spreadsheet files in and out: CSV (UTF-8, with or without BOM) or XLSX to rows of text, rows to XLSX.

Nothing here knows what the columns mean; :mod:`surveyapp.bulk` maps them to a kind of record.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from surveyapp.errors import ValidationError
from surveyapp.inputs import REFUSED, text_problem

#: The start of every XLSX file (a ZIP archive).
ZIP_MAGIC = b"PK\x03\x04"
#: The start of an old binary Excel file (.xls), which we do not read.
OLE_MAGIC = b"\xd0\xcf\x11\xe0"


@dataclass
class Table:
    """The cells of a sheet as text: the header row and the data rows with their sheet row numbers."""

    headers: list[str]
    #: ``(row number as the spreadsheet shows it, cells)``; empty rows are left out.
    rows: list[tuple[int, list[str]]]


def read_table(filename: str, data: bytes) -> Table:
    """Read the first sheet of an XLSX file or a CSV file (UTF-8, BOM optional).

    :raise ValidationError: the file is empty, of another kind, or not readable.
    """
    name = (filename or "").lower()
    if not data.strip():
        raise ValidationError(_("The file is empty."))
    if data.startswith(OLE_MAGIC) or name.endswith(".xls"):
        raise ValidationError(_("Old Excel files (.xls) cannot be read. Save the file as an Excel workbook (.xlsx) or as CSV UTF-8."))
    if data.startswith(ZIP_MAGIC):
        table = _read_xlsx(data)
    elif name.endswith((".xlsx", ".xlsm")):
        raise ValidationError(_("The file is not a valid Excel workbook."))
    else:
        table = _read_csv(data)
    if not any(table.headers):
        raise ValidationError(_("The first row must hold the column names."))
    return table


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        # Excel stores job numbers typed as numbers as floats: 100101.0 means "100101".
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _rows(raw: Iterable[Sequence[Any]]) -> Table:
    headers: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    problems: list[str] = []
    for number, cells in enumerate(raw, start=1):
        texts = [_cell_text(c) for c in cells]
        if not any(texts):
            continue
        problems.extend(_text_problems(number, texts, headers or []))
        if headers is None:
            headers = texts
        else:
            rows.append((number, texts))
    if problems:
        raise ValidationError(_("The file holds text that cannot be stored; nothing was imported."), errors=problems)
    return Table(headers or [], rows)


def _text_problems(number: int, texts: list[str], headers: list[str]) -> list[str]:
    """The row's cells that break the app's text rule (:mod:`surveyapp.inputs`), each naming row and column."""
    from openpyxl.utils import get_column_letter

    out = []
    for index, text in enumerate(texts):
        problem = text_problem(text)
        if problem is not None:
            header = headers[index] if index < len(headers) and not REFUSED.search(headers[index]) else ""
            column = header or get_column_letter(index + 1)
            out.append(_("Row %(row)d, column %(column)s: %(problem)s.", row=number, column=column, problem=problem))
    return out


def _read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise ValidationError(_("The file is not a valid Excel workbook.")) from exc
    try:
        sheet = workbook.worksheets[0]
        return _rows(sheet.iter_rows(values_only=True))
    finally:
        workbook.close()


def _read_csv(data: bytes) -> Table:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(_("The file is not UTF-8 text. In Excel choose \"Save as\" › \"CSV UTF-8\", or upload the .xlsx workbook.")) from exc
    first_line = text.split("\n", 1)[0]
    # Excel in some locales writes semicolons; a tab-separated export is common too.
    delimiter = max((",", ";", "\t"), key=first_line.count)
    try:
        return _rows(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise ValidationError(_("The CSV file is malformed: %(error)s", error=str(exc))) from exc


@dataclass
class Sheet:
    """One sheet to write: a title, a header row and data rows."""

    title: str
    headers: list[str]
    rows: Iterable[Sequence[Any]]
    #: Column widths in characters (defaults to a width fitting the header).
    widths: Sequence[int] | None = None


def write_xlsx(sheets: Sequence[Sheet]) -> bytes:
    """An XLSX workbook with one sheet per :class:`Sheet`, bold frozen header row."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for spec in sheets:
        sheet = workbook.create_sheet(title=spec.title[:31])
        sheet.freeze_panes = "A2"
        widths = spec.widths or [max(12, len(h) * 2 + 2) for h in spec.headers]
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        header_cells = []
        for header in spec.headers:
            cell = WriteOnlyCell(sheet, value=header)
            cell.font = bold
            header_cells.append(cell)
        sheet.append(header_cells)
        for row in spec.rows:
            sheet.append([_text_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _text_cell(sheet: Any, value: Any) -> Any:
    """Text that starts with ``=`` stays text: a hall named "=HYPERLINK(...)" must not become a formula
    in the exported workbook (spreadsheet formula injection). Characters the text rule refuses, in data
    stored before the rule, are written as U+FFFD: XML cannot hold them."""
    if isinstance(value, str):
        value = REFUSED.sub("\ufffd", value)
    if isinstance(value, str) and value.startswith("="):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
