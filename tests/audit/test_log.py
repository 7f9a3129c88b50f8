"""The audit log as an administrator reads it: who did what to which object, filterable, with links."""
from __future__ import annotations

import sqlalchemy as sa

from surveyapp.audit.models import AuditEntry
from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.org import services


def test_every_change_is_logged_readably_with_a_link_to_the_object(client, login_as, make_unit, make_user):
    admin = login_as(Role.ADMIN, username="boss")
    market = make_user(Role.MARKET, username="market1")
    unit = make_unit("JZ01")
    hall = services.create_hall(db.session, market, code="H0101", name="中山路营业厅", type="self-run", unit=unit)
    services.update_hall(db.session, market, hall, code="H0101", name="中山路旗舰营业厅", type="self-run", unit=unit, address=None)
    db.session.commit()
    page = client.get("/audit/?action=hall.update").get_data(as_text=True)
    assert "修改营业厅" in page and f'href="/org/halls/{hall.id}"' in page
    assert "<del>中山路营业厅</del> → <ins>中山路旗舰营业厅</ins>" in page
    assert "创建营业厅" not in page.split("<tbody>")[1]
    # Filter by user and by object; an admin's own change shows too.
    client.post(f"/users/{market.id}/edit", data={"display_name": "刘敏", "role": "market"})
    page = client.get("/audit/?actor=market1").get_data(as_text=True).split("<tbody>")[1]
    assert "创建营业厅" in page and "修改账号" not in page
    page = client.get(f"/audit/?type=user&id={market.id}").get_data(as_text=True).split("<tbody>")[1]
    assert "修改账号" in page and "创建营业厅" not in page and admin.username in page


def test_date_filter_uses_the_company_day(app, client, login_as, make_unit):
    login_as(Role.ADMIN)
    app.config["FROZEN_NOW"] = "2026-11-05T23:30:00+08:00"  # 15:30 UTC on the 5th
    make_unit("JZ01")
    services.create_unit(db.session, None, code="JZ02", name="临江县分公司", parent=None)
    db.session.commit()
    assert "JZ02" in client.get("/audit/?from=2026-11-05&to=2026-11-05").get_data(as_text=True)
    assert "JZ02" not in client.get("/audit/?from=2026-11-06").get_data(as_text=True)
    assert client.get("/audit/?from=not-a-date").status_code == 200


def test_system_changes_are_shown_as_system(client, login_as):
    login_as(Role.ADMIN)
    services.create_unit(db.session, None, code="JZ", name="江州通信", parent=None)
    db.session.commit()
    page = client.get("/audit/?actor=-").get_data(as_text=True).split("<tbody>")[1]
    assert "系统" in page and "JZ 江州通信" in page
    assert db.session.scalar(sa.select(AuditEntry.actor_id).where(AuditEntry.action == "unit.create")) is None


def test_recorded_values_read_as_labels(client, login_as, make_user):
    login_as(Role.ADMIN)
    user = make_user(Role.MARKET)
    client.post(f"/users/{user.id}/edit", data={"display_name": "刘敏", "role": "supervisor"})
    page = client.get("/audit/?action=user.update").get_data(as_text=True)
    assert "<del>市场部</del> → <ins>监督员</ins>" in page


def test_object_search_matches_percent_and_underscore_literally(client, login_as, make_unit):
    admin = login_as(Role.ADMIN)
    services.create_unit(db.session, admin, code="U50P", name="折扣50%分公司", parent=None)
    services.create_unit(db.session, admin, code="U500", name="第500号分公司", parent=None)
    db.session.commit()
    page = client.get("/audit/?object=50%25").get_data(as_text=True).split("<tbody>")[1]
    assert "折扣50%分公司" in page and "第500号分公司" not in page


def test_every_action_the_code_can_record_has_a_label_in_both_languages_and_is_in_the_filter(app, client, login_as):
    """The registry is the list of actions: recording one that is not in it is refused (next test), so every
    action the log can hold is checked here."""
    import re

    from flask_babel import force_locale

    from surveyapp.audit import display

    login_as(Role.ADMIN)
    actions = dict(display.known_actions())
    assert len(actions) > 40
    with app.test_request_context(), force_locale("zh"):
        chinese = {action: display.action_label(action) for action in actions}
    with app.test_request_context(), force_locale("en"):
        english = {action: display.action_label(action) for action in actions}
    cjk = re.compile("[\u4e00-\u9fff]")
    assert not [a for a, label in chinese.items() if not cjk.search(label)], "untranslated (zh)"
    assert not [a for a, label in english.items() if cjk.search(label) or label == a], "no English label"
    assert len(set(chinese.values())) == len(chinese), "two actions read the same"
    page = client.get("/audit/").get_data(as_text=True)
    for action, label in chinese.items():
        assert f'<option value="{action}">{label}</option>' in page


def test_an_action_without_a_label_cannot_be_recorded(app):
    import pytest

    from surveyapp.audit.services import record

    with pytest.raises(LookupError, match="visit.teleport"):
        record(db.session, None, "visit.teleport", "visit", "x")


def test_a_visits_history_reads_in_the_readers_language(client, login_as, make_visit):
    """Not "visit.start" twice and "H0001 unannounced": the action's label, the visit type and the status change
    in words ("状态：计划中 → 进行中", the colon full-width in Chinese and ": " in English)."""
    login_as(Role.ADMIN)
    visit = make_visit(type="unannounced", status="in_progress")
    page = client.get("/audit/?action=visit.start").get_data(as_text=True).split("<tbody>")[1]
    assert "检查已开始" in page and "visit.start</" not in page and "unannounced" not in page
    assert f"{visit.hall.code} 暗访" in page
    assert "<b>状态</b>：<del>已计划</del> → <ins>进行中</ins>" in page


def test_a_list_in_the_details_is_separated_as_the_language_separates_it(client, login_as):
    from surveyapp.audit.services import record

    login_as(Role.ADMIN)
    record(db.session, None, "notice.edit", "notice", "1", "2026-11", {"photos": ["p1", "p2", "p3"]})
    db.session.commit()
    page = client.get("/audit/?action=notice.edit").get_data(as_text=True).split("<tbody>")[1]
    assert "p1、p2、p3" in page and "p1, p2" not in page


def test_a_visits_checklist_reads_as_its_title_in_the_readers_language(client, login_as, make_visit):
    """Planning a visit records its checklist version; the log names it by title and version, not by the file's id
    ("hall-etiquette v1")."""
    login_as(Role.ADMIN)
    visit = make_visit(type="unannounced", status="planned")
    version = visit.checklist_version.version
    for language, title in (("zh_CN", "营业厅服务规范检查表（第 %d 版）"), ("en", "Service hall etiquette checklist (version %d)")):
        with client.session_transaction() as session:
            session["lang"] = language
        page = client.get("/audit/?action=visit.plan").get_data(as_text=True).split("<tbody>")[1]
        assert title % version in page and f"hall-etiquette v{version}" not in page
