"""The month close: a published month never changes silently, and publishing is guarded and exact.

Late visits (phone, paper import, validation) are marked and need an explicit decision that marks the notice
revision pending; an organisation change after publication leaves the published pages as they were and the
comparison page explains it; a replayed, stale or unconfirmed publish never makes a second or wrong revision.
"""
from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
import sqlalchemy as sa

from surveyapp import jobs
from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.jobs.models import Job
from surveyapp.jobs.queue import _run
from surveyapp.notices.models import Notice, NoticeRevision
from surveyapp.notifications.models import Notification
from surveyapp.visits.models import Visit, VisitStatus
from tests.conftest import read_xlsx
from tests.notices.conftest import NOV, NOW, at, publish, publish_fields


@pytest.fixture
def month(make_hall, make_user, make_scored_visit):
    """Two halls with validated November visits, a hall manager for each, the market department logged in."""
    h1, h2 = make_hall("H1", "人民路营业厅"), make_hall("H2", "解放路营业厅")
    make_scored_visit(h1, score=95, visited_at=at(NOV, 5))
    make_scored_visit(h2, score=85, visited_at=at(NOV, 6))
    managers = [make_user(Role.HALL_MANAGER, halls=[h]) for h in (h1, h2)]
    return h1, h2, managers


def publish_jobs() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Job).where(Job.kind == "publish")) or 0


def revisions() -> list[NoticeRevision]:
    return list(db.session.scalars(sa.select(NoticeRevision).order_by(NoticeRevision.number)))


def document(page: str) -> str:
    """The notice document shown on a page (the figures, without the page's status bar)."""
    return page[page.index('<article class="notice-doc"'):]


def published_month(client, login_as):
    login_as(Role.MARKET)
    client.post("/notices/", data={"period": NOV})
    assert publish(client).status_code == 302
    return db.session.scalar(sa.select(Notice))


def test_three_posts_of_one_preview_make_one_revision_and_one_set_of_messages(client, login_as, month):
    login_as(Role.MARKET)
    client.post("/notices/", data={"period": NOV})
    fields = publish_fields(client)
    answers = [publish(client, fields=fields) for _ in range(3)]
    assert [a.status_code for a in answers] == [302, 302, 302]
    # The first starts the publish job (the tests' queue runs it at once): its page leads to the revision the
    # replays are sent to.
    assert answers[0].headers["Location"] == "/jobs/1"
    landing = client.get(answers[0].headers["Location"])
    assert landing.status_code == 302
    assert len({landing.headers["Location"], *(a.headers["Location"] for a in answers[1:])}) == 1
    assert publish_jobs() == 1
    assert [r.number for r in revisions()] == [1]
    messages = db.session.scalar(sa.select(sa.func.count()).select_from(Notification)
                                 .where(Notification.kind == "notice_published"))
    assert messages == 2  # one per hall manager, not three each
    again = client.get(answers[2].headers["Location"]).get_data(as_text=True)
    assert "没有再次发布" in again


def test_a_double_click_while_the_job_waits_is_one_job(client, login_as, month, monkeypatch):
    """With a real queue the job has not run when the second click comes: the same job, then one revision."""
    login_as(Role.MARKET)
    client.post("/notices/", data={"period": NOV})
    monkeypatch.setattr(jobs, "enqueue", lambda job: None)  # the worker has not taken it yet
    fields = publish_fields(client)
    answers = [publish(client, fields=fields) for _ in range(3)]
    assert {a.headers["Location"] for a in answers} == {"/jobs/1"} and publish_jobs() == 1
    assert revisions() == []
    _run(1)
    assert [r.number for r in revisions()] == [1] and db.session.get(Job, 1).status == "done"
    replay = publish(client, fields=fields)
    assert replay.headers["Location"] == f"/notices/revisions/{revisions()[0].id}"


