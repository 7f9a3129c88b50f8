"""What text, numbers and bodies the app accepts from outside (surveyapp.inputs), checked at every way in."""
from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from surveyapp import inputs
from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.errors import ValidationError
from surveyapp.visits.models import Visit
from tests.visits.conftest import english
from tests.visits.test_supervisor import page_fields, post_json


@pytest.fixture
def in_english(app):
    """A request context whose language is English."""
    from flask import session

    with app.test_request_context():
        session["lang"] = "en"
        yield


REFUSED_SAMPLES = ["\x00", "\x07", "\x0b", "\x1b", "\x7f", "\x85", "\ud83d", "\udca9", "\ufffe"]
ACCEPTED_SAMPLES = ["", "营业员态度热情", "tab\tline\nbreak\r\n", "😀 emoji", "\u200f RTL mark \u202e", "﨑 (U+FA11)"]


@pytest.mark.parametrize("text", ACCEPTED_SAMPLES)
def test_ordinary_text_is_kept_as_sent(text):
    assert inputs.text_problem(text) is None
    assert inputs.check_text(text, "Remark") == text


@pytest.mark.parametrize("char", REFUSED_SAMPLES)
def test_control_characters_and_broken_emoji_are_refused_naming_the_field(in_english, char):
    with pytest.raises(ValidationError) as caught:
        inputs.check_text(f"ab{char}", "Remark")
    message = str(caught.value.message)
    assert message.startswith("Remark: ") and f"U+{ord(char):04X} at position 3" in message


@pytest.mark.parametrize(("text", "value"), [("0", 0), ("42", 42), (" 7 ", 7), ("007", 7), (5, 5)])
def test_whole_numbers(text, value):
    assert inputs.whole_number(text) == value


@pytest.mark.parametrize("text", ["²", "٣", "１", "-1", "1.5", "", "9" * 4999, "99999999999", True, None, 2**40])
def test_what_is_not_a_whole_number(text):
    assert inputs.whole_number(text) is None


def test_deep_and_odd_json_trees(in_english):
    inputs.check_tree({"fields": [["a", "b"]]})
    with pytest.raises(ValidationError, match="nested more than"):
        inputs.check_tree(json.loads("[" * 30 + "]" * 30))
    with pytest.raises(ValidationError, match=r"^remark: it contains the character U\+0000"):
        inputs.check_tree({"fields": [["remark", "b\x00"]]})
    with pytest.raises(ValidationError, match=r"^rows\[1\]\.name: it contains the character U\+D83D"):
        inputs.check_tree({"rows": [{"name": "a"}, {"name": "\ud83d"}]})


# --- at the edge: every request ---------------------------------------------------------------------


@pytest.fixture
def draft_url(make_hall, make_user, make_staff, make_visit, login, client):
    hall = make_hall("H100", "人民路营业厅")
    make_staff(hall, "1001", "张三")
    supervisor = make_user(Role.SUPERVISOR, units=[hall.unit])
    login(supervisor)
    english(client)
    visit = make_visit(hall, "unannounced", supervisor, status="in_progress")
    return f"/my/visits/{visit.uid}"


@pytest.mark.parametrize("char", ["\u0000", "\ud83d"])
def test_a_draft_with_text_the_database_cannot_store_is_refused_and_nothing_kept(client, draft_url, char):
    before = db.session.scalar(sa.select(Visit.draft))
    response = post_json(client, draft_url + "/draft", {"fields": [["impression", f"很好{char}"]]})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert "impression" in error and f"U+{ord(char):04X}" in error
    db.session.expire_all()
    assert db.session.scalar(sa.select(Visit.draft)) == before
    assert client.get(draft_url).status_code == 200


def test_a_submission_with_a_nul_in_a_remark_is_refused(client, draft_url):
    visit = db.session.scalar(sa.select(Visit))
    fields = page_fields(visit, **{"appearance.uniform.remark": "左胸\x00未佩戴工号牌"})
    response = post_json(client, draft_url + "/submit", {"submission_id": "0f0c7d6e-3c9a-4a57-9f1b-0c1d2e3f4a5b",
                                                          "fields": fields})
    assert response.status_code == 400
    assert "appearance.uniform.remark" in response.get_json()["error"]
    assert db.session.scalar(sa.select(Visit.status)).value == "in_progress"


def test_a_lone_surrogate_already_stored_does_not_break_the_page(client, draft_url):
    """A draft stored before the rule existed (JSON keeps escaped surrogates) still shows."""
    db.session.execute(sa.update(Visit).values(draft={"fields": [["impression", "好\ud83d"]]}))
    db.session.commit()
    response = client.get(draft_url)
    assert response.status_code == 200
    assert "好\ufffd" in response.get_data(as_text=True)


