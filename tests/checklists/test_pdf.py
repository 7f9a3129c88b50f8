"""The blank paper checklist: a real PDF, read back with poppler (tests/pdfcheck.py)."""
from __future__ import annotations

import pytest

from surveyapp.auth.models import Role
from tests.pdfcheck import read_pdf


@pytest.fixture
def blank_pdf(client, login_as, make_checklist):
    make_checklist()
    login_as(Role.MARKET)

    def get(query: str = ""):
        response = client.get(f"/checklists/hall-etiquette/v1/blank.pdf{query}")
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        assert response.mimetype == "application/pdf"
        return read_pdf(response.data), response.headers["Content-Disposition"]

    return get


def test_the_blank_form_is_a4_chinese_with_embedded_fonts_a_box_per_answer_and_page_numbers(blank_pdf):
    pdf, disposition = blank_pdf()  # read_pdf checks: A4 pages, every font embedded, a CJK font among them
    assert disposition == 'attachment; filename="hall-etiquette-v1.pdf"'
    assert 3 <= pdf.page_count <= 8
    assert pdf.info["Title"] == "营业厅服务规范检查表"
    for expected in ("营业厅服务规范检查表", "厅外环境", "门头招牌、企业标识完好洁净，灯箱按时开启", "工作时间做与工作无关的事",
                     "营业厅负责人签名", "仅限：明查", "仅限：自办", "每次扣 2 分", "★"):
        assert expected in pdf.text, expected
    # A "not applicable" box for each of the 44 scored items, plus the legend and the instructions.
    assert pdf.text.count("不适用") >= 44
    footer = [page.split()[-1] if page.split() else "" for page in (p.replace(" ", "") for p in pdf.pages)]
    assert footer == [f"第{n}页/共{pdf.page_count}页" for n in range(1, pdf.page_count + 1)]


def test_a_blank_form_for_one_kind_of_visit_leaves_out_what_does_not_apply(blank_pdf):
    pdf, disposition = blank_pdf("?visit_type=unannounced&hall_type=cooperative")
    assert disposition == 'attachment; filename="hall-etiquette-v1-unannounced-cooperative.pdf"'
    assert "暗访" in pdf.text and "合作" in pdf.text
    assert "排班表公示" not in pdf.text and "晨会" not in pdf.text and "自查记录" not in pdf.text
    assert "仅限" not in pdf.text


def test_a_visit_type_the_form_does_not_allow_is_refused(client, login_as, make_checklist):
    make_checklist()
    login_as(Role.MARKET)
    response = client.get("/checklists/hall-etiquette/v1/blank.pdf?visit_type=supervisor&hall_type=self-run")
    assert response.status_code == 400
