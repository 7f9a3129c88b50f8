"""A month's results as an Excel workbook (openpyxl, streamed row by row so 5,000 halls stay small)."""
from __future__ import annotations

import io
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from surveyapp.assessment import labels
from surveyapp.assessment.results import MonthResults, display

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SCORE_FORMAT = "0.0"
MONEY_FORMAT = "#,##0.00"


def results_workbook(month: MonthResults) -> bytes:
    """The ranking, the halls not assessed and the summary, as ``.xlsx`` bytes. Scores are rounded half-up to one
    decimal as on the page; money is exact."""
    book = Workbook(write_only=True)
    channels = list(month.summary.visits)
    ranking = book.create_sheet(_("Ranking"))
    ranking.freeze_panes = "C2"
    _header(ranking, [_("Rank"), _("Code"), _("Hall"), _("Unit"),
                      *[f"{labels.channel_label(c)} {t}" for c in channels for t in (_("score"), _("visits"))],
                      _("Score"), _("Month-on-month"), _("Band"), _("Red-line visits"), _("Reward"), _("Reward withheld"),
                      _("Penalty"), _("Flags")])
    for hall in month.ranked:
        ranking.append([
            hall.rank, hall.code, hall.name, hall.unit_name,
            *[v for c in channels for v in (_score(ranking, hall.channel_scores[c]), hall.visits[c])],
            _score(ranking, hall.score), _score(ranking, hall.change), hall.band, hall.redline_visits,
            _money(ranking, hall.reward), _money(ranking, hall.reward_withheld), _money(ranking, hall.penalty),
            _(", ").join(labels.flag_label(f) for f in hall.flags),
        ])
    missing = book.create_sheet(_("Not assessed"))
    _header(missing, [_("Code"), _("Hall"), _("Unit"), *[f"{labels.channel_label(c)} {_('visits')}" for c in channels]])
    for hall in month.not_assessed:
        missing.append([hall.code, hall.name, hall.unit_name, *[hall.visits[c] for c in channels]])
    summary = book.create_sheet(_("Summary"))
    s = month.summary
    rows: list[list[Any]] = [
        [_("Month"), month.period],
        [_("Scope of the assessment"), month.unit_name or _("the whole company")],
        [_("Policy version"), month.policy_number],
        [_("Halls listed"), s.halls],
        [_("Halls assessed"), s.assessed],
        *[[f"{labels.channel_label(c)} {_('visits')}", n] for c, n in s.visits.items()],
        [_("Mean score"), _score(summary, s.mean_score)],
        [_("Change from last month"), _score(summary, s.change)],
        [_("Red-line visits"), s.redline_visits],
        *[[_("Band %(name)s", name=band), n] for band, n in s.bands.items()],
        [_("Rewards"), _money(summary, s.rewards)],
        [_("Penalties"), _money(summary, s.penalties)],
    ]
    for row in rows:
        summary.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _header(sheet: WriteOnlyWorksheet, titles: list[str]) -> None:
    cells = []
    for title in titles:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = Font(bold=True)
        cells.append(cell)
    sheet.append(cells)


def _score(sheet: WriteOnlyWorksheet, value: Any) -> Any:
    if value is None:
        return None
    cell = WriteOnlyCell(sheet, value=display(value))
    cell.number_format = SCORE_FORMAT
    return cell


def _money(sheet: WriteOnlyWorksheet, value: Any) -> Any:
    cell = WriteOnlyCell(sheet, value=value)
    cell.number_format = MONEY_FORMAT
    return cell
