"""Undeliverable mail for the administrator: what could not be sent, why, and a button to send it again."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from surveyapp import inputs, nav
from surveyapp.auth.access import roles_required
from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.notifications import mail
from surveyapp.notifications.models import OUTBOX_FAILED, OUTBOX_PENDING, OutboxMessage
from surveyapp.notifications.settings import mail_server
from surveyapp.pagination import paginate

bp = Blueprint("outbox", __name__, url_prefix="/admin/mail")
nav.register("outbox.index", _l("Mail"), (Role.ADMIN,), order=93)


@bp.get("/")
@roles_required(Role.ADMIN)
def index() -> Any:
    """Messages given up on (with the mail server's answer), and how many are still waiting to be sent."""
    page = paginate(db.session, sa.select(OutboxMessage).where(OutboxMessage.status == OUTBOX_FAILED)
                    .order_by(OutboxMessage.id.desc()), request.args.get("page", 1, type=inputs.whole),
                    current_app.config["PAGE_SIZE"])
    waiting = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                                .where(OutboxMessage.status == OUTBOX_PENDING)) or 0
    retrying = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage).where(
        OutboxMessage.status == OUTBOX_PENDING, OutboxMessage.attempts > 0)) or 0
    return render_template("notifications/outbox.html", page=page, waiting=waiting, retrying=retrying,
                           enabled=bool(mail_server().host))


@bp.post("/retry")
@roles_required(Role.ADMIN)
def retry() -> Any:
    """Send one undeliverable message (``message``), or all of them, again."""
    message_id = inputs.whole_number(request.form.get("message"))
    count = mail.retry(db.session, None if message_id is None else [message_id])
    db.session.commit()
    flash(_("%(n)d message(s) will be sent again.", n=count), "success")
    return redirect(url_for("outbox.index"))
