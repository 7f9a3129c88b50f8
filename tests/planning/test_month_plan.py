"""The market department plans a month automatically: ask, review, adjust, save all at once."""
from __future__ import annotations

import re
import threading
from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from surveyapp.audit.models import AuditEntry
from surveyapp.checklists.definition import VisitType
from surveyapp.db import db
from surveyapp.errors import Conflict, ValidationError
from surveyapp.planning import month_plan
from surveyapp.planning import services as planning
from surveyapp.planning.models import PlanProposal, PlanProposalItem, ProposalStatus
from surveyapp.visits.models import Visit, VisitStatus
from tests.conftest import form_fields
from tests.visits.conftest import PLANNING_NOW

A, U, S = VisitType.ANNOUNCED, VisitType.UNANNOUNCED, VisitType.SUPERVISOR


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "FROZEN_NOW": PLANNING_NOW}


def settings(org: dict[str, Any], period: str = "2026-12", unit: Any = None, counts: dict[VisitType, int] | None = None,
             seed: int = 1) -> month_plan.MonthSettings:
    return month_plan.MonthSettings(period, unit, counts or {A: 1, U: 1, S: 1},
                                    {A: org["etiquette"], U: org["etiquette"], S: org["social"]}, 4, seed)


def visits() -> list[Visit]:
    return list(db.session.scalars(sa.select(Visit).order_by(Visit.id)))


def audit_count(action: str) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == action))


def test_planning_a_month_from_the_pages(client, login_en, planning_org):
    """Ask, review (nothing is planned yet), save: every active hall gets its three visits, each audited."""
    login_en("market")
    form = form_fields(client.get("/visits/plan-month/").get_data(as_text=True))
    assert form["month"] == "2026-12" and (form["announced"], form["unannounced"], form["supervisor"]) == ("1", "1", "1")
    response = client.post("/visits/plan-month/", data=form)
    assert response.status_code == 302
    proposal = db.session.scalar(sa.select(PlanProposal))
    assert response.headers["Location"] == f"/visits/plan-month/{proposal.uid}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Proposed plan for 2026-12" in page and "Save: plan 30 visits" in page
    # 30 visits for 4 supervisors: loads 8, 8, 7, 7. The south's halls have one internal inspector and one
    # social supervisor between them for three visits each: their doubles are unavoidable and said.
    loads = re.findall(r'<td class="num"><b>(\d+)</b></td>', page)
    assert sorted(map(int, loads)) == [7, 7, 8, 8]
    assert "visits go to a supervisor who visits the same hall again this month" in page
    assert visits() == []

    saved = client.post(f"/visits/plan-month/{proposal.uid}/save", data={"version": proposal.version})
    assert saved.status_code == 302 and saved.headers["Location"].startswith("/visits/calendar/?month=2026-12")
    planned = visits()
    assert len(planned) == 30 and {v.status for v in planned} == {VisitStatus.PLANNED}
    assert Counter((v.hall.code, v.type) for v in planned) == {(h.code, t): 1 for h in planning_org["halls"] for t in (A, U, S)}
    assert all(v.period == "2026-12" and v.due_from.month == 12 for v in planned)
    assert {v.checklist_version.checklist.slug for v in planned if v.type is S} == {"social-supervisor"}
    # Announced by internal inspectors, social-supervisor visits by social supervisors.
    assert not any(v.supervisor.external for v in planned if v.type is A)
    assert all(v.supervisor.external for v in planned if v.type is S)
    assert audit_count("visit.plan") == 30 and audit_count("visit_plan.save") == 1
    db.session.refresh(proposal)
    assert proposal.status is ProposalStatus.SAVED and all(item.visit_id for item in proposal.items)
    assert "2026-12" in client.get(saved.headers["Location"]).get_data(as_text=True)


def test_loads_are_even_and_last_months_pairs_are_repeated_only_where_unavoidable(app, planning_org, make_visit):
    """Last month the north inspector did every north hall's unannounced visit. Even loads (10 visits, 4
    supervisors: 3, 3, 2, 2) give them at least two north halls again; nobody else repeats."""
    org = planning_org
    november = month_plan.month_days("2026-11")[0]
    for hall in org["halls"][:6]:
        make_visit(hall, "unannounced", org["inspector_n"], status="planned", due=(november, november))
    proposal = month_plan.propose(db.session, org["market"], settings(org, counts={U: 1}))
    review = month_plan.review(db.session, proposal)
    assert sorted(load.total for load in review.loads) == [2, 2, 3, 3] and review.spread == 1
    assert review.repeats == 2
    assert {i.supervisor.username for i in proposal.items if i.repeat} == {"insp_n"}
    assert sum(1 for i in proposal.items if i.supervisor.username == "insp_n") == 2


