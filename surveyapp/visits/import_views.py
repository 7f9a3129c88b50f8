"""The market department's upload page for visits done on paper or offline (the twin of ``flask visits import``)."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from surveyapp import nav
from surveyapp.auth.access import roles_required
from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.errors import Conflict, ValidationError
from surveyapp.visits import imports
from surveyapp.visits.forms import ImportForm
from surveyapp.visits.rules import VisitSettings

bp = Blueprint("visit_import", __name__, url_prefix="/visits/import")
nav.register("visit_import.upload", _l("Import results"), (Role.MARKET,), order=34, group="visits")


@bp.route("/", methods=["GET", "POST"])
@roles_required(Role.MARKET)
def upload() -> Any:
    """Upload a JSON file of results; on any problem nothing is imported and every problem is listed."""
    form = ImportForm()
    report: imports.ImportReport | None = None
    problem: ValidationError | Conflict | None = None
    status = 200
    if form.validate_on_submit():
        upload = form.file.data
        try:
            report = imports.import_visits(db.session, current_user, upload.read(), upload.filename or "upload.json",
                                           current_user if form.approve.data else None,
                                           accept_late=bool(form.approve.data and form.accept_late.data),
                                           settings=VisitSettings.of(current_app))
        except (ValidationError, Conflict) as exc:
            db.session.rollback()
            problem, status = exc, exc.status
        else:
            db.session.commit()
            flash(_("Import finished: %(records)d records, %(imported)d imported (%(validated)d validated), "
                    "%(unchanged)d unchanged.", records=report.records, imported=report.imported,
                    validated=report.validated, unchanged=report.unchanged), "success")
    elif request.method == "POST":
        status = 400
    return render_template("visits/import.html", form=form, report=report, problem=problem,
                           fields=imports.FIELDS, required=imports.REQUIRED), status
