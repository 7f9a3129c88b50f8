"""Upload pages for bulk imports, template files and XLSX exports (the CLI's twins)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from surveyapp import bulk, clock, nav
from surveyapp.auth.access import roles_required
from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.errors import ValidationError
from surveyapp.tabular import XLSX_MIMETYPE
from surveyapp.webforms import UploadForm

bp = Blueprint("bulk", __name__)
ROLES = (Role.ADMIN, Role.MARKET)
nav.register("bulk.upload", _l("Import"), ROLES, order=30, group="organisation")


def _kinds() -> list[bulk.Kind]:
    """The kinds of records the current user may import and export, in a fixed order."""
    order = ["units", "halls", "staff", "users"]
    kinds = [bulk.KINDS[name] for name in order if name in bulk.KINDS]
    kinds += [k for name, k in sorted(bulk.KINDS.items()) if name not in order]
    return [k for k in kinds if current_user.role in k.roles]


def _kind(name: str) -> bulk.Kind:
    kind = next((k for k in _kinds() if k.name == name), None)
    if kind is None:
        abort(404)
    return kind


def _xlsx(data: bytes, stem: str) -> Response:
    filename = f"{stem}-{clock.local(clock.now()):%Y%m%d-%H%M}.xlsx" if stem.startswith("export") else f"{stem}.xlsx"
    return Response(data, mimetype=XLSX_MIMETYPE, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.route("/import", methods=["GET", "POST"])
@roles_required(*ROLES)
def upload() -> Any:
    """Upload a CSV or XLSX file of ``?kind=`` records; on errors nothing is written and every bad row is listed."""
    kinds = _kinds()
    kind = _kind(request.args.get("kind") or kinds[0].name)
    form = UploadForm()
    report: bulk.Report | None = None
    problem: ValidationError | None = None
    status = 200
    if form.validate_on_submit():
        upload = form.file.data
        try:
            report = bulk.import_file(db.session, current_user, kind.name, upload.filename or "upload", upload.read())
        except ValidationError as exc:
            db.session.rollback()
            problem, status = exc, 400
        else:
            db.session.commit()
            flash(_("Import finished: %(rows)d rows, %(created)d created, %(updated)d updated, %(unchanged)d unchanged.",
                    rows=report.rows, created=report.created, updated=report.updated, unchanged=report.unchanged), "success")
    elif request.method == "POST":
        status = 400
    return render_template("bulk/upload.html", form=form, kind=kind, kinds=kinds, report=report, problem=problem), status


@bp.get("/import/template/<kind_name>.xlsx")
@roles_required(*ROLES)
def template(kind_name: str) -> Any:
    """An empty import file with the column names and an instructions sheet."""
    kind = _kind(kind_name)
    return _xlsx(bulk.template_xlsx(kind.name), f"{kind.name}-template")


@bp.get("/export/<kind_name>.xlsx")
@roles_required(*ROLES)
def export(kind_name: str) -> Any:
    """The records a list page shows (same filters, every page) as an XLSX file that can be imported again."""
    kind = _kind(kind_name)
    return _xlsx(bulk.export_xlsx(db.session, kind.name, request.args), f"export-{kind.name}")
