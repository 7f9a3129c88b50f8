"""Account administration (administrators only): list, create, edit, deactivate, reset passwords."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
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

from surveyapp import inputs, nav
from surveyapp.audit.display import register_link
from surveyapp.auth.access import roles_required
from surveyapp.auth.models import Role, User, UserSession
from surveyapp.bulk import split_codes
from surveyapp.db import db
from surveyapp.errors import ValidationError
from surveyapp.org.forms import unit_choices
from surveyapp.org.queries import flatten, unit_tree
from surveyapp.pagination import paginate
from surveyapp.users import (
    imports,  # noqa: F401  (registers the users file format)
    services,
)
from surveyapp.users.forms import ResetPasswordForm, UserForm
from surveyapp.users.queries import UserFilter, user_query
from surveyapp.webforms import get_or_404, show_error, toggle_active

bp = Blueprint("users", __name__, url_prefix="/users")
nav.register("users.index", _l("Users"), (Role.ADMIN,), order=10, group="admin")
register_link("user", "users.edit", "user_id")


@bp.get("/")
@roles_required(Role.ADMIN)
def index() -> Any:
    """Accounts with search (username, name, e-mail), role and status filters, and pagination."""
    f = UserFilter.from_args(request.args)
    page = paginate(db.session, user_query(db.session, f), request.args.get("page", 1, type=inputs.whole), current_app.config["PAGE_SIZE"])
    return render_template("users/users.html", page=page, f=f, roles=list(Role))


def _form(user: User | None) -> UserForm:
    if request.method == "GET" and user is not None:
        form = UserForm(data={"display_name": user.display_name, "email": user.email or "", "role": user.role.value,
                              "external": user.external, "halls": ";".join(h.code for h in user.halls),
                              "units": [str(u.id) for u in user.units]})
    else:
        form = UserForm()
    nodes = [n for n in flatten(unit_tree(db.session)) if n.unit.active or (user and n.unit in user.units)]
    form.units.choices = unit_choices(nodes)
    if user is not None:
        del form.username, form.password
    return form


def _unit_codes(form: UserForm) -> list[str]:
    ids = [i for i in map(inputs.whole_number, form.units.data or []) if i is not None]
    return [u.code for n in flatten(unit_tree(db.session)) if (u := n.unit).id in ids]


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def new() -> Any:
    """Create an account with its role and scope, and optionally an initial password."""
    form = _form(None)
    if form.validate_on_submit():
        try:
            user = services.create_user(
                db.session, current_user, username=form.username.data, display_name=form.display_name.data,
                role=form.role.data, email=form.email.data, password=form.password.data or None, external=form.external.data,
                hall_codes=split_codes(form.halls.data or ""), unit_codes=_unit_codes(form))
        except ValidationError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("Account %(name)s created.", name=user.username), "success")
            if not user.password_hash:
                flash(_("The account has no password yet: set one with \"Reset password\" before the person logs in."), "warning")
            return redirect(url_for("users.edit", user_id=user.id))
    return render_template("users/user_form.html", form=form, user=None)


@bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def edit(user_id: int) -> Any:
    """Change an account's name, e-mail, role and scope; shows its status and sessions."""
    user = get_or_404(User, user_id)
    form = _form(user)
    if form.validate_on_submit():
        try:
            services.update_user(db.session, current_user, user, display_name=form.display_name.data, role=form.role.data,
                                 email=form.email.data, external=form.external.data,
                                 hall_codes=split_codes(form.halls.data or ""), unit_codes=_unit_codes(form))
        except ValidationError as exc:
            db.session.rollback()
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("Account %(name)s saved.", name=user.username), "success")
            return redirect(url_for("users.edit", user_id=user.id))
    live_sessions = db.session.scalar(sa.select(sa.func.count()).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None)))
    return render_template("users/user_form.html", form=form, user=user, live_sessions=live_sessions)


@bp.post("/<int:user_id>/active")
@roles_required(Role.ADMIN)
def set_active(user_id: int) -> Any:
    """Deactivate (``active=0``: every session ends at once) or reactivate (``active=1``) an account."""
    user = get_or_404(User, user_id)
    toggle_active(lambda active: services.set_active(db.session, current_user, user, active),
                  lambda active: _("Account %(name)s reactivated.", name=user.username) if active
                  else _("Account %(name)s deactivated; its sessions have ended.", name=user.username))
    return redirect(url_for("users.edit", user_id=user.id))


@bp.route("/<int:user_id>/password", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def reset_password(user_id: int) -> Any:
    """Set a new password for an account; its sessions end."""
    user = get_or_404(User, user_id)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(db.session, current_user, user, form.new.data or "")
        except ValidationError as exc:
            db.session.rollback()
            exc.field = exc.field or "new"
            show_error(form, exc)
        else:
            db.session.commit()
            flash(_("New password set for %(name)s; their sessions have ended. Tell them the password in person.",
                    name=user.username), "success")
            return redirect(url_for("users.edit", user_id=user.id))
    return render_template("users/reset_password.html", form=form, user=user)
