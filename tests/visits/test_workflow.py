"""A visit's life through the services: plan, start, draft, submit (idempotently), validate, release."""
from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale

from surveyapp import clock
from surveyapp.audit.models import AuditEntry
from surveyapp.auth.models import Role
from surveyapp.checklists.definition import VisitType
from surveyapp.db import db
from surveyapp.errors import (
    Conflict,
    InvalidTransition,
    PermissionDenied,
    ValidationError,
)
from surveyapp.planning import services as planning
from surveyapp.visits import rules, services, validation
from surveyapp.visits.content import Content
from surveyapp.visits.models import Answer, VisitRevision, VisitStatus
from surveyapp.visits.rules import VisitSettings
from tests.conftest import full_marks


@pytest.fixture
def setting(make_unit, make_hall, make_user, make_staff, make_checklist):
    """A branch with a county below it, a hall in the county, a supervisor covering the branch."""
    branch = make_unit("B1", "城区分公司")
    county = make_unit("B1-1", "城北支局", parent=branch)
    hall = make_hall("H001", "城北营业厅", unit=county)
    make_staff(hall, "1001", "张三")
    make_staff(hall, "1002", "李四")
    supervisor = make_user(Role.SUPERVISOR, units=[branch])
    return {"hall": hall, "supervisor": supervisor, "market": make_user(Role.MARKET),
            "version": make_checklist("hall-etiquette"), "branch": branch}


def plan(s, type="unannounced", **changes):
    today = clock.today()
    values = {"hall": s["hall"], "checklist": s["version"], "type": type, "supervisor": s["supervisor"],
                  "due_from": today, "due_until": today + dt.timedelta(days=5)}
    values.update(changes)
    visit = planning.plan_visit(db.session, s["market"], planning.Plan(**values))
    db.session.commit()
    return visit


def content(visit, **changes):
    answers = full_marks(visit.checklist_version, visit.type.value, visit.hall.type.value, ["1001"])
    answers.update(changes.pop("answers", {}))
    values = {"answers": answers, "visited_at": clock.now() - dt.timedelta(hours=1), "scenario": "缴费",
                  "impression": "营业员态度热情，办理迅速，环境整洁有序。", "remarks": {}}
    values.update(changes)
    return Content(**values)


def test_planning_checks_coverage_type_version_and_window(setting, make_user, make_unit, make_hall, make_checklist):
    elsewhere = make_user(Role.SUPERVISOR, units=[make_unit("B2", "另一分公司")])
    market = make_user(Role.MARKET)
    social = make_checklist("social-supervisor")
    today = clock.today()
    bad = planning.Plan(setting["hall"], social, "unannounced", elsewhere, today, today - dt.timedelta(days=1))
    with pytest.raises(ValidationError) as refused:
        planning.plan_visit(db.session, market, bad)
    assert len(refused.value.errors) == 3  # wrong checklist for the type, supervisor elsewhere, window backwards
    with pytest.raises(PermissionDenied):
        planning.plan_visit(db.session, setting["supervisor"], planning.Plan(setting["hall"], setting["version"],
                            "unannounced", setting["supervisor"], today, today))
    visit = plan(setting)  # a supervisor of the branch covers the county's hall below it
    assert visit.status is VisitStatus.PLANNED and visit.period == f"{today:%Y-%m}" and len(visit.uid) == 36
    assert visit.events[0].action == "plan"


def test_a_new_checklist_version_must_be_used_for_new_plans(setting, make_checklist):
    source = setting["version"].source.replace("version = 1", "version = 2", 1)
    make_checklist("hall-etiquette", source=source)
    with pytest.raises(ValidationError) as refused, force_locale("en"):
        plan(setting)
    assert refused.value.errors == ["A newer version (2) of this checklist exists: plan with it."]


def test_starting_moves_to_the_newest_version_and_freezes_it(setting, make_checklist):
    visit = plan(setting)
    newer = make_checklist("hall-etiquette", source=setting["version"].source.replace("version = 1", "version = 2", 1))
    assert services.start_visit(db.session, setting["supervisor"], visit) is True
    assert services.start_visit(db.session, setting["supervisor"], visit) is False  # a double tap changes nothing
    db.session.commit()
    assert visit.checklist_version_id == newer.id and newer.frozen_at is not None
    assert visit.status is VisitStatus.IN_PROGRESS and visit.started_at is not None


