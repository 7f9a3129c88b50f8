"""Account administration: only administrators manage accounts; each account has one role and the
scope that role needs; deactivation and password resets end sessions at once."""
from __future__ import annotations

import sqlalchemy as sa

from surveyapp.audit.models import AuditEntry
from surveyapp.auth.models import Role, User
from surveyapp.db import db
from tests.conftest import PASSWORD


def _user(username):
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(User.username == username))


def test_admin_creates_a_hall_manager_with_halls_and_a_password(client, login_as, make_hall):
    login_as(Role.ADMIN)
    make_hall("H0101")
    make_hall("H0102")
    response = client.post("/users/new", data={"username": "HM01", "display_name": "赵厅长", "role": "hall_manager",
                                               "halls": "H0101；H0102", "password": "a fine password"})
    user = _user("hm01")
    assert response.headers["Location"] == f"/users/{user.id}/edit"
    assert [h.code for h in user.halls] == ["H0101", "H0102"]
    assert user.role is Role.HALL_MANAGER and user.password_hash.startswith("$argon2id$")
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "user.create", AuditEntry.object_id == str(user.id)))
    assert entry.details == {"role": "hall_manager", "halls": ["H0101", "H0102"], "units": []}


def test_scope_must_fit_the_role(client, login_as, make_hall, make_unit):
    login_as(Role.ADMIN)
    make_hall("H0101")
    unit = make_unit("JZ02")
    page = client.post("/users/new", data={"username": "sup9", "display_name": "李监督", "role": "supervisor",
                                           "halls": "H0101"}).get_data(as_text=True)
    assert "只有营业厅负责人可以分配营业厅" in page
    page = client.post("/users/new", data={"username": "hm9", "display_name": "王", "role": "hall_manager",
                                           "halls": "H0999"}).get_data(as_text=True)
    assert "H0999" in page and _user("hm9") is None
    client.post("/users/new", data={"username": "sup9", "display_name": "李监督", "role": "supervisor",
                                    "units": [str(unit.id)], "external": "y"})
    user = _user("sup9")
    assert [u.code for u in user.units] == ["JZ02"] and user.external


def test_an_account_has_exactly_one_role(client, login_as):
    login_as(Role.ADMIN)
    page = client.get("/users/new").get_data(as_text=True)
    assert page.count('name="role"') == 1 and "multiple" not in page.split('name="role"')[1].split(">")[0]
    client.post("/users/new", data={"username": "x1", "display_name": "X", "role": ["market", "supervisor"]})
    assert _user("x1").role is Role.MARKET


def test_edit_changes_role_and_records_what_changed(client, login_as, make_user):
    login_as(Role.ADMIN)
    user = make_user(Role.MARKET, display_name="刘敏")
    client.post(f"/users/{user.id}/edit", data={"display_name": "刘敏敏", "role": "supervisor", "email": "liu@example.cn"})
    user = _user(user.username)
    assert (user.display_name, user.role, user.email) == ("刘敏敏", Role.SUPERVISOR, "liu@example.cn")
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "user.update"))
    assert entry.details["role"] == ["market", "supervisor"]
    page = client.post(f"/users/{user.id}/edit", data={"display_name": "x", "role": "market", "email": "not-an-address"})
    assert "不是有效的电子邮箱地址" in page.get_data(as_text=True)


def test_deactivated_user_is_rejected_on_the_next_request_and_cannot_log_in(app, client, login_as, make_user):
    login_as(Role.ADMIN)
    victim = make_user(Role.SUPERVISOR)
    phone = app.test_client()
    phone.post("/login", data={"username": victim.username, "password": PASSWORD})
    assert phone.get("/home/supervisor").status_code == 200
    response = client.post(f"/users/{victim.id}/active", data={"active": "0"}, follow_redirects=True)
    assert "已停用" in response.get_data(as_text=True)
    assert phone.get("/home/supervisor").status_code == 302
    assert phone.post("/login", data={"username": victim.username, "password": PASSWORD}).status_code == 401
    client.post(f"/users/{victim.id}/active", data={"active": "1"})
    assert phone.post("/login", data={"username": victim.username, "password": PASSWORD}).status_code == 302


def test_admin_cannot_deactivate_or_demote_themselves(client, login_as):
    admin = login_as(Role.ADMIN)
    response = client.post(f"/users/{admin.id}/active", data={"active": "0"}, follow_redirects=True)
    assert "不能停用自己的账号" in response.get_data(as_text=True)
    assert _user(admin.username).active
    page = client.post(f"/users/{admin.id}/edit", data={"display_name": "A", "role": "market"}).get_data(as_text=True)
    assert _user(admin.username).role is Role.ADMIN and "不能取消自己的系统管理员角色" in page


