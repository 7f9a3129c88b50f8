"""The notice pages end to end: the market department drafts, edits, previews and publishes; halls read and
download; letters stay within their hall; user text never becomes markup or a fetch in the PDFs."""
from __future__ import annotations

import hashlib
import re

import pytest
import sqlalchemy as sa

from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.notices.models import Notice, NoticeRevision
from surveyapp.pdf import StaticOnlyFetcher
from tests.conftest import form_fields
from tests.notices.conftest import NOV, at, publish
from tests.pdfcheck import read_pdf
from tests.test_pdf import squeeze


@pytest.fixture
def halls(make_hall, make_visit, make_scored_visit):
    """Two halls with November findings (with photos and remarks) and a third without visits."""
    h1, h2, h3 = make_hall("H1", "人民路营业厅"), make_hall("H2", "解放路营业厅"), make_hall("H3", "中山路营业厅")
    make_visit(h1, "unannounced", answers={"appearance.uniform": "fail"}, visited_at=at(NOV),
               remarks={"appearance.uniform": "营业员未按规定着装"})
    make_visit(h2, "announced", answers={"interior.clean": "fail", "exterior.signage": "fail"},
               visited_at=at(NOV, 11))
    return h1, h2, h3


def test_the_market_department_drafts_edits_and_publishes(client, login_as, halls):
    login_as(Role.MARKET)
    response = client.post("/notices/", data={"period": NOV})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/notices/{NOV}")
    page = client.get(f"/notices/{NOV}").get_data(as_text=True)
    assert "关于2026年11月营业厅服务质量明查暗访情况的通报" in page and "<svg" in page and "人民路营业厅" in page
    assert "style=" not in page and "<script>" not in page  # the CSP forbids inline styles and scripts
    fields = form_fields(client.get(f"/notices/{NOV}/edit").get_data(as_text=True))
    assert "11月" in fields["overview"]  # written from the figures
    fields.update(overview="本月各营业厅服务总体平稳。", doc_number="市场〔2026〕45号", version="1")
    assert client.post(f"/notices/{NOV}/edit", data=fields).status_code == 302
    notice = db.session.scalar(sa.select(Notice))
    assert notice.narrative == {"overview": "本月各营业厅服务总体平稳。"}  # untouched sections follow the figures
    preview = client.get(f"/notices/{NOV}/preview.pdf")
    assert "草稿" in squeeze(read_pdf(preview.data).text)
    response = publish(client)
    assert response.status_code == 302
    revision = db.session.scalar(sa.select(NoticeRevision))
    download = client.get(f"/notices/revisions/{revision.id}.pdf")
    assert download.data == revision.pdf and hashlib.sha256(download.data).hexdigest() == revision.sha256
    text = squeeze(read_pdf(download.data).text)
    for expected in ("本月各营业厅服务总体平稳。", "市场〔2026〕45号", "人民路营业厅", "营业员未按规定着装", "第1页/共"):
        assert expected in text
    # the stale edit form of before the publication is refused, nothing is lost silently
    stale = client.post(f"/notices/{NOV}/edit", data={**fields, "version": "1"})
    assert stale.status_code == 400 and "重新加载" in stale.get_data(as_text=True)


def test_a_published_notice_is_corrected_only_by_a_revision_with_a_reason(client, login_as, halls, make_scored_visit):
    login_as(Role.MARKET)
    client.post("/notices/", data={"period": NOV})
    publish(client)
    first = db.session.scalar(sa.select(NoticeRevision))
    first_hash = first.sha256
    refused = publish(client)
    assert refused.status_code == 400 and "不能再修改" in refused.get_data(as_text=True)
    make_scored_visit(halls[2], score=88, visited_at=at(NOV, 15))  # a hall assessed after all
    assert publish(client, reason="补录中山路营业厅检查结果").status_code == 302
    second = db.session.scalar(sa.select(NoticeRevision).where(NoticeRevision.number == 2))
    changed = {c["code"]: c["fields"] for c in second.snapshot["changes"]}
    assert changed["H3"]["assessed"] == [False, True] and changed["H3"]["score"] == [None, "88"]
    old = client.get(f"/notices/revisions/{first.id}.pdf")
    assert hashlib.sha256(old.data).hexdigest() == first_hash
    text = squeeze(read_pdf(client.get(f"/notices/revisions/{second.id}.pdf").data).text)
    assert "补录中山路营业厅检查结果" in text and "中山路营业厅（H3）" in text


