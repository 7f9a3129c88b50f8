"""Each role's landing page."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user

from surveyapp.auth.access import public, roles_required
from surveyapp.auth.models import Role

bp = Blueprint("home", __name__)

#: Where each role lands after login. Capabilities may replace an entry with their own page.
ROLE_HOME = {
    Role.ADMIN: "home.admin",
    Role.MARKET: "worklist.market",  # the work list, surveyapp.insight.worklist_views
    Role.SUPERVISOR: "home.supervisor",
    Role.HALL_MANAGER: "home.hall_manager",
}


@bp.get("/")
@public
def index() -> Any:
    """Send each user to their role's home page, and anonymous visitors to the login page."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for(ROLE_HOME[current_user.role]))


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


