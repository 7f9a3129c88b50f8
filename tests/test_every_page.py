"""Every GET page of every role, on a phone (390 px), with the demo data: nothing scrolls sideways, the
English UI shows no Chinese outside user data, and the Chinese UI no English message left untranslated.

Pages come from ``app.url_map``; each path argument gets a real id the role may see. A new page with an
argument this file does not know fails the walk, so no page can be added without being looked at.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from babel.messages.pofile import read_po

from surveyapp.auth.models import Role, User
from surveyapp.db import Model, db
from surveyapp.demo.data import DEMO_PASSWORD
from tests.browser import log_in

pytestmark = pytest.mark.browser

#: Files, photos and JSON, not pages.
DOWNLOADS = re.compile(r"\.(pdf|xlsx|toml|json)$|/photos/|/export$|/download$|csrf-token|healthz|^/static/|^/visits/options$")
#: Runs of Chinese characters (punctuation between user data and English labels is not checked).
CJK = re.compile(r"[\u3400-\u9fff]+")
#: Chinese full-width punctuation next to a Latin letter or digit: 「Visit types: Unannounced、Announced」.
FULL_WIDTH = re.compile(r"[A-Za-z0-9][，：；（）、。]|[，：；（）、][A-Za-z0-9]")
ROLES = (Role.SUPERVISOR, Role.HALL_MANAGER, Role.MARKET, Role.ADMIN)


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "DEMO": True}


@pytest.fixture
def demo(app: Any, runner: Any) -> None:
    for args in (["forms", "load"], ["demo", "load"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
    # a job waiting for a worker, started by the market department: its progress page is a page too
    from surveyapp import jobs
    from surveyapp.notices.models import NoticeRevision

    market = db.session.scalar(sa.select(User).where(User.role == Role.MARKET).order_by(User.id))
    revision = db.session.scalar(sa.select(NoticeRevision).order_by(NoticeRevision.id))
    jobs.start(db.session, market, "letters", {"revision_id": revision.id, "hall_ids": []})
    db.session.commit()


def _first(query: Any) -> Any:
    return db.session.execute(query.limit(1)).scalar()


def _values(user: User) -> dict[str, Any]:
    """A real value for each path argument, one the user may see."""
    from surveyapp.assessment.models import PolicyVersion
    from surveyapp.checklists.models import Checklist, ChecklistVersion
    from surveyapp.feedback.models import Finding
    from surveyapp.jobs.models import Job
    from surveyapp.notices.models import NoticeRevision
    from surveyapp.org.models import Hall, Staff, Unit
    from surveyapp.planning.models import PlanProposal
    from surveyapp.visits.models import Visit, VisitStatus

    visits = sa.select(Visit.uid).order_by(Visit.id)
    if user.role is Role.SUPERVISOR:
        visits = visits.where(Visit.supervisor_id == user.id, Visit.status == VisitStatus.IN_PROGRESS)
    elif user.role is Role.HALL_MANAGER:
        halls = [h.id for h in user.halls]
        visits = visits.where(Visit.hall_id.in_(halls), Visit.released_at.is_not(None))
    else:
        visits = visits.where(Visit.status == VisitStatus.VALIDATED)
    findings = sa.select(Finding.uid).order_by(Finding.id)
    if user.role is Role.HALL_MANAGER:
        findings = findings.where(Finding.hall_id.in_([h.id for h in user.halls]))
    revision = _first(sa.select(NoticeRevision).order_by(NoticeRevision.id.desc()))
    halls = sa.select(Hall).order_by(Hall.id)
    if user.role is Role.HALL_MANAGER:
        halls = halls.where(Hall.id.in_([h.id for h in user.halls]))
    hall = _first(halls)
    staff = _first(sa.select(Staff.job_number).where(Staff.hall_id == hall.id).order_by(Staff.id)) if hall else None
    version = _first(sa.select(ChecklistVersion).join(Checklist).order_by(ChecklistVersion.id))
    return {
        "uid": _first(visits), "finding": _first(findings),
        "slug": version.checklist.slug, "version": version.version,
        "number": _first(sa.select(sa.func.max(PolicyVersion.number))),
        "period": revision.period if revision else None, "revision_id": revision.id if revision else None,
        "hall_id": _first(sa.select(Hall.id).order_by(Hall.id)), "unit_id": _first(sa.select(Unit.id).order_by(Unit.id)),
        "staff_id": _first(sa.select(Staff.id).order_by(Staff.id)), "user_id": user.id,
        "proposal": _first(sa.select(PlanProposal.uid).order_by(PlanProposal.id)),
        "kind_name": "halls", "code": hall.code if hall else None, "job_number": staff,
        "job_id": _first(sa.select(Job.id).where(Job.created_by_id == user.id).order_by(Job.id)),
    }


def _pages(app: Any, user: User) -> Iterator[tuple[str, str]]:
    """(endpoint, path) of every GET page, with the user's ids filled in."""
    values = _values(user)
    with app.test_request_context():
        from flask import url_for

        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if "GET" not in rule.methods or DOWNLOADS.search(rule.rule):
                continue
            unknown = set(rule.arguments) - set(values)
            assert not unknown, f"{rule.endpoint}: give the walk a real value for {unknown}"
            args = {name: values[name] for name in rule.arguments}
            if any(v is None for v in args.values()):
                continue  # the role has no such object (checked below: every page is seen by some role)
            yield rule.endpoint, url_for(rule.endpoint, **args)


