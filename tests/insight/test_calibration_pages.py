"""The calibration page, ``flask calibration`` and the assessment's opt-in to severity-adjusted scores, on
validated visits of known truth made through the visits services (see ``conftest.rated_months``)."""
from __future__ import annotations

import json
import re
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction

import pytest

from surveyapp.assessment import adjust
from surveyapp.assessment import policy as policy_rules
from surveyapp.assessment import services as assessment
from surveyapp.assessment.calibration_policy import CalibrationRules
from surveyapp.auth.models import Role
from surveyapp.db import db
from surveyapp.insight import calibration_queries as calibration
from surveyapp.notices import services as notices

MONTHS = ("2026-10", "2026-11")


@pytest.fixture
def scenario(rated_months):
    return rated_months(MONTHS)


def test_the_market_department_sees_supervisors_ranked_by_severity_with_flags_and_links(client, login_as, scenario):
    login_as(Role.MARKET)
    page = client.get("/insight/calibration/?period=2026-11&months=2")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    rows = re.findall(r"<tr>\s*<td class=\"num\">(\d*)</td>\s*<td>([^<]+) <span class=\"muted nowrap\">([^<]+)</span>",
                      html)
    assert [(rank, username) for rank, _, username in rows] == [
        ("1", "lenient.sup"), ("2", "fair.sup"), ("3", "severe.sup")]
    assert "宽松" in html and "严格" in html  # the flags, translated
    assert "<svg" in html and 'role="img"' in html  # the chart, with the table beside it
    fair = scenario.supervisors["fair.sup"]
    assert (f'/visits/?supervisor={fair.id}&amp;since=2026-10&amp;month=2026-11&amp;status=validated') in html
    # The link lists exactly that supervisor's validated visits of the window.
    listed = client.get(f"/visits/?supervisor={fair.id}&since=2026-10&month=2026-11&status=validated")
    assert listed.get_data(as_text=True).count("监督员fair") >= 24


def test_the_page_explains_each_flag_with_the_supervisors_numbers(client, login_as, scenario):
    login_as(Role.MARKET)
    with client.session_transaction() as sess:
        sess["lang"] = "en"
    html = client.get("/insight/calibration/?period=2026-11&months=2").get_data(as_text=True)
    report = calibration.month_report(db.session, "2026-11", 2)
    lenient, severe = report.lines[0].rater, report.lines[-1].rater
    assert (f"Scores {lenient.severity:.1f} points above the other supervisors on the same halls and months "
            f"(more than 5, and the 95 % interval [+{lenient.low:.1f}, +{lenient.high:.1f}] is above 0).") in html
    assert f"Scores {-severe.severity:.1f} points below" in html
    assert "监督员severe · Severe" in html


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.HALL_MANAGER, Role.ADMIN])
def test_other_roles_may_not_see_the_page(client, login_as, role):
    login_as(role)
    assert client.get("/insight/calibration/").status_code == 403


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get("/insight/calibration/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("query, field", [("period=2026-13", "2026-13"), ("period=2026-11&months=0", "0"),
                                          ("period=2026-11&months=x", "x")])
def test_a_bad_month_or_window_is_a_clear_error_not_a_crash(client, login_as, query, field):
    login_as(Role.MARKET)
    response = client.get(f"/insight/calibration/?{query}")
    assert response.status_code == 400
    assert field in response.get_data(as_text=True)


