"""Every write endpoint of ``app.url_map``, as every role that may use it, with generated bodies.

The property, for each request: never a 5xx, never a traceback in the body, and when the answer is a 4xx the
database is as it was (every row of every table, see :func:`tests.test_access_matrix._fingerprint`). The
endpoints and the roles come from the app and the access matrix, not from a list kept here: a new write
endpoint is fuzzed as soon as the access matrix decides who may use it.
"""
from __future__ import annotations

import io
from typing import Any

import pytest
import sqlalchemy as sa
from flask import url_for
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from wtforms.form import BaseForm

from surveyapp import create_app
from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.visits.models import Visit
from tests.fuzz.strategies import DEEP, FUZZ, form_bodies, json_bodies, texts
from tests.test_access_matrix import ALL, EXPECT, _fingerprint

WRITES = {"POST", "PUT", "PATCH", "DELETE"}

#: Endpoints whose refusal keeps something on purpose, and what: the supervisor's answers are kept as the
#: draft before the submission is judged (a refused submission loses nothing), and the photos that were
#: accepted are kept when another one of the same post is refused.
KEPT_ON_REFUSAL = {"my_visits.submit": {"visit"}, "my_visits.post_visit": {"visit", "photo"}}

#: URL values that name nothing, or something no column can hold.
STRANGE = {int: [0, 999_999, 2**31, 2**63, 10**30], str: ["missing", "0", "x" * 400, "营业厅", "\u202e%00", "a/b"]}


def _write_rules() -> list[tuple[str, str]]:
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": "sqlite://"})
    return sorted({(r.endpoint, m) for r in app.url_map.iter_rules() for m in r.methods & WRITES})


def test_every_write_endpoint_is_fuzzed() -> None:
    """A write endpoint nobody may use (no role in the access matrix) could not be fuzzed: it must be decided."""
    unreachable = [f"{e} {m}" for e, m in _write_rules()
                   if not any(r.method == m and r.ok for r in EXPECT.get(e, []))]
    assert not unreachable, f"decide who may use these in tests/test_access_matrix.py: {unreachable}"


