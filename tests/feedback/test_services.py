"""Findings, rectification and appeals through the services, with the clock under the test's control."""
from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from surveyapp.audit.models import AuditEntry
from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from surveyapp.feedback import services
from surveyapp.feedback.models import AppealStatus, FeedbackPhoto, Finding, FindingStatus
from surveyapp.notifications.models import Notification
from tests.conftest import jpeg_bytes
from tests.feedback.conftest import set_now


def test_release_makes_one_finding_per_failed_item_with_the_policys_deadlines(app, released):
    s = released()
    uniform, zones = s.finding("appearance.uniform"), s.finding("interior.zones")
    assert uniform.status is zones.status is FindingStatus.OPEN
    assert uniform.rectify_due == dt.date(2026, 11, 7)   # appearance: 2 days
    assert zones.rectify_due == dt.date(2026, 11, 15)    # default: 10 days
    assert uniform.appeal_until == zones.appeal_until == dt.date(2026, 11, 8)
    # Making them again changes nothing.
    assert services.make_findings(db.session, [s.visit]) == []
    [message] = db.session.scalars(sa.select(Notification).where(Notification.user_id == s.manager.id)).all()
    assert message.kind == "released" and message.params["count"] == 2


def test_overdue_starts_the_day_after_the_deadline_in_the_company_zone(app, released):
    s = released()
    uniform = s.finding("appearance.uniform")
    set_now(app, "2026-11-07T23:59:59+08:00")
    assert not uniform.overdue_on(services.clock.today())
    set_now(app, "2026-11-07T16:00:00+00:00")  # 8 November 00:00 in Shanghai
    assert uniform.overdue_on(services.clock.today())
    # A rectification after the deadline is accepted, recorded as late, and the finding is no longer overdue.
    services.rectify(db.session, s.manager, uniform, uniform.version, "已统一着装")
    db.session.commit()
    assert not uniform.overdue_on(services.clock.today())
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "finding.rectify"))
    assert entry.details["late"] is True


def test_appeal_window_closes_at_midnight_after_the_last_day(app, released):
    s = released()
    uniform, zones = s.finding("appearance.uniform"), s.finding("interior.zones")
    set_now(app, "2026-11-08T23:59:00+08:00")
    services.appeal(db.session, s.manager, zones, zones.version, "该区域当日装修，已报备")
    db.session.commit()
    set_now(app, "2026-11-09T00:00:00+08:00")
    with pytest.raises(InvalidTransition, match="2026-11-08"):
        services.appeal(db.session, s.manager, uniform, uniform.version, "工装在清洗")
    db.session.rollback()
    assert uniform.appeal is None


def test_upheld_appeal_corrects_the_answer_and_recomputes_the_score(app, released):
    s = released()
    zones = s.finding("interior.zones")
    before = s.visit.score
    services.appeal(db.session, s.manager, zones, zones.version, "分区标识齐全，见照片")
    db.session.commit()
    assert zones.overdue_on(dt.date(2026, 12, 31)) is False  # waiting for the decision
    services.decide_appeal(db.session, s.market, zones, zones.version, True, "pass", "复核照片属实")
    db.session.commit()
    db.session.refresh(s.visit)
    answer = next(a for a in s.visit.answers if a.item.key == "interior.zones")
    assert (answer.value, answer.failed, answer.earned) == ("pass", False, answer.possible)
    assert s.visit.score > before
    assert zones.status is FindingStatus.WITHDRAWN and zones.appeal.status is AppealStatus.UPHELD
    assert zones.appeal.score_before != zones.appeal.score_after
    actions = set(db.session.scalars(sa.select(AuditEntry.action)))
    assert {"finding.appeal", "appeal.uphold", "visit.correct"} <= actions
    assert s.visit.events[-1].action == "correct"
    # A second decision is refused.
    with pytest.raises(InvalidTransition):
        services.decide_appeal(db.session, s.market, zones, zones.version, False, reason="重复")


def test_rejected_appeal_needs_a_reason_and_gives_the_days_again(app, released):
    s = released()
    uniform = s.finding("appearance.uniform")
    services.appeal(db.session, s.manager, uniform, uniform.version, "工装在清洗")
    db.session.commit()
    set_now(app, "2026-11-10T09:00:00+08:00")
    with pytest.raises(ValidationError):
        services.decide_appeal(db.session, s.market, uniform, uniform.version, False, reason=" ")
    db.session.rollback()
    services.decide_appeal(db.session, s.market, uniform, uniform.version, False, reason="工装应备用")
    db.session.commit()
    assert uniform.appeal.status is AppealStatus.REJECTED
    assert uniform.rectify_due == dt.date(2026, 11, 12)  # 10 November + 2 days


