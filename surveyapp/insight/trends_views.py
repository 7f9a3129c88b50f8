"""Insight pages: trends. The market department sees the company's, a unit's or a hall's score over the last 12
months with each checklist section's trend, and the item × unit heat map of failure rates; a hall manager sees
their own halls' trends (published months only). Every chart has its numbers in a table and an Excel download."""
from __future__ import annotations

from fractions import Fraction
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from surveyapp import nav
from surveyapp.assessment import services as assessment
from surveyapp.assessment.export import XLSX_TYPE
from surveyapp.auth.access import roles_required
from surveyapp.auth.models import Role
from surveyapp.charts import line_chart
from surveyapp.db import db
from surveyapp.errors import NotFound, ValidationError
from surveyapp.insight import trends
from surveyapp.insight.trends_chart import CHART_ROWS, heat_chart
from surveyapp.org.forms import unit_choices
from surveyapp.org.models import Hall, Unit
from surveyapp.org.queries import flatten, unit_tree
from surveyapp.tabular import Sheet, write_xlsx

bp = Blueprint("insight_trends", __name__, url_prefix="/insight/trends")
nav.register("insight_trends.index", _l("Trends"), (Role.MARKET,), order=68, group="results")
nav.register("insight_trends.heatmap", _l("Where to act"), (Role.MARKET,), order=69, group="results")
nav.register("insight_trends.mine", _l("My hall's trend"), (Role.HALL_MANAGER,), order=40, group="results")


def score_text(value: Fraction | None) -> str:
    """A score or a failure rate in per cent for people: half-up, one decimal; a dash for none."""
    shown = assessment.display(value)
    return "–" if shown is None else str(shown)


def _period() -> str:
    return assessment.parse_period(request.args.get("period") or assessment.current_period())


def _unit() -> Unit | None:
    code = request.args.get("unit", "").strip()
    return assessment.find_unit(db.session, code) if code else None


def _hall(code: str) -> Hall:
    """The hall with ``code`` as the acting user may see it: any hall for the market department, a hall manager's
    own halls only (another hall is reported exactly like a missing one)."""
    hall = db.session.scalar(sa.select(Hall).where(Hall.code == code))
    if hall is None or (current_user.role is Role.HALL_MANAGER and hall not in current_user.halls):
        raise NotFound(_("No hall has the code %(code)s.", code=code))
    return hall


def _trend_page(period: str, unit: Unit | None, hall: Hall | None) -> dict[str, Any]:
    published_only = current_user.role is Role.HALL_MANAGER
    trend = trends.score_trend(db.session, period, unit=unit, hall=hall, published_only=published_only)
    months = [p.period for p in trend.points]
    sections = trends.section_trends(db.session, period, unit=unit, hall=hall,
                                     only=[p.period for p in trend.points if p.published] if published_only else None)
    whose = hall.name if hall else unit.name if unit else _("the whole company")
    chart = line_chart([(p.period[2:], None if p.score is None else float(p.score), score_text(p.score))
                        for p in trend.points], _("Score by month: %(whose)s", whose=whose),
                       [(name, float(minimum)) for name, minimum in trend.bands])
    section_charts = [
        (s, line_chart([(m[2:], None if s.rate(m) is None else float(s.rate(m)), score_text(s.rate(m)))  # type: ignore[arg-type]
                        for m in months], _("%(section)s: share of points earned by month", section=s.title)))
        for s in sections]
    return {"trend": trend, "chart": chart, "sections": section_charts, "months": months, "whose": whose,
            "period": period, "hall": hall, "unit": unit, "published_only": published_only,
            "previous": assessment.shift_period(period, -1), "next": assessment.shift_period(period, 1),
            "score_text": score_text}


@bp.get("/")
@roles_required(Role.MARKET)
def index() -> Any:
    """The company's or a unit's score by month for 12 months, with the band lines, and each section's trend."""
    try:
        context = _trend_page(_period(), _unit(), None)
    except (ValidationError, NotFound) as exc:
        return render_template("insight/trends.html", error=str(exc.message), units=_unit_options(),
                               period=request.args.get("period", ""), unit=None, hall=None), 400
    return render_template("insight/trends.html", error=None, units=_unit_options(), **context)


@bp.get("/hall/<code>")
@roles_required(Role.MARKET, Role.HALL_MANAGER)
def hall(code: str) -> Any:
    """One hall's score by month and its sections' trends (a hall manager: own halls, published months)."""
    found = _hall(code)
    try:
        context = _trend_page(_period(), None, found)
    except ValidationError as exc:
        return render_template("insight/trends.html", error=str(exc.message), units=[],
                               period=request.args.get("period", ""), unit=None, hall=found), 400
    return render_template("insight/trends.html", error=None, units=[], **context)


