"""Chinese by default, English on request; every message has its translation."""
from __future__ import annotations

from surveyapp import i18n_tool
from surveyapp.auth.models import Role


def test_every_message_is_translated():
    problems = i18n_tool.check()
    assert not problems, "\n".join(problems)


def test_chinese_is_the_default_and_english_is_one_click_away(client, login_as):
    login_as(Role.ADMIN)
    page = client.get("/org/halls").get_data(as_text=True)
    assert "营业厅" in page and 'lang="zh-CN"' in page
    response = client.post("/lang", data={"lang": "en", "next": "/org/halls"})
    assert response.headers["Location"] == "/org/halls"
    page = client.get("/org/halls").get_data(as_text=True)
    assert "Halls" in page and 'lang="en"' in page and "营业厅" not in page


def test_language_choice_is_remembered_on_the_account(app, client, login_as):
    user = login_as(Role.MARKET)
    client.post("/lang", data={"lang": "en"})
    from surveyapp.db import db

    db.session.refresh(user)
    assert user.locale == "en"


def test_form_validation_messages_are_translated(client):
    page = client.post("/login", data={"username": "", "password": ""}).get_data(as_text=True)
    assert "This field is required" not in page
    client.post("/lang", data={"lang": "en"})
    page = client.post("/login", data={"username": "", "password": ""}).get_data(as_text=True)
    assert "This field is required" in page


def test_language_switch_refuses_foreign_redirects(client):
    assert client.post("/lang", data={"lang": "en", "next": "https://evil.example/"}).headers["Location"] == "/"