def test_submission_scores_with_the_engine_and_keeps_answers_in_rows(setting):
    visit = plan(setting)
    services.start_visit(db.session, setting["supervisor"], visit)
    sent = content(visit, answers={"appearance.uniform": "fail", "conduct.taboo": 1},
                   remarks={"appearance.uniform": "未佩戴工号牌"})
    with pytest.raises(rules.ContentInvalid) as refused:
        services.submit_visit(db.session, setting["supervisor"], visit, str(uuid.uuid4()), sent, settings=VisitSettings.of(current_app))
    # Evidence rules are enforced at the item: the uniform (on-fail) needs a photo, the taboo count (optional) not.
    assert refused.value.fields == {"appearance.uniform.photos": ["请拍照记录不符合的情况。"]}
    sent = content(visit, answers={"conduct.farewell": "fail"}, remarks={"conduct.farewell": "未道别"})
    result = services.submit_visit(db.session, setting["supervisor"], visit, str(uuid.uuid4()), sent, settings=VisitSettings.of(current_app))
    db.session.commit()
    assert not result.repeated and result.revision.number == 1
    assert visit.status is VisitStatus.SUBMITTED and visit.received_at is not None
    rows = db.session.execute(sa.select(sa.func.sum(Answer.earned), sa.func.sum(Answer.possible))
                              .where(Answer.visit_id == visit.id)).one()
    assert (rows[0], rows[1]) == (visit.earned, visit.possible) and visit.possible > visit.earned
    assert visit.score == (Decimal(100) * visit.earned / visit.possible).quantize(Decimal("0.000001"))
    failed = db.session.scalars(sa.select(Answer).where(Answer.visit_id == visit.id, Answer.failed)).all()
    assert [(a.item.key, a.remark) for a in failed] == [("conduct.farewell", "未道别")]
    assert [s.job_number for s in visit.staff] == ["1001"]  # the checklist's staff item counts as staff served


def test_a_redline_failure_scores_zero(setting):
    visit = plan(setting)
    services.start_visit(db.session, setting["supervisor"], visit)
    services.submit_visit(db.session, setting["supervisor"], visit, str(uuid.uuid4()),
                          content(visit, answers={"first-contact.no-gifts": "fail"}), settings=VisitSettings.of(current_app))
    assert visit.score == 0 and visit.redline and visit.earned > 0


def test_submission_rules_beyond_the_answers(setting, app):
    visit = plan(setting)
    services.start_visit(db.session, setting["supervisor"], visit)
    app.config["VISIT_IMPRESSION_MIN_LENGTH"] = 30
    sent = content(visit, scenario="", impression="还行", staff=("9999",),
                   visited_at=clock.now() + dt.timedelta(hours=2), answers={"record.staff-served": ["1001", "8888"]})
    with pytest.raises(rules.ContentInvalid) as refused:
        services.submit_visit(db.session, setting["supervisor"], visit, str(uuid.uuid4()), sent, settings=VisitSettings.of(current_app))
    assert set(refused.value.fields) == {"scenario", "impression", "staff", "visited_at", "record.staff-served"}
    assert len(refused.value.errors) == 5


def test_repeating_a_submission_returns_the_same_result_and_other_content_is_refused(setting):
    visit = plan(setting)
    services.start_visit(db.session, setting["supervisor"], visit)
    sid, sent = str(uuid.uuid4()), content(visit)
    first = services.submit_visit(db.session, setting["supervisor"], visit, sid, sent, settings=VisitSettings.of(current_app))
    db.session.commit()
    again = services.submit_visit(db.session, setting["supervisor"], visit, sid, content(visit, visited_at=sent.visited_at), settings=VisitSettings.of(current_app))
    assert again.repeated and again.revision.id == first.revision.id
    with pytest.raises(Conflict):
        services.submit_visit(db.session, setting["supervisor"], visit, sid,
                              content(visit, visited_at=sent.visited_at, impression="完全不同的总体印象，服务很差很差。"), settings=VisitSettings.of(current_app))
    with pytest.raises(InvalidTransition):  # a new submission of a submitted visit
        services.submit_visit(db.session, setting["supervisor"], visit, str(uuid.uuid4()), sent, settings=VisitSettings.of(current_app))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VisitRevision)) == 1


def test_drafts_keep_anything_and_ignore_older_copies(setting):
    visit = plan(setting)
    supervisor = setting["supervisor"]
    with pytest.raises(InvalidTransition):
        services.save_draft(db.session, supervisor, visit, [["appearance.uniform", "pass"]], settings=VisitSettings.of(current_app))
    services.start_visit(db.session, supervisor, visit)
    db.session.commit()
    version = visit.version
    t0 = clock.now() - dt.timedelta(minutes=5)
    assert services.save_draft(db.session, supervisor, visit, [["conduct.taboo", "2x"]], t0, settings=VisitSettings.of(current_app))  # kept though not valid
    assert not services.save_draft(db.session, supervisor, visit, [["conduct.taboo", "1"]], t0 - dt.timedelta(minutes=1), settings=VisitSettings.of(current_app))
    db.session.commit()
    assert visit.draft == {"fields": [["conduct.taboo", "2x"]]} and visit.version == version  # no lock taken
    with pytest.raises(ValidationError):
        services.save_draft(db.session, supervisor, visit, {"not": "a list"}, settings=VisitSettings.of(current_app))