def test_the_job_checks_the_preview_again(client, login_as, month, make_scored_visit, monkeypatch):
    """Results changed between the request and the job: the job publishes nothing and says what changed;
    publishing again from a fresh preview starts that job again with it."""
    _h1, h2, _ = month
    login_as(Role.MARKET)
    client.post("/notices/", data={"period": NOV})
    monkeypatch.setattr(jobs, "enqueue", lambda job: None)
    assert publish(client).headers["Location"] == "/jobs/1"
    make_scored_visit(h2, score=40, visited_at=at(NOV, 20))  # validated while the job waited
    _run(1)
    job = db.session.get(Job, 1)
    assert job.status == "failed" and "本月结果已变化" in job.error and revisions() == []
    assert publish(client).headers["Location"] == "/jobs/1"  # the same revision's job, with the new preview
    _run(1)
    db.session.expire_all()
    assert db.session.get(Job, 1).status == "done" and [r.number for r in revisions()] == [1]
    assert publish_jobs() == 1


def test_a_stale_preview_is_refused_with_what_changed(client, login_as, month, make_scored_visit):
    _h1, h2, _ = month
    login_as(Role.MARKET)
    client.post("/notices/", data={"period": NOV})
    fields = publish_fields(client)
    make_scored_visit(h2, score=40, visited_at=at(NOV, 20))  # validated while the publisher looked at the preview
    refused = publish(client, fields=fields)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "预览" in page and "H2" in page
    assert revisions() == []
    edited = publish_fields(client)
    client.post(f"/notices/{NOV}/edit", data={"version": edited["version"], "overview": "本月总体平稳。",
                                              "auto_cases": "y"})
    refused = publish(client, fields=edited)
    assert refused.status_code == 409 and "修改了通报" in refused.get_data(as_text=True)
    assert publish(client).status_code == 302 and [r.number for r in revisions()] == [1]


def test_an_unchanged_preview_is_published_without_building_the_draft_again(client, login_as, month,
                                                                              make_scored_visit, monkeypatch):
    """The publish request recognises the draft it previewed (same stamp, version, day) without rebuilding its
    snapshot (issue 13: the request ≤ 200 ms); a month changed since is still rebuilt and refused."""
    from surveyapp.notices import services

    _h1, h2, _ = month
    login_as(Role.MARKET)
    client.post("/notices/", data={"period": NOV})
    fields = publish_fields(client)
    built = []
    real = services.draft_snapshot
    monkeypatch.setattr(services, "draft_snapshot", lambda *args: built.append(1) or real(*args))
    make_scored_visit(h2, score=40, visited_at=at(NOV, 20))
    refused = publish(client, fields=fields)
    assert refused.status_code == 409 and "H2" in refused.get_data(as_text=True) and revisions() == []
    assert built  # the changed month was built again to find what changed
    fields = publish_fields(client)
    built.clear()
    assert publish(client, fields=fields).status_code == 302 and built == []
    assert [r.number for r in revisions()] == [1]


def test_a_preview_made_by_another_worker_spares_the_rebuild_too(client, login_as, month, make_scored_visit,
                                                                 monkeypatch):
    """The preview's hash is kept in the database, not in the previewing process: a publish request answered by
    another worker (here: this process's memory emptied) recognises the draft without building it again; the
    request does rebuild when no preview of the draft as it stands is remembered, and a month changed since the
    preview is refused naming what changed."""
    from surveyapp.assessment import cache
    from surveyapp.notices import services
    from surveyapp.notices.models import PreviewDigest

    _h1, h2, _ = month
    login_as(Role.MARKET)
    client.post("/notices/", data={"period": NOV})
    built = []
    real = services.draft_snapshot
    monkeypatch.setattr(services, "draft_snapshot", lambda *args: built.append(1) or real(*args))

    fields = publish_fields(client)
    assert db.session.scalar(sa.select(PreviewDigest.digest)) == fields["digest"]
    db.session.execute(sa.delete(PreviewDigest))  # nothing remembered: the request builds the draft to check it
    db.session.commit()
    make_scored_visit(h2, score=40, visited_at=at(NOV, 20))
    refused = publish(client, fields=fields)
    assert refused.status_code == 409 and "H2" in refused.get_data(as_text=True) and revisions() == []

    fields = publish_fields(client)
    cache.forget()  # the worker answering the publish request is not the one that previewed
    built.clear()
    assert publish(client, fields=fields).status_code == 302 and built == []
    assert publish_jobs() == 1