def test_form_fields_query_strings_and_file_names_follow_the_rule(client, login_as):
    login_as(Role.ADMIN)
    english(client)
    response = client.get("/org/halls?q=a%00b")
    assert response.status_code == 400
    assert "q: it contains the character U+0000" in response.get_data(as_text=True)
    response = client.post("/org/units/new", data={"code": "X1", "name": "城北\x1b分公司"})
    assert response.status_code == 400
    assert "name: it contains the character U+001B" in response.get_data(as_text=True)
    import io

    response = client.post("/bulk/import?kind=halls", data={"file": (io.BytesIO(b"a,b\n"), "halls\x00.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert "U+0000" in response.get_data(as_text=True)


# --- item 5: bodies that cannot be read -------------------------------------------------------------


@pytest.mark.parametrize("body", [
    "[" * 100000 + "]" * 100000,                       # RecursionError before
    "[" * 25 + "]" * 25,                               # deep but parseable
    '{"fields": [["a", "b"]',                          # cut short
    "\xff\xfe{}",                                      # not UTF-8
    '{"fields": [["impression", "\\u0000"]]}',         # escaped NUL
])
def test_unreadable_json_bodies_are_a_400_with_a_json_error(client, draft_url, body):
    response = client.post(draft_url + "/draft", data=body.encode("utf-8", "surrogateescape") if isinstance(body, str) else body,
                           content_type="application/json")
    assert response.status_code == 400
    assert response.is_json and response.get_json()["error"]


@pytest.mark.parametrize("body", ['[["impression", "x"]]', '"fields"', "3", "null"])
def test_json_of_the_wrong_shape_is_a_400(client, draft_url, body):
    response = client.post(draft_url + "/draft", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"] == "The request is not in the expected format."


def test_every_endpoint_refuses_an_unreadable_json_body(app, client, login_as):
    """Not just the phone's: any route posted a JSON body it cannot read answers 400 in JSON, never 500."""
    login_as(Role.ADMIN)
    posted = 0
    for rule in app.url_map.iter_rules():
        if "POST" not in (rule.methods or ()):
            continue
        url = rule.build({name: "1" for name in rule.arguments}, append_unknown=False)[1]
        response = client.post(url, data="[" * 100000, content_type="application/json")
        assert response.status_code == 400, url
        assert "error" in response.get_json(), url
        posted += 1
    assert posted > 20


@pytest.mark.parametrize("body", [["a"], 3, {"username": {"nested": [1]}, "role": ["x", 1]}, None])
def test_json_posted_to_a_page_form_is_a_post_without_fields(client, login_as, make_user, body):
    """Flask-WTF would read a JSON body as the form's fields and fail inside WTForms on a list or a number:
    the app's forms read form fields only, so JSON is refused with the form's own messages and nothing changes."""
    login_as(Role.ADMIN)
    user = make_user(Role.MARKET, username="lin")
    response = client.post(f"/users/{user.id}/edit", json=body)
    assert response.status_code == 200
    assert "This field is required." in english(client).post(f"/users/{user.id}/edit", json=body).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(user), user.id).username == "lin"


def test_every_form_of_the_app_reads_form_fields_only():
    """One base for every form (surveyapp.webforms.Form), so the rule above holds for forms added later."""
    from flask_wtf import FlaskForm

    from surveyapp import create_app
    from surveyapp.webforms import Form

    create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": "sqlite://"})  # imports every capability
    forms, stack = [], [FlaskForm]
    while stack:
        stack.extend(sub for sub in stack.pop().__subclasses__() if sub.__module__.startswith("surveyapp."))
        forms.extend(stack)
    others = {f"{form.__module__}.{form.__qualname__}" for form in forms if not issubclass(form, Form)}
    assert not others, f"derive these from surveyapp.webforms.Form: {sorted(others)}"


@pytest.mark.parametrize("user_id", ["2147483648", "9223372036854775808", "9" * 40])
def test_an_id_no_column_can_hold_is_a_404(client, login_as, user_id):
    """``<int:...>`` takes ids up to the INTEGER columns' largest: PostgreSQL's driver overflowed on more (500)."""
    login_as(Role.ADMIN)
    assert client.get(f"/users/{user_id}/edit").status_code == 404
    assert client.post(f"/users/{user_id}/active", data={"active": "0"}).status_code == 404
