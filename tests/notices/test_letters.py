"""A hall's letter: addressed to the hall, its result and red lines first, only what it must still do."""
from __future__ import annotations

import sqlalchemy as sa

from surveyapp.auth.models import Role
from surveyapp.db import db
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
