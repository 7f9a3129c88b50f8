"""Assessment pages (market department): the month's live results with export, and the policy with its history."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from math import ceil
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from surveyapp import inputs, jobs, nav
from surveyapp.assessment import export, exporting, labels, services
from surveyapp.assessment import policy as policy_rules
from surveyapp.assessment.forms import PolicyForm
from surveyapp.assessment.results import HallResult, MonthResults
from surveyapp.auth.access import roles_required
from surveyapp.auth.models import Role
from surveyapp.checklists.models import ChecklistItem
from surveyapp.db import db
from surveyapp.errors import Conflict, NotFound, ValidationError
from surveyapp.i18n import localized
from surveyapp.org.forms import unit_choices
from surveyapp.org.queries import flatten, unit_tree
from surveyapp.pagination import Page

bp = Blueprint("assessment", __name__, url_prefix="/assessment")
nav.register("assessment.results", _l("Monthly results"), (Role.MARKET,), order=60, group="results")
nav.register("assessment.policy", _l("Assessment policy"), (Role.MARKET,), order=65, group="results")

#: Sort keys of the ranking table: how to read the key from a hall's line; ``None`` values always go last.
SORTS: dict[str, Callable[[HallResult], Any]] = {
    "rank": lambda h: h.rank,
    "code": lambda h: h.code,
    "unit": lambda h: (h.unit_name, h.code),
    "score": lambda h: h.score,
    "change": lambda h: h.change,
    "reward": lambda h: h.reward,
    "penalty": lambda h: h.penalty,
    "redline": lambda h: h.redline_visits,
    **{c: (lambda h, c=c: h.channel_scores[c]) for c in labels.CHANNEL},
}
#: Sorts that read best from the highest value down when first chosen.
DESCENDING_FIRST = {"score", "change", "reward", "penalty", "redline", *labels.CHANNEL}
#: Halls without a score shown on the page (all of them are in the Excel export).
NOT_ASSESSED_SHOWN = 200


@dataclass(frozen=True)
class Published:
    """The notice revision whose frozen results a page shows."""

    number: int
    published_at: dt.datetime


def _month_asked() -> tuple[str, MonthResults, Published | None]:
    """The month, unit and policy version the query string asks for (``period``, ``unit``, ``policy``): a
    published month's results as published (the halls of ``unit`` among them), else assessed live; an explicit
    ``policy`` always assesses live (a what-if)."""
    period = services.parse_period((request.args.get("period") or services.current_period()).strip())
    unit_code = request.args.get("unit", "").strip()
    number = request.args.get("policy", type=inputs.whole)
    month, frozen = exporting.month_results(db.session, period, unit_code, number)
    return unit_code, month, Published(*frozen) if frozen is not None else None


@bp.get("/results")
@roles_required(Role.MARKET)
def results() -> Any:
    """The month's ranking, live from the validated visits: for the company or a unit and the units below it."""
    try:
        unit_code, month, published = _month_asked()
    except (ValidationError, NotFound) as exc:
        return render_template("assessment/results.html", month=None, error=str(exc.message),
                               period=request.args.get("period", ""), unit_code=request.args.get("unit", ""),
                               units=_unit_options(), versions=services.policy_versions(db.session)), 400
    sort = request.args.get("sort", "rank")
    sort = sort if sort in SORTS else "rank"
    descending = request.args.get("dir", "desc" if sort in DESCENDING_FIRST else "asc") == "desc"
    # The ranked lines come in rank order: sorting 5,000 of them again was a third of the page's time.
    rows = month.ranked if (sort, descending) == ("rank", False) else sorted_lines(month.ranked, SORTS[sort], descending)
    per_page = current_app.config["PAGE_SIZE"]
    number = min(max(1, request.args.get("page", 1, type=inputs.whole)), max(1, ceil(len(rows) / per_page)))
    page = Page(rows[(number - 1) * per_page:number * per_page], number, per_page, len(rows))
    return render_template(
        "assessment/results.html", month=month, page=page, sort=sort, descending=descending, period=month.period,
        unit_code=unit_code, units=_unit_options(), previous=services.shift_period(month.period, -1),
        next=services.shift_period(month.period, 1), not_assessed=month.not_assessed[:NOT_ASSESSED_SHOWN],
        channels=list(labels.CHANNEL), error=None, versions=services.policy_versions(db.session), published=published,
    )


def sorted_lines(lines: Sequence[HallResult], key: Callable[[HallResult], Any], descending: bool) -> list[HallResult]:
    """Lines by ``key`` (ties by rank, then code), lines without a value last whatever the direction."""
    present = [h for h in lines if key(h) is not None]
    missing = [h for h in lines if key(h) is None]
    present.sort(key=lambda h: (h.rank or 0, h.code))
    present.sort(key=key, reverse=descending)
    return present + missing


def _unit_options() -> list[Any]:
    """Every unit, indented by its depth in the tree, valued by its code."""
    return unit_choices(flatten(unit_tree(db.session)), by_code=True)


