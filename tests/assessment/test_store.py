"""A month one process assessed is read from the database by the next process instead of computed again: the same
results to the last digit, and never once anything that changes the results has changed.

"Another process" is this one after :func:`cache.forget` (its own months dropped), which is what a second gunicorn
worker is: the same database, nothing in memory.
"""
from __future__ import annotations

import dataclasses
import json
import re
import zlib
from decimal import Decimal
from fractions import Fraction

import pytest
import sqlalchemy as sa

from surveyapp.assessment import cache, services, store
from surveyapp.assessment.models import AssessedMonth
from surveyapp.assessment.policy import DEFAULT
from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.org.models import Hall
from tests.assessment.conftest import at

NOV, OCT = "2026-11", "2026-10"


@pytest.fixture
def month(make_unit, make_hall, make_scored_visit):
    """November and October for two units: ties, a red line, a hall last two months running, a hall without visits,
    channel means that are not whole numbers (7 × 87 and 1 × 88)."""
    branch = make_unit("B1", "城区分公司")
    county = make_unit("B2", "郊县分公司")
    h1 = make_hall("H1", "城北营业厅", unit=branch)
    h2 = make_hall("H2", "城南营业厅", unit=branch)
    h3 = make_hall("H3", "东湖营业厅", unit=county)
    h4 = make_hall("H4", "西山营业厅", unit=county)
    make_hall("H5", "北山营业厅", unit=county)
    for score in (87,) * 7 + (88,):
        make_scored_visit(h1, "unannounced", score, visited_at=at(NOV))
    make_scored_visit(h2, "unannounced", 95, visited_at=at(NOV))
    make_scored_visit(h2, "announced", 92, visited_at=at(NOV))
    make_scored_visit(h4, "supervisor", 95, visited_at=at(NOV))
    make_scored_visit(h3, "unannounced", 70, visited_at=at(NOV))
    make_scored_visit(h3, "announced", 90, redline=True, visited_at=at(NOV))
    for hall, score in ((h1, 90), (h2, 80), (h3, 60), (h4, 60)):
        make_scored_visit(hall, "unannounced", score, visited_at=at(OCT))
    db.session.commit()


def stored_rows() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(AssessedMonth))


def in_another_process() -> None:
    """What a worker that has not seen the month starts with: nothing in memory, a new transaction."""
    cache.forget()
    db.session.rollback()


def computed_afresh() -> None:
    """Neither this process nor the database keeps a month: the next assess computes it."""
    db.session.execute(sa.delete(AssessedMonth))
    db.session.commit()
    cache.forget()


@pytest.mark.parametrize("unit", [None, "B2"])
def test_a_stored_month_reads_back_exactly_as_computed(app, month, unit):
    computed = services.assess(db.session, NOV, unit=unit)
    assert stored_rows() == 1
    in_another_process()
    read = services.assess(db.session, NOV, unit=unit)
    assert read is not computed  # not this process's object: it came from the database
    assert read == computed and read.to_json() == computed.to_json()
    assert json.dumps(read.to_assess_json()) == json.dumps(computed.to_assess_json())
    assert [h.code for h in read.ranked] == [h.code for h in computed.ranked]
    h1 = read.hall("H1") if unit is None else read.hall("H3")
    assert isinstance(h1.score, Fraction) and h1.change == (computed.hall(h1.code).change)
    if unit is None:
        assert read.hall("H1").channel_scores["unannounced"] == Fraction(697, 8)  # 87.125, exact
        assert read.hall("H3").penalties == computed.hall("H3").penalties and read.hall("H3").flags == (
            "last", "escalate", "below_threshold", "redline")  # last in October too (tied with H4)
        assert read.hall("H4").reward == Decimal("1000.00") and read.hall("H2").reward == Decimal("500.00")
    assert services.assess(db.session, NOV, unit=unit) is read  # and kept in the process from then on


def test_the_results_page_and_flask_assess_are_the_same_with_and_without_the_store(app, month, client, login_as,
                                                                                   runner):
    login_as(Role.MARKET)
    pages = []
    documents = []
    for prepare in (computed_afresh, in_another_process, lambda: None):  # computed, read back, kept in the process
        prepare()
        for path in ("/assessment/results?period=2026-11", "/assessment/results?period=2026-11&unit=B1&sort=score"):
            response = client.get(path)
            assert response.status_code == 200
            # The page as the user reads it: the CSRF tokens carry the second they were signed in.
            pages.append(re.sub(r'(name="csrf[-_]token" (?:content|value)=)"[^"]*"', r"\1", response.get_data(as_text=True)))
        prepare()
        result = runner.invoke(args=["assess", NOV, "--json"])
        assert result.exit_code == 0, result.output
        documents.append(result.output)
    assert pages[0] == pages[2] == pages[4] and pages[1] == pages[3] == pages[5]
    assert documents[0] == documents[1] == documents[2]
    assert "城北营业厅" in pages[0]


