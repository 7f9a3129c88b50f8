"""The outbox: mail is written with the change and delivered by a background job, so the mail server being
down delays mail but loses none; what is still refused after the last attempt waits for the administrator."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from surveyapp import jobs
from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.notifications import tasks
from surveyapp.notifications.models import Notification, OutboxMessage
from tests.feedback.conftest import set_now
from tests.notifications import test_mail

smtp = test_mail.smtp  # the aiosmtpd server fixture
_free_port = test_mail._free_port


def outbox() -> list[OutboxMessage]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def test_mail_server_down_then_back_the_outbox_keeps_the_message_and_a_later_job_delivers_it(
        app, smtp, released, make_user, make_hall):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=_free_port(), OUTBOX_RETRY_SECONDS=60)  # nothing listens
    hall = make_hall()
    manager = make_user(Role.HALL_MANAGER, halls=[hall], email="mgr@example.cn")
    s = released(hall=hall, manager=manager)
    # the change and its inbox message stand; the mail waits in the outbox with the server's answer
    assert s.finding("appearance.uniform") is not None
    assert db.session.scalar(sa.select(Notification.kind).where(Notification.user_id == manager.id)) == "released"
    [message] = outbox()
    assert (message.status, message.attempts, message.to) == ("pending", 1, "mgr@example.cn")
    assert "127.0.0.1" in message.last_error and smtp.messages == []

    app.config["SMTP_PORT"] = smtp.port  # the server is back; the message waits for its back-off (60 s)
    jobs.call("mail.deliver")
    assert outbox()[0].status == "pending" and smtp.messages == []
    set_now(app, "2026-11-05T10:01:01+08:00")
    jobs.call("mail.deliver")
    [message] = outbox()
    assert (message.status, message.attempts) == ("sent", 2) and message.sent_at is not None
    [(to, sent)] = smtp.messages
    assert to == ["mgr@example.cn"] and s.hall.name in sent.get_content()


def test_undeliverable_mail_is_listed_for_the_administrator_and_sent_again_on_request(
        app, client, smtp, released, make_user, make_hall, login):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=_free_port(), OUTBOX_RETRY_SECONDS=0, OUTBOX_MAX_ATTEMPTS=3)
    hall = make_hall()
    make_user(Role.HALL_MANAGER, halls=[hall], email="mgr@example.cn")
    released(hall=hall)
    for _ in range(3):
        jobs.call("mail.deliver")
    [message] = outbox()
    assert (message.status, message.attempts) == ("failed", 3)

    login(make_user(Role.ADMIN))
    page = client.get("/admin/mail/").get_data(as_text=True)
    assert "mgr@example.cn" in page and "Connection refused" in page
    app.config["SMTP_PORT"] = smtp.port
    assert client.post("/admin/mail/retry", data={"message": str(message.id)}).status_code == 302
    assert outbox()[0].status == "sent" and len(smtp.messages) == 1
    assert "mgr@example.cn" not in client.get("/admin/mail/").get_data(as_text=True)


def test_without_a_mail_server_nothing_is_written_to_the_outbox(app: Any, released, make_user, make_hall):
    app.config["SMTP_HOST"] = None
    hall = make_hall()
    make_user(Role.HALL_MANAGER, halls=[hall], email="mgr@example.cn")
    released(hall=hall)
    assert outbox() == [] and tasks.deliver() == 0
