"""Each role's landing page."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, redirect, render_template, url_for
from flask_login import current_user

from surveyapp import nav
from surveyapp.auth.access import public, roles_required
from surveyapp.auth.models import Role

bp = Blueprint("home", __name__)
# Where each role lands after login: the capability that owns the page registers it (nav.register_home); the
# market department's is its work list (insight), a supervisor's their visits, a hall manager's their hall.
nav.register_home(bp, Role.ADMIN, "home.admin")


def check_every_role_has_a_home(app: Flask) -> None:
    """:raise RuntimeError: naming the roles no capability gave a home page."""
    missing = sorted(r.value for r in Role if r.value not in nav.homes(app))
    if missing:
        raise RuntimeError("roles without a home page: " + ", ".join(missing))


@bp.get("/")
@public
def index() -> Any:
    """Send each user to their role's home page, and anonymous visitors to the login page."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for(nav.homes(current_app)[current_user.role.value]))


@bp.get("/home/admin")
@roles_required(Role.ADMIN)
def admin() -> Any:
    """Administrator's home: accounts, organisation, audit."""
    return render_template("home/admin.html")


@bp.get("/home/supervisor")
@roles_required(Role.SUPERVISOR)
def supervisor() -> Any:
    """Supervisor's home."""
    return render_template("home/supervisor.html")


@bp.get("/home/hall")
@roles_required(Role.HALL_MANAGER)
def hall_manager() -> Any:
    """Hall manager's home."""
    return render_template("home/hall_manager.html")


@bp.get("/healthz")
@public
def health() -> Any:
    """Liveness probe for load balancers."""
    return {"status": "ok"}