def test_the_supervisor_of_the_visit_cannot_decide_its_appeal(app, released, make_user):
    s = released()
    zones = s.finding("interior.zones")
    services.appeal(db.session, s.manager, zones, zones.version, "理由")
    db.session.commit()
    with pytest.raises(PermissionDenied):
        services.decide_appeal(db.session, s.visit.supervisor, zones, zones.version, True, "na")
    db.session.rollback()


def test_decisions_drawn_from_an_older_state_are_refused(app, released):
    s = released()
    zones = s.finding("interior.zones")
    drawn = zones.version
    services.appeal(db.session, s.manager, zones, drawn, "理由")
    db.session.commit()
    with pytest.raises(Conflict):
        services.decide_appeal(db.session, s.market, zones, drawn, True, "na")
    db.session.rollback()


@pytest.mark.parametrize("act", ["rectify", "appeal"])
def test_a_response_refused_at_the_last_moment_leaves_no_photo_file(app, released, monkeypatch, act):
    # Someone else acts on the finding between the check and the write: the response is refused, and the
    # photos it brought, already written to the upload folder, are removed with it.
    s = released()
    uniform = s.finding("appearance.uniform")
    folder = Path(app.config["UPLOAD_FOLDER"])
    before = {p for p in folder.rglob("*") if p.is_file()}  # the visits' own evidence

    flush = services._flush

    def moved(session):
        if any(isinstance(o, FeedbackPhoto) for o in session.new):  # the write of the response itself
            raise Conflict("someone else acted on this finding")
        flush(session)

    monkeypatch.setattr(services, "_flush", moved)
    with pytest.raises(Conflict):
        getattr(services, act)(db.session, s.manager, uniform, uniform.version, "已统一着装", [io.BytesIO(jpeg_bytes())])
    db.session.rollback()
    assert {p for p in folder.rglob("*") if p.is_file()} == before


def test_rectification_verified_or_reopened(app, released):
    s = released()
    uniform = s.finding("appearance.uniform")
    services.rectify(db.session, s.manager, uniform, uniform.version, "已统一着装")
    db.session.commit()
    with pytest.raises(InvalidTransition):
        services.rectify(db.session, s.manager, uniform, uniform.version, "再次")
    db.session.rollback()
    with pytest.raises(ValidationError):
        services.check_rectification(db.session, s.market, uniform, uniform.version, False, "")
    db.session.rollback()
    set_now(app, "2026-11-09T09:00:00+08:00")
    services.check_rectification(db.session, s.market, uniform, uniform.version, False, "照片看不清工牌")
    db.session.commit()
    assert uniform.status is FindingStatus.OPEN and uniform.rectify_due == dt.date(2026, 11, 11)
    services.rectify(db.session, s.manager, uniform, uniform.version, "补拍工牌照片")
    services.check_rectification(db.session, s.market, uniform, uniform.version, True)
    db.session.commit()
    assert uniform.status is FindingStatus.VERIFIED and uniform.closed_at is not None
    kinds = [n.kind for n in db.session.scalars(sa.select(Notification).where(Notification.user_id == s.manager.id)
                                                .order_by(Notification.id))]
    assert kinds == ["released", "rectification_reopened", "rectification_verified"]


def test_another_halls_manager_cannot_act(app, released, make_user, make_hall):
    s = released()
    other = make_user(Role.HALL_MANAGER, halls=[make_hall()])
    uniform = s.finding("appearance.uniform")
    with pytest.raises(NotFound):
        services.rectify(db.session, other, uniform, uniform.version, "x")
    with pytest.raises(NotFound):
        services.appeal(db.session, other, uniform, uniform.version, "x")


def test_remind_tells_halls_once_per_deadline(app, released):
    released()
    set_now(app, "2026-11-06T08:00:00+08:00")
    assert services.remind(db.session, days=1) == 1   # appearance due on the 7th
    db.session.commit()
    assert services.remind(db.session, days=1) == 0   # again: nothing new
    set_now(app, "2026-11-14T08:00:00+08:00")
    assert services.remind(db.session, days=1) == 1   # interior due on the 15th
    db.session.commit()
    due = db.session.scalars(sa.select(Notification).where(Notification.kind == "due_soon")).all()
    assert sorted(n.params["due"] for n in due) == ["2026-11-07", "2026-11-15"]


def test_cli_sync_and_remind(app, runner, released):
    released()
    db.session.execute(sa.delete(Finding))  # as if released before hall feedback was installed
    db.session.commit()
    assert "2 finding(s) made" in runner.invoke(args=["feedback", "sync"]).output
    assert "0 finding(s) made" in runner.invoke(args=["feedback", "sync"]).output
    set_now(app, "2026-11-06T08:00:00+08:00")
    assert "1 reminder(s) sent" in runner.invoke(args=["feedback", "remind", "--days", "1"]).output
    assert "0 reminder(s) sent" in runner.invoke(args=["feedback", "remind", "--days", "1"]).output