def test_a_change_of_a_visit_after_the_month_was_stored_is_seen_by_another_process(app, month, make_scored_visit):
    assert services.assess(db.session, NOV).hall("H5").assessed is False
    assert db.session.scalar(sa.select(AssessedMonth.period)) == NOV
    make_scored_visit(db.session.scalar(sa.select(Hall).where(Hall.code == "H5")), "unannounced", 99,
                      visited_at=at(NOV))
    db.session.commit()
    in_another_process()
    after = services.assess(db.session, NOV)
    assert after.hall("H5").assessed and after.hall("H5").rank == 1 and after.ranked[0].code == "H5"


def test_a_change_of_a_hall_after_the_month_was_stored_is_seen_by_another_process(app, month):
    assert services.assess(db.session, NOV).hall("H1").name == "城北营业厅"
    db.session.scalar(sa.select(Hall).where(Hall.code == "H1")).name = "城北中心营业厅"
    db.session.commit()
    in_another_process()
    assert services.assess(db.session, NOV).hall("H1").name == "城北中心营业厅"


def test_a_new_policy_version_after_the_month_was_stored_is_seen_by_another_process(app, month, make_user):
    assert services.assess(db.session, NOV).hall("H3").penalties["last"] == Decimal("500.00")
    changed = dataclasses.replace(DEFAULT, penalties=dataclasses.replace(DEFAULT.penalties, last_place=Decimal("800.00")))
    services.save_policy(db.session, make_user(Role.MARKET, password=None), changed, based_on=1)
    db.session.commit()
    in_another_process()
    after = services.assess(db.session, NOV)
    assert after.policy_number == 2 and after.hall("H3").penalties["last"] == Decimal("800.00")


def test_a_change_past_the_orm_is_seen_once_it_touches_the_stamp(app, month):
    services.assess(db.session, NOV)
    db.session.execute(sa.text("UPDATE hall SET name = '改名' WHERE code = 'H2'"))
    cache.touch(db.session)
    db.session.commit()
    in_another_process()
    assert services.assess(db.session, NOV).hall("H2").name == "改名"


def test_a_month_with_uncommitted_changes_is_never_stored(app, month):
    services.assess(db.session, NOV)
    db.session.scalar(sa.select(Hall).where(Hall.code == "H1")).name = "未提交"
    db.session.flush()
    assert services.assess(db.session, NOV).hall("H1").name == "未提交"  # the writer sees its own change ...
    db.session.rollback()
    in_another_process()
    assert services.assess(db.session, NOV).hall("H1").name == "城北营业厅"  # ... nobody else ever does
    assert all("未提交" not in zlib.decompress(data).decode() for data in db.session.scalars(sa.select(AssessedMonth.data)))


def test_a_row_under_another_token_or_that_does_not_read_is_computed_again(app, month):
    computed = services.assess(db.session, NOV)
    db.session.execute(sa.update(AssessedMonth).values(token="someone-else", data=zlib.compress(b'{"layout": 2}')))
    db.session.commit()
    in_another_process()
    assert services.assess(db.session, NOV) == computed  # another token: not trusted
    columns = json.loads(zlib.decompress(store.encode(computed)))
    not_reduced = {**columns, "halls": {**columns["halls"], "score.n": [2] * 5, "score.d": [4] * 5}}
    for broken in (b"not compressed", zlib.compress(b"not json"), zlib.compress(b"[]"),
                   zlib.compress(b'{"layout": 1}'), zlib.compress(json.dumps(not_reduced).encode())):
        token = db.session.scalar(sa.select(AssessedMonth.token))
        db.session.execute(sa.update(AssessedMonth).values(data=broken))
        db.session.commit()
        in_another_process()
        assert cache.token(db.session) == token
        assert services.assess(db.session, NOV) == computed  # unreadable or not exact: computed again


def test_old_rows_go_when_a_month_is_stored_under_a_new_token(app, month):
    services.assess(db.session, NOV)
    services.assess(db.session, OCT)
    services.assess(db.session, NOV, unit="B1")
    assert stored_rows() == 3
    cache.touch(db.session)
    db.session.commit()
    services.assess(db.session, NOV)
    assert stored_rows() == 1