def _user_data() -> str:
    """Every text the database holds (names, answers, remarks, notice texts, checklists): what users typed."""
    parts = []
    for table in Model.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, (sa.String, sa.Text, sa.JSON))]
        if not columns:
            continue
        for row in db.session.execute(sa.select(*columns)):
            parts.extend(json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v for v in row if v)
    return "\n".join(parts)


def _msgids() -> set[str]:
    found = set()
    for po in Path(__file__).resolve().parents[1].glob("surveyapp/**/translations/zh/LC_MESSAGES/messages.po"):
        with po.open("rb") as f:
            for message in read_po(f):
                text = message.id[0] if isinstance(message.id, tuple) else message.id
                if text and "%(" not in text and re.search(r"[A-Za-z]{3,} [A-Za-z]{3,}", text):
                    found.add(text)
    return found


TEXTS = """() => { const out = []; const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    const el = n.parentElement; if (!el || el.closest('script,style,[lang^=zh],[hidden]')) continue;
    const text = n.textContent.trim(); if (text) out.push(text); }
  for (const el of document.querySelectorAll('[placeholder],[title],[aria-label],input[type=submit]'))
    for (const a of ['placeholder', 'title', 'aria-label', 'value']) if (el.getAttribute(a) && !el.closest('[lang^=zh]')) {
      if (a !== 'value' || el.type === 'submit') out.push(el.getAttribute(a)); }
  return out; }"""
OVERFLOW = """() => { const w = window.innerWidth, wide = [];
  if (document.scrollingElement.scrollWidth <= w) return null;
  for (const el of document.body.querySelectorAll('*')) { const r = el.getBoundingClientRect();
    if (r.right > w + 1 && !el.closest('.table-wrap')) wide.push(el.tagName + '.' + el.className + ' ' + Math.round(r.right)); }
  return document.scrollingElement.scrollWidth + ' > ' + w + ': ' + wide.slice(0, 5).join(' | '); }"""


def test_every_page_of_every_role_fits_a_phone_and_speaks_one_language(app, demo, browser, live_server):
    users = {role: db.session.scalar(sa.select(User).where(User.role == role).order_by(User.id)) for role in ROLES}
    corpus, msgids = _user_data(), _msgids()
    seen, problems = set(), []
    for role, user in users.items():
        for locale in ("zh-CN", "en"):
            context = browser.new_context(base_url=live_server, locale=locale, viewport={"width": 390, "height": 844},
                                          device_scale_factor=1, is_mobile=True, has_touch=True)
            page = context.new_page()
            log_in(page, user.username, DEMO_PASSWORD)
            if locale == "en":
                with page.expect_navigation():
                    page.evaluate("() => document.querySelector('form.lang button[value=en]').click()")
            for endpoint, path in _pages(app, user):
                response = page.goto(path)
                if response is None or response.status in (403, 404):
                    continue
                seen.add(endpoint)
                where = f"{role.value} {locale} {path}"
                if response.status >= 400:
                    problems.append(f"{where}: status {response.status}")
                    continue
                if locale == "zh-CN" and (wide := page.evaluate(OVERFLOW)):
                    problems.append(f"{where}: scrolls sideways, {wide}")
                for text in page.evaluate(TEXTS):
                    if locale == "en":
                        problems.extend(f"{where}: Chinese in the English UI: {run!r} in {text[:60]!r}"
                                        for run in CJK.findall(text) if run not in corpus)
                        problems.extend(f"{where}: Chinese punctuation in the English UI: {text[:60]!r}"
                                        for _ in FULL_WIDTH.findall(text)[:1] if not CJK.search(text))
                    elif text in msgids and text not in corpus:
                        problems.append(f"{where}: untranslated: {text!r}")
            context.close()
    pages = {endpoint for role, user in users.items() for endpoint, _ in _pages(app, user)}
    assert pages - seen == set(), "pages no role could open"
    assert problems == [], "\n".join(problems)
