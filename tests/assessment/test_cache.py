"""A process reuses a month it assessed until something that changes the results changes, in any session."""
from __future__ import annotations

from fractions import Fraction

import pytest
import sqlalchemy as sa

from surveyapp.assessment import cache, services
from surveyapp.assessment.models import AssessedMonth
from surveyapp.db import db
from surveyapp.org.models import Hall
from surveyapp.visits import validation
from surveyapp.visits.models import Visit, VisitStatus
from tests.assessment.conftest import at

NOV = "2026-11"


def test_a_month_is_assessed_again_only_after_a_change(app, make_hall, make_scored_visit):
    hall = make_hall("H1", name="一厅")
    make_scored_visit(hall, score=80, visited_at=at(NOV))
    db.session.commit()
    first = services.assess(db.session, NOV)
    assert services.assess(db.session, NOV) is first  # nothing changed: the same results, not computed again

    make_scored_visit(hall, score=100, visited_at=at(NOV))  # a new validated visit
    db.session.commit()
    second = services.assess(db.session, NOV)
    assert second.hall("H1").score == Fraction(90)

    hall.name = "二厅"  # the hall's name shows on every line
    db.session.flush()
    assert services.assess(db.session, NOV).hall("H1").name == "二厅"  # the writer sees its own change ...
    db.session.rollback()
    assert services.assess(db.session, NOV).hall("H1").name == "一厅"  # ... and nobody sees one rolled back


def test_a_change_by_another_session_or_a_bulk_statement_is_seen(app, make_hall, make_scored_visit):
    hall = make_hall("H1")
    visit = make_scored_visit(hall, score=80, visited_at=at(NOV))
    db.session.commit()
    assert services.assess(db.session, NOV).hall("H1").assessed
    with app.extensions["surveyapp.db"][1]() as other:  # another request (or host) validates nothing, cancels one
        other.execute(sa.update(Visit).where(Visit.id == visit.id).values(status="cancelled"))
        other.commit()
    db.session.rollback()  # this session's next transaction
    assert not services.assess(db.session, NOV).hall("H1").assessed


def test_raw_sql_writers_replace_the_token_themselves(app, make_hall, make_scored_visit):
    make_scored_visit(make_hall("H1"), score=80, visited_at=at(NOV))
    db.session.commit()
    assert services.assess(db.session, NOV).hall("H1").name != "改名"
    db.session.execute(sa.text("UPDATE hall SET name = '改名'"))  # no ORM event: stale until touched
    cache.touch(db.session)
    assert services.assess(db.session, NOV).hall("H1").name == "改名"
    assert db.session.scalar(sa.select(Hall.name)) == "改名"


def test_releasing_visits_in_bulk_makes_their_month_stale(app, make_hall, make_scored_visit, make_user):
    """The release writes visit rows past the ORM; the visits' signal tells the cache, which keeps other months."""
    hall = make_hall("H1")
    november = make_scored_visit(hall, score=80, visited_at=at(NOV))
    make_scored_visit(hall, score=70, visited_at=at("2026-10"))
    market = make_user("market", password=None)
    db.session.commit()
    first = services.assess(db.session, NOV)
    keys = {period: cache.month_key(db.session, period) for period in (NOV, "2026-10")}
    assert november.released_at is None and keys[NOV] is not None

    validation.release_visits(db.session, market, [november])
    db.session.commit()
    assert cache.month_key(db.session, NOV) != keys[NOV]
    assert cache.month_key(db.session, "2026-10") == keys["2026-10"]  # the stored counts of October stay
    assert services.assess(db.session, NOV) is not first


def test_the_months_before_are_kept_until_one_of_their_visits_changes(app, make_hall, make_scored_visit):
    """The change and the escalation read last month's standing, kept in the process while only this month's visits
    come in; a change to last month's visits shows at once."""
    h1, h2 = make_hall("H1"), make_hall("H2")
    make_scored_visit(h1, score=80, visited_at=at("2026-10"))
    make_scored_visit(h2, score=60, visited_at=at("2026-10"))
    make_scored_visit(h1, score=90, visited_at=at(NOV))
    make_scored_visit(h2, score=70, visited_at=at(NOV))
    db.session.commit()
    first = services.assess(db.session, NOV)
    assert first.hall("H1").change == 10 and first.hall("H2").flags == ("last", "escalate", "below_threshold")

    make_scored_visit(h1, score=100, visited_at=at(NOV))  # this month changes, October is kept
    db.session.commit()
    second = services.assess(db.session, NOV)
    assert second.hall("H1").score == 95 and second.hall("H1").change == 15 and second.hall("H2").consecutive_last == 2

    make_scored_visit(h2, score=100, visited_at=at("2026-10"))  # October changes: H1 and H2 tie at 80, nobody last
    db.session.commit()
    third = services.assess(db.session, NOV)
    assert third.hall("H2").previous_score == 80 and third.hall("H2").previous_rank == 1
    assert "escalate" not in third.hall("H2").flags and third.hall("H2").consecutive_last == 1
    db.session.execute(sa.delete(AssessedMonth))  # computed from nothing: the same as with October kept
    db.session.commit()
    cache.forget()
    assert services.assess(db.session, NOV) == third


def test_two_writers_do_not_queue_on_the_stamp_and_both_changes_are_seen(app, make_hall, make_scored_visit):
    """Every change replaces the one stamp row's token: written just before the commit, so a phone submission's
    transaction does not hold its lock while it works, and another writer goes on meanwhile."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time anyway")
    hall = make_hall("H1")
    first = make_scored_visit(hall, score=80, visited_at=at(NOV))
    second = make_scored_visit(hall, score=60, visited_at=at(NOV))
    db.session.commit()
    before = cache.token(db.session)
    assert services.assess(db.session, NOV).hall("H1").score == Fraction(70)
    db.session.rollback()

    db.session.get(Visit, first.id).status = VisitStatus.CANCELLED
    db.session.flush()  # this writer's change is in the database, its transaction still open
    assert cache.token(db.session) is None  # nothing read now may be kept under the old token
    with app.extensions["surveyapp.db"][1]() as other:  # another request, meanwhile
        other.execute(sa.text("SET lock_timeout = '2s'"))
        other.get(Visit, second.id).earned = 0  # lowers the visit's score: the ORM hooks replace the tokens
        other.commit()  # would wait for the first writer's commit (and time out) if its flush had locked the stamp
    db.session.commit()

    after = cache.token(db.session)
    assert after is not None and after != before
    assert services.assess(db.session, NOV).hall("H1").score == Fraction(0)  # both changes, none lost
