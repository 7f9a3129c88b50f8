"""The supervisor's side: my visits, starting, the checklist page without JavaScript, and its JSON endpoints
(autosave, submission with a client id, problems at the item), session expiry and aged CSRF tokens."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa

from surveyapp import clock
from surveyapp.auth import services as auth_services
from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.visits.models import Visit, VisitRevision, VisitStatus
from tests.conftest import full_marks
from tests.visits.conftest import english


@pytest.fixture
def mine(make_hall, make_user, make_staff, make_visit, login, client):
    hall = make_hall("H100", "人民路营业厅")
    make_staff(hall, "1001", "张三")
    supervisor = make_user(Role.SUPERVISOR, units=[hall.unit], display_name="王监督")
    login(supervisor)
    english(client)
    return {"hall": hall, "supervisor": supervisor}


def post_json(client, url, body, **headers):
    """POST as the page's JavaScript does (it asks for JSON answers)."""
    return client.post(url, json=body, headers={"Accept": "application/json", **headers})


def page_fields(visit, **overrides):
    """What the page posts for a complete, valid visit."""
    answers = full_marks(visit.checklist_version, visit.type.value, visit.hall.type.value, ["1001"])
    fields = [[k, ", ".join(v) if isinstance(v, list) else str(v)] for k, v in answers.items()]
    local = clock.local(clock.now() - dt.timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M")
    fields += [["visited_at", local], ["scenario", "缴费"], ["impression", "营业员态度热情，办理迅速，环境整洁有序，值得表扬。"]]
    fields = [f for f in fields if f[0] not in overrides]
    fields += [[k, v] for k, v in overrides.items() if v is not None]
    return fields


def test_my_visits_home(client, mine, make_visit, make_hall):
    s, hall = mine["supervisor"], mine["hall"]
    today = clock.today()
    make_visit(hall, "unannounced", s, status="planned", due=(today, today + dt.timedelta(days=3)))
    make_visit(hall, "announced", s, status="planned", due=(today + dt.timedelta(days=8), today + dt.timedelta(days=12)))
    make_visit(hall, "unannounced", s, status="in_progress")
    make_visit(hall, "unannounced", s, status="returned")
    make_visit(hall, "unannounced", status="planned")  # someone else's
    response = client.get("/")
    assert response.headers["Location"] == "/my/visits"  # the supervisor lands on their visits
    page = client.get("/my/visits").get_data(as_text=True)
    for heading in ("Returned for correction", "Started, not submitted", "To do this week", "Later"):
        assert heading in page
    assert page.count('class="visit-card"') == 4 and "请补充备注" in page
    # What needs the supervisor now comes first; next week's visit waits, collapsed under its week, with a count.
    due = today + dt.timedelta(days=8)
    later = page[page.index("Later"):]
    assert f"Week of {(due - dt.timedelta(days=due.weekday())).isoformat()}" in later
    assert '<details class="week">' in later and "1 visit" in later


def test_start_then_fill_without_javascript(client, mine, make_visit):
    visit = make_visit(mine["hall"], "unannounced", mine["supervisor"], status="planned")
    page = client.get(f"/my/visits/{visit.uid}").get_data(as_text=True)
    assert "Start the visit" in page and "do not reveal yourself" in page
    assert client.post(f"/my/visits/{visit.uid}/start").status_code == 302
    page = client.get(f"/my/visits/{visit.uid}").get_data(as_text=True)
    assert 'capture="environment"' in page and 'id="section-index"' in page and "js/visit.js" in page
    # Save a draft with an illegal count: kept as typed, shown again.
    fields = page_fields(visit, **{"conduct.taboo": "2x", "conduct.farewell": "fail"})
    data = {k: v for k, v in fields}
    data.update(csrf_token=client.csrf_token(), action="save", submission_id=str(uuid.uuid4()))
    assert client.post(f"/my/visits/{visit.uid}", data=data).status_code == 302
    page = client.get(f"/my/visits/{visit.uid}").get_data(as_text=True)
    assert 'value="2x"' not in page or "2x" in page  # number inputs keep the text the browser sent
    db.session.refresh(visit)
    assert ["conduct.taboo", "2x"] in visit.draft["fields"]
    # Submitting shows every problem at its item; nothing is submitted.
    data.update(action="submit", impression="太短")
    response = client.post(f"/my/visits/{visit.uid}", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Enter a whole number of times." in page and "The visit was not submitted" in page
    data["conduct.taboo"] = "0"
    response = client.post(f"/my/visits/{visit.uid}", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Write at least 20 characters" in page
    data["impression"] = "营业员态度热情，办理迅速，环境整洁有序，值得表扬。"
    sid = data["submission_id"] = str(uuid.uuid4())
    response = client.post(f"/my/visits/{visit.uid}", data=data)
    assert response.status_code == 302
    db.session.refresh(visit)
    assert visit.status is VisitStatus.SUBMITTED and visit.draft is None
    # The same form posted again (a double tap, a reload) is recognised and changes nothing.
    again = client.post(f"/my/visits/{visit.uid}", data=data)
    assert again.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VisitRevision)) == 1
    assert db.session.scalar(sa.select(VisitRevision.submission_id)) == sid
    page = client.get(f"/my/visits/{visit.uid}").get_data(as_text=True)
    assert "Awaiting validation" in page and 'checked disabled' in page


def test_each_visit_shows_its_own_answers_in_the_supervisors_language(client, mine, make_visit):
    """The checklist's text and buttons are drawn once per checklist and language: two visits of the same
    checklist, each with its own answer, read in English and then in Chinese, each show theirs."""
    first = make_visit(mine["hall"], "unannounced", mine["supervisor"], status="in_progress")
    second = make_visit(mine["hall"], "unannounced", mine["supervisor"], status="in_progress")
    at = clock.now().isoformat()
    for visit, answer in ((first, "fail"), (second, "pass")):
        post_json(client, f"/my/visits/{visit.uid}/draft", {"fields": [["conduct.farewell", answer]], "client_at": at})
    for language, text, label in (("en", "Customers seen off when done", ">Pass<"), ("zh_CN", "业务办理完毕主动道别", ">符合<")):
        with client.session_transaction() as session:
            session["lang"] = language
        for visit, answer, other in ((first, "fail", "pass"), (second, "pass", "fail"), (first, "fail", "pass")):
            page = client.get(f"/my/visits/{visit.uid}").get_data(as_text=True)
            assert text in page and label in page
            assert f'name="conduct.farewell" id="conduct.farewell-{"01"[answer == "fail"]}" value="{answer}" checked' in page
            assert f'value="{other}" checked' not in page.split('id="item-conduct.farewell"')[1].split("</fieldset>")[0]


def test_an_aged_csrf_token_shows_the_answers_again(client, mine, make_visit):
    visit = make_visit(mine["hall"], "unannounced", mine["supervisor"], status="in_progress")
    data = dict(page_fields(visit, **{"conduct.farewell": "fail", "conduct.farewell.remark": "没有道别"}))
    data.update(csrf_token="expired-token", action="save")
    response = client.post(f"/my/visits/{visit.uid}", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Your answers are shown again" in page and "没有道别" in page
    assert 'name="conduct.farewell" id="conduct.farewell-1" value="fail" checked' in page
    db.session.refresh(visit)
    assert visit.draft is None  # nothing was saved on a bad token


def test_autosave_and_json_submission(client, mine, make_visit):
    visit = make_visit(mine["hall"], "unannounced", mine["supervisor"], status="in_progress")
    url = f"/my/visits/{visit.uid}"
    later = clock.now().isoformat()
    earlier = (clock.now() - dt.timedelta(minutes=2)).isoformat()
    assert post_json(client, url + "/draft", {"fields": [["conduct.farewell", "fail"]], "client_at": later}).get_json()["saved"]
    assert not post_json(client, url + "/draft", {"fields": [["conduct.farewell", "pass"]], "client_at": earlier}).get_json()["saved"]
    page = client.get(url).get_data(as_text=True)
    assert 'value="fail" checked' in page and 'data-draft-client-at="' in page
    # Problems come back by field, at the item.
    sid = str(uuid.uuid4())
    response = post_json(client, url + "/submit", {"submission_id": sid, "fields": page_fields(visit, **{"appearance.uniform": "fail"})})
    assert response.status_code == 422
    assert response.get_json()["fields"] == {"appearance.uniform.photos": ["Add a photo of what failed."]}
    body = {"submission_id": sid, "fields": page_fields(visit), "submitted_at": earlier}
    response = post_json(client, url + "/submit", body)
    assert response.status_code == 200 and response.get_json()["repeated"] is False
    assert response.get_json()["redirect"] == url
    repeat = post_json(client, url + "/submit", body)
    assert repeat.status_code == 200 and repeat.get_json()["repeated"] is True
    other = post_json(client, url + "/submit", {**body, "fields": page_fields(visit, **{"conduct.farewell": "fail"})})
    assert other.status_code == 409 and "other content" in other.get_json()["error"]
    late_draft = post_json(client, url + "/draft", {"fields": [], "client_at": later})
    assert late_draft.status_code == 409
    db.session.refresh(visit)
    assert visit.submitted_at == dt.datetime.fromisoformat(earlier) and visit.received_at > visit.submitted_at


def test_a_session_that_ended_answers_401_and_keeps_nothing_half_done(app, client, mine, make_visit):
    visit = make_visit(mine["hall"], "unannounced", mine["supervisor"], status="in_progress")
    auth_services.revoke_session(db.session, mine["supervisor"].session_token)
    db.session.commit()
    response = post_json(client, f"/my/visits/{visit.uid}/draft", {"fields": [["conduct.farewell", "fail"]]})
    assert response.status_code == 401 and "nothing you entered is lost" in response.get_json()["error"]
    # Logging in again gives a new session and a new CSRF secret: the page's old token is refused (400)
    # and a fresh one from /my/csrf-token works.
    old_token = client.csrf_token()
    with client.session_transaction() as session:
        session.clear()
    token = auth_services.open_session(db.session, mine["supervisor"], "127.0.0.1", "pytest")
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = token
    refused = post_json(client, f"/my/visits/{visit.uid}/draft", {"fields": [["conduct.farewell", "fail"]]},
                        **{"X-CSRFToken": old_token})
    assert refused.status_code == 400
    fresh = client.get("/my/csrf-token").get_json()["token"]
    saved = post_json(client, f"/my/visits/{visit.uid}/draft", {"fields": [["conduct.farewell", "fail"]]},
                      **{"X-CSRFToken": fresh})
    assert saved.status_code == 200 and saved.get_json()["saved"]


def test_a_cancelled_visit_stops_the_page(client, mine, make_visit, make_user):
    from surveyapp.planning import services as planning

    visit = make_visit(mine["hall"], "unannounced", mine["supervisor"], status="in_progress")
    planning.cancel_visit(db.session, make_user(Role.MARKET), visit, None, "门店停业")
    db.session.commit()
    response = post_json(client, f"/my/visits/{visit.uid}/draft", {"fields": []})
    assert response.status_code == 409 and "cancelled" in response.get_json()["error"]
    assert "This visit has been cancelled" in client.get(f"/my/visits/{visit.uid}").get_data(as_text=True)


def test_visit_fields_shown_when_the_checklist_has_no_staff_item(client, mine, make_visit, make_checklist):
    source = make_checklist("hall-etiquette").source
    start = source.index('[[section]]\nid = "record"')
    trimmed = source[:start].replace("version = 1", "version = 2", 1)
    version = make_checklist("hall-etiquette", source=trimmed)
    visit = make_visit(mine["hall"], "unannounced", mine["supervisor"], status="in_progress", checklist=version)
    page = client.get(f"/my/visits/{visit.uid}").get_data(as_text=True)
    assert 'name="served"' in page
    fields = page_fields(visit, served="1001, 9999")
    response = post_json(client, f"/my/visits/{visit.uid}/submit", {"submission_id": str(uuid.uuid4()), "fields": fields})
    assert response.status_code == 422
    assert response.get_json()["fields"] == {"served": ["9999 is not a job number of this hall's staff."]}
    fields = page_fields(visit, served="1001")
    response = post_json(client, f"/my/visits/{visit.uid}/submit", {"submission_id": str(uuid.uuid4()), "fields": fields})
    assert response.status_code == 200
    assert [s.job_number for s in db.session.get(Visit, visit.id).staff] == ["1001"]


# --- values out of range: each refused at its field with a translated message, nothing submitted ---------


def _submit_fields(client, visit, fields):
    return post_json(client, f"/my/visits/{visit.uid}/submit", {"submission_id": str(uuid.uuid4()), "fields": fields})


def _revisions(visit):
    return db.session.scalar(sa.select(sa.func.count()).select_from(VisitRevision).where(VisitRevision.visit_id == visit.id))


@pytest.mark.parametrize(("visited_at", "message"), [
    ("0001-01-01T00:00", "The visit time is too far in the past: the earliest accepted is "),   # was a 500
    ("1900-01-01T10:00", "The visit time is too far in the past: the earliest accepted is "),   # was filed under 1900-01
    ("2099-01-01T10:00", "The visit time cannot be in the future."),
])
def test_implausible_visit_times_are_refused_at_the_field(client, mine, make_visit, visited_at, message):
    visit = make_visit(mine["hall"], "unannounced", mine["supervisor"], status="in_progress")
    response = _submit_fields(client, visit, page_fields(visit, visited_at=visited_at))
    assert response.status_code == 422
    [problem] = response.get_json()["fields"]["visited_at"]
    assert problem.startswith(message)
    # Without JavaScript: the page again, with the message at the field.
    page = client.post(f"/my/visits/{visit.uid}", data=dict(page_fields(visit, visited_at=visited_at), action="submit",
                                                            submission_id=str(uuid.uuid4())))
    assert page.status_code == 422 and message in page.get_data(as_text=True)
    assert _revisions(visit) == 0


def test_the_oldest_visit_time_is_a_setting(app, client, mine, make_visit):
    visit = make_visit(mine["hall"], "unannounced", mine["supervisor"], status="in_progress")
    old = clock.local(clock.now() - dt.timedelta(days=400)).strftime("%Y-%m-%dT%H:%M")
    app.config["VISIT_MAX_AGE_YEARS"] = 1
    assert "visited_at" in _submit_fields(client, visit, page_fields(visit, visited_at=old)).get_json()["fields"]
    app.config.update(VISIT_MAX_AGE_YEARS=2, VISIT_PLAN_GRACE_DAYS=1000, VISIT_MAX_BACKDATE_DAYS=1000)
    assert _submit_fields(client, visit, page_fields(visit, visited_at=old)).status_code == 200


def test_visit_times_before_the_plans_window_or_too_far_back_are_refused(app, client, mine, make_visit):
    today = clock.today()
    visit = make_visit(mine["hall"], "unannounced", mine["supervisor"], status="in_progress",
                       due=(today - dt.timedelta(days=3), today + dt.timedelta(days=3)))

    def back(days):
        return clock.local(clock.now() - dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")

    fields = _submit_fields(client, visit, page_fields(visit, visited_at=back(6))).get_json()["fields"]
    assert fields == {"visited_at": [(f"The visit time is before the plan's due window opened "
                                     f"({(today - dt.timedelta(days=3)).isoformat()}; 1 days' grace): check the date.")]}
    app.config["VISIT_PLAN_GRACE_DAYS"] = 30
    with client.session_transaction() as session:
        session["lang"] = "zh"
    fields = _submit_fields(client, visit, page_fields(visit, visited_at=back(10))).get_json()["fields"]
    assert fields == {"visited_at": ["检查时间早于提交时间超过 7 天：请核对日期。更早的纸质检查结果由市场部导入。"]}
    app.config["VISIT_MAX_BACKDATE_DAYS"] = 14
    assert _submit_fields(client, visit, page_fields(visit, visited_at=back(10))).status_code == 200


def test_a_visit_time_before_its_checklist_version_existed_is_refused(app, client, mine, make_visit):
    today = clock.today()
    visit = make_visit(mine["hall"], "unannounced", mine["supervisor"], status="in_progress",
                       due=(today - dt.timedelta(days=5), today + dt.timedelta(days=3)))
    version = visit.checklist_version
    version.first_loaded_at = clock.now() - dt.timedelta(days=2)  # loaded the day before yesterday
    db.session.commit()
    loaded = clock.local(version.first_loaded_at).strftime("%Y-%m-%d %H:%M")

    def back(hours):
        return clock.local(clock.now() - dt.timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")

    response = _submit_fields(client, visit, page_fields(visit, visited_at=back(3 * 24)))
    assert response.status_code == 422 and _revisions(visit) == 0
    assert response.get_json()["fields"] == {"visited_at": [
        f"The visit time is before version {version.version} of this checklist existed (loaded {loaded}): check the date."]}
    with client.session_transaction() as session:
        session["lang"] = "zh"
    response = _submit_fields(client, visit, page_fields(visit, visited_at=back(2 * 24 + 1)))
    assert response.get_json()["fields"] == {"visited_at": [
        f"检查时间早于该检查表第 {version.version} 版存在的时间（{loaded} 载入）：请核对日期。"]}
    # The minute it was loaded counts (times are entered to the minute), and any time after.
    response = _submit_fields(client, visit, page_fields(visit, visited_at=clock.local(version.first_loaded_at).strftime("%Y-%m-%dT%H:%M")))
    assert response.status_code == 200, response.get_json()
    assert _revisions(visit) == 1


def _count_item(visit):
    from surveyapp.checklists import scoring
    from surveyapp.checklists.definition import ItemKind

    return next(i.key for i in scoring.applicable_items(visit.checklist_version.definition, visit.type, visit.hall.type)
                if i.kind is ItemKind.COUNT)


@pytest.mark.parametrize("count", ["²", "٣", "9" * 4999, "-1", "1e3"])
def test_a_count_that_is_not_a_whole_number_is_named_in_the_users_language(client, mine, make_visit, count):
    visit = make_visit(mine["hall"], "unannounced", mine["supervisor"], status="in_progress")
    key = _count_item(visit)
    response = _submit_fields(client, visit, page_fields(visit, **{key: count}))
    assert response.status_code == 422
    assert response.get_json()["fields"] == {key: ["Enter a whole number of times."]}
    with client.session_transaction() as session:
        session["lang"] = "zh"
    response = _submit_fields(client, visit, page_fields(visit, **{key: count}))
    assert response.get_json()["fields"] == {key: ["请填写整数次数。"]}
    assert _revisions(visit) == 0


def test_a_count_too_large_is_refused_with_the_limit(client, mine, make_visit):
    visit = make_visit(mine["hall"], "unannounced", mine["supervisor"], status="in_progress")
    key = _count_item(visit)
    response = _submit_fields(client, visit, page_fields(visit, **{key: "99999999999"}))
    assert response.status_code == 422 and response.get_json()["fields"][key] == ["Enter a whole number of times."]
    response = _submit_fields(client, visit, page_fields(visit, **{key: "1000"}))
    assert response.status_code == 422 and "999" in response.get_json()["fields"][key][0]


def test_a_scenario_too_long_is_refused_not_cut(client, mine, make_visit):
    visit = make_visit(mine["hall"], "unannounced", mine["supervisor"], status="in_progress")
    response = _submit_fields(client, visit, page_fields(visit, scenario="办" * 51))
    assert response.status_code == 422
    assert response.get_json()["fields"] == {"scenario": ["At most 50 characters."]}
    assert _submit_fields(client, visit, page_fields(visit, scenario="办" * 50)).status_code == 200
    assert db.session.get(Visit, visit.id).revisions[-1].content["scenario"] == "办" * 50


def test_unknown_answer_keys_are_refused_not_dropped(client, mine, make_visit):
    visit = make_visit(mine["hall"], "unannounced", mine["supervisor"], status="in_progress")
    fields = page_fields(visit) + [["appearance.hat", "pass"], ["appearance.uniform.remrak", "typo"]]
    response = _submit_fields(client, visit, fields)
    assert response.status_code == 422
    assert response.get_json()["fields"] == {
        "appearance.hat": ["“appearance.hat” is not a field of this checklist."],
        "appearance.uniform.remrak": ["“appearance.uniform.remrak” is not a field of this checklist."]}
    page = client.post(f"/my/visits/{visit.uid}", data=dict(fields, action="submit", submission_id=str(uuid.uuid4())))
    assert page.status_code == 422 and "“appearance.hat” is not a field of this checklist." in page.get_data(as_text=True)
    assert _revisions(visit) == 0