@bp.get("/results.xlsx")
@roles_required(Role.MARKET)
def results_xlsx() -> Any:
    """The month's results as an Excel workbook: ranking, halls not assessed, summary (a published month's as
    published). For a company of more than ``EXPORT_JOB_ROWS`` halls a background job makes it: the answer is its
    progress page, which downloads it."""
    if exporting.too_large(db.session):
        job = jobs.start(db.session, current_user, "results_xlsx", exporting.params(
            (request.args.get("period") or services.current_period()).strip(), request.args.get("unit", "").strip(),
            request.args.get("policy", type=inputs.whole)))
        db.session.commit()
        jobs.enqueue(job)
        return redirect(url_for("jobs.progress", job_id=job.id))
    _, month, _published = _month_asked()
    return Response(export.results_workbook(month), mimetype=export.XLSX_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{exporting.file_name(month)}"'})


# --- the policy -------------------------------------------------------------------------------------


@bp.get("/policy")
@roles_required(Role.MARKET)
def policy() -> Any:
    """The policy in force, setting by setting."""
    version = services.current_policy(db.session)
    return render_template("assessment/policy.html", version=version, current=True, section_titles=dict(_section_ids()))


@bp.get("/policy/versions/<int:number>")
@roles_required(Role.MARKET)
def policy_version(number: int) -> Any:
    """One version of the policy as it was."""
    version = services.policy_version(db.session, number)
    current = services.current_policy(db.session).number == number
    return render_template("assessment/policy.html", version=version, current=current,
                           section_titles=dict(_section_ids()))


@bp.get("/policy/export")
@roles_required(Role.MARKET)
def policy_export() -> Any:
    """The policy (or ``?version=N``) as a TOML file for ``flask policy load`` and review in git."""
    number = request.args.get("version", type=inputs.whole)
    version = services.current_policy(db.session) if number is None else services.policy_version(db.session, number)
    return Response(services.policy_file(version), mimetype="application/toml",
                    headers={"Content-Disposition": f'attachment; filename="assessment-policy-v{version.number}.toml"'})


@bp.get("/policy/history")
@roles_required(Role.MARKET)
def policy_history() -> Any:
    """Every version, newest first, each with what it changed."""
    versions = services.policy_versions(db.session)
    changes = {newer.number: policy_rules.diff(older.policy, newer.policy)
               for newer, older in pairwise(versions)}
    return render_template("assessment/history.html", versions=versions, changes=changes)


@bp.route("/policy/edit", methods=["GET", "POST"])
@roles_required(Role.MARKET)
def policy_edit() -> Any:
    """Change the policy: every setting is checked on the server; saving makes a new version."""
    current = services.current_policy(db.session)
    if request.method == "GET":
        form = PolicyForm.for_policy(current.policy, current.number)
        return render_template("assessment/edit.html", form=form, version=current, sections=_section_ids(),
                               theirs=None)
    form = PolicyForm()
    if form.validate_on_submit():
        data = form.policy_data()
        new, problems = policy_rules.check(data)
        form.show_problems(problems)
        if new is not None and not form.has_row_errors():
            based_on = inputs.whole_number(form.based_on.data)
            try:
                saved = services.save_policy(db.session, current_user, new, based_on=based_on, note=form.note.data)
            except Conflict as exc:
                db.session.rollback()
                return _conflict(form, based_on, str(exc.message))
            db.session.commit()
            if saved is None:
                flash(_("Nothing changed: the policy is still version %(n)s.", n=current.number), "info")
            else:
                flash(_("Saved as version %(n)s of the policy.", n=saved.number), "success")
            return redirect(url_for("assessment.policy"))
    if not form.form_errors:
        form.form_errors.append(_("The policy was not saved: correct the settings marked below."))
    form.add_spare_rows()
    return render_template("assessment/edit.html", form=form, version=current, sections=_section_ids(),
                           theirs=None), 400


def _conflict(form: PolicyForm, based_on: int | None, message: str) -> Any:
    """Someone saved a version while this one was edited: keep what was typed, show what they changed, and let
    the next save build on their version."""
    current = services.current_policy(db.session)
    base = None
    if based_on is not None:
        try:
            base = services.policy_version(db.session, based_on).policy
        except NotFound:
            base = None
    theirs = policy_rules.diff(base, current.policy) if base is not None else []
    form.based_on.data = str(current.number)
    form.form_errors.append(message)
    form.add_spare_rows()
    return render_template("assessment/edit.html", form=form, version=current, sections=_section_ids(),
                           theirs=theirs), 409


def _section_ids() -> list[tuple[str, str]]:
    """Section ids of the loaded checklists with a title in the page's language, offered when entering
    rectification deadlines."""
    rows = db.session.execute(sa.select(ChecklistItem.section_id, sa.func.max(ChecklistItem.section_title),
                                        sa.func.max(ChecklistItem.section_title_en))
                              .group_by(ChecklistItem.section_id).order_by(ChecklistItem.section_id)).all()
    return [(r[0], localized(r[1], r[2])) for r in rows]


@bp.record_once
def _template_helpers(state: Any) -> None:
    """How the assessment's templates show scores, money, channels, flags and policy settings."""
    state.app.jinja_env.globals.update(
        score_text=labels.score_text, change_text=labels.change_text, money_text=labels.money_text,
        channel_label=labels.channel_label, flag_label=labels.flag_label, penalty_label=labels.penalty_label,
        setting_label=labels.setting_label, setting_value=labels.setting_value, when_text=labels.when_text, ranks_text=labels.ranks_text,
    )
