"""Publishing notices: frozen revisions, corrections with reasons, the revision flag, released visits."""
from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa

from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.errors import InvalidTransition, PermissionDenied, ValidationError
from surveyapp.notices import queries, services
from surveyapp.notices.models import NoticeRevision
from surveyapp.org.models import Unit
from surveyapp.visits.models import Visit
from tests.notices.conftest import NOV, at
from tests.pdfcheck import read_pdf


@pytest.fixture
def month(make_hall, make_scored_visit, make_user):
    """Three halls with November visits (one a red line), and the market user who publishes."""
    halls = [make_hall("H1", "人民路营业厅"), make_hall("H2", "解放路营业厅"), make_hall("H3", "中山路营业厅")]
    make_scored_visit(halls[0], score=95, visited_at=at(NOV))
    make_scored_visit(halls[1], score=80, visited_at=at(NOV))
    make_scored_visit(halls[2], redline=True, visited_at=at(NOV, 12))
    return halls, make_user(Role.MARKET, password=None)


def test_publishing_freezes_results_text_and_pdf_and_releases_the_month(month):
    halls, market = month
    notice = services.create_notice(db.session, market, NOV)
    revision = services.publish(db.session, market, notice, None)
    db.session.commit()
    assert revision.number == 1 and notice.status == "published" and not notice.revision_pending
    assert revision.sha256 == hashlib.sha256(revision.pdf).hexdigest()
    assert revision.snapshot["results"]["period"] == NOV and revision.policy_version.number == 1
    line = queries.hall_line(revision, halls[0].id)
    assert line["rank"] == 1 and queries.hall_line(revision, "H3")["redline_visits"] == 1
    assert queries.hall_line(revision, "H9") is None
    pdf = read_pdf(revision.pdf)
    assert "关于2026年11月营业厅服务质量明查暗访情况的通报" in pdf.text.replace(" ", "")
    # the mystery visits of the month are now visible to their halls
    assert all(v.released_at is not None for v in db.session.scalars(sa.select(Visit)))


def test_a_published_revision_never_changes(month):
    _, market = month
    notice = services.create_notice(db.session, market, NOV)
    revision = services.publish(db.session, market, notice, None)
    db.session.commit()
    with pytest.raises(ValidationError, match="已发布，不能再修改"):
        services.publish(db.session, market, notice, "  ")
    revision.pdf = b"%PDF-forged"
    with pytest.raises(InvalidTransition, match="第1版已发布"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(NoticeRevision, revision.id))
    with pytest.raises(InvalidTransition):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(NoticeRevision, revision.id).sha256 == hashlib.sha256(revision.pdf).hexdigest()


def test_a_correction_is_a_new_revision_listing_the_changed_lines(month, make_scored_visit):
    halls, market = month
    notice = services.create_notice(db.session, market, NOV)
    first = services.publish(db.session, market, notice, None)
    db.session.commit()
    first_pdf, first_hash = first.pdf, first.sha256
    make_scored_visit(halls[1], score=100, visited_at=at(NOV, 20))  # a late correction raises H2
    assert services.mark_revision_pending(db.session, market, NOV, "申诉成立：解放路营业厅") is notice
    assert notice.revision_pending and "解放路" in notice.pending_reason
    second = services.publish(db.session, market, notice, "申诉成立，更正解放路营业厅得分")
    db.session.commit()
    assert second.number == 2 and not notice.revision_pending and notice.pending_reason is None
    assert [c["code"] for c in second.snapshot["changes"]] == ["H2"]
    assert second.snapshot["changes"][0]["fields"]["score"] == ["80", "90"]
    db.session.expire_all()
    again = db.session.get(NoticeRevision, first.id)
    assert again.pdf == first_pdf and again.sha256 == first_hash == hashlib.sha256(again.pdf).hexdigest()
    assert [r.number for r in notice.revisions] == [1, 2]
    assert queries.latest_revision(db.session, NOV).number == 2
    assert [r.number for r in queries.published_revisions(db.session)] == [2, 1]
    assert "申诉成立" in read_pdf(second.pdf).text


def test_the_revision_flag_needs_a_published_month(month):
    _, market = month
    assert services.mark_revision_pending(db.session, market, NOV, "x") is None
    services.create_notice(db.session, market, NOV)
    assert services.mark_revision_pending(db.session, market, NOV, "x") is None


def test_only_the_market_department_publishes(month, make_user):
    _, market = month
    notice = services.create_notice(db.session, market, NOV)
    for role in (Role.ADMIN, Role.SUPERVISOR, Role.HALL_MANAGER):
        with pytest.raises(PermissionDenied):
            services.publish(db.session, make_user(role, password=None), notice, None)
    with pytest.raises(ValidationError):
        services.create_notice(db.session, market, "2027-01")


def test_service_stars_are_staff_named_twice_without_a_red_line_with_the_best_mean(make_hall, make_staff, make_scored_visit):
    from surveyapp.visits.models import Staff

    hall, other = make_hall("H1"), make_hall("H2")
    a, b, c = make_staff(hall, "1001", "张敏"), make_staff(hall, "1002", "李强"), make_staff(other, "2001", "王芳")
    once = make_staff(other, "2002", "赵磊")

    def visit(h, staff, **kw):
        v = make_scored_visit(h, visited_at=at(NOV), **kw)
        v.staff = [db.session.get(Staff, s.id) for s in staff]
        db.session.commit()

    visit(hall, [a, b], score=90)
    visit(hall, [a], score=100)      # 张敏: 95 over 2 visits
    visit(hall, [b], score=100)      # 李强: 95 over 2 visits as well: they share the title
    visit(other, [c], score=100)
    visit(other, [c], redline=True)  # 王芳: a red line bars her
    visit(other, [once], score=100)  # 赵磊: named once only
    stars = queries.service_stars(db.session, NOV)
    assert [(s.job_number, s.visits, s.mean_score) for s in stars] == [("1001", 2, 95), ("1002", 2, 95)]
    visit(hall, [b], score=80)       # 李强 now (90 + 100 + 80) / 3 = 90
    assert [s.name for s in queries.service_stars(db.session, NOV)] == ["张敏"]


def test_without_a_configured_name_the_header_names_the_top_unit(app, month):
    _, market = month
    app.config["COMPANY_NAME"] = None
    top = db.session.scalar(sa.select(Unit).where(Unit.parent_id.is_(None)))
    notice = services.create_notice(db.session, market, NOV)
    revision = services.publish(db.session, market, notice, None)
    assert revision.snapshot["company"] == top.name
    assert top.name in read_pdf(revision.pdf).text.replace(" ", "")


def test_without_feedbacks_readers_publishing_refuses_rather_than_drop_the_annex(month, monkeypatch):
    """Notices read open appeals and overdue findings through readers feedback registers with the app: a process
    that never registered them must not publish a notice silently missing its annex."""
    from surveyapp.notices import sources

    assert set(sources._readers) == {"overdue_annex", "undecided_appeals", "settled_findings"}
    monkeypatch.setattr(sources, "_readers", {})
    _halls, market = month
    notice = services.create_notice(db.session, market, NOV)
    with pytest.raises(LookupError, match="feedback registers it"):
        services.publish(db.session, market, notice, None)