class FormSpy:
    """The WTForms forms a request builds, to fuzz an endpoint with its own field names."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.names: set[str] = set()
        self.files: set[str] = set()
        original = BaseForm.__init__

        def spying(form: BaseForm, *args: Any, **kwargs: Any) -> None:
            original(form, *args, **kwargs)
            for field in form:
                (self.files if field.type in {"FileField", "MultipleFileField"} else self.names).add(field.name)

        monkeypatch.setattr(BaseForm, "__init__", spying)


def _actors(roles: list[Role | None], make_user: Any, make_hall: Any, own_visit: Visit | None) -> dict[str, Any]:
    """Who acts: each role that may (a supervisor on their own open visit, a hall manager of every hall),
    and for the roles confined to their own objects also one from elsewhere (another supervisor, the manager
    of another hall), whose requests must change nothing."""
    from surveyapp.org.models import Hall

    actors: dict[str, Any] = {}
    for role in roles:
        if role is None:
            actors["anonymous"] = None
            continue
        halls = db.session.scalars(sa.select(Hall).order_by(Hall.id)).all() if role is Role.HALL_MANAGER else []
        mine = own_visit.supervisor if role is Role.SUPERVISOR and own_visit is not None else None
        actors[role.value] = mine or make_user(role, password=None, halls=halls)
        if role in (Role.SUPERVISOR, Role.HALL_MANAGER):
            elsewhere = [make_hall()] if role is Role.HALL_MANAGER else []
            actors[f"{role.value} elsewhere"] = make_user(role, password=None, halls=elsewhere)
    return actors


@pytest.mark.parametrize(("endpoint", "method"), _write_rules())
def test_write_endpoint_survives_any_body(endpoint, method, app, url_values, make_user, make_visit, make_photo,
                                          make_hall, login, monkeypatch) -> None:
    url_rule = next(r for r in app.url_map.iter_rules(endpoint) if method in r.methods)
    values = url_values(url_rule)
    own = None
    if endpoint.startswith("my_visits."):  # the supervisor's own open visit, with a photo
        own = make_visit(type="announced", status="in_progress")
        values = {**values, "uid": own.uid, **({"photo": make_photo(own, "appearance.uniform").uid} if "photo" in values else {})}
    rule = next(r for r in EXPECT[endpoint] if r.method == method)
    roles = [r for r in ALL if r in rule.ok] + ([None] if set(rule.ok) >= set(ALL) else [])
    actors = _actors(roles, make_user, make_hall, own)
    spy = FormSpy(monkeypatch)
    client = app.test_client()
    with app.test_request_context():
        real_url = url_for(endpoint, **values)
    for user in actors.values():  # the forms of the page (GET) and of the endpoint (an empty POST)
        if user is not None:
            login(user, into=client)
        if "GET" in url_rule.methods or any("GET" in r.methods for r in app.url_map.iter_rules(endpoint)):
            client.get(real_url).close()
        _check(client, endpoint, real_url, method, {}, user)
    names, files = sorted(spy.names), sorted(spy.files)
    monkeypatch.undo()

    url_args = st.fixed_dictionaries({name: st.one_of(st.just(value), st.sampled_from(STRANGE[type(value)]))
                                      for name, value in values.items()})
    bodies = st.one_of(
        form_bodies(names).map(lambda fields: {"data": MultiDict([(_utf8(k), _utf8(v)) for k, v in fields])}),
        json_bodies(names).map(lambda body: {"json": body}),
        st.sampled_from([{"data": DEEP, "content_type": "application/json"},
                         {"data": b"\xff\xfe{", "content_type": "application/json"},
                         {"data": b"a=%ff%fe&b=\x00", "content_type": "application/x-www-form-urlencoded"},
                         {"data": b"--x\r\nbroken", "content_type": "multipart/form-data; boundary=x"}]))
    if files:
        uploads = st.lists(st.tuples(st.sampled_from(files), st.binary(max_size=300), texts), max_size=3)
        bodies = st.one_of(bodies, st.tuples(form_bodies(names), uploads).map(_multipart))

    @FUZZ
    @given(role=st.sampled_from(sorted(actors)), args=url_args, body=bodies)
    def fuzz(role: str, args: dict[str, Any], body: dict[str, Any]) -> None:
        fresh = app.test_client()
        if actors[role] is not None:
            login(actors[role], into=fresh)
        with app.test_request_context():
            url = url_for(endpoint, **args)
        _check(fresh, endpoint, url, method, body, actors[role])

    fuzz()


def _multipart(parts: tuple[list[tuple[str, str]], list[tuple[str, bytes, str]]]) -> dict[str, Any]:
    fields, uploads = parts
    fields = [(_utf8(name), _utf8(value)) for name, value in fields]
    data = MultiDict([*fields, *((name, (io.BytesIO(content), _utf8(filename))) for name, content, filename in uploads)])
    return {"data": data, "content_type": "multipart/form-data"}


def _utf8(text: str) -> str:
    """The test client encodes form fields as UTF-8, which a lone surrogate is not: send what a browser can
    (the broken bodies above send a surrogate's raw bytes, and JSON bodies send it escaped)."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _check(client: Any, endpoint: str, url: str, method: str, body: dict[str, Any], user: Any) -> None:
    before = _fingerprint(ignore=KEPT_ON_REFUSAL.get(endpoint, set()))
    response = client.open(url, method=method, **_replayable(body))
    text = response.get_data(as_text=True)
    response.close()
    who = f"{user.username} ({user.role.value})" if user is not None else "anonymous"
    assert response.status_code < 500, f"{method} {url} as {who}: {response.status_code}\n{text[:2000]}"
    assert "Traceback (most recent call last)" not in text, f"{method} {url} as {who} shows a traceback"
    if 400 <= response.status_code < 500:
        assert _fingerprint(ignore=KEPT_ON_REFUSAL.get(endpoint, set())) == before, (
            f"{method} {url} as {who} answered {response.status_code} but changed data")


def _replayable(body: dict[str, Any]) -> dict[str, Any]:
    """Upload streams are read once: a fresh copy for each request."""
    data = body.get("data")
    if isinstance(data, MultiDict):
        body = {**body, "data": MultiDict([(k, (io.BytesIO(v[0].getvalue()), v[1]) if isinstance(v, tuple) else v)
                                           for k, v in data.items(multi=True)])}
    return body