@bp.get("/mine")
@roles_required(Role.HALL_MANAGER)
def mine() -> Any:
    """A hall manager's way in: their hall's trend, or a choice among their halls."""
    halls = list(current_user.halls)
    if len(halls) == 1:
        return redirect(url_for(".hall", code=halls[0].code))
    return render_template("insight/trends_mine.html", halls=halls)


def _trend_workbook(context: dict[str, Any]) -> bytes:
    months = context["months"]
    scores = Sheet(_("Score by month"), [_("Month"), _("Score"), _("Halls assessed"), _("Published")],
                   [[p.period, assessment.display(p.score), p.halls, _("yes") if p.published else _("no")]
                    for p in context["trend"].points])
    sections = Sheet(_("Sections"), [_("Checklist"), _("Section"), *months],
                     [[s.checklist, s.title, *[assessment.display(s.rate(m)) for m in months]]
                      for s, _chart in context["sections"]])
    return write_xlsx([scores, sections])


def _download(data: bytes, name: str) -> Response:
    return Response(data, mimetype=XLSX_TYPE, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/trend.xlsx")
@roles_required(Role.MARKET)
def trend_xlsx() -> Any:
    """The company's or a unit's trend as an Excel workbook."""
    try:
        context = _trend_page(_period(), _unit(), None)
    except (ValidationError, NotFound) as exc:
        return Response(str(exc.message), status=400, mimetype="text/plain")
    unit = context["unit"]
    return _download(_trend_workbook(context), f"trend-{context['period']}{'-' + unit.code if unit else ''}.xlsx")


@bp.get("/hall/<code>.xlsx")
@roles_required(Role.MARKET, Role.HALL_MANAGER)
def hall_xlsx(code: str) -> Any:
    """One hall's trend as an Excel workbook."""
    found = _hall(code)
    try:
        context = _trend_page(_period(), None, found)
    except ValidationError as exc:
        return Response(str(exc.message), status=400, mimetype="text/plain")
    return _download(_trend_workbook(context), f"trend-{context['period']}-{found.code}.xlsx")


def _span() -> str:
    return request.args.get("span") or trends.quarter_of(assessment.current_period())


@bp.get("/heatmap")
@roles_required(Role.MARKET)
def heatmap() -> Any:
    """The item × unit heat map of failure rates for a month or a quarter: which standard fails where."""
    try:
        found = trends.heat_map(db.session, _span())
    except ValidationError as exc:
        return render_template("insight/heatmap.html", error=str(exc.message), span=request.args.get("span", "")), 400
    labels = [name for _code, name in found.units]
    chart = heat_chart([(row.text, [(row.cell_rate(code), _percent(row.cell_rate(code))) for code, _n in found.units])
                        for row in found.rows[:CHART_ROWS]], labels,
                       _("Failure rate of each item by unit, %(span)s", span=found.span))
    return render_template("insight/heatmap.html", error=None, heat=found, chart=chart, span=found.span,
                           chart_rows=CHART_ROWS, percent=_percent, spans=_spans(found.span))


def _percent(rate: Fraction | None) -> str:
    return "–" if rate is None else f"{assessment.display(rate * 100, 0)}%"


def _spans(span: str) -> dict[str, str]:
    """The neighbouring months or quarters of ``span``."""
    if "-Q" in span:
        first = trends.parse_span(span)[1][0]
        return {"previous": trends.quarter_of(assessment.shift_period(first, -3)),
                "next": trends.quarter_of(assessment.shift_period(first, 3))}
    return {"previous": assessment.shift_period(span, -1), "next": assessment.shift_period(span, 1)}


@bp.get("/heatmap.xlsx")
@roles_required(Role.MARKET)
def heatmap_xlsx() -> Any:
    """The heat map as an Excel workbook: rate, failures and answers per item and unit."""
    try:
        found = trends.heat_map(db.session, _span())
    except ValidationError as exc:
        return Response(str(exc.message), status=400, mimetype="text/plain")
    headers = [_("Checklist"), _("Item"), _("Section"), _("Failure rate (%)"), _("Failures"), _("Answers counted")]
    for _code, name in found.units:
        headers += [_("%(unit)s: failure rate (%%)", unit=name), _("%(unit)s: failures", unit=name),
                    _("%(unit)s: answers counted", unit=name)]
    rows = []
    for row in found.rows:
        cells: list[Any] = [row.checklist, row.text, row.section_title, _rate_number(row.rate), row.failures, row.answered]
        for code, _name in found.units:
            failures, answered = row.cells.get(code, (0, 0))
            cells += [_rate_number(row.cell_rate(code)), failures, answered]
        rows.append(cells)
    return _download(write_xlsx([Sheet(_("Failure rates"), headers, rows)]), f"heatmap-{found.span}.xlsx")


def _rate_number(rate: Fraction | None) -> Any:
    return None if rate is None else assessment.display(rate * 100, 1)


def _unit_options() -> list[Any]:
    return unit_choices(flatten(unit_tree(db.session)), by_code=True)
