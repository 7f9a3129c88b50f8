"""The notice's generated text says what went wrong, where the money went, and deadlines from publication."""
from __future__ import annotations

import dataclasses

import pytest

from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.errors import ValidationError
from surveyapp.notices import services
from tests.notices.conftest import NOV, at
from tests.pdfcheck import read_pdf
from tests.test_pdf import squeeze


@pytest.fixture
def market(make_user):
    return make_user(Role.MARKET, password=None)


def test_problems_and_cases_say_what_failed(market, make_hall, make_visit):
    for code in ("H1", "H2"):
        make_visit(hall=make_hall(code), answers={"conduct.farewell": "fail"}, remarks={"conduct.farewell": "客户离开时营业员未起身"},
                   visited_at=at(NOV))
    doc = services.preview_document(db.session, services.create_notice(db.session, market, NOV))
    # the standard is quoted as not met, with how often: it no longer reads like praise
    assert "未做到“业务办理完毕主动道别（\"请慢走\"\"再见\"）”，失分 2 次（涉及 2 个营业厅）" in doc.narrative["problems"]
    html = document_html(doc)
    assert "：未做到“业务办理完毕主动道别" in html  # the typical cases too


def document_html(doc):
    from flask import render_template

    from surveyapp.notices import narrative, rendering

    return render_template("notices/_document.html", doc=doc, charts=rendering.charts_of(doc), title="",
                           sections=narrative.SECTIONS, photo_src=lambda uid: None)


def test_a_six_way_tie_says_where_the_remainder_went(market, make_hall, make_scored_visit):
    for n in range(1, 7):
        make_scored_visit(make_hall(f"H{n}"), score=90, visited_at=at(NOV))
    doc = services.preview_document(db.session, services.create_notice(db.session, market, NOV))
    # places 1-6 pay 1,000 + 500 + 500 = 2,000; a sixth is 333.33 rounded down to the fen
    assert doc.results.summary.rewards == 6 * doc.results.ranked[0].reward
    assert "并列第 1 名的 6 个营业厅分享 2,000.00 元，每厅 333.33 元（按分向下取整），余下 0.02 元不予发放" in doc.narrative["money"]


@pytest.mark.parametrize(("rule", "said", "paid"), [
    ("first", "余下 0.02 元按考核办法发给其中营业厅编码最前的人民路营业厅", ["333.35"] + ["333.33"] * 5),
    ("spread", "余下 0.02 元按考核办法按营业厅编码顺序每厅 0.01 元发放：人民路营业厅、城北营业厅",
     ["333.34"] * 2 + ["333.33"] * 4),
])
def test_the_policy_may_pay_the_remainder_of_a_six_way_tie(market, make_hall, make_scored_visit, rule, said, paid):
    from surveyapp.assessment import services as assessment
    from surveyapp.assessment.rewards_policy import RewardRules

    policy = assessment.current_policy(db.session).policy
    assessment.save_policy(db.session, market, dataclasses.replace(policy, rewards=RewardRules(rule)))
    for n, name in enumerate(["人民路营业厅", "城北营业厅", "城南营业厅", "东门营业厅", "西门营业厅", "江滨营业厅"], start=1):
        make_scored_visit(make_hall(f"H{n}", name), score=90, visited_at=at(NOV))
    doc = services.preview_document(db.session, services.create_notice(db.session, market, NOV))
    assert [str(h.reward) for h in sorted(doc.results.ranked, key=lambda h: h.code)] == paid
    assert doc.results.summary.rewards == 2000
    assert "并列第 1 名的 6 个营业厅分享 2,000.00 元，每厅 333.33 元（按分向下取整），" + said in doc.narrative["money"]


def test_deadlines_count_from_publication_not_from_the_draft(app, market, make_hall, make_scored_visit):
    make_scored_visit(make_hall("H1"), score=90, visited_at=at(NOV))
    notice = services.create_notice(db.session, market, NOV)
    draft = services.preview_document(db.session, notice)
    # the market department saves the text as the editor shows it on the 2nd ...
    services.update_text(db.session, market, notice, dict(draft.narrative))
    db.session.commit()
    assert draft.deadlines["appeal_until"] == "2026-12-05"
    # ... and publishes on the 9th: the appeal and rectification days count from the 9th
    app.config["FROZEN_NOW"] = "2026-12-09T09:00:00+08:00"
    revision = services.publish(db.session, market, notice, None)
    db.session.commit()
    deadlines = revision.snapshot["deadlines"]
    assert deadlines["appeal_until"] == "2026-12-12"
    assert all(row[2] > "2026-12-09" for row in deadlines["rectify"])
    assert "2026-12-0" not in revision.snapshot["narrative"]["instructions"] and "12月" not in revision.snapshot["narrative"]["instructions"]


def test_the_formal_layout_prints_a_company_document(market, make_hall, make_scored_visit):
    make_scored_visit(make_hall("H1", "人民路营业厅"), score=90, visited_at=at(NOV))
    notice = services.create_notice(db.session, market, NOV)
    services.update_text(db.session, market, notice, {}, doc_number="市场〔2026〕45号", layout="formal")
    revision = services.publish(db.session, market, notice, None)
    db.session.commit()
    text = squeeze(read_pdf(revision.pdf).text)
    # issuing unit over the document number, then the title, the addressee; distribution lines at the end
    head = text.index("某某供电公司文件")
    assert head < text.index("市场〔2026〕45号") < text.index("关于2026年11月") < text.index("各分公司、各营业厅：")
    assert text.index("人民路营业厅（H1）") < text.index("主送：各分公司、各营业厅市场部2026年12月2日印发")
    with pytest.raises(ValidationError):
        services.update_text(db.session, market, notice, {}, layout="poster")
