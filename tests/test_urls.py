"""Redirect targets taken from a request never leave the site (``surveyapp/urls.py``)."""
from __future__ import annotations

import pytest

from surveyapp.auth.models import Role
from surveyapp.urls import local_path
from tests.conftest import PASSWORD

#: Each of these ends on another site in some browser (or is not a page at all).
HOSTILE = [
    "/%09/evil.example",          # the reported one: browsers drop the tab and go to //evil.example
    "/\t/evil.example",
    "/\n/evil.example",
    "/%0d%0a/evil.example",
    "/\r\nSet-Cookie: a=b",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/%5Cevil.example",
    "/%2F%2Fevil.example",
    "/%2f/evil.example",
    "/%252F%252Fevil.example",    # decoded twice
    "%2F%2Fevil.example",
    "https://evil.example/",
    "https:evil.example",
    "http:/evil.example",
    "javascript:alert(1)",
    "evil.example",
    "/ /evil.example",
    "/%20/evil.example",
    "/\u3000/evil.example",       # an ideographic space
    "/\u202e/evil.example",       # a right-to-left override
    "/%00/evil.example",
    "/%FF",                      # not UTF-8
    "/" + "a" * 3000,
    "",
]

#: Pages of ours, with their query strings and fragments, must still work.
BENIGN = [
    "/visits/?month=2026-11",
    "/audit/",
    "/visits/?q=%E5%BC%A0%E4%B8%89&page=2",
    "/visits/?q=a%20b",
    "/visits/?q=a+b",
    "/my/visits/abc#item-greeting",
    "/notices/2026-11",
]


@pytest.mark.parametrize("target", HOSTILE)
def test_hostile_targets_are_refused(target):
    assert local_path(target) is None


@pytest.mark.parametrize("target", BENIGN)
def test_pages_of_the_site_are_kept(target):
    assert local_path(target) == target


def _login(client, user, next_):
    return client.post("/login", data={"username": user.username, "password": PASSWORD, "next": next_})


@pytest.mark.parametrize("target", HOSTILE)
def test_login_never_redirects_off_site(client, make_user, target):
    response = _login(client, make_user(Role.ADMIN), target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", HOSTILE)
def test_language_switch_never_redirects_off_site(client, target):
    response = client.post("/lang", data={"lang": "en", "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_the_reported_attack_end_to_end(client, make_user):
    """``GET /login?next=/%09/evil.example`` puts the target into the form; logging in stays on the site."""
    user = make_user(Role.ADMIN)
    page = client.get("/login?next=/%09/evil.example").get_data(as_text=True)
    assert 'value="/\t/evil.example"' in page or "/%09/evil.example" in page
    response = _login(client, user, "/\t/evil.example")
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", BENIGN)
def test_login_and_language_switch_return_to_the_page(client, make_user, target):
    assert client.post("/lang", data={"lang": "en", "next": target}).headers["Location"] == target
    assert _login(client, make_user(Role.ADMIN), target).headers["Location"] == target


def test_saving_a_visit_without_javascript_redirects_to_the_visit_only(client, make_hall, make_user, make_visit, login):
    """The no-JavaScript checklist page used to append a posted ``anchor`` to its redirect (a header with a newline
    was a 500); it now always goes back to the visit page."""
    hall = make_hall()
    supervisor = login(make_user(Role.SUPERVISOR, units=[hall.unit]))
    visit = make_visit(hall, "unannounced", supervisor, status="in_progress")
    response = client.post(f"/my/visits/{visit.uid}", data={"action": "save", "anchor": "x\r\nLocation: //evil.example"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/my/visits/{visit.uid}"