def test_halls_nobody_covers_are_reported_and_left_out(client, login_en, planning_org, make_unit, make_hall):
    east = make_unit("E", "城东分公司", parent=planning_org["city"])
    make_hall("E1", "城东营业厅", unit=east)
    login_en("market")
    form = form_fields(client.get("/visits/plan-month/").get_data(as_text=True))
    location = client.post("/visits/plan-month/", data=form).headers["Location"]
    page = client.get(location).get_data(as_text=True)
    # The city inspector covers E1 for the announced and unannounced visits; no social supervisor does.
    assert "1 visits cannot be planned: nobody who may do them covers these halls." in page
    assert "E1 城东营业厅: Social supervisor visit × 1" in page
    assert "Save: plan 32 visits" in page


def test_adjusting_a_single_assignment(client, login_en, planning_org):
    login_en("market")
    proposal = month_plan.propose(db.session, planning_org["market"], settings(planning_org))
    db.session.commit()
    item = next(i for i in proposal.items if i.hall.code == "N1" and i.type is U)
    other = planning_org["social_n"] if item.supervisor != planning_org["social_n"] else planning_org["inspector_city"]
    page = client.get(f"/visits/plan-month/{proposal.uid}").get_data(as_text=True)
    assert f'name="sup-{item.id}"' in page
    options = re.search(rf'name="sup-{item.id}".*?</select>', page, re.DOTALL).group(0)
    assert "北区督导" in options and "市督导" in options and "北区社会监督员" in options
    assert "南区社会监督员" not in options  # does not cover the north

    response = client.post(f"/visits/plan-month/{proposal.uid}/adjust",
                           data={"version": proposal.version, f"sup-{item.id}": other.id, "page": 1})
    assert response.status_code == 302 and response.headers["Location"].endswith("?page=1")
    db.session.expire_all()
    assert item.supervisor == other and item.adjusted
    assert audit_count("visit_plan.adjust") == 1
    page = client.get(f"/visits/plan-month/{proposal.uid}?flagged=1").get_data(as_text=True)
    assert "Adjusted" in page and "N1 城北1号营业厅" in page

    # A supervisor who does not cover the hall is refused; a page drawn before a change is refused.
    stale = proposal.version
    refused = client.post(f"/visits/plan-month/{proposal.uid}/adjust",
                          data={"version": proposal.version, f"sup-{item.id}": planning_org["social_s"].id})
    assert refused.status_code == 400 and "may not do this visit" in refused.get_data(as_text=True)
    client.post(f"/visits/plan-month/{proposal.uid}/adjust",
                data={"version": proposal.version, f"sup-{item.id}": item.supervisor_id})
    conflict = client.post(f"/visits/plan-month/{proposal.uid}/adjust", data={"version": stale - 1, f"sup-{item.id}": other.id})
    assert conflict.status_code == 409 and "Someone else changed this proposal" in conflict.get_data(as_text=True)


def test_planning_again_fills_only_what_is_missing_and_never_doubles(app, planning_org, make_visit):
    org = planning_org
    december = month_plan.month_days("2026-12")
    make_visit(org["halls"][0], "unannounced", org["inspector_n"], status="planned", due=(december[0], december[0]))
    first = month_plan.propose(db.session, org["market"], settings(org))
    assert len(first.items) == 29
    assert not any(i.hall == org["halls"][0] and i.type is U for i in first.items)
    month_plan.save(db.session, org["market"], first, first.version)
    db.session.commit()
    again = month_plan.propose(db.session, org["market"], settings(org))
    assert again.items == [] and month_plan.review(db.session, again).visits == 0
    assert Counter((v.hall_id, v.type) for v in visits()).most_common(1)[0][1] == 1


def test_a_proposal_made_before_other_plans_of_its_month_is_refused(app, planning_org, make_visit):
    org = planning_org
    proposal = month_plan.propose(db.session, org["market"], settings(org))
    db.session.commit()
    december = month_plan.month_days("2026-12")
    make_visit(org["halls"][3], "announced", org["inspector_n"], status="planned", due=(december[0], december[0]))
    with force_locale("en"), pytest.raises(Conflict, match="were planned or cancelled since this proposal was made"):
        month_plan.save(db.session, org["market"], proposal, proposal.version)
    db.session.rollback()
    assert len(visits()) == 1
    assert db.session.get(PlanProposal, proposal.id).status is ProposalStatus.OPEN


def test_saving_is_all_or_nothing(client, login_en, planning_org):
    """A supervisor deactivated after the proposal was made: nothing is planned and the page says why."""
    org = planning_org
    login_en("market")
    proposal = month_plan.propose(db.session, org["market"], settings(org))
    db.session.commit()
    org["social_s"].active = False
    db.session.commit()
    response = client.post(f"/visits/plan-month/{proposal.uid}/save", data={"version": proposal.version})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Nothing was planned: 8 proposed visits break the planning rules now." in page
    assert "S1 Social supervisor visit: 南区社会监督员 is not an active supervisor." in page
    assert visits() == [] and audit_count("visit.plan") == 0


