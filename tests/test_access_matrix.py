"""Every route × every role (and anonymous) against the expected outcome.

A route added without an entry in ``EXPECT`` fails ``test_every_route_has_a_decision``; each entry is
then exercised for real. Anonymous users are sent to the login page (302) or get 401 from JSON
endpoints; roles without access get 403, or 404 where even the object's existence is private.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa

from surveyapp import create_app
from surveyapp.audit.models import AuditEntry
from surveyapp.auth.models import Role
from surveyapp.db import db

A, M, S, H = Role.ADMIN, Role.MARKET, Role.SUPERVISOR, Role.HALL_MANAGER
ALL = (A, M, S, H)


@dataclass(frozen=True)
class Rule:
    """Who may use a route: ``ok`` maps each allowed role to its status; the rest get ``denied``."""

    method: str
    ok: dict[Role | None, int]
    denied: int = 403
    anonymous: int = 302
    data: dict[str, Any] = field(default_factory=dict)


def only(method: str, roles: tuple[Role, ...], status: int = 200, **kw: Any) -> Rule:
    return Rule(method, {r: status for r in roles}, **kw)


def public(method: str, status: int = 200, anonymous: int | None = None, **kw: Any) -> Rule:
    return Rule(method, {r: status for r in ALL}, anonymous=status if anonymous is None else anonymous, **kw)


#: endpoint -> the rules for its methods. Extend this with every new route.
EXPECT: dict[str, list[Rule]] = {
    "home.index": [public("GET", 302)],
    "home.health": [public("GET", 200)],
    "offline.service_worker": [public("GET", 200)],
    "home.admin": [only("GET", (A,))],
    "worklist.market": [only("GET", (M,))],
    "home.supervisor": [only("GET", (S,))],
    "home.hall_manager": [only("GET", (H,))],
    "auth.login": [public("GET", 302, anonymous=200), public("POST", 302, anonymous=200)],
    "auth.logout": [only("POST", ALL, 302)],
    "auth.change_password": [only("GET", ALL), only("POST", ALL, 200)],
    "auth.set_language": [public("POST", 302, data={"lang": "en"})],
    "org.halls": [only("GET", (A, M))],
    "audit.entries": [only("GET", (A,))],
    # checklists: the market department's, readable by administrators (who load the files); no writes on the web
    "checklists.index": [only("GET", (A, M))],
    "checklists.checklist": [only("GET", (A, M))],
    "checklists.version": [only("GET", (A, M))],
    "checklists.preview": [only("GET", (A, M))],
    "checklists.diff": [only("GET", (A, M))],
    "checklists.export_xlsx": [only("GET", (A, M))],
    "checklists.blank_pdf": [only("GET", (A, M))],
    "checklists.source": [only("GET", (A, M))],
    # foundation: organisation, accounts, bulk files
    "org.hall_detail": [only("GET", (A, M))],
    "org.hall_new": [only("GET", (A, M)), only("POST", (A, M))],
    "org.hall_edit": [only("GET", (A, M)), only("POST", (A, M))],
    "org.hall_set_active": [only("POST", (A, M), 302)],
    "units.tree": [only("GET", (A, M))],
    "units.new": [only("GET", (A, M)), only("POST", (A, M))],
    "units.edit": [only("GET", (A, M)), only("POST", (A, M))],
    "units.set_active": [only("POST", (A, M), 302)],
    "staff.index": [only("GET", (A, M))],
    "staff.new": [only("GET", (A, M)), only("POST", (A, M))],
    "staff.edit": [only("GET", (A, M)), only("POST", (A, M))],
    "staff.set_active": [only("POST", (A, M), 302)],
    "users.index": [only("GET", (A,))],
    "users.new": [only("GET", (A,)), only("POST", (A,))],
    "users.edit": [only("GET", (A,)), only("POST", (A,))],
    "users.set_active": [only("POST", (A,), 302)],
    "users.reset_password": [only("GET", (A,)), only("POST", (A,))],
    "bulk.upload": [only("GET", (A, M)), only("POST", (A, M), 400)],
    "bulk.template": [only("GET", (A, M))],
    "bulk.export": [only("GET", (A, M))],
    # visits: ``uid`` is a submitted visit of another supervisor and hall; ``photo`` one of its photos.
    "visits.index": [only("GET", (M,))],
    "visits.queue": [only("GET", (M,))],
    "planning.new": [only("GET", (M,)), only("POST", (M,))],
    "planning.edit": [only("GET", (M,), 302), only("POST", (M,), 302)],
    "planning.cancel": [only("POST", (M,), 400)],
    "planning.plan_options": [only("GET", (M,), 404)],
    "visits.detail": [only("GET", (M,))],
    "visits.decide": [only("POST", (M,), 400)],
    "visits.release": [only("POST", (M,), 400)],
    "visits.revisions": [only("GET", (M,))],
    "visits.photo": [Rule("GET", {M: 200, A: 404, S: 404, H: 404})],
    "my_visits.home": [only("GET", (S,))],
    "my_visits.visit": [only("GET", (S,), 404)],
    "my_visits.post_visit": [only("POST", (S,), 404)],
    "my_visits.start": [only("POST", (S,), 404)],
    "my_visits.draft": [only("POST", (S,), 404)],
    "my_visits.submit": [only("POST", (S,), 404)],
    "my_visits.upload_photo": [only("POST", (S,), 404)],
    "my_visits.remove_photo": [only("POST", (S,), 404)],
    "my_visits.csrf_token": [only("GET", (S,))],
    "hall_visits.index": [only("GET", (H,))],
    "hall_visits.detail": [only("GET", (H,), 404)],
    # visits planning: the month plan (``proposal`` an open one), the calendar, the results import
    "visit_plan.month": [only("GET", (M,)), only("POST", (M,), 400)],
    "visit_plan.review": [only("GET", (M,))],
    "visit_plan.adjust": [only("POST", (M,), 400)],
    "visit_plan.save": [only("POST", (M,), 400)],
    "visit_plan.discard": [only("POST", (M,), 400)],
    "visit_plan.again": [only("POST", (M,), 400)],
    "visit_calendar.calendar": [only("GET", (M,))],
    "visit_import.upload": [only("GET", (M,)), only("POST", (M,), 400)],
    # assessment: the market department's; admin runs accounts and org, not the business (least privilege)
    "assessment.results": [only("GET", (M,))],
    "assessment.results_xlsx": [only("GET", (M,))],
    "assessment.policy": [only("GET", (M,))],
    "assessment.policy_version": [only("GET", (M,))],
    "assessment.policy_export": [only("GET", (M,))],
    "assessment.policy_history": [only("GET", (M,))],
    "assessment.policy_edit": [only("GET", (M,)), only("POST", (M,), 400)],
    # insight: rater calibration names supervisors and how they rate: the market department's alone
    "insight_calibration.index": [only("GET", (M,))],
    # insight: trends and the heat map are the market department's; a hall manager reads their own hall's trend
    # (``code`` is another hall: 404, as a missing one) and their own staff (``job_number`` another hall's)
    "insight_trends.index": [only("GET", (M,))],
    "insight_trends.trend_xlsx": [only("GET", (M,))],
    "insight_trends.hall": [Rule("GET", {M: 200, H: 404})],
    "insight_trends.hall_xlsx": [Rule("GET", {M: 200, H: 404})],
    "insight_trends.mine": [Rule("GET", {H: 302})],
    "insight_trends.heatmap": [only("GET", (M,))],
    "insight_trends.heatmap_xlsx": [only("GET", (M,))],
    "insight_staff.index": [only("GET", (M, H))],
    "insight_staff.detail": [Rule("GET", {M: 200, H: 404})],
    "insight_integrity.index": [only("GET", (M,))],
    # notices: ``period`` is a published month, ``revision_id`` its revision; halls read published notices and
    # only their own hall's letter (another hall's letter is a 404, as a missing one); supervisors nothing
    "notices.index": [only("GET", (M, A, H))],
    "notices.create": [only("POST", (M,), 400)],
    "notices.month": [only("GET", (M, A, H))],
    "notices.edit": [only("GET", (M,)), only("POST", (M,), 400)],
    "notices.publish": [only("POST", (M,), 400)],
    "notices.compare_page": [only("GET", (M, A))],
    "notices.close": [only("POST", (M,), 302)],
    "notices.preview_pdf": [only("GET", (M, A))],
    "notices.photo": [Rule("GET", {M: 404, A: 404, H: 404})],
    "notices.revision": [only("GET", (M, A, H))],
    "notices.download": [only("GET", (M, A, H))],
    "notices.hall_letter": [Rule("GET", {M: 200, A: 200, H: 404})],
    # feedback: ``finding`` is a rectified finding of another hall (hall managers get 404 as for a missing one);
    # ``feedback_photo`` the rectification's photo; ``notification_id`` someone else's message.
    "feedback.home": [only("GET", (H,))],
    "feedback.findings": [only("GET", (H, M))],
    "feedback.finding": [Rule("GET", {M: 200, H: 404})],
    "feedback.rectify": [Rule("POST", {H: 404})],
    "feedback.appeal": [Rule("POST", {H: 404})],
    "feedback.check": [only("POST", (M,), 400)],
    "feedback.decide": [only("POST", (M,), 400)],
    "feedback.photo": [Rule("GET", {M: 200, H: 404})],
    "inbox.index": [only("GET", ALL)],
    "inbox.open_message": [only("POST", ALL, 404)],
    "inbox.read_all": [only("POST", ALL, 302)],
    "outbox.index": [only("GET", (A,))],
    "outbox.retry": [only("POST", (A,), 302)],
    # jobs: ``job_id`` is a failed job of the market department's, started by another account; others: 404
    "jobs.progress": [Rule("GET", {M: 200}, denied=404)],
    "jobs.progress_json": [Rule("GET", {M: 200}, denied=404)],
    "jobs.retry": [Rule("POST", {M: 302}, denied=404)],
    "jobs.download": [Rule("GET", {}, denied=404)],  # a failed job has nothing to download
}


@pytest.fixture
def url_values(make_hall, make_unit, make_user, make_staff, make_checklist, make_visit, make_photo) -> Callable[[str], dict[str, Any]]:
    """Values for the URL converters of a rule, from one object of each kind (made when a rule first needs it)."""
    made: dict[str, Any] = {}

    def once(name: str, make: Callable[[], Any]) -> Any:
        if name not in made:
            made[name] = make()
        return made[name]

    hall = lambda: once("hall", make_hall)
    checklist = lambda: once("checklist", make_checklist)

    def visits() -> dict[str, Any]:
        def make() -> dict[str, Any]:
            visit = make_visit(make_hall(), "unannounced", status="in_progress")
            photo = make_photo(visit, "appearance.uniform").uid
            return {"photo": photo, "uid": make_visit(visit.hall, "unannounced", visit.supervisor, status="submitted").uid}
        return once("visits", make)

    makers: dict[str, Callable[[], Any]] = {
        "hall_id": lambda: hall().id, "unit_id": lambda: hall().unit_id, "kind_name": lambda: "halls",
        "user_id": lambda: once("user", lambda: make_user(Role.MARKET, password=None)).id,
        "staff_id": lambda: once("staff", lambda: make_staff(hall())).id,
        "slug": lambda: checklist().checklist.slug, "version": lambda: checklist().version,
        "photo": lambda: visits()["photo"], "uid": lambda: visits()["uid"],
        "proposal": lambda: once("proposal", lambda: _proposal(checklist())).uid,
        "code": lambda: hall().code,
        "job_number": lambda: once("staff", lambda: make_staff(hall())).job_number,
        "job_id": lambda: once("job", lambda: _failed_job(once("notice", _published_notice)["revision_id"],
                                                         make_user(Role.MARKET, password=None))),
        "number": lambda: 1,  # assessment policy version 1: the built-in default
        "period": lambda: once("notice", _published_notice)["period"],
        "revision_id": lambda: once("notice", _published_notice)["revision_id"],
        **{name: (lambda name=name: once("feedback", lambda: _feedback_values(make_visit, make_user))[name])
           for name in ("finding", "feedback_photo", "notification_id")},
    }

    def for_rule(rule: Any) -> dict[str, Any]:
        missing = set(rule.arguments) - set(makers)
        assert not missing, f"{rule.endpoint}: give url_values a value for {sorted(missing)}"
        return {name: makers[name]() for name in sorted(rule.arguments)}

    return for_rule


def _feedback_values(make_visit, make_user) -> dict[str, Any]:
    """A released finding of a hall of its own, rectified with a photo; a message to its manager."""
    import io

    from surveyapp.feedback import services as feedback
    from surveyapp.feedback.models import Finding
    from surveyapp.notifications.models import Notification
    from tests.conftest import jpeg_bytes

    visit = make_visit(type="announced", answers={"interior.zones": "fail"})
    manager = make_user(Role.HALL_MANAGER, password=None, halls=[visit.hall])
    finding = db.session.scalar(sa.select(Finding).where(Finding.visit_id == visit.id))
    rectification = feedback.rectify(db.session, manager, finding, None, "已整改", [io.BytesIO(jpeg_bytes())])
    db.session.commit()
    message = db.session.scalar(sa.select(Notification).where(Notification.kind == "rectification_new").limit(1))
    return {"finding": finding.uid, "feedback_photo": rectification.photos[0].uid, "notification_id": message.id}


def _published_notice() -> dict[str, Any]:
    """A month whose notice is published (its first revision), for the notices' routes."""
    from surveyapp import clock
    from surveyapp.notices import services as notices

    period = clock.today().strftime("%Y-%m")
    notice = notices.create_notice(db.session, None, period)
    revision = notices.publish(db.session, None, notice, None)
    db.session.commit()
    return {"period": period, "revision_id": revision.id}


