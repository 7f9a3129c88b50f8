"""The demo publishes last month's notice, so hall managers land on a home with their line; loading again
changes nothing."""
from __future__ import annotations

import sqlalchemy as sa

from surveyapp.db import db
from surveyapp.notices import queries
from surveyapp.notices.models import Notice
from surveyapp.org.models import Hall
from tests.pdfcheck import read_pdf


def test_the_demo_publishes_last_months_notice(app, make_checklist):
    app.config["FROZEN_NOW"] = "2026-11-20T10:00:00+08:00"
    from surveyapp.demo.loader import discover

    make_checklist("hall-etiquette")
    make_checklist("social-supervisor")
    loaders = {loader.name: loader for loader in discover()}
    assert [n for n in loaders if n in ("visits", "notice", "feedback")] == ["visits", "notice", "feedback"]
    for name in ("org", "users", "visits"):
        loaders[name].load(db.session)
        db.session.commit()
    assert loaders["notice"].load(db.session).startswith("notice 2026-10: revision 1 published")
    db.session.commit()
    revision = queries.latest_revision(db.session, "2026-10")
    assert revision.number == 1 and f"{revision.published_at:%Y-%m-%d}" == "2026-11-02"
    assert "关于2026年10月营业厅服务质量明查暗访情况的通报" in read_pdf(revision.pdf).text.replace(" ", "")
    hall = db.session.scalar(sa.select(Hall).where(Hall.code == "H0101"))
    assert queries.hall_line(revision, hall.id)["code"] == "H0101"
    assert loaders["notice"].load(db.session) == "notice 2026-10 unchanged"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notice)) == 1