def test_password_reset_ends_the_users_sessions(app, client, login_as, make_user):
    login_as(Role.ADMIN)
    user = make_user(Role.MARKET)
    laptop = app.test_client()
    laptop.post("/login", data={"username": user.username, "password": PASSWORD})
    page = client.post(f"/users/{user.id}/password", data={"new": "short", "confirm": "short"}).get_data(as_text=True)
    assert _user(user.username).password_hash == user.password_hash and "8" in page
    client.post(f"/users/{user.id}/password", data={"new": "another good one", "confirm": "another good one"})
    assert laptop.get("/home/market").status_code == 302
    assert app.test_client().post("/login", data={"username": user.username, "password": "another good one"}).status_code == 302


def test_user_list_filters_by_role_status_and_search(client, login_as, make_user):
    login_as(Role.ADMIN)
    make_user(Role.SUPERVISOR, username="sup01", display_name="王建国")
    make_user(Role.MARKET, username="market1", display_name="刘敏")
    gone = make_user(Role.MARKET, username="market2", display_name="周静")
    gone.active = False
    db.session.commit()
    page = client.get("/users/?role=market").get_data(as_text=True)
    assert "market1" in page and "sup01" not in page and "market2" not in page
    assert "market2" in client.get("/users/?status=inactive").get_data(as_text=True)
    page = client.get("/users/?q=建国&status=all").get_data(as_text=True)
    assert "sup01" in page and "market1" not in page


def test_non_admins_cannot_manage_accounts(app, client, make_user, login):
    target = make_user(Role.SUPERVISOR)
    for role in (Role.MARKET, Role.SUPERVISOR, Role.HALL_MANAGER):
        other = app.test_client()
        login(make_user(role), into=other)
        assert other.get("/users/").status_code == 403
        assert other.post("/users/new", data={"username": "intruder", "display_name": "x", "role": "admin",
                                              "password": "long enough pw"}).status_code == 403
        assert other.post(f"/users/{target.id}/active", data={"active": "0"}).status_code == 403
        assert other.post(f"/users/{target.id}/password", data={"new": "long enough pw", "confirm": "long enough pw"}).status_code == 403
    assert _user("intruder") is None and _user(target.username).active
    assert _user(target.username).password_hash == target.password_hash


def test_users_import_creates_accounts_without_passwords_and_is_idempotent(runner, tmp_path, make_hall, make_unit):
    make_hall("H0101")
    make_unit("JZ02")
    path = tmp_path / "users.csv"
    path.write_text("用户名,显示名,角色,营业厅,邮箱,覆盖单位,社会监督员\n"
                    "hm0101,赵厅长,营业厅负责人,H0101,zhao@example.cn,,\n"
                    "sup03,孙丽萍,监督员,,,JZ02,是\n", encoding="utf-8")
    result = runner.invoke(args=["users", "import", str(path)])
    assert result.exit_code == 0, result.output
    manager, supervisor = _user("hm0101"), _user("sup03")
    assert manager.password_hash is None and [h.code for h in manager.halls] == ["H0101"]
    assert supervisor.external and [u.code for u in supervisor.units] == ["JZ02"]
    assert "未变 2" in runner.invoke(args=["users", "import", str(path)]).output
    path.write_text("username,display_name,role\nx,X,boss\nhm0101,赵厅长,市场部\n", encoding="utf-8")
    result = runner.invoke(args=["users", "import", str(path)])
    assert result.exit_code == 1
    assert "第 2 行：角色“boss”无效" in result.output
    assert "第 3 行：只有营业厅负责人" in result.output  # halls kept from before do not fit the market role
    assert _user("x") is None and _user("hm0101").role is Role.HALL_MANAGER


def test_saving_the_edit_form_unchanged_keeps_role_and_scope(client, login_as, make_user, make_hall, make_unit):
    from tests.conftest import form_fields

    login_as(Role.ADMIN)
    manager = make_user(Role.HALL_MANAGER, halls=[make_hall("H0101"), make_hall("H0102")], email="m@example.cn")
    supervisor = make_user(Role.SUPERVISOR, units=[make_unit("JZ02")], external=True)
    entries = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    for user in (manager, supervisor):
        url = f"/users/{user.id}/edit"
        fields = form_fields(client.get(url).get_data(as_text=True))
        assert fields["role"] == user.role.value
        assert client.post(url, data=fields).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == entries
    manager, supervisor = _user(manager.username), _user(supervisor.username)
    assert [h.code for h in manager.halls] == ["H0101", "H0102"] and manager.role is Role.HALL_MANAGER
    assert [u.code for u in supervisor.units] == ["JZ02"] and supervisor.external


def test_social_supervisor_as_role_marks_the_account_external(runner, tmp_path):
    path = tmp_path / "users.xlsx"
    from tests.conftest import xlsx_bytes

    path.write_bytes(xlsx_bytes([["用户名", "显示名", "角色"], ["sup07", "钱多多", "社会监督员"], ["sup08", "孙少", "监督员"]]))
    assert runner.invoke(args=["users", "import", str(path)]).exit_code == 0
    assert _user("sup07").external and not _user("sup08").external