def test_validation_approve_return_reject_and_who_may(setting, make_user):
    market = setting["market"]
    visit = plan(setting, type="announced")
    supervisor = setting["supervisor"]
    services.start_visit(db.session, supervisor, visit)
    services.submit_visit(db.session, supervisor, visit, str(uuid.uuid4()), content(visit), settings=VisitSettings.of(current_app))
    db.session.commit()
    with pytest.raises(PermissionDenied):
        validation.approve(db.session, supervisor, visit, None, settings=VisitSettings.of(current_app))
    with pytest.raises(ValidationError):
        validation.return_visit(db.session, market, visit, visit.version, "  ")
    validation.return_visit(db.session, market, visit, visit.version, "请补充说明",
                            {"appearance.uniform": "请核实是否佩戴工号牌"})
    db.session.commit()
    assert visit.status is VisitStatus.RETURNED
    assert services.latest_return(visit).details == {"items": {"appearance.uniform": "请核实是否佩戴工号牌"}}
    # The supervisor corrects and resubmits: both versions are kept.
    services.submit_visit(db.session, supervisor, visit, str(uuid.uuid4()),
                          content(visit, remarks={"appearance.uniform": "已佩戴"}), settings=VisitSettings.of(current_app))
    db.session.commit()
    assert [r.number for r in visit.revisions] == [1, 2]
    stale = visit.version - 1
    with pytest.raises(Conflict):
        validation.approve(db.session, market, visit, stale, settings=VisitSettings.of(current_app))
    db.session.rollback()
    validation.approve(db.session, market, visit, visit.version, settings=VisitSettings.of(current_app))
    db.session.commit()
    assert visit.status is VisitStatus.VALIDATED and visit.released_at is not None  # announced: released now
    with pytest.raises(InvalidTransition):
        validation.reject(db.session, make_user(Role.MARKET), visit, None, "晚了")


def test_a_market_user_who_submitted_may_not_validate(setting, make_user):
    visit = plan(setting)
    services.start_visit(db.session, setting["supervisor"], visit)
    services.submit_visit(db.session, setting["supervisor"], visit, str(uuid.uuid4()), content(visit), settings=VisitSettings.of(current_app))
    visit.revisions[0].submitted_by_id = setting["market"].id  # e.g. entered from paper by this market user
    with pytest.raises(PermissionDenied):
        validation.approve(db.session, setting["market"], visit, None, settings=VisitSettings.of(current_app))


def test_confidential_visits_wait_for_release(setting, make_visit):
    visit = make_visit(setting["hall"], "unannounced", setting["supervisor"])
    assert visit.status is VisitStatus.VALIDATED and visit.released_at is None
    with pytest.raises(InvalidTransition):
        validation.release_visits(db.session, setting["market"], [make_visit(setting["hall"], status="submitted")])
    db.session.rollback()
    from surveyapp.visits import queries

    pending = db.session.scalars(queries.validated_unreleased(visit.period, setting["branch"].id)).all()
    assert pending == [visit]
    assert validation.release_visits(db.session, None, pending) == 1
    assert validation.release_visits(db.session, None, pending) == 0
    db.session.commit()
    assert visit.released_at is not None
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.object_id == visit.uid)
                                 .order_by(AuditEntry.id)).all()
    assert actions == ["visit.plan", "visit.start", "visit.submit", "visit.approve", "visit.release"]


def test_cancel_and_edit_plans(setting, make_user, make_hall):
    market = setting["market"]
    visit = plan(setting)
    other_hall = make_hall("H002", unit=setting["branch"])
    today = clock.today()
    changed = planning.update_plan(db.session, market, visit, visit.version, planning.Plan(
        other_hall, setting["version"], "announced", setting["supervisor"], today, today + dt.timedelta(days=2)))
    assert changed and visit.hall == other_hall and visit.type is VisitType.ANNOUNCED
    db.session.commit()
    services.start_visit(db.session, setting["supervisor"], visit)
    db.session.commit()
    with pytest.raises(InvalidTransition):
        planning.update_plan(db.session, market, visit, visit.version, planning.Plan(
            setting["hall"], setting["version"], "announced", setting["supervisor"], today, today))
    assert planning.update_plan(db.session, market, visit, visit.version, planning.Plan(
        other_hall, setting["version"], "announced", setting["supervisor"], today, today + dt.timedelta(days=9)))
    planning.cancel_visit(db.session, market, visit, visit.version, "门店装修")
    db.session.commit()
    assert visit.status is VisitStatus.CANCELLED and visit.events[-1].comment == "门店装修"
    with pytest.raises(InvalidTransition):
        planning.cancel_visit(db.session, market, visit, None)
