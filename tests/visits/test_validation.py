"""The validation queue: approve, return with comments (every version kept, shown side by side), reject with a
reason; nobody validates their own submission; two market users at once: one wins, the other is told."""
from __future__ import annotations

import threading
import uuid

import pytest
import sqlalchemy as sa
from flask import current_app

from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.visits import services
from surveyapp.visits.content import Content
from surveyapp.visits.models import Visit, VisitEvent, VisitStatus
from surveyapp.visits.rules import VisitSettings
from tests.visits.conftest import english


def test_queue_lists_submitted_visits_oldest_first(client, login_en, make_visit, make_hall):
    hall = make_hall()
    first = make_visit(hall, "unannounced", status="submitted")
    second = make_visit(hall, "announced", status="submitted")
    make_visit(hall, "announced", status="validated")
    login_en(Role.MARKET)
    page = client.get("/visits/queue").get_data(as_text=True)
    assert page.index(first.uid) < page.index(second.uid)
    assert page.count("/visits/") and "Nothing is waiting" not in page
    assert client.get("/visits/queue?type=announced").get_data(as_text=True).count(first.uid) == 0


def test_approve_then_next_in_queue(client, login_en, make_visit, make_hall):
    hall = make_hall()
    first = make_visit(hall, "announced", status="submitted")
    second = make_visit(hall, "announced", status="submitted")
    login_en(Role.MARKET)
    page = client.get(f"/visits/{first.uid}").get_data(as_text=True)
    assert 'value="approve"' in page and f'name="version" type="hidden" value="{first.version}"' in page
    response = client.post(f"/visits/{first.uid}/decide", data={"action": "approve", "version": first.version, "then": "next"})
    assert response.headers["Location"] == f"/visits/{second.uid}"
    db.session.refresh(first)
    assert first.status is VisitStatus.VALIDATED and first.released_at is not None


def test_the_approval_comment_reaches_the_supervisor_on_the_visit_and_in_the_inbox(client, login_en, login, make_visit,
                                                                                   make_hall):
    visit = make_visit(make_hall(), "announced", status="submitted", answers={"conduct.farewell": "fail"},
                       remarks={"conduct.farewell": "未道别"})
    login_en(Role.MARKET)
    response = client.post(f"/visits/{visit.uid}/decide", data={
        "action": "approve", "version": visit.version, "comment": "照片清晰，记录完整，辛苦了"})
    assert response.status_code == 302
    login(visit.supervisor)
    english(client)
    inbox = client.get("/inbox/").get_data(as_text=True)
    assert "was approved: 照片清晰，记录完整，辛苦了" in inbox
    page = client.get(f"/my/visits/{visit.uid}").get_data(as_text=True)
    assert "Approved by the market department:" in page and "照片清晰，记录完整，辛苦了" in page
    # The submitted visit opens with its failed items, linked to them, and offers no photo picker any more.
    summary = page[page.index("failed-summary"):page.index('class="checklist')]
    assert "1 failed item" in summary and 'href="#item-conduct.farewell"' in summary and "未道别" in summary
    assert 'type="file"' not in page


def test_return_with_comments_resubmit_and_compare_versions(client, login_en, login, make_visit, make_hall):
    hall = make_hall()
    visit = make_visit(hall, "unannounced", status="submitted", answers={"conduct.farewell": "fail"},
                       remarks={"conduct.farewell": "未道别"})
    market = login_en(Role.MARKET)
    response = client.post(f"/visits/{visit.uid}/decide", data={
        "action": "return", "version": visit.version, "comment": "请核实离厅时的情况",
        "item:conduct.farewell": "是否确实未道别？请补充时间"})
    assert response.status_code == 302
    db.session.refresh(visit)
    assert visit.status is VisitStatus.RETURNED
    # The supervisor sees the comments, overall and at the item, and resubmits a correction.
    login(visit.supervisor)
    english(client)
    page = client.get(f"/my/visits/{visit.uid}").get_data(as_text=True)
    assert "请核实离厅时的情况" in page and "是否确实未道别？请补充时间" in page
    assert 'value="fail" checked' in page  # the form starts from what was submitted
    content = Content.from_json(visit.revisions[-1].content)
    corrected = Content(answers={**content.answers, "conduct.farewell": "pass"}, remarks={}, staff=content.staff,
                        scenario=content.scenario, impression=content.impression, visited_at=content.visited_at)
    services.submit_visit(db.session, visit.supervisor, visit, str(uuid.uuid4()), corrected, settings=VisitSettings.of(current_app))
    db.session.commit()
    login(market)
    english(client)
    page = client.get(f"/visits/{visit.uid}/revisions").get_data(as_text=True)
    assert "Version 1" in page and "Version 2" in page
    assert page.count('class="changed"') == 1  # only the farewell item changed
    assert "未道别" in page
    assert "是否确实未道别？请补充时间" in client.get(f"/visits/{visit.uid}").get_data(as_text=True)  # history keeps it


