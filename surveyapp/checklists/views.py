"""Checklist pages for the market department (administrators may read them too): versions, preview, diff, exports.

Checklists change only through their files (``flask forms load``), so every page here reads.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from surveyapp import clock, inputs, nav
from surveyapp.audit import display
from surveyapp.auth.access import roles_required
from surveyapp.auth.models import Role
from surveyapp.checklists import services
from surveyapp.checklists.definition import VisitType
from surveyapp.checklists.diff import diff_definitions
from surveyapp.checklists.export import version_xlsx
from surveyapp.checklists.forms import build_visit_form
from surveyapp.checklists.labels import evidence_label, item_kind_label, visit_type_label
from surveyapp.checklists.models import Checklist, ChecklistVersion
from surveyapp.checklists.scoring import applicable_items
from surveyapp.db import db
from surveyapp.errors import ValidationError
from surveyapp.i18n import localized
from surveyapp.org.models import HallType
from surveyapp.pdf import render_pdf

bp = Blueprint("checklists", __name__, url_prefix="/checklists")
# The labels of checklist definitions, for every template (visits and insight pages show them too).
bp.add_app_template_global(visit_type_label, "visit_type_label")
bp.add_app_template_global(item_kind_label, "item_kind_label")
bp.add_app_template_global(evidence_label, "evidence_label")
#: The market department owns checklists; administrators, who load the files, may check what was loaded.
READERS = (Role.MARKET, Role.ADMIN)
nav.register("checklists.index", _l("Checklists"), READERS, order=30, group="organisation")

_LABEL = re.compile(r"(?P<slug>\S+) v(?P<version>\d{1,9})")


def _version_text(recorded: Any) -> str:
    """A recorded ``slug vN`` as the checklist's title and version, e.g. "营业厅服务规范检查表（第 2 版）" (the audit log shows
    visits' checklists this way)."""
    match = _LABEL.fullmatch(recorded) if isinstance(recorded, str) else None
    if match is None:
        return str(recorded)
    title = db.session.execute(
        sa.select(ChecklistVersion.title, ChecklistVersion.title_en).join(Checklist)
        .where(Checklist.slug == match["slug"], ChecklistVersion.version == int(match["version"]))).first()
    if title is None:  # a version since removed: the recorded words
        return recorded
    return _("%(title)s (version %(n)s)", title=localized(*title), n=match["version"])


display.register_value("checklist", _version_text)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.context_processor
def _helpers() -> dict[str, Any]:
    def local_time(value: Any) -> str:
        return clock.local(value).strftime("%Y-%m-%d %H:%M") if value else ""

    return {"local_time": local_time}


def _download(data: bytes, mimetype: str, filename: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/")
@roles_required(*READERS)
def index() -> Any:
    """Every checklist with its newest version and whether visits use it."""
    summaries = services.list_checklists(db.session)
    return render_template("checklists/index.html", summaries=summaries)


@bp.get("/<slug>")
@roles_required(*READERS)
def checklist(slug: str) -> Any:
    """A checklist's versions, newest first, with item counts and when each was loaded and frozen."""
    found = services.get_checklist(db.session, slug)
    versions = list(reversed(found.versions))
    counts = services.item_counts(db.session, [v.id for v in versions])
    return render_template("checklists/checklist.html", checklist=found, versions=versions, counts=counts)


@bp.get("/<slug>/v<int:version>")
@roles_required(*READERS)
def version(slug: str, version: int) -> Any:
    """One version item by item: kinds, points, red lines, photo rules and where each item applies."""
    found = services.get_version(db.session, slug, version)
    return render_template("checklists/version.html", version=found, definition=found.definition)


def _visit_choice(definition: Any) -> tuple[VisitType, HallType]:
    allowed = definition.visit_types
    try:
        visit_type = VisitType(request.args.get("visit_type", allowed[0].value))
        hall_type = HallType(request.args.get("hall_type", HallType.SELF_RUN.value))
    except ValueError:
        raise ValidationError(_("Choose a visit type and a hall type from the lists.")) from None
    if visit_type not in allowed:
        raise ValidationError(_("This checklist is not used for this kind of visit."))
    return visit_type, hall_type


@bp.get("/<slug>/v<int:version>/preview")
@roles_required(*READERS)
def preview(slug: str, version: int) -> Any:
    """The version exactly as a supervisor sees it on a visit of the chosen type to a hall of the chosen type."""
    found = services.get_version(db.session, slug, version)
    definition = found.definition
    visit_type, hall_type = _visit_choice(definition)
    form = build_visit_form(definition, visit_type, hall_type)(formdata=None, meta={"csrf": False})
    items = applicable_items(definition, visit_type, hall_type)
    return render_template(
        "checklists/preview.html", version=found, definition=definition, form=form, visit_type=visit_type,
        hall_type=hall_type, HallType=HallType, n_items=len(items),
        max_points=sum(i.points or 0 for i in items if i.scored),
    )


@bp.get("/<slug>/diff")
@roles_required(*READERS)
def diff(slug: str) -> Any:
    """What changed between two versions (by default the newest and the one before it)."""
    found = services.get_checklist(db.session, slug)
    numbers = [v.version for v in found.versions]
    new_number = request.args.get("to", type=inputs.whole) or numbers[-1]
    old_number = request.args.get("from", type=inputs.whole) or next((n for n in reversed(numbers) if n < new_number), new_number)
    old = services.get_version(db.session, slug, old_number)
    new = services.get_version(db.session, slug, new_number)
    changes = diff_definitions(old.definition, new.definition) if old.id != new.id else None
    return render_template("checklists/diff.html", checklist=found, old=old, new=new, changes=changes, numbers=numbers)


@bp.get("/<slug>/v<int:version>/export.xlsx")
@roles_required(*READERS)
def export_xlsx(slug: str, version: int) -> Any:
    """The version as an Excel workbook, one row per item."""
    found = services.get_version(db.session, slug, version)
    return _download(version_xlsx(found), XLSX, f"{slug}-v{version}.xlsx")


@bp.get("/<slug>/v<int:version>/blank.pdf")
@roles_required(*READERS)
def blank_pdf(slug: str, version: int) -> Any:
    """A print-ready blank form for paper visits (A4, a box per answer); optionally for one visit and hall type."""
    found = services.get_version(db.session, slug, version)
    definition = found.definition
    visit_type = hall_type = None
    if request.args.get("visit_type") or request.args.get("hall_type"):
        visit_type, hall_type = _visit_choice(definition)
    sections = [
        (section, [i for i in section.items if visit_type is None or i.applies(visit_type, hall_type)])
        for section in definition.sections
    ]
    html = render_template(
        "pdf/checklist.html", definition=definition, version=found, visit_type=visit_type, hall_type=hall_type,
        sections=[replace(section, items=tuple(items)) for section, items in sections if items],
        hall_types=list(HallType), title=localized(definition.title, definition.title_en),
        header=f"{definition.id} v{definition.version}", company=_("Service supervision"),
    )
    suffix = f"-{visit_type.value}-{hall_type.value}" if visit_type and hall_type else ""
    return _download(render_pdf(html), "application/pdf", f"{slug}-v{version}{suffix}.pdf")


@bp.get("/<slug>/v<int:version>/source.toml")
@roles_required(*READERS)
def source(slug: str, version: int) -> Any:
    """The file exactly as loaded (what its SHA-256 was taken of)."""
    found = services.get_version(db.session, slug, version)
    return _download(found.source.encode("utf-8"), "text/plain; charset=utf-8", f"{slug}-v{version}.toml")
