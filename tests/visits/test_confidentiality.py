"""Confidentiality (DOMAIN.md): halls never see planned or unreleased visits, unannounced and social-supervisor
visits only once released, never who did them; supervisors see only their own; walking ids is a plain 404."""
from __future__ import annotations

import re
import uuid

import pytest

from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.visits import queries, validation
from tests.visits.conftest import english


@pytest.fixture
def hall_world(make_hall, make_user, make_unit):
    unit = make_unit()
    ours, theirs = make_hall("H001", "我们的营业厅", unit=unit), make_hall("H002", "别人的营业厅", unit=unit)
    supervisor = make_user(Role.SUPERVISOR, units=[unit], display_name="神秘顾客甲")
    manager = make_user(Role.HALL_MANAGER, halls=[ours])
    return {"ours": ours, "theirs": theirs, "supervisor": supervisor, "manager": manager, "market": make_user(Role.MARKET)}


def visible_uids(user):
    return {v.uid for v in db.session.scalars(queries.visible_to_hall_manager(user))}


def test_hall_sees_only_released_validated_visits_of_its_own_halls(hall_world, make_visit, client, login):
    w = hall_world
    states = {s: make_visit(w["ours"], "unannounced", w["supervisor"], status=s)
              for s in ("planned", "in_progress", "submitted", "returned", "rejected", "cancelled", "validated")}
    announced = make_visit(w["ours"], "announced", w["supervisor"], status="validated")
    social = make_visit(w["ours"], "supervisor", w["supervisor"], status="validated")
    elsewhere = make_visit(w["theirs"], "announced", w["supervisor"], status="validated")
    # Announced: released on validation. Unannounced and social supervisor: not yet.
    assert visible_uids(w["manager"]) == {announced.uid}
    validation.release_visits(db.session, w["market"], [states["validated"], social])
    db.session.commit()
    assert visible_uids(w["manager"]) == {announced.uid, states["validated"].uid, social.uid}
    login(w["manager"])
    english(client)
    listing = client.get("/hall/visits/").get_data(as_text=True)
    assert announced.uid in listing and elsewhere.uid not in listing
    for visit in (*[v for s, v in states.items() if s != "validated"], elsewhere):
        assert visit.uid not in listing
        assert client.get(f"/hall/visits/{visit.uid}").status_code == 404


def test_hall_never_learns_who_did_an_unannounced_visit(hall_world, make_visit, client, login):
    w = hall_world
    mystery = make_visit(w["ours"], "unannounced", w["supervisor"], status="validated", released=True,
                         answers={"conduct.farewell": "fail"}, remarks={"conduct.farewell": "离开时无人道别"})
    announced = make_visit(w["ours"], "announced", w["supervisor"], status="validated")
    login(w["manager"])
    english(client)
    listing = client.get("/hall/visits/").get_data(as_text=True)
    assert listing.count("神秘顾客甲") == 1  # the announced inspection names its inspector, the mystery visit not
    page = client.get(f"/hall/visits/{mystery.uid}").get_data(as_text=True)
    assert "离开时无人道别" in page  # the finding is there
    for secret in ("神秘顾客甲", w["supervisor"].username, "supervisor"):
        assert secret not in page.replace("Social supervisor", "")
    assert "神秘顾客甲" in client.get(f"/hall/visits/{announced.uid}").get_data(as_text=True)


def test_supervisors_see_only_their_own_visits(hall_world, make_visit, make_user, client, login):
    w = hall_world
    theirs = make_visit(w["ours"], "unannounced", w["supervisor"], status="in_progress")
    other = make_user(Role.SUPERVISOR, units=[w["ours"].unit])
    mine = make_visit(w["ours"], "unannounced", other, status="planned")
    login(other)
    assert theirs.uid not in client.get("/my/visits").get_data(as_text=True)
    assert client.get(f"/my/visits/{mine.uid}").status_code == 200
    for url in (f"/my/visits/{theirs.uid}", f"/visits/{theirs.uid}"):
        assert client.get(url).status_code in (403, 404)
    assert client.get(f"/my/visits/{theirs.uid}").status_code == 404
    assert client.post(f"/my/visits/{theirs.uid}/draft", json={"fields": []}).status_code == 404
    assert client.post(f"/my/visits/{theirs.uid}/start").status_code == 404


def test_walking_ids_answers_exactly_like_a_missing_visit(hall_world, make_visit, client, login):
    w = hall_world
    hidden = make_visit(w["theirs"], "announced", w["supervisor"], status="validated")
    login(w["manager"])
    english(client)
    pages = []
    for url in (f"/hall/visits/{hidden.uid}", f"/hall/visits/{uuid.uuid4()}", "/hall/visits/1"):
        response = client.get(url)
        assert response.status_code == 404
        # Identical but for the page's own address (the language switch returns to it) and the CSRF
        # tokens (signed with the time).
        page = response.get_data(as_text=True).replace(url, "URL")
        pages.append(re.sub(r'(csrf[-_]token"? (?:content|value)=")[^"]+', r"\1TOKEN", page))
    assert pages[0] == pages[1] == pages[2]


def test_photos_are_served_only_to_those_who_may_see_the_visit(hall_world, make_visit, make_photo, make_user, client, login):
    w = hall_world
    visit = make_visit(w["ours"], "unannounced", w["supervisor"], status="in_progress")
    photo = make_photo(visit, "appearance.uniform")
    url = f"/visits/photos/{photo.uid}"

    def status(user):
        login(user)
        response = client.get(url)
        response.close()
        return response.status_code, response.headers.get("X-Content-Type-Options")

    assert status(w["supervisor"]) == (200, "nosniff")
    assert status(w["market"]) == (200, "nosniff")
    assert status(make_user(Role.SUPERVISOR, units=[w["ours"].unit]))[0] == 404
    assert status(w["manager"])[0] == 404  # not released (not even submitted)
    assert status(make_user(Role.ADMIN))[0] == 404
    login(w["supervisor"])
    response = client.get(url)
    assert response.headers["Content-Disposition"].startswith("attachment") and response.mimetype == "image/jpeg"
    response.close()


def test_released_photo_reaches_the_hall(hall_world, make_visit, client, login):
    w = hall_world
    visit = make_visit(w["ours"], "announced", w["supervisor"], answers={"appearance.uniform": "fail"},
                       remarks={"appearance.uniform": "未戴工号牌"})
    uniform = next(p for p in visit.photos if p.item_key == "appearance.uniform")
    inspection = next(p for p in visit.photos if p.item_key == "management.self-inspection")
    login(w["manager"])
    page = client.get(f"/hall/visits/{visit.uid}").get_data(as_text=True)
    assert "未戴工号牌" in page and uniform.uid in page
    assert inspection.uid not in page  # the hall sees its findings; passed items are not listed
    response = client.get(f"/visits/photos/{uniform.uid}?thumb=1")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    response.close()