def _failed_job(revision_id: int, owner: Any) -> int:
    """A letters job that failed (its retry stores no letter: it has no hall)."""
    from surveyapp import jobs

    job = jobs.start(db.session, owner, "letters", {"revision_id": revision_id, "hall_ids": []})
    job.status, job.error = "failed", "测试"
    db.session.commit()
    return job.id


def _proposal(checklist: Any) -> Any:
    """An open month plan proposal for next month."""
    from surveyapp import clock
    from surveyapp.checklists.definition import VisitType
    from surveyapp.planning import month_plan

    settings = month_plan.MonthSettings(month_plan.next_period(clock.today()), None, {VisitType.UNANNOUNCED: 1},
                                        {VisitType.UNANNOUNCED: checklist})
    proposal = month_plan.propose(db.session, None, settings)
    db.session.commit()
    return proposal


#: Tables a request may write to without changing data: the session's last-seen time, login attempts.
#: A hall letter is stored the first time it is read (the letter itself never changes).
BOOKKEEPING = {"user_session", "login_attempt", "notice_letter"}
#: What reads keep for the next reader, derived from the data and trusted only under the token they were made
#: under (a month's heat counts, an assessed month, a previewed draft's hash): a page may write them.
CACHES = {"heat_tally", "heat_tally_month", "assessed_month", "notice_preview_digest"}