def test_cli_json_is_exactly_the_documented_shape(runner, scenario):
    result = runner.invoke(args=["calibration", "2026-11", "--months", "2", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data) == ["period", "months", "supervisors"]
    assert data["period"] == "2026-11" and data["months"] == 2
    assert [s["username"] for s in data["supervisors"]] == ["lenient.sup", "fair.sup", "severe.sup"]
    for line in data["supervisors"]:
        assert list(line) == ["username", "visits", "severity", "low", "high", "flags"]
        assert line["low"] < line["severity"] < line["high"]
        assert all(round(line[k], 2) == line[k] for k in ("severity", "low", "high"))
    by_name = {s["username"]: s for s in data["supervisors"]}
    assert by_name["lenient.sup"]["visits"] == 12 and by_name["fair.sup"]["visits"] == 24
    # The truth is +8, 0, −6; the consensus is the visit-weighted mean, (12 × 8 + 24 × 0 − 12 × 6) / 48 = 0.5.
    assert by_name["lenient.sup"]["severity"] == pytest.approx(7.5, abs=1)
    assert by_name["fair.sup"]["severity"] == pytest.approx(-0.5, abs=1)
    assert by_name["severe.sup"]["severity"] == pytest.approx(-6.5, abs=1)
    assert [s["flags"] for s in data["supervisors"]] == [["lenient"], [], ["severe"]]


def test_cli_lists_a_supervisor_with_too_few_visits_with_null_severity(runner, scenario, make_user, make_visit,
                                                                      make_checklist):
    hall = scenario.halls[0]
    newcomer = make_user(Role.SUPERVISOR, username="new.sup", password=None, units=[hall.unit])
    from tests.conftest import SCORE_CHECKLIST
    from tests.insight.conftest import at

    make_visit(hall=hall, supervisor=newcomer, checklist=make_checklist("score-test", source=SCORE_CHECKLIST),
               answers={"main.score": 90, "main.safety": "na"}, visited_at=at("2026-11", day=8))
    data = json.loads(runner.invoke(args=["calibration", "2026-11", "--months", "2", "--json"]).output)
    assert data["supervisors"][-1] == {"username": "new.sup", "visits": 1, "severity": None, "low": None,
                                       "high": None, "flags": []}
    table = runner.invoke(args=["calibration", "2026-11", "--months", "2", "--lang", "en"])
    assert table.exit_code == 0
    assert "new.sup" in table.output and "1 visits shared with other supervisors, 10 needed" in table.output
    assert "lenient.sup" in table.output and "Lenient" in table.output


def test_cli_refuses_a_bad_window_naming_it(runner):
    result = runner.invoke(args=["calibration", "2026-11", "--months", "13", "--lang", "en"])
    assert result.exit_code == 1
    assert "Months: 13 is not a number of months from 1 to 12." in result.output


def _adjusting(session, on: bool):
    current = assessment.current_policy(session).policy
    return replace(current, calibration=replace(current.calibration, adjust=on, months=2))


def test_adjust_off_changes_no_score(scenario):
    plain = assessment.assess(db.session, "2026-11")
    other_thresholds = replace(policy_rules.DEFAULT, calibration=CalibrationRules(threshold=Decimal(1), months=2))
    again = assessment.assess(db.session, "2026-11", policy=other_thresholds)
    assert [(h.code, h.score, h.rank) for h in plain.halls] == [(h.code, h.score, h.rank) for h in again.halls]
    # Off, each hall's score is the plain mean of its visit scores.
    for hall in plain.ranked:
        raw = [s for (who, code, period), s in scenario.scores.items() if code == hall.code and period == "2026-11"]
        assert hall.score == Fraction(sum(raw), len(raw))


def test_adjust_on_scores_each_visit_minus_its_supervisors_severity(scenario):
    report = calibration.month_report(db.session, "2026-11", 2)
    severity = {line.username: Fraction(adjust.severity_hundredths(line.rater.severity), 100)
                for line in report.lines}
    adjusted = assessment.assess(db.session, "2026-11", policy=_adjusting(db.session, True))
    plain = assessment.assess(db.session, "2026-11", policy=_adjusting(db.session, False))
    for hall in adjusted.ranked:
        visits = [(who, s) for (who, code, period), s in scenario.scores.items()
                  if code == hall.code and period == "2026-11"]
        expected = sum((min(Fraction(100), max(Fraction(0), Fraction(s) - severity[who])) for who, s in visits),
                       Fraction(0)) / len(visits)
        assert hall.score == expected
    # Halls the lenient supervisor visited lose points, those of the severe one gain: the ranking changes.
    assert adjusted.hall("H11").score < plain.hall("H11").score and adjusted.hall("H12").score > plain.hall("H12").score
    assert [h.code for h in adjusted.ranked] != [h.code for h in plain.ranked]


def test_a_red_line_visit_stays_zero_when_adjusting(scenario, make_visit, make_checklist):
    from tests.conftest import SCORE_CHECKLIST
    from tests.insight.conftest import at

    severe = scenario.supervisors["severe.sup"]
    hall = scenario.halls[1]  # an even hall: the severe supervisor's
    make_visit(hall=hall, supervisor=severe, type="announced",
               checklist=make_checklist("score-test", source=SCORE_CHECKLIST),
               answers={"main.score": 95, "main.safety": "fail"}, visited_at=at("2026-11", day=9))
    adjusted = assessment.assess(db.session, "2026-11", policy=_adjusting(db.session, True))
    assert adjusted.hall(hall.code).channel_scores["announced"] == 0
    assert adjusted.hall(hall.code).redline_visits == 1


def test_the_notice_says_when_scores_are_adjusted(scenario, make_user):
    market = make_user(Role.MARKET)
    notice = notices.create_notice(db.session, market, "2026-11")
    db.session.commit()
    plain = notices.preview_document(db.session, notice).narrative["overview"]
    assert "宽严度" not in plain
    assessment.save_policy(db.session, market, _adjusting(db.session, True))
    db.session.commit()
    adjusted = notices.preview_document(db.session, notice).narrative["overview"]
    assert adjusted.startswith(plain.split("。")[0])
    assert "宽严度" in adjusted and "2 个月" in adjusted