def test_a_remembered_preview_is_written_again_without_error_and_old_ones_are_pruned(app, month):
    from surveyapp import clock
    from surveyapp.notices import closing
    from surveyapp.notices.models import PreviewDigest

    old = clock.now() - closing.DIGEST_KEPT - dt.timedelta(minutes=1)
    db.session.add(PreviewDigest(key="0" * 64, digest="1" * 64, made_at=old))
    db.session.commit()
    assert closing.remembered(db.session, "0" * 64) is None  # too old to be trusted
    closing.remember(db.session, "a" * 64, "b" * 64)
    closing.remember(db.session, "a" * 64, "b" * 64)  # the same draft previewed twice at once: no error
    db.session.rollback()
    assert db.session.scalars(sa.select(PreviewDigest.key)).all() == ["a" * 64]
    assert closing.remembered(db.session, "a" * 64) == "b" * 64


def test_a_notice_that_fails_to_render_publishes_nothing_and_its_retry_publishes_it(client, login_as, month,
                                                                                    monkeypatch):
    """The PDF renders in a process of its own while the visits are released: when it fails, the job fails with
    the reason, nothing of the publication stays (no revision, no released visit, no message), and the retry
    button publishes it."""
    from surveyapp.feedback.models import Finding
    from surveyapp.notices import rendering

    login_as(Role.MARKET)
    client.post("/notices/", data={"period": NOV})
    messages = db.session.scalar(sa.select(sa.func.count()).select_from(Notification))
    real = rendering.notice_pdf

    def broken(snapshot, **options):
        raise OSError("disk full")

    monkeypatch.setattr(rendering, "notice_pdf", broken)
    assert publish(client).status_code == 302
    job = db.session.scalar(sa.select(Job))
    assert job.status == "failed" and "disk full" in job.error and "没有发布" in job.error
    assert revisions() == [] and not db.session.scalar(sa.select(Notice.closed_at))
    assert db.session.scalars(sa.select(Visit.released_at)).all() == [None, None]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Finding)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == messages
    page = client.get(f"/jobs/{job.id}").get_data(as_text=True)
    assert "disk full" in page and f"/jobs/{job.id}/retry" in page

    monkeypatch.setattr(rendering, "notice_pdf", real)
    assert client.post(f"/jobs/{job.id}/retry").status_code == 302
    db.session.expire_all()
    assert db.session.get(Job, job.id).status == "done" and [r.number for r in revisions()] == [1]
    assert revisions()[0].pdf.startswith(b"%PDF") and None not in db.session.scalars(sa.select(Visit.released_at)).all()


def test_open_work_needs_a_confirmation_naming_the_counts(client, login_as, month, make_visit):
    h1, h2, _ = month
    make_visit(h1, "announced", status="submitted", visited_at=at(NOV, 25))
    make_visit(h2, "announced", status="planned", visited_at=at(NOV, 26))
    login_as(Role.MARKET)
    client.post("/notices/", data={"period": NOV})
    page = client.get(f"/notices/{NOV}").get_data(as_text=True)
    assert "1 次检查待审核" in page and "1 次检查已计划" in page
    refused = publish(client)
    assert refused.status_code == 400 and "确认" in refused.get_data(as_text=True) and revisions() == []
    assert publish(client, confirm=True).status_code == 302 and [r.number for r in revisions()] == [1]


def test_publishing_before_the_month_ends_says_so(client, login_as, month, make_scored_visit, make_hall):
    login_as(Role.MARKET)
    client.post("/notices/", data={"period": "2026-12"})
    page = client.get("/notices/2026-12").get_data(as_text=True)
    assert "2026年12月尚未结束" in page
    assert publish(client, period="2026-12").status_code == 400
    assert publish(client, period="2026-12", confirm=True).status_code == 302


