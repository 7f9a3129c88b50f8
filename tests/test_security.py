"""Protections every response and every state change must have."""
from __future__ import annotations

import pytest

from surveyapp import create_app
from surveyapp.auth.models import Role
from tests.conftest import PASSWORD
from tests.test_access_matrix import url_values  # noqa: F401  (fixture: a value for every URL converter)


def test_security_headers_on_every_kind_of_response(client, login_as):
    for path in ("/login", "/static/css/app.css", "/no-such-page"):
        with client.get(path) as response:
            headers = response.headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"


def test_pages_have_no_inline_script_or_external_assets(client, login_as):
    login_as(Role.ADMIN)
    html = client.get("/home/admin").get_data(as_text=True)
    assert "<script>" not in html and "onclick=" not in html
    assert "http://" not in html and "https://" not in html


def test_post_without_csrf_token_is_refused(client, make_user):
    user = make_user(Role.ADMIN)
    response = client.post("/login", data={"username": user.username, "password": "x"}, csrf=False)
    assert response.status_code == 400
    assert "表单已过期" in response.get_data(as_text=True)


def test_session_cookie_flags(make_app, make_user):
    user = make_user(Role.ADMIN)
    for secure in (False, True):
        client = make_app(SECURE_COOKIES=secure).test_client()
        response = client.post("/login", data={"username": user.username, "password": PASSWORD})
        cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert ("Secure" in cookie) is secure


def test_request_size_is_limited(client, app):
    assert app.config["MAX_CONTENT_LENGTH"] <= 64 * 1024 * 1024
    response = client.post("/login", data={"username": "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)})
    assert response.status_code == 413


def test_production_errors_show_no_stack_trace(make_app):
    app = make_app(TESTING=False, DEBUG=False)
    assert not app.debug

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "secret internals" not in body and "Traceback" not in body
    assert "系统出现错误" in body


def test_production_refuses_to_start_without_a_secret_key(app_config):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({**app_config, "SECRET_KEY": None, "TESTING": False, "DEMO": False})


def test_every_view_declares_its_access(make_app):
    app = make_app()

    @app.get("/undeclared")
    def undeclared():
        return "oops"

    from surveyapp.auth.access import check_every_route_decides

    with pytest.raises(RuntimeError, match="undeclared"):
        check_every_route_decides(app)


# --- foundation: every state-changing route, exports, accounts --------------------------------------


def test_every_post_route_refuses_a_request_without_csrf_token(app, client, login_as, url_values):  # noqa: F811
    from flask import url_for

    from tests.test_access_matrix import _fingerprint

    login_as(Role.ADMIN)
    posts = [rule for rule in app.url_map.iter_rules() if "POST" in rule.methods]
    assert len(posts) >= 15
    for rule in posts:
        with app.test_request_context():
            url = url_for(rule.endpoint, **url_values(rule))
        before = _fingerprint()
        response = client.post(url, data={"active": "0", "code": "X1", "name": "x", "lang": "en"}, csrf=False)
        assert response.status_code == 400, f"POST {url} without a CSRF token: {response.status_code}"
        assert _fingerprint() == before, f"POST {url} without a CSRF token changed data"


def test_a_fresh_database_has_no_account_and_so_no_default_password(app):
    import sqlalchemy as sa

    from surveyapp.auth.models import User
    from surveyapp.db import db

    assert not app.config["DEMO"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_exports_never_turn_text_into_spreadsheet_formulas(client, login_as, make_hall):
    import io

    from openpyxl import load_workbook

    login_as(Role.MARKET)
    make_hall("H1", name='=HYPERLINK("http://evil.example","点我")')
    data = client.get("/export/halls.xlsx").data
    cell = load_workbook(io.BytesIO(data)).active["B2"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


def test_hsts_is_sent_only_when_the_site_is_https(make_app):
    assert "Strict-Transport-Security" not in make_app(SECURE_COOKIES=False).test_client().get("/login").headers
    secure = make_app(SECURE_COOKIES=True).test_client().get("/login").headers
    assert secure["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in make_app(SECURE_COOKIES=True, HSTS_SECONDS=0).test_client().get("/login").headers
