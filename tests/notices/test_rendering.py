"""A long notice rendered in parts at once and joined says and shows exactly what one render does."""
from __future__ import annotations

from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.notices import rendering, services
from tests.notices.conftest import NOV, at
from tests.pdfcheck import read_pdf
from tests.test_pdf import squeeze


def test_a_notice_rendered_in_parts_reads_page_by_page_as_one_render(app, make_hall, make_user, make_visit):
    market = make_user(Role.MARKET, password=None)
    for n in range(1, 13):
        hall = make_hall(f"H{n:02d}", f"第{n}营业厅")
        make_visit(hall, "unannounced", visited_at=at(NOV), market=market,
                   answers={"interior.zones": "fail", "appearance.uniform": "fail"},
                   remarks={"interior.zones": f"第{n}营业厅分区标识缺失，" + "客户找不到自助缴费区。" * 3})
    revision = services.publish(db.session, market, services.create_notice(db.session, market, NOV), None)
    db.session.commit()

    app.config["NOTICE_PARALLEL_HALLS"] = 10**6
    whole = read_pdf(rendering.notice_pdf(revision.snapshot))
    app.config["NOTICE_PARALLEL_HALLS"] = 1  # the body and the annex rendered in two processes, then joined
    data = rendering.notice_pdf(revision.snapshot)
    assert rendering.notice_pdf(revision.snapshot) == data  # the same snapshot, the same bytes

    joined = read_pdf(data)  # fonts embedded, text extractable, A4
    assert joined.page_count == whole.page_count >= 2
    total = joined.page_count
    for n, (page, expected) in enumerate(zip(joined.pages, whole.pages, strict=True), 1):
        assert squeeze(page) == squeeze(expected)
        assert f"第{n}页/共{total}页" in squeeze(page)
    assert "第12营业厅分区标识缺失" in squeeze(joined.text)
    assert joined.info["Title"] == whole.info["Title"] and joined.info["Author"] == whole.info["Author"]