def test_a_late_phone_visit_counts_only_by_an_explicit_decision(client, login_as, month, make_visit, make_user):
    _h1, h2, _ = month
    notice = published_month(client, login_as)
    published_page = client.get(f"/notices/{NOV}").get_data(as_text=True)
    visit = make_visit(h2, "announced", status="submitted", visited_at=at(NOV, 29),
                       answers={"interior.clean": "fail"})
    assert visit.late  # submitted into a closed month: kept, marked
    login_as(Role.MARKET)
    detail = client.get(f"/visits/{visit.uid}").get_data(as_text=True)
    assert "已结账月份的迟到检查" in detail
    refused = client.post(f"/visits/{visit.uid}/decide", data={"action": "approve", "version": visit.version})
    assert refused.status_code == 409 and "已结账" in refused.get_data(as_text=True)
    db.session.refresh(visit)
    assert visit.status is VisitStatus.SUBMITTED
    assert client.post(f"/visits/{visit.uid}/decide", data={"action": "approve", "version": visit.version,
                                                            "late_confirmed": "y"}).status_code == 302
    db.session.refresh(notice)
    assert notice.revision_pending and "迟到检查" in notice.pending_reason and "H2" in notice.pending_reason
    # The published month reads what was published; the comparison explains the change.
    assert document(client.get(f"/notices/{NOV}").get_data(as_text=True)) == document(published_page)
    compare = client.get(f"/notices/{NOV}/compare").get_data(as_text=True)
    assert "解放路营业厅（H2）" in compare and "结账后审核通过。" in compare
    assert publish(client, reason="补录迟到检查").status_code == 302
    assert [r.number for r in revisions()] == [1, 2]
    db.session.refresh(notice)
    assert not notice.revision_pending


def test_rejecting_a_late_visit_leaves_the_published_month_as_it_stands(client, login_as, month, make_visit):
    _h1, h2, _ = month
    notice = published_month(client, login_as)
    published_page = client.get(f"/notices/{NOV}").get_data(as_text=True)
    visit = make_visit(h2, "announced", status="submitted", visited_at=at(NOV, 29), answers={"interior.clean": "fail"})
    assert visit.late
    login_as(Role.MARKET)
    assert client.post(f"/visits/{visit.uid}/decide", data={"action": "reject", "version": visit.version,
                                                            "comment": "结账后补交，不予计入"}).status_code == 302
    db.session.refresh(visit)
    db.session.refresh(notice)
    assert visit.status is VisitStatus.REJECTED and not notice.revision_pending
    assert document(client.get(f"/notices/{NOV}").get_data(as_text=True)) == document(published_page)
    compare = client.get(f"/notices/{NOV}/compare", follow_redirects=True).get_data(as_text=True)
    assert "结账后审核通过" not in compare  # no changed line: the rejected visit never counted
    assert [r.number for r in revisions()] == [1]


def test_a_late_paper_import_needs_accept_late(app, client, login_as, month, tmp_path, make_user):
    h1, _h2, _ = month
    published_month(client, login_as)
    version = db.session.scalar(sa.select(Visit)).checklist_version
    supervisor = make_user(Role.SUPERVISOR, units=[h1.unit])
    make_user(Role.MARKET, username="mkt2")
    record = {"id": str(uuid.uuid4()), "hall": "H1", "form": version.checklist.slug, "form_version": version.version,
              "type": "announced", "supervisor": supervisor.username, "visited_at": "2026-11-30T10:00:00+08:00",
              "answers": {"main.score": 60, "main.safety": "na"}, "scenario": "缴费",
              "impression": "营业员态度热情，业务办理较快，环境整洁有序。"}
    path = tmp_path / "late.json"
    path.write_text(json.dumps({"visits": [record]}), encoding="utf-8")
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["visits", "import", str(path), "--validate", "--by", "mkt2"])
    assert refused.exit_code == 1 and "已结账" in refused.output
    assert db.session.scalar(sa.select(Visit).where(Visit.uid == record["id"])) is None  # all or nothing
    done = runner.invoke(args=["visits", "import", str(path), "--validate", "--by", "mkt2", "--accept-late"])
    assert done.exit_code == 0, done.output
    db.session.expire_all()
    visit = db.session.scalar(sa.select(Visit).where(Visit.uid == record["id"]))
    assert visit.late and visit.status is VisitStatus.VALIDATED
    notice = db.session.scalar(sa.select(Notice))
    assert notice.revision_pending and "H1" in notice.pending_reason


