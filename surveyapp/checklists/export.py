"""A checklist version as an Excel workbook: one row per item, for review and sharing outside the app."""
from __future__ import annotations

import io

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from surveyapp import clock
from surveyapp.checklists.labels import evidence_label, item_kind_label, visit_type_label
from surveyapp.checklists.models import ChecklistVersion
from surveyapp.i18n import localized
from surveyapp.org.labels import hall_type_label

HEADER_FILL = PatternFill("solid", start_color="E8F0FA")
RED = Font(color="B42318", bold=True)
#: Column widths in characters (CJK characters count double in Excel).
WIDTHS = (6, 16, 26, 46, 46, 10, 7, 9, 8, 16, 24, 18, 8, 46, 46, 14)


def version_xlsx(version: ChecklistVersion) -> bytes:
    """The workbook: a header block (form, version, SHA-256, when loaded and frozen), then the items."""
    definition = version.definition
    book = Workbook()
    sheet = book.active
    sheet.title = _("Checklist")[:31]
    sheet.append([localized(definition.title, definition.title_en)])
    sheet["A1"].font = Font(bold=True, size=14)
    facts = [
        (_("Checklist"), definition.id), (_("Version"), definition.version),
        (_("Loaded"), clock.local(version.loaded_at).strftime("%Y-%m-%d %H:%M")),
        (_("In use since"), clock.local(version.frozen_at).strftime("%Y-%m-%d %H:%M") if version.frozen_at else "-"),
        (_("Visit types"), _(", ").join(visit_type_label(v) for v in definition.visit_types)),
        (_("File"), version.source_name), ("SHA-256", version.source_sha256),
    ]
    for label, value in facts:
        sheet.append([label, value])
    sheet.append([])
    header = [_("No."), _("Section"), _("Key"), _("Item (Chinese)"), _("Item (English)"), _("Kind"), _("Point value"),
              _("Per time"), _("Red line"), _("Photo required"), _("Visit types"), _("Hall types"), _("Required"),
              _("Guidance (Chinese)"), _("Guidance (English)"), _("Integrity question: expected answer")]
    sheet.append(header)
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    yes = _("Yes")
    for section in definition.sections:
        for item in section.items:
            sheet.append([
                item.position, localized(section.title, section.title_en), item.key, item.text, item.text_en,
                item_kind_label(item.kind), item.points, item.per, yes if item.redline else "",
                evidence_label(item.evidence),
                _(", ").join(visit_type_label(v) for v in item.visit_types) if item.visit_types else _("All"),
                _(", ").join(hall_type_label(h) for h in item.hall_types) if item.hall_types else _("All"),
                yes if item.required else "", item.guidance, item.guidance_en,
                str(item.expected) if item.integrity else "",
            ])
            if item.redline:
                sheet.cell(row=sheet.max_row, column=9).font = RED
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in sheet.iter_rows(min_row=header_row + 1):
        for cell in row:
            cell.alignment = wrap
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=4)
    sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(len(header))}{sheet.max_row}"
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
