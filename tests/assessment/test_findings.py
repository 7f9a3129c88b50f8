"""What the notice reads besides the ranking: the month's most-failed items and each hall's findings."""
from __future__ import annotations

from fractions import Fraction

import sqlalchemy as sa

from surveyapp.assessment import services
from surveyapp.db import db
from surveyapp.visits.models import Photo
from tests.assessment.conftest import at


def test_most_failed_items_count_failures_and_rates_in_the_month_and_scope(make_unit, make_hall, make_visit):
    north, south = make_unit("B1", "城区"), make_unit("B2", "郊县")
    h1, h2, h3 = make_hall("H1", unit=north), make_hall("H2", unit=north), make_hall("H3", unit=south)
    make_visit(h1, answers={"interior.zones": "fail", "conduct.greeting": "fail"})
    make_visit(h1, answers={"interior.zones": "fail"})
    make_visit(h2, answers={"interior.zones": "fail", "conduct.taboo": 2})
    make_visit(h3, answers={"conduct.greeting": "fail", "interior.zones": "na"})
    make_visit(h3, answers={"conduct.greeting": "fail"}, status="submitted")  # not validated: does not count
    make_visit(h1, answers={"conduct.greeting": "fail"}, visited_at=at("2026-10"))  # another month
    items = services.most_failed_items(db.session, "2026-11")
    assert [(i.key, i.failures, i.answered, i.halls) for i in items] == [
        ("interior.zones", 3, 3, 2), ("conduct.greeting", 2, 4, 2), ("conduct.taboo", 1, 4, 1)]
    zones = items[0]
    assert zones.checklist == "hall-etiquette" and zones.text.startswith("业务受理区") and zones.text_en
    assert zones.section_id == "interior" and zones.rate == 1 and items[1].rate == Fraction(1, 2)
    assert items[2].redline_failures == 1
    assert [i.key for i in services.most_failed_items(db.session, "2026-11", unit="B2")] == ["conduct.greeting"]
    assert len(services.most_failed_items(db.session, "2026-11", limit=1)) == 1


def test_hall_findings_list_failed_answers_with_remarks_and_photos_but_not_the_supervisor(make_hall, make_visit):
    hall, clean = make_hall("H1"), make_hall("H2")
    visit = make_visit(hall, answers={"appearance.uniform": "fail", "conduct.taboo": 1},
                       remarks={"appearance.uniform": "未佩戴工号牌"}, visited_at=at("2026-11", 12))
    make_visit(clean)
    findings = services.hall_findings(db.session, "2026-11")
    assert list(findings) == ["H1"]
    uniform, taboo = findings["H1"]
    photo = db.session.scalar(sa.select(Photo).where(Photo.visit_id == visit.id, Photo.item_key == "appearance.uniform"))
    assert (uniform.key, uniform.value, uniform.remark, uniform.lost, uniform.redline, uniform.photos) == (
        "appearance.uniform", "fail", "未佩戴工号牌", 3, False, (photo.uid,))
    assert (taboo.key, taboo.value, taboo.redline, taboo.lost, taboo.photos) == ("conduct.taboo", "1", True, 4, ())
    assert uniform.visit_uid == visit.uid and uniform.channel.value == "unannounced"
    assert uniform.visited_at == at("2026-11", 12) and not hasattr(uniform, "supervisor")
    deadlines = services.current_policy(db.session).policy.deadlines
    assert deadlines.rectify_days_for(uniform.section_id) == 2 and deadlines.rectify_days_for("interior") == 10
    assert services.hall_findings(db.session, "2026-11", hall_ids=[clean.id]) == {}
