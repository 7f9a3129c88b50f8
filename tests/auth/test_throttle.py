"""Login throttling (``surveyapp/auth/throttle.py``): guessing is stopped per account and address and per
address, the owner is never locked out by someone else's failures, refusals do not count, and the limit holds
under a parallel burst."""
from __future__ import annotations

import threading
import urllib.error
import urllib.parse
import urllib.request

import sqlalchemy as sa

from surveyapp.auth import services as auth_services
from surveyapp.auth.models import LoginAttempt, Role, UserSession
from surveyapp.db import db
from tests.conftest import PASSWORD

ATTACKER, OWNER, OFFICE = "203.0.113.7", "198.51.100.20", "192.0.2.1"


def _login(client, username, password=PASSWORD, ip="127.0.0.1"):
    return client.post("/login", data={"username": username, "password": password},
                       environ_overrides={"REMOTE_ADDR": ip})


def _at(app, clock_time):
    app.config["FROZEN_NOW"] = f"2026-11-05T{clock_time}+08:00"


def test_an_attacker_elsewhere_does_not_lock_the_owner_out(app, client, make_user):
    owner = make_user(Role.MARKET)
    _at(app, "10:00:00")
    for _ in range(12):
        _login(client, owner.username, "guess", ATTACKER)
    refused = _login(client, owner.username, PASSWORD, ATTACKER)
    assert refused.status_code == 429  # even the right password, from the attacker's address
    assert "登录失败次数过多" in refused.get_data(as_text=True)
    _at(app, "10:00:30")
    for _ in range(12):  # the attack goes on
        assert _login(client, owner.username, "guess", ATTACKER).status_code == 429
    assert _login(app.test_client(), owner.username, PASSWORD, OWNER).status_code == 302


def test_an_office_address_is_limited_per_account_then_as_a_whole(app, client, make_user):
    x, y, z = make_user(Role.MARKET), make_user(Role.MARKET), make_user(Role.SUPERVISOR)
    _at(app, "10:00:00")
    for _ in range(15):  # 10 failures on x, then 5 refusals
        _login(client, x.username, "typo", OFFICE)
    assert _login(client, x.username, PASSWORD, OFFICE).status_code == 429
    # Someone else in the office is not affected by x's failures ...
    assert _login(app.test_client(), y.username, PASSWORD, OFFICE).status_code == 302
    # ... until the office as a whole has 30 failures within the minute (x's 10, y's 10, z's 10).
    for name in (y.username, z.username):
        for _ in range(10):
            assert _login(client, name, "typo", OFFICE).status_code == 401
    response = _login(app.test_client(), y.username, PASSWORD, OFFICE)
    assert response.status_code == 429
    assert "您的网络地址" in response.get_data(as_text=True)
    assert _login(app.test_client(), y.username, PASSWORD, OWNER).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt).where(LoginAttempt.success.is_(False))) == 30


def test_refused_attempts_do_not_extend_the_wait(app, client, make_user):
    user = make_user(Role.MARKET)
    _at(app, "10:00:00")
    for _ in range(10):
        assert _login(client, user.username, "nope").status_code == 401
    _at(app, "10:00:40")
    for _ in range(20):
        response = _login(client, user.username, "nope")
        assert response.status_code == 429
    assert response.headers["Retry-After"] == "21"
    assert "21 秒" in response.get_data(as_text=True)
    _at(app, "10:01:01")
    assert _login(client, user.username).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt)) == 11


def test_a_right_password_does_not_count_as_a_failure(app, client, make_user):
    user = make_user(Role.MARKET)
    _at(app, "10:00:00")
    for _ in range(9):
        _login(client, user.username, "nope")
    for _ in range(3):
        other = app.test_client()
        assert _login(other, user.username).status_code == 302
    assert _login(app.test_client(), user.username, "nope").status_code == 401
    assert _login(app.test_client(), user.username).status_code == 429


def test_a_parallel_burst_gets_at_most_the_limit_of_password_checks(live_server, client, make_user, monkeypatch):
    """30 wrong passwords at once over real HTTP, as a script would send them."""
    user = make_user(Role.MARKET)
    hasher, checks, lock = auth_services._hasher, [], threading.Lock()

    class CountingHasher:
        def __getattr__(self, name):
            return getattr(hasher, name)

        def verify(self, stored, password):
            with lock:
                checks.append(password)
            threading.Event().wait(0.05)  # a real check takes time: let the others pile up meanwhile
            return hasher.verify(stored, password)

    monkeypatch.setattr(auth_services, "_hasher", CountingHasher())
    token = client.csrf_token()
    cookie = client.get_cookie("surveyapp_session").value
    body = urllib.parse.urlencode({"username": user.username, "password": "wrong guess"}).encode()
    start, statuses = threading.Barrier(30), []

    def attempt():
        request = urllib.request.Request(f"{live_server}/login", data=body, method="POST", headers={
            "X-CSRFToken": token, "Cookie": f"surveyapp_session={cookie}"})
        start.wait()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                statuses.append(response.status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)

    threads = [threading.Thread(target=attempt) for _ in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sorted(statuses) == [401] * 10 + [429] * 20
    assert len(checks) == 10
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt)) == 10


def test_prune_deletes_old_attempts_and_ended_sessions(app, client, runner, make_user):
    user = make_user(Role.MARKET)
    _at(app, "10:00:00")
    _login(client, user.username, "nope")
    _login(client, user.username)
    client.post("/logout")
    _login(app.test_client(), user.username)   # a session left open (it expires after a day)
    _at(app, "10:00:00")
    app.config["FROZEN_NOW"] = "2026-12-04T10:00:00+08:00"  # 29 days later: everything is kept
    assert "deleted 0 login attempts and 0 ended sessions" in runner.invoke(args=["users", "prune"]).output
    recent = app.test_client()
    _login(recent, user.username)
    app.config["FROZEN_NOW"] = "2026-12-06T10:00:00+08:00"  # 31 days after the first logins
    result = runner.invoke(args=["users", "prune"])
    assert result.exit_code == 0, result.output
    assert "deleted 3 login attempts and 2 ended sessions" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginAttempt)) == 1
