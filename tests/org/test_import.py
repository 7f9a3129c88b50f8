"""Bulk files for units, halls and staff: all or nothing, every bad row reported in the user's language,
re-importing changes nothing, and what is exported imports again."""
from __future__ import annotations

import io

import sqlalchemy as sa

from surveyapp.audit.models import AuditEntry
from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.org.models import Hall, HallType, Staff, Unit
from tests.conftest import read_xlsx, xlsx_bytes

UNITS_CSV = "\ufeff编码,名称,上级\nJZ02,临江县分公司,JZ\nJZ,江州通信有限公司,\nJZ0201,城关片区,JZ02\n"


def _count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _write(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return str(path)


def test_units_import_with_bom_chinese_headers_and_parents_defined_later(runner, tmp_path):
    path = _write(tmp_path, "units.csv", UNITS_CSV)
    result = runner.invoke(args=["org", "import-units", path])
    assert result.exit_code == 0, result.output
    assert "新建 3" in result.output
    town = db.session.scalar(sa.select(Unit).where(Unit.code == "JZ0201"))
    assert town.parent.code == "JZ02" and town.parent.parent.code == "JZ"
    # The same file again changes nothing and says so.
    audit_rows = _count(AuditEntry)
    result = runner.invoke(args=["org", "import-units", path])
    assert result.exit_code == 0 and "未变 3" in result.output
    assert _count(AuditEntry) == audit_rows + 1  # only the import itself is recorded


def test_a_bad_row_writes_nothing_and_every_problem_is_reported(runner, tmp_path, make_unit):
    make_unit("JZ01")
    content = ("code,name,type,unit\n"
               "H0101,中山路营业厅,自办,JZ01\n"
               "H0102,火车站合作营业厅,合作,JZ01\n"
               "H0103,人民广场营业厅,自办,JZ09\n"
               "H0101,重复的营业厅,自办,JZ01\n"
               "H0104,南门营业厅,代理,JZ01\n")
    result = runner.invoke(args=["org", "import-halls", _write(tmp_path, "halls.csv", content)])
    assert result.exit_code == 1
    assert "第 4 行：单位编码 JZ09 不存在" in result.output
    assert "第 5 行：营业厅编码 H0101 已在第 2 行出现" in result.output
    assert "第 6 行：营业厅类型“代理”无效" in result.output
    assert _count(Hall) == 0 and _count(AuditEntry) == 0


def test_errors_in_english_on_request(runner, tmp_path, make_unit):
    make_unit("JZ01")
    path = _write(tmp_path, "staff.csv", "job_number,name,hall\n0001,张三,H0012\n")
    result = runner.invoke(args=["org", "import-staff", path, "--lang", "en"])
    assert result.exit_code == 1
    assert "Row 2: hall code H0012 does not exist" in result.output


def test_xlsx_import_updates_existing_codes_and_moves_staff(runner, tmp_path, make_unit, make_hall, make_staff):
    unit = make_unit("JZ01")
    a, b = make_hall("H1", unit=unit), make_hall("H2", unit=unit)
    make_staff(a, job_number="100101", name="王芳")
    data = xlsx_bytes([["工号", "姓名", "营业厅"], [100101, "王芳", "H2"], [100102, "李娜", "H1"]])
    result = runner.invoke(args=["org", "import-staff", _write(tmp_path, "staff.xlsx", data)])
    assert result.exit_code == 0, result.output
    staff = {s.job_number: s for s in db.session.scalars(sa.select(Staff))}
    assert staff["100101"].hall_id == b.id  # Excel's number 100101 is the job number "100101"
    assert staff["100102"].name == "李娜"
    assert db.session.scalar(sa.select(AuditEntry.action).where(AuditEntry.action == "staff.move")) == "staff.move"


def test_unknown_or_missing_columns_are_refused_with_the_expected_names(runner, tmp_path):
    result = runner.invoke(args=["org", "import-halls", _write(tmp_path, "h.csv", "code,name,colour\nH1,x,red\n")])
    assert result.exit_code == 1
    assert "无法识别的列“colour”" in result.output
    assert "缺少列“类型”" in result.output and "缺少列“单位”" in result.output


def test_unreadable_files_get_a_clear_message(runner, tmp_path):
    cases = {"gbk.csv": "编码,名称\n".encode("gbk"), "old.xls": b"\xd0\xcf\x11\xe0" + b"\0" * 100,
             "empty.csv": b"", "broken.xlsx": b"PK\x03\x04 not really a zip"}
    expected = {"gbk.csv": "UTF-8", "old.xls": ".xls", "empty.csv": "文件是空的", "broken.xlsx": "不是有效的 Excel"}
    for name, content in cases.items():
        result = runner.invoke(args=["org", "import-units", _write(tmp_path, name, content)])
        assert result.exit_code == 1 and expected[name] in result.output, (name, result.output)


def test_a_loop_of_parents_is_an_error_not_a_hang(runner, tmp_path):
    result = runner.invoke(args=["org", "import-units", _write(tmp_path, "u.csv", "code,name,parent\nA,甲,B\nB,乙,A\nC,丙,C\n")])
    assert result.exit_code == 1
    assert result.output.count("构成循环") == 3
    assert _count(Unit) == 0


def test_exported_halls_import_again_unchanged(client, login_as, make_unit, make_hall, runner, tmp_path):
    login_as(Role.MARKET)
    unit = make_unit("JZ01")
    make_hall("H1", "城关营业厅", unit=unit)
    make_hall("H2", "南门合作营业厅", unit=unit, type=HallType.COOPERATIVE, active=False)
    response = client.get("/export/halls.xlsx?status=all")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    rows = read_xlsx(response.data)
    assert rows[0] == ["编码", "名称", "类型", "单位", "地址", "纬度", "经度", "启用"]
    assert rows[2] == ["H2", "南门合作营业厅", "合作", "JZ01", None, None, None, "否"]
    result = runner.invoke(args=["org", "import-halls", _write(tmp_path, "export.xlsx", response.data)])
    assert result.exit_code == 0 and "未变 2" in result.output, result.output


def test_upload_page_shows_each_bad_row_and_keeps_nothing(client, login_as, make_unit):
    login_as(Role.MARKET)
    make_unit("JZ01")
    data = xlsx_bytes([["编码", "名称", "类型", "单位"], ["H1", "城关营业厅", "自办", "JZ01"], ["H2", "南门营业厅", "合作", "JZ99"]])
    response = client.post("/import?kind=halls", data={"file": (io.BytesIO(data), "halls.xlsx")},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "第 3 行：单位编码 JZ99 不存在" in page and "未导入任何数据" in page
    assert _count(Hall) == 0
    fixed = xlsx_bytes([["编码", "名称", "类型", "单位"], ["H1", "城关营业厅", "自办", "JZ01"], ["H2", "南门营业厅", "合作", "JZ01"]])
    response = client.post("/import?kind=halls", data={"file": (io.BytesIO(fixed), "halls.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 200 and "新建 2" in response.get_data(as_text=True)
    assert _count(Hall) == 2
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "halls.import"))
    assert entry.object_label == "halls.xlsx" and entry.details["created"] == 2


def test_templates_have_the_columns_and_instructions(client, login_as):
    login_as(Role.ADMIN)
    for kind, first in (("units", "编码"), ("halls", "编码"), ("staff", "工号"), ("users", "用户名")):
        response = client.get(f"/import/template/{kind}.xlsx")
        assert response.status_code == 200
        assert read_xlsx(response.data)[0][0] == first
        assert any("必填" in str(cell) for row in read_xlsx(response.data, sheet=1) for cell in row)


def test_market_cannot_import_or_export_users(client, login_as):
    login_as(Role.MARKET)
    assert client.get("/import?kind=users").status_code == 404
    assert client.get("/export/users.xlsx").status_code == 404
    assert client.get("/import/template/users.xlsx").status_code == 404


def test_column_names_are_unambiguous():
    from surveyapp import bulk

    for kind in bulk.KINDS.values():
        seen: dict[str, str] = {}
        for column in kind.columns:
            for name in column.names():
                assert seen.setdefault(name, column.key) == column.key, f"{kind.name}: {name!r} names two columns"


def test_cli_exports_write_importable_workbooks(runner, tmp_path, make_unit, make_hall, make_staff, make_user):
    unit = make_unit("JZ01", "江州市区分公司")
    hall = make_hall("H0101", unit=unit)
    make_staff(hall, job_number="010101")
    make_user(Role.HALL_MANAGER, username="hm0101", halls=[hall])
    for group, command, kind in (("org", "export-units", "units"), ("org", "export-halls", "halls"),
                                 ("org", "export-staff", "staff"), ("users", "export", "users")):
        path = tmp_path / f"{kind}.xlsx"
        result = runner.invoke(args=[group, command, str(path), "--lang", "en"])
        assert result.exit_code == 0, result.output
        rows = read_xlsx(path.read_bytes())
        assert len(rows) == 2 and rows[0][0] in ("code", "job_number", "username")
        again = runner.invoke(args=[group, "import" if group == "users" else f"import-{kind}", str(path)])
        assert again.exit_code == 0 and "未变 1" in again.output, again.output


def test_text_the_database_cannot_store_is_named_by_row_and_column(runner, tmp_path, make_unit):
    make_unit("JZ01")
    content = "code,name,type,unit\nH0101,中山路营业厅,自办,JZ01\nH0102,火车站\x00营业厅,自办,JZ01\nH0103,\x1b南门,自办,JZ01\n"
    result = runner.invoke(args=["org", "import-halls", _write(tmp_path, "halls.csv", content), "--lang", "en"])
    assert result.exit_code == 1
    assert "Row 3, column name: it contains the character U+0000 at position 4" in result.output
    assert "Row 4, column name: it contains the character U+001B at position 1" in result.output
    assert _count(Hall) == 0


def test_text_stored_before_the_rule_still_exports(client, login_as, make_unit, make_hall):
    """openpyxl refuses control characters: a hall named with one made the export a 500."""
    make_hall("H1", "城北\x1b营业厅", unit=make_unit("JZ01"))
    login_as(Role.ADMIN)
    response = client.get("/export/halls.xlsx")
    assert response.status_code == 200
    assert ["H1", "城北\ufffd营业厅"] == read_xlsx(response.data)[1][:2]


def test_hall_locations_import_and_bad_coordinates_are_named(runner, tmp_path, make_unit):
    make_unit("JZ01")
    good = "code,name,type,unit,latitude,longitude\nH1,城关营业厅,自办,JZ01,31.230416,121.473701\nH2,南门营业厅,合作,JZ01,,\n"
    result = runner.invoke(args=["org", "import-halls", _write(tmp_path, "halls.csv", good)])
    assert result.exit_code == 0, result.output
    halls = {h.code: h for h in db.session.scalars(sa.select(Hall))}
    assert halls["H1"].position == (31.230416, 121.473701) and halls["H2"].position is None
    bad = ("code,name,type,unit,纬度,经度\nH1,城关营业厅,自办,JZ01,北纬31,121.47\nH2,南门营业厅,合作,JZ01,95,121\n"
           "H3,东门营业厅,自办,JZ01,31.2,\n")
    result = runner.invoke(args=["org", "import-halls", "--lang", "en", _write(tmp_path, "bad.csv", bad)])
    assert result.exit_code == 1
    assert 'Row 2: latitude: "北纬31" is not a number of degrees' in result.output
    assert "Row 3: The latitude must be from -90 to 90 degrees." in result.output
    assert "Row 4: Give both the latitude and the longitude, or neither." in result.output
    db.session.expire_all()
    assert db.session.scalar(sa.select(Hall).where(Hall.code == "H1")).latitude == 31.230416
