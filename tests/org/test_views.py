"""Organisation pages: lists with search, filters and pagination; forms that explain what is wrong."""
from __future__ import annotations

import re

import sqlalchemy as sa

from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.org.models import Hall, HallType, Staff, Unit


def test_hall_list_searches_filters_and_pages(app, client, login_as, make_unit, make_hall):
    login_as(Role.MARKET)
    app.config["PAGE_SIZE"] = 5
    county = make_unit("JZ02", "临江县分公司")
    for n in range(12):
        make_hall(f"H02{n:02d}", f"临江县{n}号营业厅", unit=county, type=HallType.COOPERATIVE if n % 2 else HallType.SELF_RUN)
    make_hall("H0100", "中山路营业厅")
    page = client.get("/org/halls").get_data(as_text=True)
    assert "共 13 条" in page
    assert len(set(re.findall(r'href="/org/halls/(\d+)"', page))) == 5
    page = client.get("/org/halls?q=中山").get_data(as_text=True)
    assert "H0100" in page and "H0201" not in page
    page = client.get("/org/halls?unit=JZ02&type=self-run").get_data(as_text=True)
    assert "H0200" in page and "H0201" not in page and "H0100" not in page
    page = client.get("/org/halls?page=3").get_data(as_text=True)
    assert 'aria-current="page">3<' in page
    # Odd input is ignored, not an error.
    assert client.get("/org/halls?type=bogus&status=x&page=-4&q=%25_").status_code == 200


def test_creating_a_hall_with_a_taken_code_keeps_the_input_and_explains(client, login_as, make_unit, make_hall):
    login_as(Role.ADMIN)
    unit = make_unit("JZ01")
    make_hall("H0101", unit=unit)
    response = client.post("/org/halls/new", data={"code": "H0101", "name": "新开营业厅", "type": "self-run", "unit": str(unit.id)})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "营业厅编码 H0101 已被使用" in page and 'value="新开营业厅"' in page
    response = client.post("/org/halls/new", data={"code": "H0102", "name": "新开营业厅", "type": "self-run", "unit": str(unit.id),
                                                   "address": "中山路 1 号"})
    hall = db.session.scalar(sa.select(Hall).where(Hall.code == "H0102"))
    assert response.headers["Location"] == f"/org/halls/{hall.id}"
    assert hall.address == "中山路 1 号"
    edit = {"code": "H0102", "name": "新开营业厅", "type": "self-run", "unit": str(unit.id), "latitude": "31.2304"}
    page = client.post(f"/org/halls/{hall.id}/edit", data=edit).get_data(as_text=True)
    assert "请同时填写纬度和经度，或都不填" in page
    response = client.post(f"/org/halls/{hall.id}/edit", data={**edit, "longitude": "121.4737"})
    db.session.refresh(hall)
    assert response.status_code == 302 and hall.position == (31.2304, 121.4737)
    assert "31.230400, 121.473700" in client.get(f"/org/halls/{hall.id}").get_data(as_text=True)


def test_hall_detail_lists_staff_and_managers_and_can_deactivate(client, login_as, make_hall, make_staff, make_user):
    login_as(Role.MARKET)
    hall = make_hall("H0101", "中山路营业厅")
    make_staff(hall, job_number="010101", name="王芳")
    make_user(Role.HALL_MANAGER, display_name="赵厅长", halls=[hall])
    page = client.get(f"/org/halls/{hall.id}").get_data(as_text=True)
    assert "王芳" in page and "赵厅长" in page and "010101" in page
    assert "营业厅 H0101 已停用" in client.post(f"/org/halls/{hall.id}/active", data={"active": "0"}, follow_redirects=True).get_data(as_text=True)
    db.session.refresh(hall)
    assert not hall.active
    assert "H0101" not in client.get("/org/halls").get_data(as_text=True)
    assert "H0101" in client.get("/org/halls?status=inactive").get_data(as_text=True)
    assert client.get("/org/halls/999999").status_code == 404


