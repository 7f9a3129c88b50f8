"""The same data gives the same notice, letters, exports, plan and audit trail, whatever order the database
happens to hold its rows in: every read whose order shows states it (``tests/row_order.py`` turns the
database's own order round between two renderings)."""
from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from surveyapp import bulk
from surveyapp.assessment import services as assessment
from surveyapp.auth.models import Role
from surveyapp.checklists.definition import VisitType
from surveyapp.db import db
from surveyapp.notices import rendering, services
from surveyapp.visits.models import Visit, VisitEvent
from tests.conftest import read_xlsx
from tests.notices.conftest import NOV, at
from tests.pdfcheck import read_pdf
from tests.row_order import reverse_row_order
from tests.visits import conftest as visits_fixtures

#: The planning test's city, shared with ``tests/visits`` (a fixture is found by its name in the module).
planning_org = visits_fixtures.planning_org


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    from tests.notices.conftest import NOW

    return {**app_config, "FROZEN_NOW": NOW.isoformat(), "COMPANY_NAME": "某某供电公司"}


@pytest.fixture
def month(make_unit, make_hall, make_staff, make_scored_visit, make_user):
    """Two districts, halls with equal scores (ties in the ranking), several failed items per hall, visits at
    the same minute, and the market user who publishes."""
    north, south = make_unit("N", "城北分公司"), make_unit("S", "城南分公司")
    halls = [make_hall(f"N{i}", f"城北{i}号营业厅", unit=north) for i in range(1, 4)]
    halls += [make_hall(f"S{i}", f"城南{i}号营业厅", unit=south, type="cooperative") for i in range(1, 4)]
    for hall in halls:
        make_staff(hall, f"{hall.code}01", f"{hall.name[:2]}甲")
    for n, hall in enumerate(halls):
        # Scores 80, 80, 90, 90, ... (ties), every hall with a red-line visit or a failed item, same times.
        make_scored_visit(hall, score=80 + 10 * (n // 2), visited_at=at(NOV, 10))
        make_scored_visit(hall, "announced", score=70, visited_at=at(NOV, 10))
        if n % 3 == 0:
            make_scored_visit(hall, "supervisor", redline=True, visited_at=at(NOV, 10))
    return halls, make_user(Role.MARKET, password=None)


def everything_shown(notice: Any, halls: list[Any]) -> dict[str, Any]:
    """What users read of the month: the notice's snapshot, its PDF, each hall's letter, the assessment
    JSON and the organisation exports."""
    snapshot = services.draft_snapshot(db.session, notice)
    snapshot_text = json.dumps(snapshot, ensure_ascii=False, default=str)
    notice_pdf = rendering.notice_pdf(snapshot, draft=True)
    letters = {h.code: rendering.letter_pdf(snapshot, h.code) for h in halls}
    return {
        "snapshot": snapshot_text,
        "notice": read_pdf(notice_pdf).text,
        "notice bytes": notice_pdf,
        **{f"letter {code}": read_pdf(pdf).text for code, pdf in letters.items()},
        **{f"letter bytes {code}": pdf for code, pdf in letters.items()},
        "assessment": json.dumps(assessment.assess(db.session, NOV).to_assess_json(), ensure_ascii=False),
        **{f"export {kind}": read_xlsx(bulk.export_xlsx(db.session, kind)) for kind in sorted(bulk.KINDS)},
    }


def test_the_notice_letters_and_exports_do_not_depend_on_the_rows_order(month):
    halls, market = month
    notice = services.create_notice(db.session, market, NOV)
    db.session.commit()
    before = everything_shown(notice, halls)

    reverse_row_order()
    after = everything_shown(notice, halls)
    assert after.keys() == before.keys()
    for name in before:
        assert after[name] == before[name], f"{name} changed with the rows' order"


def test_publishing_releases_the_month_in_a_stated_order(month):
    """The audit trail and the visits' histories list the released visits in the order of the visits,
    not in the order the database happened to return them."""
    _, market = month
    notice = services.create_notice(db.session, market, NOV)
    reverse_row_order()
    services.publish(db.session, market, notice, None)
    db.session.commit()
    released = db.session.scalars(sa.select(VisitEvent.visit_id).where(VisitEvent.action == "release")
                                  .order_by(VisitEvent.id)).all()
    mystery = db.session.scalars(sa.select(Visit.id).where(Visit.type != VisitType.ANNOUNCED).order_by(Visit.id)).all()
    assert len(mystery) == 8 and released[-8:] == mystery  # announced visits were released when validated


def test_the_month_plan_for_a_seed_does_not_depend_on_the_rows_order(planning_org, make_visit):
    """The same month, the same visits already planned and the same seed give the same proposal."""
    from surveyapp.visits import month_plan
    from tests.visits.test_month_plan import settings

    org = planning_org
    december = month_plan.month_days("2026-12")
    day = december[0].replace(day=8)
    for hall, kind, who in [(0, "unannounced", "inspector_n"), (1, "announced", "inspector_city"),
                            (2, "unannounced", "inspector_n"), (3, "supervisor", "social_n"),
                            (6, "supervisor", "social_s"), (7, "unannounced", "inspector_city")]:
        make_visit(org["halls"][hall], kind, org[who], status="planned", due=(day, day))

    def proposed() -> list[tuple[Any, ...]]:
        proposal = month_plan.propose(db.session, org["market"], settings(org, seed=7))
        db.session.commit()
        return [(i.hall.code, i.type.value, i.supervisor.username, i.due_from, i.due_until) for i in proposal.items]

    before = proposed()
    reverse_row_order()
    assert proposed() == before


def test_saving_an_account_unchanged_records_no_change_of_scope(make_hall, make_user):
    """The account form sends the same halls again: nothing changed, so the audit log says nothing, even
    when the database returns the halls in another order than the account lists them."""
    from surveyapp.audit.models import AuditEntry
    from surveyapp.users import services as users_services

    halls = [make_hall(f"H{n}") for n in (1, 2, 3)]
    manager = make_user(Role.HALL_MANAGER, halls=halls, display_name="营业厅经理")
    reverse_row_order()
    diff = users_services.update_user(db.session, None, manager, display_name="营业厅经理", role=Role.HALL_MANAGER,
                                      email=manager.email, external=False, hall_codes=["H3", "H1", "H2"], unit_codes=[])
    db.session.commit()
    assert diff == {}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "user.update")) == 0
    assert [h.code for h in manager.halls] == ["H1", "H2", "H3"]
