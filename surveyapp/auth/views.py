"""Logging in and out, and changing one's own password."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from surveyapp.auth import services, throttle
from surveyapp.auth.access import login_required, public
from surveyapp.auth.forms import ChangePasswordForm, LoginForm
from surveyapp.db import db
from surveyapp.errors import ValidationError
from surveyapp.urls import local_path

bp = Blueprint("auth", __name__)


def _limits() -> throttle.Limits:
    config = current_app.config
    return throttle.Limits(config["LOGIN_FAILURES_PER_MINUTE"], config["LOGIN_FAILURES_PER_ADDRESS_PER_MINUTE"])


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Any:
    """The login form; on success the session starts afresh with a new id."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm(next=request.args.get("next"))
    if form.validate_on_submit():
        username, ip = form.username.data or "", request.remote_addr or "-"
        try:
            attempt = services.book_login(db.session, username, ip, _limits())
            db.session.commit()  # parallel attempts see the booking before this password is checked
            user = services.authenticate(db.session, attempt, username, form.password.data or "", ip,
                                         request.user_agent.string)
        except services.LoginRefused as refused:
            db.session.rollback()
            flash(refused.message, "error")
            if refused.retry_after is None:
                return render_template("auth/login.html", form=form), 401
            return render_template("auth/login.html", form=form), 429, {"Retry-After": str(refused.retry_after)}
        lang = session.get("lang")
        session.clear()
        if lang:
            session["lang"] = lang
        login_user(user)
        db.session.commit()
        return redirect(local_path(form.next.data) or url_for("home.index"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout() -> Any:
    """End this session on the server too: a replayed cookie is rejected."""
    if current_user.session_token:
        services.revoke_session(db.session, current_user.session_token)
        db.session.commit()
    logout_user()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> Any:
    """A user changes their own password; their other sessions end."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_own_password(db.session, current_user, form.current.data or "", form.new.data or "")
        except ValidationError as exc:
            db.session.rollback()
            flash(str(exc.message), "error")
        else:
            db.session.commit()
            flash(_("Your password has been changed. Your other sessions have been logged out."), "success")
            return redirect(url_for("home.index"))
    return render_template("auth/password.html", form=form)
