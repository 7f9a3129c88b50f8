"""Feedback and the monthly notice: publishing releases findings and tells the halls, an upheld appeal flags
the published month for a revision, the revision changes the rank, and the hall's home shows it all."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.feedback import services
from surveyapp.feedback.models import Finding
from surveyapp.notices import queries as notice_queries
from surveyapp.notices import services as notices
from surveyapp.notifications.models import Notification
from tests.assessment.conftest import at
from tests.pdfcheck import read_pdf

NOW = "2026-12-02T10:00:00+08:00"
NOV, OCT = "2026-11", "2026-10"


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "FROZEN_NOW": NOW}


@pytest.fixture
def month(make_hall, make_user, make_scored_visit):
    """Two halls with unannounced visits in October and November; H2 lost points on ``main.score`` in November."""
    h1, h2 = make_hall("H1", "人民路营业厅"), make_hall("H2", "解放路营业厅")
    for hall, oct_score, nov_score in ((h1, 85, 95), (h2, 70, 90)):
        make_scored_visit(hall, score=oct_score, visited_at=at(OCT))
        make_scored_visit(hall, score=nov_score, visited_at=at(NOV))
    managers = [make_user(Role.HALL_MANAGER, halls=[h]) for h in (h1, h2)]
    market = make_user(Role.MARKET)
    for period in (OCT, NOV):
        notices.publish(db.session, market, notices.create_notice(db.session, market, period), None)
    db.session.commit()
    return h1, h2, managers, market


def test_publishing_releases_findings_and_tells_each_halls_manager(app, month):
    _, h2, (_, m2), _ = month
    kinds = db.session.scalars(sa.select(Notification.kind).where(Notification.user_id == m2.id)).all()
    assert kinds.count("notice_published") == 2 and kinds.count("released") == 2
    findings = db.session.scalars(sa.select(Finding).where(Finding.hall_id == h2.id)).all()
    assert len(findings) == 2
    assert {f.rectify_due for f in findings} == {dt.date(2026, 12, 12)}  # released with the notice on 2 December


def test_an_upheld_appeal_flags_the_month_and_the_revision_changes_the_rank(app, client, login, month):
    _, h2, (_, m2), market = month
    finding = db.session.scalar(sa.select(Finding).join(Finding.visit).where(
        Finding.hall_id == h2.id, Finding.visit.has(period=NOV)))
    first = notice_queries.latest_revision(db.session, NOV)
    assert notice_queries.hall_line(first, h2.id)["rank"] == 2
    services.appeal(db.session, m2, finding, None, "综合得分计算有误")
    services.decide_appeal(db.session, market, finding, None, True, "pass", "复核属实")
    db.session.commit()
    notice = notice_queries.get_notice(db.session, NOV)
    assert notice.revision_pending and "H2" in notice.pending_reason and "90.00 → 100.00" in notice.pending_reason
    assert not notice_queries.get_notice(db.session, OCT).revision_pending
    login(m2)
    page = client.get(f"/feedback/hall?hall={h2.id}").get_data(as_text=True)
    assert "待修订" in page
    login(market)  # the comparison names the upheld appeal as the reason of the hall's changed line
    compare = client.get(f"/notices/{NOV}/compare").get_data(as_text=True)
    assert "解放路营业厅（H2）" in compare and "申诉成立：" in compare
    login(m2)
    second = notices.publish(db.session, market, notice, "申诉成立，解放路营业厅得分更正")
    db.session.commit()
    assert notice_queries.hall_line(second, h2.id)["rank"] == 1
    assert notice_queries.hall_line(first, h2.id)["rank"] == 2  # the first revision stays as published
    revised = db.session.scalars(sa.select(Notification).where(Notification.user_id == m2.id,
                                                               Notification.kind == "notice_revised")).all()
    assert len(revised) == 1 and revised[0].params["reason"].startswith("申诉成立")
    page = client.get(f"/feedback/hall?hall={h2.id}").get_data(as_text=True)
    assert "待修订" not in page
    assert 'class="chart trend"' in page and ">100.0<" in page and ">70.0<" in page  # Nov (revised) and Oct
    assert "申诉成立，解放路营业厅得分更正" in page  # the revision's reason among the notices


def test_overdue_findings_are_in_the_next_notices_annex(app, month, make_scored_visit):
    h1, _, _, market = month
    # Nothing done about the November findings by 13 December (due on the 12th): overdue in December's notice.
    app.config["FROZEN_NOW"] = "2027-01-03T10:00:00+08:00"
    make_scored_visit(h1, score=100, visited_at=at("2026-12"))
    revision = notices.publish(db.session, market, notices.create_notice(db.session, market, "2026-12"), None)
    db.session.commit()
    overdue = revision.snapshot["overdue"]
    assert sorted(overdue) == ["H1", "H2"]
    assert {(f["period"], f["rectify_due"]) for f in overdue["H2"]} == {(OCT, "2026-12-12"), (NOV, "2026-12-12")}
    text = read_pdf(revision.pdf).text.replace(" ", "")
    assert "以前月份逾期未整改" in text and "逾期22天" in text
