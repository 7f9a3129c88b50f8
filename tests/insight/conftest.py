"""Insight tests run late in November 2026 (company time), so visits of September to November exist.

:func:`rated_months` builds, through the visits services, validated visits of known truth: 12 halls of known
quality, a lenient supervisor (+8 points), a fair one and a severe one (−6): odd halls are visited by the lenient
and the fair supervisor, even halls by the fair and the severe one, so the three are connected through the fair
one and the halls' raw scores are pulled up or down by who visited them.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from surveyapp.auth.models import Role, User
from surveyapp.org.models import Hall
from tests.assessment.conftest import NOW, at
from tests.conftest import SCORE_CHECKLIST

__all__ = ["NOW", "at"]

SEVERITY = {"lenient.sup": 8, "fair.sup": 0, "severe.sup": -6}


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "FROZEN_NOW": NOW.isoformat()}


@dataclass
class Scenario:
    halls: list[Hall]
    supervisors: dict[str, User]
    #: (username, hall code, period) → the visit's score.
    scores: dict[tuple[str, str, str], int]


def quality(hall: int, month: int) -> int:
    return 60 + 2 * hall + month


def wobble(hall: int, month: int, who: int) -> int:
    """A small deterministic disagreement between visits (−2..+2 points)."""
    return (hall * 7 + month * 3 + who * 2) % 5 - 2


@pytest.fixture
def rated_months(make_unit: Callable[..., Any], make_hall: Callable[..., Hall], make_user: Callable[..., User],
                 make_visit: Callable[..., Any], make_checklist: Callable[..., Any]) -> Callable[..., Scenario]:
    def build(periods: tuple[str, ...] = ("2026-11",), halls: int = 12) -> Scenario:
        unit = make_unit("B1", "城区分公司")
        checklist = make_checklist("score-test", source=SCORE_CHECKLIST)
        market = make_user(Role.MARKET, password=None)
        people = {name: make_user(Role.SUPERVISOR, username=name, display_name=f"监督员{name.split('.')[0]}",
                                  password=None, units=[unit]) for name in SEVERITY}
        made = [make_hall(f"H{n:02d}", f"第{n}营业厅", unit=unit) for n in range(1, halls + 1)]
        scores = {}
        for month, period in enumerate(periods):
            for n, hall in enumerate(made, start=1):
                visitors = ("lenient.sup", "fair.sup") if n % 2 else ("fair.sup", "severe.sup")
                for who, name in enumerate(visitors):
                    score = quality(n, month) + SEVERITY[name] + wobble(n, month, who)
                    make_visit(hall=hall, type="unannounced", checklist=checklist, supervisor=people[name],
                               market=market, answers={"main.score": score, "main.safety": "na"},
                               visited_at=at(period, day=3 + who))
                    scores[(name, hall.code, period)] = score
        return Scenario(made, people, scores)

    return build


def check(text: str, points: int) -> dict[str, Any]:
    """A pass/fail item of :func:`form_file`."""
    return {"text": text, "kind": "check", "points": points}


def form_file(form_id: str, title: str, sections: dict[str, tuple[str, dict[str, dict[str, Any]]]]) -> str:
    """A checklist file for every channel: ``sections`` maps a section id to its title and its items (item id →
    the item's keys, e.g. :func:`check`)."""
    lines = ["[form]", f'id = "{form_id}"', "version = 1", f'title = "{title}"',
             'visit_types = ["announced", "unannounced", "supervisor"]']
    for section_id, (section_title, items) in sections.items():
        lines += ["", "[[section]]", f'id = "{section_id}"', f'title = "{section_title}"']
        for item_id, keys in items.items():
            lines += ["", "[[section.item]]", f'id = "{item_id}"']
            lines += [f"{key} = {json.dumps(value, ensure_ascii=False)}" for key, value in keys.items()]
    return "\n".join(lines) + "\n"


TREND_FORM = form_file("trend-test", "趋势测试表", {
    "look": ("仪容仪表", {"uniform": check("统一着装", 6), "badge": check("佩戴工牌", 4)}),
    "talk": ("服务用语", {"greeting": check("主动问候", 10)}),
})


@pytest.fixture
def trend_months(make_unit, make_hall, make_checklist, make_visit):
    """Two branches; north has halls N1 and N2, south has S1. Unannounced visits only (so a hall's score is the
    mean of its visits' scores). Scores: full 100; uniform failed 70; badge failed 80; greeting failed 50.

    - 2026-09: N1 100 → N1 = 100, company mean 100
    - 2026-10: N1 70 and 100 → 85; N2 80 → 80; S1 50 → 50; north mean 82.5; company mean 215/3
    - 2026-11: N1 100; S1 70 → company mean 85, north mean 100
    """
    company = make_unit("C", "公司")
    north, south = make_unit("N", "北区", parent=company), make_unit("S", "南区", parent=company)
    n1, n2, s1 = make_hall("N1", "北一厅", unit=north), make_hall("N2", "北二厅", unit=north), make_hall("S1", "南一厅", unit=south)
    form = make_checklist("trend-test", source=TREND_FORM)

    def visit(hall, period, day, **answers):
        make_visit(hall=hall, checklist=form, visited_at=at(period, day), answers={f"{k.replace('_', '.')}": "fail" for k in answers})

    visit(n1, "2026-09", 3)
    visit(n1, "2026-10", 3, look_uniform=1)
    visit(n1, "2026-10", 4)
    visit(n2, "2026-10", 5, look_badge=1)
    visit(s1, "2026-10", 6, talk_greeting=1)
    visit(n1, "2026-11", 3)
    visit(s1, "2026-11", 4, look_uniform=1)
    return {"company": company, "north": north, "south": south, "halls": {"N1": n1, "N2": n2, "S1": s1}, "form": form}
