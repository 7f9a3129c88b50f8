"""Logging in and out: sessions are server-side, revocable, and rate-limited against guessing."""
from __future__ import annotations

import re

import argon2
import sqlalchemy as sa

from surveyapp.auth import services as auth_services
from surveyapp.auth.models import LoginAttempt, Role, UserSession
from surveyapp.db import db
from tests.conftest import PASSWORD, REAL_HASHER

HOME = {Role.ADMIN: "/home/admin", Role.MARKET: "/home/market", Role.SUPERVISOR: "/my/visits", Role.HALL_MANAGER: "/feedback/hall"}


def _login(client, username, password=PASSWORD, **extra):
    return client.post("/login", data={"username": username, "password": password, **extra})


def _cookie(client):
    cookie = client.get_cookie("surveyapp_session")
    return cookie.value if cookie else None


def test_each_role_lands_on_its_home_page(client, make_user, make_hall):
    for role in Role:
        user = make_user(role, halls=[make_hall()] if role is Role.HALL_MANAGER else [])
        response = _login(client, user.username.upper())  # usernames are case-insensitive
        assert response.status_code == 302
        assert response.headers["Location"] == "/"
        assert client.get("/").headers["Location"] == HOME[role]
        assert client.get(HOME[role]).status_code == 200
        client.post("/logout")


def test_the_menu_marks_exactly_the_page_you_are_on(client, login, make_user):
    login(make_user(Role.MARKET))
    for url, entry in (("/visits/queue", "/visits/queue"), ("/visits/", "/visits/"),
                       ("/assessment/policy/history", "/assessment/policy"),
                       ("/assessment/results", "/assessment/results")):
        nav = client.get(url).get_data(as_text=True).split("</nav>")[0]
        assert re.findall(r'<a href="([^"]+)" aria-current="page"', nav) == [entry], url


def test_wrong_password_is_refused_and_logged(client, make_user, caplog):
    user = make_user(Role.MARKET)
    response = _login(client, user.username, "wrong password")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert client.get("/home/market").status_code == 302
    attempt = db.session.scalar(sa.select(LoginAttempt))
    assert (attempt.username, attempt.success) == (user.username, False)
    assert any("login failed" in r.message and user.username in r.message for r in caplog.records)


def test_next_parameter_only_redirects_locally(client, make_user):
    user = make_user(Role.ADMIN)
    assert _login(client, user.username, next="/audit/").headers["Location"] == "/audit/"
    client.post("/logout")
    assert _login(client, user.username, next="https://evil.example/").headers["Location"] == "/"
    client.post("/logout")
    assert _login(client, user.username, next="//evil.example/").headers["Location"] == "/"


def test_session_cookie_changes_at_login(client, make_user):
    user = make_user(Role.ADMIN)
    client.get("/login")
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    before = _cookie(client)
    _login(client, user.username)
    with client.session_transaction() as sess:
        assert "planted" not in sess
    assert _cookie(client) != before


def test_logout_revokes_the_session_so_a_replayed_cookie_fails(app, client, make_user):
    user = make_user(Role.ADMIN)
    _login(client, user.username)
    stolen = _cookie(client)
    assert client.get("/home/admin").status_code == 200
    client.post("/logout")
    replay = app.test_client()
    replay.set_cookie("surveyapp_session", stolen)
    assert replay.get("/home/admin").status_code == 302
    assert db.session.scalar(sa.select(UserSession.revoked_at)) is not None


def test_deactivation_ends_the_users_sessions(client, app, make_user, login):
    admin = make_user(Role.ADMIN)
    victim = make_user(Role.MARKET)
    other = app.test_client()
    _login(other, victim.username)
    assert other.get("/home/market").status_code == 200
    from surveyapp.users import services

    services.set_active(db.session, admin, victim, False)
    db.session.commit()
    assert other.get("/home/market").status_code == 302
    response = _login(app.test_client(), victim.username)
    assert response.status_code == 401
    assert "已停用" in response.get_data(as_text=True)


