"""The market department plans visits by hand, lists and filters them, and validates submitted ones."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from surveyapp import clock
from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.visits.models import Visit, VisitStatus


@pytest.fixture
def org(make_unit, make_hall, make_user, make_checklist):
    city = make_unit("C", "市公司")
    north = make_unit("N", "城北分公司", parent=city)
    south = make_unit("S", "城南分公司", parent=city)
    hall_n = make_hall("HN1", "城北营业厅", unit=north)
    hall_s = make_hall("HS1", "城南营业厅", unit=south)
    sup_n = make_user(Role.SUPERVISOR, units=[north], display_name="北区监督员")
    sup_city = make_user(Role.SUPERVISOR, units=[city], display_name="全市监督员")
    make_checklist("hall-etiquette")
    make_checklist("social-supervisor")
    return {"city": city, "north": north, "south": south, "hall_n": hall_n, "hall_s": hall_s,
            "sup_n": sup_n, "sup_city": sup_city}


def plan_form(hall, supervisor, type="unannounced", checklist="hall-etiquette", days=(0, 6)):
    today = clock.today()
    return {"hall": hall.id, "type": type, "checklist": checklist, "supervisor": supervisor.id,
            "due_from": (today + dt.timedelta(days=days[0])).isoformat(),
            "due_until": (today + dt.timedelta(days=days[1])).isoformat()}


def test_planning_a_visit_by_hand(client, login_en, org):
    login_en(Role.MARKET)
    page = client.get("/visits/new").get_data(as_text=True)
    assert "HN1 城北营业厅" in page and 'data-types="supervisor"' in page
    response = client.post("/visits/new", data=plan_form(org["hall_n"], org["sup_n"]))
    assert response.status_code == 302
    visit = db.session.scalar(sa.select(Visit))
    assert response.headers["Location"] == f"/visits/{visit.uid}"
    assert (visit.hall, visit.supervisor, visit.status) == (org["hall_n"], org["sup_n"], VisitStatus.PLANNED)
    assert visit.checklist_version.checklist.slug == "hall-etiquette"


def test_planning_refuses_what_breaks_the_rules_with_messages(client, login_en, org):
    login_en(Role.MARKET)
    bad = plan_form(org["hall_s"], org["sup_n"], type="supervisor", checklist="hall-etiquette", days=(3, 1))
    page = client.post("/visits/new", data=bad).get_data(as_text=True)
    assert "does not cover the unit of hall HS1" in page
    assert "is not for this kind of visit" in page
    assert "The due window ends before it starts." in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == 0


def test_supervisor_options_follow_the_unit_tree(client, login_en, org):
    login_en(Role.MARKET)
    ids = client.get(f"/visits/options?hall={org['hall_s'].id}").get_json()["supervisors"]
    assert ids == [org["sup_city"].id]  # the north supervisor does not cover the south
    ids = client.get(f"/visits/options?hall={org['hall_n'].id}").get_json()["supervisors"]
    assert sorted(ids) == sorted([org["sup_n"].id, org["sup_city"].id])


def test_list_filters_and_pagination(client, login_en, org, make_visit, app):
    last_month = clock.now() - dt.timedelta(days=40)
    make_visit(org["hall_n"], "unannounced", org["sup_n"], status="validated", visited_at=last_month)
    make_visit(org["hall_n"], "announced", org["sup_n"], status="submitted")
    make_visit(org["hall_s"], "supervisor", org["sup_city"], status="planned")
    login_en(Role.MARKET)

    def rows(**args):
        page = client.get("/visits/", query_string=args).get_data(as_text=True)
        return page.count("data-visit=")

    assert rows() == 3
    assert rows(unit=org["north"].id) == 2 and rows(unit=org["city"].id) == 3  # a unit includes those below
    assert rows(hall=org["hall_s"].id) == 1
    assert rows(type="announced") == 1
    assert rows(supervisor=org["sup_city"].id) == 1
    assert rows(status="validated") == 1
    assert rows(month=clock.local(last_month).strftime("%Y-%m")) == 1
    assert rows(status="nonsense", month="bad") == 3  # unknown filter values are ignored
    app.config["PAGE_SIZE"] = 2
    page = client.get("/visits/").get_data(as_text=True)
    assert 'rel="next"' in page and "3 in all" in page


def test_editing_and_cancelling_a_plan(client, login_en, org, make_visit):
    visit = make_visit(org["hall_n"], "unannounced", org["sup_n"], status="planned")
    login_en(Role.MARKET)
    form = plan_form(org["hall_n"], org["sup_city"], type="announced")
    response = client.post(f"/visits/{visit.uid}/edit", data={**form, "version": visit.version})
    assert response.status_code == 302
    db.session.refresh(visit)
    assert visit.supervisor == org["sup_city"] and visit.type.value == "announced"
    response = client.post(f"/visits/{visit.uid}/cancel", data={"version": visit.version, "reason": "厅内装修"})
    assert response.status_code == 302
    db.session.refresh(visit)
    assert visit.status is VisitStatus.CANCELLED
    page = client.get(f"/visits/{visit.uid}").get_data(as_text=True)
    assert "厅内装修" in page and "Cancelled" in page


def test_an_old_edit_form_is_refused_with_a_clear_message(client, login_en, org, make_visit, make_user, login):
    visit = make_visit(org["hall_n"], "unannounced", org["sup_n"], status="planned")
    stale = visit.version
    other = make_user(Role.MARKET, display_name="周静")
    login(other, into=client)
    client.post(f"/visits/{visit.uid}/cancel", data={"version": stale})
    login_en(Role.MARKET)
    form = {**plan_form(org["hall_n"], org["sup_n"]), "version": stale}
    page = client.post(f"/visits/{visit.uid}/edit", data=form)
    assert page.status_code == 302  # a cancelled visit's plan can no longer change: back to its page
    response = client.post(f"/visits/{visit.uid}/cancel", data={"version": stale})
    assert response.status_code == 409 and "周静 changed this visit" in response.get_data(as_text=True)


def test_a_started_visit_keeps_all_but_its_due_window(client, login_en, org, make_visit):
    visit = make_visit(org["hall_n"], "unannounced", org["sup_n"], status="in_progress")
    login_en(Role.MARKET)
    form = {**plan_form(org["hall_n"], org["sup_city"]), "version": visit.version}
    page = client.post(f"/visits/{visit.uid}/edit", data=form).get_data(as_text=True)
    assert "only its due window may change now" in page
    form = {**plan_form(org["hall_n"], org["sup_n"], days=(0, 20)), "version": visit.version}
    assert client.post(f"/visits/{visit.uid}/edit", data=form).status_code == 302
    db.session.refresh(visit)
    assert visit.due_until == clock.today() + dt.timedelta(days=20) and visit.supervisor == org["sup_n"]