def _fingerprint(ignore: set[str] | frozenset[str] = frozenset()) -> str:
    """A digest of every row of every table (but bookkeeping, caches and ``ignore``), to prove a request changed
    nothing."""
    import hashlib

    from surveyapp.db import Model

    digest = hashlib.sha256()
    db.session.expire_all()
    for table in Model.metadata.sorted_tables:
        if table.name in BOOKKEEPING or table.name in CACHES or table.name in ignore:
            continue
        rows = db.session.execute(sa.select(table)).all()
        digest.update(table.name.encode() + repr(sorted(map(repr, rows))).encode())
    return digest.hexdigest()


def _routes() -> list[tuple[str, str]]:
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": "sqlite://"})
    return sorted({(r.endpoint, m) for r in app.url_map.iter_rules() if r.endpoint != "static"
                   for m in r.methods - {"HEAD", "OPTIONS"}})


def test_every_route_has_a_decision() -> None:
    undecided = [f"{endpoint} {method}" for endpoint, method in _routes()
                 if not any(rule.method == method for rule in EXPECT.get(endpoint, []))]
    assert not undecided, "add these routes to EXPECT in tests/test_access_matrix.py: " + ", ".join(undecided)
    stale = set(EXPECT) - {endpoint for endpoint, _ in _routes()}
    assert not stale, f"EXPECT names routes that no longer exist: {sorted(stale)}"


