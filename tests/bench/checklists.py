"""Checklist figures: building and rendering the 47-item visit form, validating a posted form, scoring visits.

Run alone with ``python -m tests.bench.checklists``; ``make bench`` runs every ``tests/bench/*.py``.
"""
from __future__ import annotations

import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

from werkzeug.datastructures import MultiDict

from surveyapp import create_app
from surveyapp.checklists.definition import Definition
from surveyapp.checklists.forms import build_visit_form
from surveyapp.checklists.loader import parse
from surveyapp.checklists.scoring import applicable_items, score_visit
from surveyapp.resources import resource_dir

RENDER = '{% from "checklists/_visit_form.html" import render_checklist %}{{ render_checklist(form) }}'


def timed(label: str, fn: Callable[[], Any], repeat: int) -> None:
    fn()  # warm caches (templates, translations) once, as a running server has
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
    print(f"  {label:<52} median {statistics.median(samples):7.2f} ms   p95 {p95:7.2f} ms   ({repeat} runs)")


def peak_kib(fn: Callable[[], Any]) -> float:
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1024


def full_answers(definition: Definition, visit_type: str, hall_type: str) -> dict[str, object]:
    answers: dict[str, object] = {}
    for item in applicable_items(definition, visit_type, hall_type):
        answers[item.key] = {"check": "pass", "count": 1, "scale": item.points, "text": "服务热情周到",
                             "staff": ["1001"]}[item.kind.value]
    return answers


def main() -> None:
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": "sqlite://", "WTF_CSRF_ENABLED": False})
    text = (resource_dir("forms") / "hall-etiquette.toml").read_text(encoding="utf-8")
    definition, problems = parse(text)
    assert definition is not None, problems
    stored = definition.to_json()
    visit = ("announced", "self-run")
    answers = full_answers(definition, *visit)
    posted = MultiDict({key: ", ".join(v) if isinstance(v, list) else str(v) for key, v in answers.items()})
    n_items = len(applicable_items(definition, *visit))
    print(f"checklists: hall-etiquette, {n_items} applicable items ({visit[0]} visit, {visit[1]} hall)")

    with app.test_request_context():
        template = app.jinja_env.from_string(RENDER)  # compiled once, as a template file is
        form_class = build_visit_form(definition, *visit)
        timed("parse and validate the TOML file", lambda: parse(text), 50)
        timed("definition from stored JSON", lambda: Definition.from_json(stored), 200)
        timed("build the form class", lambda: build_visit_form(definition, *visit), 200)
        timed("instantiate with a saved draft", lambda: form_class(formdata=None, answers=answers), 200)
        timed("build + instantiate + render (GET of a visit page)",
              lambda: template.render(form=build_visit_form(definition, *visit)(formdata=None, answers=answers)),
              100)

        def post_and_validate() -> None:
            form = form_class(formdata=posted, complete=True, evidence_counts={k: 1 for k in answers})
            assert form.validate(), form.errors

        timed("instantiate from a POST and validate (submit)", post_and_validate, 100)
        timed("score_visit", lambda: score_visit(definition, *visit, answers), 500)
        timed("render only", lambda: template.render(form=form_class(formdata=None, answers=answers)), 100)
        html = template.render(form=form_class(formdata=None, answers=answers))
        print(f"  rendered checklist HTML: {len(html.encode()) / 1024:.0f} KiB")
        kib = peak_kib(lambda: template.render(form=build_visit_form(definition, *visit)(formdata=None)))
        print(f"  peak memory, build + instantiate + render: {kib:.0f} KiB")
        start = time.perf_counter()
        for _ in range(10_000):
            score_visit(definition, *visit, answers)
        print(f"  10,000 visits scored in {time.perf_counter() - start:.2f} s")
    blank_pdf()


def blank_pdf() -> None:
    """The blank paper form through the real view (template, WeasyPrint, fonts), on a throwaway database."""
    from surveyapp.auth.models import Role
    from surveyapp.auth.services import open_session
    from surveyapp.checklists import services
    from surveyapp.checklists.loader import SourceFile
    from surveyapp.db import db
    from surveyapp.migrate import upgrade
    from surveyapp.users.services import create_user

    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": f"sqlite:///{folder}/bench.sqlite"})
        upgrade(app)
        with app.app_context():
            text = (resource_dir("forms") / "hall-etiquette.toml").read_text(encoding="utf-8")
            services.load_sources(db.session, None, [SourceFile("forms/hall-etiquette.toml", text)])
            user = create_user(db.session, None, username="bench", display_name="bench", role=Role.MARKET,
                               password=None)
            token = open_session(db.session, user, "127.0.0.1", "bench")
            db.session.commit()
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = token
        url = "/checklists/hall-etiquette/v1/blank.pdf"
        timed("blank paper form PDF (all 47 items), via the view", lambda: client.get(url), 5)
        print(f"  blank PDF size: {len(client.get(url).data) / 1024:.0f} KiB")
        app.extensions["surveyapp.db"][0].dispose()


if __name__ == "__main__":
    main()
