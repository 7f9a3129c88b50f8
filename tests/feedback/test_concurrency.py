"""Two market staff decide the same appeal at the same moment over real HTTP (SQLite and PostgreSQL): one
decision wins, the other is told to reload; the answer is corrected at most once."""
from __future__ import annotations

import threading
import urllib.error
import urllib.parse
import urllib.request

import sqlalchemy as sa

from surveyapp.audit.models import AuditEntry
from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.feedback import services
from surveyapp.feedback.models import AppealStatus
from surveyapp.visits.models import VisitEvent


def test_two_concurrent_decisions_one_wins(app, live_server, released, make_user, login):
    s = released()
    finding = s.finding("interior.zones")
    services.appeal(db.session, s.manager, finding, None, "分区标识齐全")
    db.session.commit()
    # Read before the threads start: they must not touch the test's session.
    version, url = finding.version, f"{live_server}/feedback/findings/{finding.uid}/decide"
    deciders = []
    for action in ("uphold", "reject"):
        client = app.test_client()
        login(make_user(Role.MARKET), into=client)
        deciders.append((action, client.csrf_token(), client.get_cookie("surveyapp_session").value))
    barrier = threading.Barrier(len(deciders))
    results: dict[str, int] = {}

    def decide(action: str, token: str, cookie: str) -> None:
        body = urllib.parse.urlencode({"version": version, "action": action, "corrected_to": "pass",
                                       "reason": "同时处理"}).encode()
        request = urllib.request.Request(url, data=body, method="POST",
                                         headers={"X-CSRFToken": token, "Cookie": f"surveyapp_session={cookie}"})
        barrier.wait()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                results[action] = response.status
        except urllib.error.HTTPError as error:
            results[action] = error.code

    # urllib follows the redirect after a successful decision: 200 for the winner.
    threads = [threading.Thread(target=decide, args=d) for d in deciders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert sorted(results.values()) == [200, 409], results
    db.session.expire_all()
    won = next(a for a, status in results.items() if status == 200)
    assert finding.appeal.status is (AppealStatus.UPHELD if won == "uphold" else AppealStatus.REJECTED)
    decisions = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                                  .where(AuditEntry.action.in_(["appeal.uphold", "appeal.reject"])))
    corrections = db.session.scalar(sa.select(sa.func.count()).select_from(VisitEvent).where(VisitEvent.action == "correct"))
    assert decisions == 1 and corrections == (1 if won == "uphold" else 0)