@pytest.mark.parametrize(("endpoint", "method"), _routes())
def test_route_answers_each_role_as_expected(endpoint, method, app, url_values, make_user, make_hall, login) -> None:
    rule_for_method = next(r for r in EXPECT[endpoint] if r.method == method)
    url_rule = next(r for r in app.url_map.iter_rules(endpoint) if method in r.methods)
    with app.test_request_context():
        from flask import url_for

        url = url_for(endpoint, **url_values(url_rule))
    outcomes = {}
    for role in (None, *ALL):
        client = app.test_client()
        if role is not None:
            user = make_user(role, password=None, halls=[make_hall()] if role is Role.HALL_MANAGER else [])
            login(user, into=client)
        expected = rule_for_method.anonymous if role is None else rule_for_method.ok.get(role, rule_for_method.denied)
        audit_before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
        data_before = _fingerprint()
        response = client.open(url, method=method, data=dict(rule_for_method.data))
        response.close()  # a served file (a photo) is streamed: close it
        outcomes[role.value if role else "anonymous"] = (response.status_code, expected)
        assert response.status_code != 500
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        if method == "GET":
            audit_after = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
            assert audit_after == audit_before, f"GET {url} changed data"
            assert _fingerprint() == data_before, f"GET {url} changed data"
        elif response.status_code in (302, 401, 403, 404) and expected != response.status_code:
            assert _fingerprint() == data_before, f"refused {method} {url} changed data"
    wrong = {who: got for who, got in outcomes.items() if got[0] != got[1]}
    assert not wrong, f"{method} {url}: (got, expected) {wrong}"