def test_changing_password_ends_other_sessions_but_not_this_one(app, client, make_user):
    user = make_user(Role.SUPERVISOR)
    laptop, phone = app.test_client(), app.test_client()
    _login(laptop, user.username)
    _login(phone, user.username)
    response = laptop.post("/account/password", data={"current": PASSWORD, "new": "a brand new secret", "confirm": "a brand new secret"})
    assert response.status_code == 302
    assert laptop.get("/home/supervisor").status_code == 200
    assert phone.get("/home/supervisor").status_code == 302
    assert _login(app.test_client(), user.username, "a brand new secret").status_code == 302


def test_a_password_changed_by_its_owner_is_in_the_audit_log(client, make_user):
    from surveyapp.audit.models import AuditEntry

    user = make_user(Role.SUPERVISOR)
    _login(client, user.username)
    client.post("/account/password", data={"current": PASSWORD, "new": "a brand new secret", "confirm": "a brand new secret"})
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "user.password_change"))
    assert (entry.actor_id, entry.object_type, entry.object_id, entry.object_label) == (user.id, "user", str(user.id), user.username)
    assert entry.ip == "127.0.0.1"


def test_password_change_needs_the_current_password(client, make_user):
    user = make_user(Role.SUPERVISOR)
    _login(client, user.username)
    response = client.post("/account/password", data={"current": "guess", "new": "a brand new secret", "confirm": "a brand new secret"})
    assert response.status_code == 200
    assert "当前密码不正确" in response.get_data(as_text=True)


def test_passwords_are_argon2id_with_the_recommended_cost(make_user, monkeypatch):
    # The suite hashes at the lowest cost (tests/conftest.py); the application's own hasher is put back here.
    monkeypatch.setattr(auth_services, "_hasher", REAL_HASHER)
    user = make_user(Role.MARKET)
    assert re.match(r"^\$argon2id\$v=19\$", user.password_hash)
    assert PASSWORD not in user.password_hash
    assert argon2.extract_parameters(user.password_hash) == argon2.profiles.RFC_9106_LOW_MEMORY


def test_account_without_password_cannot_log_in(client, make_user):
    user = make_user(Role.MARKET, password=None)
    assert _login(client, user.username, "").status_code == 200  # form error: password required
    assert _login(client, user.username, "anything at all").status_code == 401


def test_a_session_ends_after_its_lifetime_however_busy(app, client, make_user):
    user = make_user(Role.MARKET)
    app.config.update(SESSION_IDLE_HOURS=12, SESSION_LIFETIME_HOURS=24)
    app.config["FROZEN_NOW"] = "2026-11-05T08:00:00+08:00"
    _login(client, user.username)
    for hour in range(9, 24):  # in use every hour of the day: never idle
        app.config["FROZEN_NOW"] = f"2026-11-05T{hour:02d}:00:00+08:00"
        assert client.get("/home/market").status_code == 200
    for hour in range(8):
        app.config["FROZEN_NOW"] = f"2026-11-06T{hour:02d}:00:00+08:00"
        assert client.get("/home/market").status_code == 200
    app.config["FROZEN_NOW"] = "2026-11-06T08:00:01+08:00"
    assert client.get("/home/market").status_code == 302


def test_a_session_unused_for_the_idle_limit_ends(app, client, make_user):
    user = make_user(Role.MARKET)
    app.config.update(SESSION_IDLE_HOURS=2)
    app.config["FROZEN_NOW"] = "2026-11-05T08:00:00+08:00"
    _login(client, user.username)
    app.config["FROZEN_NOW"] = "2026-11-05T09:59:00+08:00"
    assert client.get("/home/market").status_code == 200
    app.config["FROZEN_NOW"] = "2026-11-05T12:00:00+08:00"
    assert client.get("/home/market").status_code == 302
