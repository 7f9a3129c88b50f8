"""The inbox page (every role) and the unread badge in the menu."""
from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
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
from werkzeug.routing import BuildError

from surveyapp import inputs, nav
from surveyapp.auth.access import login_required
from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.notifications import inbox, tasks  # noqa: F401 - tasks registers the mail delivery job
from surveyapp.notifications.models import Notification
from surveyapp.pagination import paginate

bp = Blueprint("inbox", __name__, url_prefix="/inbox")
nav.register("inbox.index", _l("Inbox"), tuple(Role), order=95)


@bp.app_context_processor
def _badge() -> dict[str, Any]:
    def unread() -> int:
        return inbox.unread_count(db.session, current_user) if current_user.is_authenticated else 0

    return {"inbox_unread": unread}


def link(notification: Notification) -> str | None:
    """Where a message leads, or ``None`` when its page no longer exists."""
    if not notification.endpoint:
        return None
    try:
        return url_for(notification.endpoint, **(notification.args or {}))
    except BuildError:
        return None


@bp.get("/")
@login_required
def index() -> Any:
    """My messages, the newest first; unread ones stand out."""
    page = paginate(db.session, inbox.for_user(current_user), request.args.get("page", 1, type=inputs.whole),
                    current_app.config["PAGE_SIZE"])
    return render_template("notifications/inbox.html", page=page, text=inbox.text, link=link)


@bp.post("/<int:notification_id>/open")
@login_required
def open_message(notification_id: int) -> Any:
    """Mark a message read and go to what it is about (another user's message is reported as missing)."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != current_user.id:
        abort(404)
    inbox.mark_read(db.session, current_user, notification.id)
    db.session.commit()
    return redirect(link(notification) or url_for(".index"))


@bp.post("/read")
@login_required
def read_all() -> Any:
    """Mark every message read."""
    count = inbox.mark_read(db.session, current_user)
    db.session.commit()
    flash(_("%(n)d message(s) marked as read.", n=count), "success")
    return redirect(url_for(".index"))
