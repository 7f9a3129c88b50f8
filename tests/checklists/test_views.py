"""The market department's checklist pages: list, versions, items, preview as a supervisor, changes, downloads."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from surveyapp.auth.models import Role
from tests.checklists.samples import MINI, variant

V2 = variant("version = 1", "version = 2", variant('kind = "scale"\npoints = 4', 'kind = "scale"\npoints = 5'))


@pytest.fixture
def market(login_as):
    return login_as(Role.MARKET)


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def test_the_list_shows_each_checklist_its_newest_version_and_use(client, market, make_checklist):
    make_checklist()
    make_checklist("mini", source=MINI, frozen=True)
    make_checklist("mini", source=V2)
    html = page(client, "/checklists/")
    assert "营业厅服务规范检查表" in html and "小检查表" in html
    assert 'href="/checklists/mini/v2"' in html and "2 个版本中有 1 个已使用" in html


def test_a_checklist_lists_its_versions_with_counts_and_freezing(client, market, make_checklist):
    make_checklist("mini", source=MINI, frozen=True)
    make_checklist("mini", source=V2)
    html = page(client, "/checklists/mini")
    assert html.index("/checklists/mini/v2") < html.index("/checklists/mini/v1")
    assert "（已冻结）" in html and "尚未使用" in html and "forms/mini.toml" in html
    assert 'name="from"' in html  # two versions: they can be compared


def test_a_version_shows_every_item_with_its_rules(client, market, make_checklist):
    make_checklist()
    html = page(client, "/checklists/hall-etiquette/v1")
    assert html.count("<tr id=\"item-") == 47
    assert "使用服务禁语，或顶撞、讽刺、辱骂客户的次数" in html and "每次扣 4 分" in html
    assert html.count('class="badge red"') == 6
    assert "不符合须拍照" in html and "明查" in html


def test_the_preview_is_the_supervisors_form_disabled_for_the_chosen_visit(client, market, make_checklist):
    make_checklist()
    announced = page(client, "/checklists/hall-etiquette/v1/preview?visit_type=announced&hall_type=self-run")
    assert announced.count('class="cl-item') == 47 and "现场管理" in announced
    assert "最高 125 分" in announced
    checklist = announced[announced.index('<div class="checklist'):announced.index("</main>")]
    controls = checklist.count("<input") + checklist.count("<textarea")
    assert 'type="radio" name="appearance.uniform"' in checklist and controls > 200
    assert checklist.count(" disabled") == controls and "<form" not in checklist
    unannounced = page(client, "/checklists/hall-etiquette/v1/preview?visit_type=unannounced&hall_type=cooperative")
    assert unannounced.count('class="cl-item') == 42 and "晨会" not in unannounced
    client.post("/lang", data={"lang": "en"})
    english = page(client, "/checklists/hall-etiquette/v1/preview")
    assert "Regulation uniform, clean and complete" in english and "Not applicable" in english


def test_the_preview_refuses_visit_types_the_form_does_not_allow(client, market, make_checklist):
    make_checklist()
    assert "本检查表不用于这类检查" in page(client, "/checklists/hall-etiquette/v1/preview?visit_type=supervisor", 400)
    assert "请从列表中选择" in page(client, "/checklists/hall-etiquette/v1/preview?visit_type=walk-in", 400)


def test_changes_between_two_versions(client, market, make_checklist):
    make_checklist("mini", source=MINI)
    make_checklist("mini", source=V2)
    html = page(client, "/checklists/mini/diff")
    assert "从 v1 到 v2 的变化" in html and "0 项新增，0 项删除，1 项修改" in html
    assert '<td class="diff-old">4</td><td class="diff-new">5</td>' in html
    same = page(client, "/checklists/mini/diff?from=2&to=2")
    assert "请选择两个不同的版本进行比较" in same
    page(client, "/checklists/mini/diff?from=7&to=2", 404)


def test_a_single_version_has_nothing_to_compare(client, market, make_checklist):
    make_checklist("mini", source=MINI)
    assert "只有一个版本" in page(client, "/checklists/mini/diff")


def test_excel_export_has_one_row_per_item(client, market, make_checklist):
    make_checklist()
    response = client.get("/checklists/hall-etiquette/v1/export.xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="hall-etiquette-v1.xlsx"'
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.values)
    header = next(i for i, row in enumerate(rows) if row[0] == "序号")
    items = rows[header + 1:]
    assert len(items) == 47
    taboo = next(row for row in items if row[2] == "conduct.taboo")
    assert taboo[3] == "使用服务禁语，或顶撞、讽刺、辱骂客户的次数" and taboo[5] == "计次" and taboo[6] == 4
    assert taboo[7] == 4 and taboo[8] == "是"
    assert sheet.freeze_panes == f"D{header + 2}"
    facts = dict(row[:2] for row in rows[1:header] if row[0])
    assert facts["版本"] == 1 and len(facts["SHA-256"]) == 64 and facts["文件"] == "forms/hall-etiquette.toml"


def test_the_source_file_downloads_exactly_as_loaded(client, market, make_checklist):
    version = make_checklist("mini", source=MINI)
    response = client.get("/checklists/mini/v1/source.toml")
    assert response.data.decode("utf-8") == MINI == version.source


def test_unknown_checklists_and_versions_are_404(client, market, make_checklist):
    make_checklist("mini", source=MINI)
    assert "检查表 nope 不存在" in page(client, "/checklists/nope", 404)
    page(client, "/checklists/mini/v9", 404)
    page(client, "/checklists/mini/v9/export.xlsx", 404)


def test_administrators_may_read_checklists(client, login_as, make_checklist):
    make_checklist("mini", source=MINI)
    login_as(Role.ADMIN)
    assert "小检查表" in page(client, "/checklists/")
