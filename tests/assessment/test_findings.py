"""What the notice reads besides the ranking: the month's most-failed items and each hall's findings."""
from __future__ import annotations

import uuid
from fractions import Fraction

from surveyapp import clock
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
    visit = make_visit(hall, answers={"interior.zones": "fail", "conduct.taboo": 1},
                       remarks={"interior.zones": "分区标识脱落"}, visited_at=at("2026-11", 12))
    make_visit(clean)
    db.session.add(Photo(uid=str(uuid.uuid4()), visit_id=visit.id, item_key="interior.zones", client_id=str(uuid.uuid4()),
                         stored_name="a.jpg", content_type="image/jpeg", size=10, width=1, height=1, sha256="0" * 64,
                         uploaded_at=clock.now()))
    db.session.commit()
    findings = services.hall_findings(db.session, "2026-11")
    assert list(findings) == ["H1"]
    zones, taboo = findings["H1"]
    assert (zones.key, zones.value, zones.remark, zones.lost, zones.redline, len(zones.photos)) == (
        "interior.zones", "fail", "分区标识脱落", 2, False, 1)
    assert (taboo.key, taboo.value, taboo.redline, taboo.lost) == ("conduct.taboo", "1", True, 4)
    assert zones.visit_uid == visit.uid and zones.channel.value == "unannounced" and zones.visited_at == at("2026-11", 12)
    assert not hasattr(zones, "supervisor")
    deadlines = services.current_policy(db.session).policy.deadlines
    assert deadlines.rectify_days_for(zones.section_id) == 10 and deadlines.rectify_days_for("conduct") == 2
    assert services.hall_findings(db.session, "2026-11", hall_ids=[clean.id]) == {}
