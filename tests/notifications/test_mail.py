"""E-mail through a real SMTP server (aiosmtpd, in this process): sent after the commit, never before, never
for a rolled-back change, and a dead server does not lose the change."""
from __future__ import annotations

import socket
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from typing import Any

import pytest
import sqlalchemy as sa

from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.feedback import services
from surveyapp.feedback.models import Finding
from surveyapp.notifications.models import Notification


class Collector:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp() -> Any:
    from aiosmtpd.controller import Controller

    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=_free_port())
    controller.start()
    collector.port = controller.port
    yield collector
    controller.stop()


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": 1, "MAIL_FROM": "surveyapp@example.cn",
            "PUBLIC_URL": "https://survey.example.cn"}


def _subject(message: Any) -> str:
    return str(make_header(decode_header(message["Subject"])))


def test_mail_goes_out_after_commit_in_the_readers_language(app, smtp, released, make_user, make_hall):
    app.config["SMTP_PORT"] = smtp.port
    hall = make_hall()
    manager = make_user(Role.HALL_MANAGER, halls=[hall], email="mgr@example.cn")
    english = make_user(Role.HALL_MANAGER, halls=[hall], email="en@example.cn")
    english.locale = "en"
    db.session.commit()
    make_user(Role.HALL_MANAGER, halls=[hall])  # no address: inbox only
    s = released(hall=hall, manager=manager)
    assert len(smtp.messages) == 2
    by_address = {to[0]: message for to, message in smtp.messages}
    zh, en = by_address["mgr@example.cn"], by_address["en@example.cn"]
    assert "新" in _subject(zh) and s.hall.name in zh.get_content()
    assert "New results" in en.get_content() and "2026-11-07" in en.get_content()
    assert f"https://survey.example.cn/hall/visits/{s.visit.uid}" in en.get_content()


def test_a_rolled_back_change_sends_nothing(app, smtp, released, make_user):
    app.config["SMTP_PORT"] = smtp.port
    s = released()
    s.manager.email = "mgr@example.cn"
    market = make_user(Role.MARKET, email="market@example.cn")
    db.session.commit()
    before = len(smtp.messages)
    finding = s.finding("appearance.uniform")
    services.rectify(db.session, s.manager, finding, None, "已整改")
    db.session.rollback()
    assert len(smtp.messages) == before
    services.rectify(db.session, s.manager, db.session.get(Finding, finding.id), None, "已整改")
    db.session.commit()
    assert [to for to, _ in smtp.messages[before:]] == [[market.email]]


def test_an_unreachable_server_is_logged_and_the_change_kept(app, released, make_user, make_hall, caplog):
    app.config["SMTP_PORT"] = _free_port()  # nothing listens there
    hall = make_hall()
    manager = make_user(Role.HALL_MANAGER, halls=[hall], email="mgr@example.cn")
    s = released(hall=hall, manager=manager)
    assert any("unavailable" in r.getMessage() for r in caplog.records)
    assert s.finding("appearance.uniform") is not None
    assert db.session.scalar(sa.select(Notification.kind).where(Notification.user_id == manager.id)) == "released"


def test_a_line_break_in_a_comment_neither_breaks_the_request_nor_the_mail(app, client, smtp, make_visit, make_hall,
                                                                            make_user, login):
    """The subject comes from the template: a returned visit's comment with a line break used to be cut into
    the subject, which e-mail refuses, after the commit: a 500 for a change that was saved."""
    app.config["SMTP_PORT"] = smtp.port
    supervisor = make_user(Role.SUPERVISOR, email="sup@example.cn")
    hall = make_hall()
    supervisor.units.append(hall.unit)
    visit = make_visit(hall, "unannounced", supervisor=supervisor, status="submitted")
    login(make_user(Role.MARKET))
    response = client.post(f"/visits/{visit.uid}/decide", data={
        "action": "return", "version": visit.version, "comment": "第一行\r\n第二行：请补充照片"})
    assert response.status_code == 302
    db.session.refresh(visit)
    assert visit.status.value == "returned"
    [(to, message)] = smtp.messages
    assert to == ["sup@example.cn"]
    assert _subject(message) == "营业厅服务监督 · 您的检查记录已退回修改"
    assert "第一行\n第二行：请补充照片" in message.get_content().replace("\r\n", "\n")


def test_one_message_that_cannot_be_written_does_not_stop_the_batch(app, smtp, released, make_user, make_hall, caplog):
    app.config["SMTP_PORT"] = smtp.port
    hall = make_hall()
    broken = make_user(Role.HALL_MANAGER, halls=[hall], email="mgr@example.cn")
    make_user(Role.HALL_MANAGER, halls=[hall], email="other@example.cn")
    # An address stored before addresses were checked: a header e-mail refuses.
    db.session.execute(sa.update(type(broken)).where(type(broken).id == broken.id).values(email="a@example.cn\nBcc: x@evil.example"))
    db.session.commit()
    s = released(hall=hall, manager=broken)
    assert [to for to, _ in smtp.messages] == [["other@example.cn"]]
    assert "could not be written" in caplog.text
    assert s.finding("appearance.uniform") is not None