def test_two_market_users_saving_the_same_month_at_once_plan_it_once(app, planning_org):
    org = planning_org
    whole = month_plan.propose(db.session, org["market"], settings(org))
    north = month_plan.propose(db.session, org["market"], settings(org, unit=org["north"]))
    db.session.commit()
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def save(uid: str) -> None:
        with app.app_context():
            proposal = month_plan.get_proposal(db.session, uid)
            market = db.session.merge(org["market"])
            barrier.wait()
            try:
                month_plan.save(db.session, market, proposal, proposal.version)
                db.session.commit()
                outcomes.append("saved")
            except Conflict:
                db.session.rollback()
                outcomes.append("conflict")

    threads = [threading.Thread(target=save, args=(p.uid,)) for p in (whole, north)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["conflict", "saved"]
    db.session.expire_all()
    assert Counter((v.hall_id, v.type) for v in visits()).most_common(1)[0][1] == 1


def test_the_month_form_refuses_what_cannot_be_planned(client, login_en, planning_org):
    login_en("market")
    form = form_fields(client.get("/visits/plan-month/").get_data(as_text=True))
    page = client.post("/visits/plan-month/", data={**form, "month": "2026-10"}).get_data(as_text=True)
    assert "2026-10 is over: plan this month or a later one." in page
    response = client.post("/visits/plan-month/", data={**form, "announced": "0", "unannounced": "0", "supervisor": "0"})
    assert response.status_code == 400 and "Ask for at least one visit per hall." in response.get_data(as_text=True)
    assert client.post("/visits/plan-month/", data={**form, "windows": "40"}).status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PlanProposal)) == 0
    with pytest.raises(ValidationError):
        month_plan.propose(db.session, planning_org["market"], settings(planning_org, period="2026-13"))


def test_this_month_is_planned_from_today_and_discarding_plans_nothing(client, login_en, planning_org):
    login_en("market")
    proposal = month_plan.propose(db.session, planning_org["market"], settings(planning_org, period="2026-11"))
    db.session.commit()
    assert min(i.due_from for i in proposal.items).isoformat() == "2026-11-20"
    response = client.post(f"/visits/plan-month/{proposal.uid}/discard", data={"version": proposal.version})
    assert response.status_code == 302
    db.session.expire_all()
    assert proposal.status is ProposalStatus.DISCARDED and visits() == []
    again = client.post(f"/visits/plan-month/{proposal.uid}/save", data={"version": proposal.version})
    assert again.status_code == 409 and "discarded" in again.get_data(as_text=True)


def test_proposing_again_draws_anew_and_replaces_the_open_proposal(client, login_en, planning_org):
    login_en("market")
    first = month_plan.propose(db.session, planning_org["market"], settings(planning_org))
    db.session.commit()
    response = client.post(f"/visits/plan-month/{first.uid}/again", data={"version": first.version})
    second = db.session.scalar(sa.select(PlanProposal).where(PlanProposal.id != first.id))
    assert response.headers["Location"] == f"/visits/plan-month/{second.uid}"
    assert second.settings["seed"] == first.settings["seed"] + 1
    db.session.expire_all()
    assert first.status is ProposalStatus.DISCARDED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PlanProposalItem)
                             .where(PlanProposalItem.proposal_id == second.id)) == 30


def test_a_hand_planned_visit_and_the_plan_share_the_rules(app, planning_org):
    """The month plan saves through planning.plan_visit: a refused plan there is refused here too."""
    org = planning_org
    proposal = month_plan.propose(db.session, org["market"], settings(org, counts={U: 1}))
    item = proposal.items[0]
    assert planning.check_plan(db.session, planning.Plan(item.hall, item.checklist_version, item.type, item.supervisor,
                                                         item.due_from, item.due_until)) == []


def test_a_large_company_gets_its_proposal_from_a_background_job(app, client, login_en, planning_org):
    app.config["PLAN_JOB_HALLS"] = 1
    login_en("market")
    form = form_fields(client.get("/visits/plan-month/").get_data(as_text=True))
    started = client.post("/visits/plan-month/", data=form)
    assert started.status_code == 302 and "/jobs/" in started.headers["Location"]
    proposal = db.session.scalar(sa.select(PlanProposal))
    done = client.get(started.headers["Location"])  # the tests' queue runs jobs at once
    assert done.status_code == 302 and done.headers["Location"] == f"/visits/plan-month/{proposal.uid}"
    assert "Proposed plan for 2026-12" in client.get(done.headers["Location"]).get_data(as_text=True)
