"""``flask notices publish`` publishes from a terminal, with progress, and stores every hall's letter."""
from __future__ import annotations

import sqlalchemy as sa

from surveyapp.db import db
from surveyapp.notices.models import NoticeLetter, NoticeRevision
from surveyapp.visits.models import Visit
from tests.notices.conftest import NOV, at


def test_publishing_from_the_command_line(runner, make_hall, make_visit):
    halls = [make_hall(f"H{n}") for n in range(1, 3)]
    for hall in halls:
        make_visit(hall, "unannounced", answers={"appearance.uniform": "fail"}, visited_at=at(NOV))
    result = runner.invoke(args=["notices", "publish", NOV])
    assert result.exit_code == 0, result.output
    assert "第1版已发布" in result.output and "生成通报PDF" in result.output
    revision = db.session.scalar(sa.select(NoticeRevision))
    assert revision.number == 1 and db.session.scalar(sa.select(sa.func.count()).select_from(Visit).where(
        Visit.released_at.is_(None))) == 0
    assert sorted(db.session.scalars(sa.select(NoticeLetter.hall_id))) == sorted(h.id for h in halls)
    again = runner.invoke(args=["notices", "publish", NOV])  # a revision needs its reason
    assert again.exit_code == 1 and "不能再修改" in again.output
