"""surveyapp: service-quality supervision for customer-service business halls."""
from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Mapping
from typing import Any

from flask import Flask

from surveyapp.resources import resource_dir

__version__ = "0.1.0"


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application: defaults, then ``instance/config.py``, then ``SURVEYAPP_*``, then ``test_config``."""
    instance_path = os.environ.get("SURVEYAPP_INSTANCE_PATH") or None
    app = Flask(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        template_folder=str(resource_dir("templates")),
    )
    app.config.from_object("surveyapp.config")
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("SURVEYAPP")
    if test_config:
        app.config.from_mapping(test_config)
    _finish_config(app)

    from surveyapp import auth, cli, i18n, inputs, jobs, labels, nav, pdf, security
    from surveyapp.db import db
    from surveyapp.extensions import csrf

    db.init_app(app)
    csrf.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    auth.init_app(app)
    inputs.init_app(app)
    nav.init_app(app)
    pdf.init_app(app)
    jobs.init_app(app)
    labels.init_app(app)
    _register_blueprints(app)
    cli.init_app(app)

    from surveyapp.auth.access import check_every_route_decides
    from surveyapp.home.views import check_every_role_has_a_home

    check_every_route_decides(app)
    check_every_role_has_a_home(app)
    return app


def _finish_config(app: Flask) -> None:
    config = app.config
    if not config.get("SECRET_KEY"):
        if config.get("TESTING") or config.get("DEMO"):
            config["SECRET_KEY"] = secrets.token_hex(32)
        else:
            raise RuntimeError(
                "surveyapp: SECRET_KEY is not set. Put SECRET_KEY = '...' in instance/config.py "
                "or set SURVEYAPP_SECRET_KEY (python -c 'import secrets; print(secrets.token_hex(32))')."
            )
    if not config.get("DATABASE_URL"):
        os.makedirs(app.instance_path, exist_ok=True)
        config["DATABASE_URL"] = "sqlite:///" + os.path.join(app.instance_path, "surveyapp.sqlite")
    config.setdefault("UPLOAD_FOLDER", None)
    config["UPLOAD_FOLDER"] = config["UPLOAD_FOLDER"] or os.path.join(app.instance_path, "uploads")
    config["SESSION_COOKIE_HTTPONLY"] = True
    config["SESSION_COOKIE_SAMESITE"] = "Lax"
    config["SESSION_COOKIE_SECURE"] = bool(config.get("SECURE_COOKIES"))
    config["SESSION_COOKIE_NAME"] = "surveyapp_session"
    # CSRF tokens live as long as the session; an aged-out token is handled without losing input.
    config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    if isinstance(config.get("LANGUAGES"), str):
        config["LANGUAGES"] = tuple(config["LANGUAGES"].split(","))
    logging.getLogger("surveyapp").setLevel(logging.INFO)


def _register_blueprints(app: Flask) -> None:
    from importlib import import_module

    for module in BLUEPRINT_MODULES:
        app.register_blueprint(import_module(f"surveyapp.{module}").bp)


#: Every blueprint, one line each (capabilities may own several).
BLUEPRINT_MODULES = (
    "auth.views",
    "users.views",
    "home.views",
    "org.views",
    "org.unit_views",
    "org.staff_views",
    "bulk_views",
    "audit.views",
    "checklists.views",
    "visits.views",
    "visits.supervisor_views",
    "visits.offline_views",
    "visits.hall_views",
    "visits.import_views",
    "planning.visit_views",
    "planning.views",
    "planning.calendar_views",
    "assessment.views",
    "notices.views",
    # feedback
    "feedback.views",
    # insight
    "insight.calibration_views",
    "insight.integrity_views",
    "insight.trends_views",
    "insight.staff_views",
    "insight.worklist_views",
    # infrastructure
    "jobs.views",
    # notifications
    "notifications.inbox_views",
    "notifications.outbox_views",
)
