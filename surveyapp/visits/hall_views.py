"""What a hall manager sees of visits: only validated, released visits of their own halls, never who did an
unannounced one. A minimal read-only view; the hall feedback capability builds on the same query."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from surveyapp import inputs, nav
from surveyapp.auth.access import roles_required
from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.pagination import paginate
from surveyapp.visits import queries

bp = Blueprint("hall_visits", __name__, url_prefix="/hall/visits")
nav.register("hall_visits.index", _l("Visit results"), (Role.HALL_MANAGER,), order=10, group="visits")


@bp.get("/")
@roles_required(Role.HALL_MANAGER)
def index() -> Any:
    """The released visits of my halls, newest first."""
    page = paginate(db.session, queries.visible_to_hall_manager(current_user), request.args.get("page", 1, type=inputs.whole),
                    current_app.config["PAGE_SIZE"])
    return render_template("visits/hall_index.html", page=page, supervisor_for_hall=queries.supervisor_for_hall)


@bp.get("/<uid>")
@roles_required(Role.HALL_MANAGER)
def detail(uid: str) -> Any:
    """One released visit: score, findings with remarks and photos."""
    visit = queries.get_visit(db.session, current_user, uid)
    photos: dict[str, list[Any]] = {}
    for photo in visit.photos:
        if photo.removed_at is None:
            photos.setdefault(photo.item_key or "", []).append(photo)
    queries.read_answers(db.session, visit)
    return render_template("visits/hall_detail.html", visit=visit, photos=photos,
                           supervisor=queries.supervisor_for_hall(visit),
                           findings=[a for a in visit.answers if a.failed],
                           answers={a.item.key: a for a in visit.answers if a.failed},
                           definition=visit.checklist_version.definition)