def test_hall_managers_read_published_notices_and_only_their_own_letters(client, login_as, halls, make_user, login):
    h1, h2, _ = halls
    market = make_user(Role.MARKET)
    manager = make_user(Role.HALL_MANAGER, halls=[h1])
    login(manager)
    assert client.get(f"/notices/{NOV}").status_code == 404  # nothing published yet
    login(market)
    client.post("/notices/", data={"period": NOV})
    publish(client)
    revision = db.session.scalar(sa.select(NoticeRevision))
    login(manager)
    index = client.get("/notices/").get_data(as_text=True)
    assert f"/notices/revisions/{revision.id}.pdf" in index and f"/halls/{h1.id}.pdf" in index
    assert client.get(f"/notices/{NOV}").status_code == 200
    assert client.get(f"/notices/revisions/{revision.id}").status_code == 200
    assert client.get(f"/notices/revisions/{revision.id}.pdf").data == revision.pdf
    letter = client.get(f"/notices/revisions/{revision.id}/halls/{h1.id}.pdf")
    pdf = read_pdf(letter.data)
    text = squeeze(pdf.text)
    assert "人民路营业厅" in text and "营业员未按规定着装" in text and "申诉" in text and "解放路" not in text
    others = [client.get(url) for url in (f"/notices/revisions/{revision.id}/halls/{h2.id}.pdf",
                                           f"/notices/revisions/{revision.id}/halls/999999.pdf",
                                           f"/notices/revisions/999999/halls/{h1.id}.pdf")]
    assert {r.status_code for r in others} == {404}
    # the same page, but for the token and the language switch's way back to the URL asked
    bodies = {re.sub(r'(content|value)="[^"]*"', "", r.get_data(as_text=True)) for r in others}
    assert len(bodies) == 1, "another hall's letter looks exactly like a missing one"
    # the evidence photo of the hall's own finding shows; a photo of another month or hall does not
    finding = revision.snapshot["findings"]["H1"][0]
    with client.get(f"/notices/{NOV}/photos/{finding['photos'][0]}") as photo:
        assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    cases = {uid for case in revision.snapshot["cases"] for uid in case["photos"]}
    [private] = [uid for f in revision.snapshot["findings"]["H2"] for uid in f["photos"] if uid not in cases]
    with client.get(f"/notices/{NOV}/photos/{private}") as other:
        assert other.status_code == 404  # another hall's evidence that the notice does not cite


def test_supervisors_see_no_notice(client, login_as, halls):
    login_as(Role.SUPERVISOR)
    assert client.get("/notices/").status_code == 403


def test_user_text_is_printed_as_text_and_nothing_is_fetched(client, login_as, make_hall, make_visit, bait,
                                                          monkeypatch):
    host, asked = bait
    evil = ['<img src="file:///etc/passwd">', '<a href="http://169.254.169.254/latest/meta-data/">元数据</a>',
            f'<img src="http://{host}/x.png">']
    hall = make_hall("H1", "人民路营业厅")
    make_visit(hall, "unannounced", answers={"appearance.uniform": "fail"}, visited_at=at(NOV),
               remarks={"appearance.uniform": "备注" + "".join(evil)})
    fetched: list[str] = []
    original = StaticOnlyFetcher.fetch

    def spy(self, url, *args, **kwargs):
        fetched.append(url)
        return original(self, url, *args, **kwargs)

    monkeypatch.setattr(StaticOnlyFetcher, "fetch", spy)
    login_as(Role.MARKET)
    client.post("/notices/", data={"period": NOV})
    fields = form_fields(client.get(f"/notices/{NOV}/edit").get_data(as_text=True))
    for key in ("overview", "problems", "commendations", "money", "instructions"):
        fields[key] = "正文" + "".join(evil)
    fields.update(doc_number="".join(evil[:2])[:100], version="1")
    assert client.post(f"/notices/{NOV}/edit", data=fields).status_code == 302
    page = client.get(f"/notices/{NOV}").get_data(as_text=True)
    assert '<img src="file:///etc/passwd">' not in page and "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in page
    publish(client)
    assert publish(client, reason="更正" + "".join(evil)).status_code == 302
    revisions = db.session.scalars(sa.select(NoticeRevision).order_by(NoticeRevision.number)).all()
    letter = client.get(f"/notices/revisions/{revisions[1].id}/halls/{hall.id}.pdf").data
    for data in (revisions[1].pdf, letter):
        text = squeeze(read_pdf(data).text)
        for bad in evil:
            assert squeeze(bad) in text, f"not printed as text: {bad}"
        assert "root:" not in text
    assert asked == []
    assert all(url.startswith("data:") or url.endswith("/static/css/pdf.css") for url in fetched), fetched


def test_a_notice_published_from_the_english_pages_is_still_written_in_chinese(client, login_as, halls):
    login_as(Role.MARKET)
    client.post("/lang", data={"lang": "en"})
    client.post("/notices/", data={"period": NOV})
    page = client.get(f"/notices/{NOV}").get_data(as_text=True)
    # the page speaks English; the preview is the PDF's text, headings included, marked as Chinese
    assert "Publish the notice" in page and "Ranking" not in page
    assert '<article class="notice-doc" lang="zh-CN">' in page and "二、排名情况" in page
    publish(client)
    revision = db.session.scalar(sa.select(NoticeRevision))
    assert "市场部对全市" in revision.snapshot["narrative"]["overview"]
    assert "总体情况" in squeeze(read_pdf(revision.pdf).text)
