"""A hall's letter: addressed to the hall, its result and red lines first, only what it must still do."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.errors import ValidationError
from surveyapp.feedback import services as feedback
from surveyapp.feedback.models import Finding
from surveyapp.notices import services
from tests.notices.conftest import NOV, at
from tests.pdfcheck import read_pdf
from tests.test_pdf import squeeze


def test_the_letter_lists_what_the_hall_must_still_do(app, client, login, make_hall, make_user, make_visit):
    hall = make_hall("H1", "人民路营业厅")
    manager = make_user(Role.HALL_MANAGER, halls=[hall])
    market = make_user(Role.MARKET, password=None)
    make_visit(hall, "unannounced", visited_at=at(NOV), market=market,
               answers={"appearance.uniform": "fail", "interior.zones": "fail", "appearance.sober": "fail"},
               remarks={"appearance.uniform": "两名营业员未穿工装", "appearance.sober": "营业员酒后上岗"})
    make_visit(make_hall("H2", "解放路营业厅"), "unannounced", visited_at=at(NOV), market=market)
    revision = services.publish(db.session, market, services.create_notice(db.session, market, NOV), None)
    db.session.commit()
    # the hall rectifies the zones and the market department verifies it: the letter leaves it out
    zones = db.session.scalar(sa.select(Finding).where(Finding.item_key == "interior.zones"))
    feedback.rectify(db.session, manager, zones, None, "分区标识已按新标准更换")
    feedback.check_rectification(db.session, market, zones, None, True)
    db.session.commit()

    login(manager)
    data = client.get(f"/notices/revisions/{revision.id}/halls/{hall.id}.pdf").data
    pdf = read_pdf(data)
    text = squeeze(pdf.text)
    assert "人民路营业厅：" in text  # the addressee line
    opening = text.index("人民路营业厅：")
    assert text.index("红线问题", opening) < text.index("需要贵厅完成的整改")  # the result and red lines open it
    todo = text[text.index("需要贵厅完成的整改"):]
    assert todo.index("1.未做到“当班期间无饮酒") < todo.index("2.未做到“")  # the red line first
    assert "分区" not in todo and "另有1个问题已整改并经确认" in todo
    assert "元" in text[text.index("奖励"):text.index("奖励") + 12]
    assert "附件" not in text and "请各营业厅" not in text  # not the notice's body, no annex it lacks


def test_a_formal_notice_sends_formal_letters_with_its_distribution_lines(app, client, login, make_hall, make_user,
                                                                         make_scored_visit):
    from surveyapp.notices import rendering

    hall = make_hall("H1", "人民路营业厅")
    market = make_user(Role.MARKET, password=None)
    make_scored_visit(hall, score=90, visited_at=at(NOV))
    notice = services.create_notice(db.session, market, NOV)
    services.update_text(db.session, market, notice, {}, doc_number="市场〔2026〕45号", layout="formal",
                         formal={"issuing_unit": "江州通信有限公司市场部文件", "main_to": "各县分公司、各营业厅",
                                 "report_to": "省公司市场部", "copy_to": "公司办公室、财务部"})
    revision = services.publish(db.session, market, notice, None)
    db.session.commit()
    notice_text = squeeze(read_pdf(revision.pdf).text)
    # the notice: the issuing unit and the addressee as edited, 主送 / 抄报 / 抄送 at the end
    assert notice_text.index("江州通信有限公司市场部文件") < notice_text.index("市场〔2026〕45号") < notice_text.index("各县分公司、各营业厅：")
    assert "主送：各县分公司、各营业厅抄报：省公司市场部抄送：公司办公室、财务部" in notice_text
    # the hall's letter: the same head and number, addressed to the hall, 主送 the hall, with the issue date
    letter = squeeze(read_pdf(rendering.letter_pdf(revision.snapshot, "H1")).text)
    assert letter.index("江州通信有限公司市场部文件") < letter.index("市场〔2026〕45号") < letter.index("人民路营业厅：")
    assert "主送：人民路营业厅抄报：省公司市场部抄送：公司办公室、财务部" in letter
    assert "印发" in letter[letter.index("主送：人民路营业厅"):]


def test_the_next_month_starts_with_the_lines_and_the_next_number(app, make_hall, make_user, make_scored_visit):
    from flask_babel import force_locale

    market = make_user(Role.MARKET, password=None)
    make_scored_visit(make_hall("H1"), score=90, visited_at=at(NOV))
    october = services.create_notice(db.session, market, "2026-10")
    services.update_text(db.session, market, october, {}, doc_number="市场〔2026〕45号", layout="formal",
                         formal={"issuing_unit": "江州通信有限公司文件", "main_to": "各营业厅", "copy_to": "办公室"})
    november = services.create_notice(db.session, market, NOV)
    with force_locale("zh_CN"):
        assert services.formal_texts(db.session, november, "江州通信有限公司") == {
            "issuing_unit": "江州通信有限公司文件", "main_to": "各营业厅", "report_to": "", "copy_to": "办公室"}
    assert services.suggested_doc_number(db.session, november) == "市场〔2026〕46号"
    october.doc_number = "市场〔2025〕9号"
    assert services.suggested_doc_number(db.session, november) == "市场〔2026〕1号"
    # the formal layout needs its issuing unit and addressee
    with pytest.raises(ValidationError):
        services.update_text(db.session, market, november, {}, layout="formal", formal={"issuing_unit": "", "main_to": ""})
def test_letters_stored_in_a_batch_are_the_letters_a_hall_would_render_alone(make_hall, make_user, make_visit):
    from surveyapp.notices import publishing, rendering
    from surveyapp.notices.models import NoticeLetter

    market = make_user(Role.MARKET, password=None)
    halls = [make_hall(f"H{n}", name) for n, name in enumerate(["人民路营业厅", "解放路营业厅", "中山路营业厅"], 1)]
    for hall in halls:
        make_visit(hall, "unannounced", visited_at=at(NOV), market=market, answers={"interior.zones": "fail"},
                   remarks={"interior.zones": f"{hall.name}分区标识缺失"})
    revision = services.publish(db.session, market, services.create_notice(db.session, market, NOV), None)
    db.session.commit()
    # the second hall opens its letter before the batch reaches it: those bytes are kept
    opened = publishing.letter(db.session, revision, halls[1].id)
    publishing.store_letters(db.session, revision, [h.id for h in halls])
    stored = {hall_id: pdf for hall_id, pdf in db.session.execute(sa.select(NoticeLetter.hall_id, NoticeLetter.pdf))}
    assert stored[halls[1].id] == opened
    for hall in halls:
        alone = rendering.letter_pdf(revision.snapshot, hall.code)
        assert stored[hall.id] == alone and f"{hall.name}分区标识缺失" in squeeze(read_pdf(alone).text)
    publishing.store_letters(db.session, revision, [h.id for h in halls])  # again (a job run twice): nothing new
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NoticeLetter)) == 3


def test_the_letters_of_a_correction_are_the_correction_s_even_right_after_the_first_revision_s(make_hall, make_user,
                                                                                                 make_visit):
    """A worker keeps the snapshot it read for the next batch of letters: the next revision's are its own."""
    from surveyapp.notices import publishing, rendering
    from surveyapp.notices.models import NoticeLetter

    market = make_user(Role.MARKET, password=None)
    hall = make_hall("H1", "人民路营业厅")
    make_visit(hall, "unannounced", visited_at=at(NOV), market=market, answers={"interior.zones": "fail"})
    notice = services.create_notice(db.session, market, NOV)
    first = services.publish(db.session, market, notice, None)
    db.session.commit()
    publishing.store_letters(db.session, first, [hall.id])
    services.mark_revision_pending(db.session, market, NOV, "申诉成立：人民路营业厅")
    second = services.publish(db.session, market, notice, "申诉成立，更正人民路营业厅得分")
    db.session.commit()
    publishing.store_letters(db.session, second, [hall.id])
    letters = dict(db.session.execute(sa.select(NoticeLetter.revision_id, NoticeLetter.pdf)).all())
    assert letters[second.id] == rendering.letter_pdf(second.snapshot, "H1") != letters[first.id]
    assert "第2版" in squeeze(read_pdf(letters[second.id]).text)