def test_unit_tree_and_move_without_loops(client, login_as, make_unit, make_hall):
    login_as(Role.ADMIN)
    company = make_unit("JZ", "江州通信")
    city = make_unit("JZ01", "市区分公司", parent=company)
    district = make_unit("JZ0101", "城东片区", parent=city)
    make_hall(unit=district)
    page = client.get("/org/units/").get_data(as_text=True)
    assert page.index("江州通信") < page.index("市区分公司") < page.index("城东片区")
    # The unit's own sub-units are not offered as its parent, and a forged choice is refused.
    form = client.get(f"/org/units/{city.id}/edit").get_data(as_text=True)
    assert f'value="{district.id}"' not in form
    response = client.post(f"/org/units/{city.id}/edit", data={"code": "JZ01", "name": "市区分公司", "parent": str(district.id)})
    assert response.status_code == 200 and "不是有效的选择" in response.get_data(as_text=True)
    db.session.refresh(city)
    assert city.parent_id == company.id
    # Deactivating a unit that still has halls is refused with the reason.
    response = client.post(f"/org/units/{district.id}/active", data={"active": "0"}, follow_redirects=True)
    assert "1 个启用的营业厅" in response.get_data(as_text=True)


def test_new_unit_under_a_parent(client, login_as, make_unit):
    login_as(Role.MARKET)
    company = make_unit("JZ", "江州通信")
    response = client.post("/org/units/new", data={"code": "JZ05", "name": "云溪县分公司", "parent": str(company.id)})
    assert response.status_code == 302
    assert db.session.scalar(sa.select(Unit).where(Unit.code == "JZ05")).parent_id == company.id


def test_staff_search_add_and_move(client, login_as, make_hall, make_staff):
    login_as(Role.MARKET)
    a, b = make_hall("H1"), make_hall("H2")
    make_staff(a, job_number="100101", name="王芳")
    make_staff(b, job_number="200101", name="李娜")
    assert "李娜" not in client.get("/org/staff/?q=王").get_data(as_text=True)
    assert "王芳" not in client.get("/org/staff/?hall=H2").get_data(as_text=True)
    response = client.post("/org/staff/new", data={"job_number": "100102", "name": "张伟", "hall": "H9"})
    assert "营业厅编码 H9 不存在" in response.get_data(as_text=True)
    client.post("/org/staff/new", data={"job_number": "100102", "name": "张伟", "hall": "H1"})
    person = db.session.scalar(sa.select(Staff).where(Staff.job_number == "100102"))
    client.post(f"/org/staff/{person.id}/edit", data={"job_number": "100102", "name": "张伟", "hall": "H2"})
    db.session.refresh(person)
    assert person.hall_id == b.id


def test_saving_edit_forms_unchanged_changes_nothing(client, login_as, make_unit, make_hall, make_staff):
    """Every edit form shows the record's current values, so saving it untouched is a no-op."""
    import sqlalchemy as sa

    from surveyapp.audit.models import AuditEntry
    from tests.conftest import form_fields

    login_as(Role.MARKET)
    company = make_unit("JZ", "江州通信")
    county = make_unit("JZ02", "临江县分公司", parent=company)
    hall = make_hall("H0201", "城关营业厅", unit=county, type=HallType.COOPERATIVE)
    person = make_staff(hall, job_number="020101", name="王芳")
    entries = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    for url in (f"/org/halls/{hall.id}/edit", f"/org/units/{county.id}/edit", f"/org/staff/{person.id}/edit"):
        fields = form_fields(client.get(url).get_data(as_text=True))
        assert fields, url
        response = client.post(url, data=fields)
        assert response.status_code == 302, (url, fields, response.get_data(as_text=True)[-2000:])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == entries
    fields = form_fields(client.get(f"/org/halls/{hall.id}/edit").get_data(as_text=True))
    assert fields["unit"] == str(county.id) and fields["type"] == "cooperative"