def test_a_hall_added_after_publication_leaves_the_published_pages_alone(app, client, login_as, month, make_hall,
                                                                         make_scored_visit, login):
    _h1, _h2, managers = month
    h3 = make_hall("H3", "中山路营业厅")  # listed, not assessed
    published_month(client, login_as)
    login(managers[0])
    home_before = client.get("/home/hall").get_data(as_text=True)
    login_as(Role.MARKET)
    results_before = client.get(f"/assessment/results?period={NOV}").get_data(as_text=True)
    h3.active = False
    db.session.commit()
    app.config["FROZEN_NOW"] = (NOW + dt.timedelta(hours=2)).isoformat()
    make_hall("H9", "新开营业厅")
    results_after = client.get(f"/assessment/results?period={NOV}").get_data(as_text=True)
    assert "新开营业厅" not in results_after and "中山路营业厅" in results_after
    assert results_before[results_before.index("<main"):] == results_after[results_after.index("<main"):]
    xlsx = read_xlsx(client.get(f"/assessment/results.xlsx?period={NOV}").data, sheet=1)
    assert any("中山路营业厅" in map(str, row) for row in xlsx)
    compare = client.get(f"/notices/{NOV}/compare").get_data(as_text=True)
    assert "中山路营业厅（H3）" in compare and "发布后停用" in compare and "新开营业厅" not in compare
    login(managers[0])
    assert client.get("/home/hall").get_data(as_text=True).count("人民路营业厅") == home_before.count("人民路营业厅")


def test_a_policy_changed_after_publication_is_named_on_the_comparison(client, login_as, month, make_user):
    import dataclasses
    from decimal import Decimal

    from surveyapp.assessment import services as assessment
    from surveyapp.assessment.policy import DEFAULT

    published_month(client, login_as)
    stricter = dataclasses.replace(DEFAULT, penalties=dataclasses.replace(DEFAULT.penalties, last_place=Decimal(800)))
    assessment.save_policy(db.session, make_user(Role.MARKET, password=None), stricter, based_on=1, note="提高达标线")
    db.session.commit()
    compare = client.get(f"/notices/{NOV}/compare", follow_redirects=True).get_data(as_text=True)
    assert "现行考核办法为第 2 版；修订版沿用首次发布时的第 1 版。" in compare


def test_close_and_reopen_before_publishing(client, login_as, month, make_visit):
    h1, _h2, _ = month
    login_as(Role.MARKET)
    client.post("/notices/", data={"period": NOV})
    client.post(f"/notices/{NOV}/close", data={"action": "close"})
    notice = db.session.scalar(sa.select(Notice))
    assert notice.closed and not notice.published
    assert make_visit(h1, "announced", status="submitted", visited_at=at(NOV, 27)).late
    client.post(f"/notices/{NOV}/close", data={"action": "reopen"})
    db.session.refresh(notice)
    assert not notice.closed
    assert not make_visit(h1, "announced", status="submitted", visited_at=at(NOV, 27)).late


def test_published_revisions_cannot_be_changed_by_a_bulk_update(client, login_as, month):
    published_month(client, login_as)
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the trigger of migration 0008 is PostgreSQL's; SQLite relies on the ORM hook")
    with pytest.raises(sa.exc.IntegrityError, match="never changes"), db.engine.begin() as connection:
        connection.execute(sa.update(NoticeRevision).values(reason="篡改"))
    with pytest.raises(sa.exc.IntegrityError, match="never changes"), db.engine.begin() as connection:
        connection.execute(sa.delete(NoticeRevision))
    assert [r.reason for r in revisions()] == [None]


def test_a_letter_opened_before_it_is_stored_is_rendered_from_the_snapshot_and_kept(client, login_as, login, month):
    from surveyapp.notices.models import NoticeLetter

    h1, _h2, managers = month
    published_month(client, login_as)
    revision = revisions()[0]
    db.session.execute(sa.delete(NoticeLetter))  # as if the letters job had not reached this hall yet
    db.session.commit()
    login(managers[0])
    first = client.get(f"/notices/revisions/{revision.id}/halls/{h1.id}.pdf")
    assert first.status_code == 200 and first.data.startswith(b"%PDF")
    stored = db.session.scalar(sa.select(NoticeLetter).where(NoticeLetter.hall_id == h1.id))
    assert stored is not None and stored.pdf == first.data
    assert client.get(f"/notices/revisions/{revision.id}/halls/{h1.id}.pdf").data == first.data