def test_reject_needs_a_reason(client, login_en, make_visit):
    visit = make_visit(status="submitted")
    login_en(Role.MARKET)
    response = client.post(f"/visits/{visit.uid}/decide", data={"action": "reject", "version": visit.version})
    assert response.status_code == 400 and "Give the reason" in response.get_data(as_text=True)
    client.post(f"/visits/{visit.uid}/decide", data={"action": "reject", "version": visit.version, "comment": "照片与现场不符"})
    db.session.refresh(visit)
    assert visit.status is VisitStatus.REJECTED and visit.events[-1].comment == "照片与现场不符"


def test_nobody_validates_what_they_submitted(client, login_en, make_visit, make_user, login):
    visit = make_visit(status="submitted")
    market = make_user(Role.MARKET)
    visit.revisions[0].submitted_by_id = market.id  # say, entered from a paper form by this market user
    db.session.commit()
    login(market)
    english(client)
    page = client.get(f"/visits/{visit.uid}").get_data(as_text=True)
    assert 'value="approve"' not in page and "someone else must validate it" in page
    response = client.post(f"/visits/{visit.uid}/decide", data={"action": "approve", "version": visit.version})
    assert response.status_code == 403
    db.session.refresh(visit)
    assert visit.status is VisitStatus.SUBMITTED


def test_two_market_users_at_once_one_wins_the_other_is_told(app, make_visit, make_user, login):
    visit = make_visit(status="submitted")
    alice, bob = make_user(Role.MARKET, display_name="刘敏"), make_user(Role.MARKET, display_name="周静")
    a, b = app.test_client(), app.test_client()
    login(alice, into=a)
    login(bob, into=b)
    english(a)
    english(b)
    # Both opened the visit and see the same version.
    assert f'value="{visit.version}"' in a.get(f"/visits/{visit.uid}").get_data(as_text=True)
    assert f'value="{visit.version}"' in b.get(f"/visits/{visit.uid}").get_data(as_text=True)
    version = visit.version
    assert a.post(f"/visits/{visit.uid}/decide", data={"action": "approve", "version": version}).status_code == 302
    refused = b.post(f"/visits/{visit.uid}/decide", data={"action": "return", "version": version, "comment": "补充"})
    assert refused.status_code == 409
    text = refused.get_data(as_text=True)
    assert "刘敏 changed this visit" in text and "Validated" in text
    db.session.refresh(visit)
    assert visit.status is VisitStatus.VALIDATED


def test_two_market_users_racing_on_the_database(app, make_visit, make_user, login):
    """Both requests pass the version check at the same moment: the version column lets one UPDATE through."""
    visit = make_visit(status="submitted")
    clients = []
    for _ in range(2):
        client = app.test_client()
        login(make_user(Role.MARKET), into=client)
        clients.append(client)
    version, barrier, results = visit.version, threading.Barrier(2), []

    def act(client, action):
        barrier.wait()
        response = client.post(f"/visits/{visit.uid}/decide",
                               data={"action": action, "version": version, "comment": "原因"})
        results.append(response.status_code)

    threads = [threading.Thread(target=act, args=(c, a)) for c, a in zip(clients, ("approve", "reject"), strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == [302, 409]
    db.session.expire_all()
    decided = db.session.scalars(sa.select(VisitEvent.action).where(VisitEvent.visit_id == visit.id,
                                                                    VisitEvent.action.in_(["approve", "reject"]))).all()
    assert len(decided) == 1
    assert db.session.get(Visit, visit.id).status in (VisitStatus.VALIDATED, VisitStatus.REJECTED)


@pytest.mark.parametrize("decision", ["approve", "return", "reject"])
def test_decisions_only_on_submitted_visits(client, login_en, make_visit, decision):
    visit = make_visit(status="validated")
    login_en(Role.MARKET)
    response = client.post(f"/visits/{visit.uid}/decide", data={"action": decision, "version": visit.version, "comment": "x"})
    assert response.status_code == 409
