"""The visit form built from a checklist version: fields per applicable item, canonical answers, errors at the item."""
from __future__ import annotations

import pytest
from flask import render_template_string
from flask_babel import force_locale
from werkzeug.datastructures import FileStorage, MultiDict

from surveyapp.checklists.forms import build_visit_form
from surveyapp.checklists.loader import parse
from tests.checklists.samples import MINI

DEFINITION, _ = parse(MINI)
RENDER = '{% from "checklists/_visit_form.html" import render_checklist %}{{ render_checklist(form, readonly=readonly) }}'


def post(form_class, data=None, files=None, **kwargs):
    formdata = MultiDict(data or {})
    for key, names in (files or {}).items():
        for name in names:
            formdata.add(key, FileStorage(stream=__import__("io").BytesIO(b"jpeg"), filename=name, content_type="image/jpeg"))
    form = form_class(formdata=formdata, meta={"csrf": False}, **kwargs)
    form.validate()
    return form


def errors(form) -> dict[str, list[str]]:
    return {name: [str(e) for e in messages] for name, messages in form.errors.items()}


GOOD = {"appearance.uniform": "fail", "appearance.smile": "3", "conduct.taboo": "0", "conduct.roster": "pass",
        "conduct.staff": "1001，1002、1001", "conduct.notes": "  柜台整洁  ", "appearance.uniform.remark": " 未戴工号牌 "}


def test_one_field_per_applicable_item_with_remarks_and_photo_slots(app):
    form = build_visit_form(DEFINITION, "announced", "self-run")(meta={"csrf": False})
    names = [f.name for f in form if f.type != "CSRFTokenField"]
    assert names == [
        "appearance.uniform", "appearance.uniform.remark", "appearance.uniform.photos",
        "appearance.smile", "appearance.smile.remark",
        "conduct.taboo", "conduct.taboo.remark", "conduct.taboo.photos",
        "conduct.roster", "conduct.roster.remark",
        "conduct.staff", "conduct.staff.remark", "conduct.notes", "conduct.notes.remark"]
    unannounced = build_visit_form(DEFINITION, "unannounced", "self-run")(meta={"csrf": False})
    assert "conduct.roster" not in unannounced
    assert [f.number for s in unannounced.layout for f in s.items] == [1, 2, 3, 4, 5]


def test_posted_values_become_canonical_answers(app):
    form = post(build_visit_form(DEFINITION, "announced", "self-run"), GOOD, files={"appearance.uniform.photos": ["a.jpg"]},
                complete=True, evidence_counts={"conduct.taboo": 2})
    assert errors(form) == {}
    assert form.answers() == {"appearance.uniform": "fail", "appearance.smile": 3, "conduct.taboo": 0,
                              "conduct.roster": "pass", "conduct.staff": ["1001", "1002"], "conduct.notes": "柜台整洁"}
    assert form.remarks() == {"appearance.uniform": "未戴工号牌"}
    assert [f.filename for f in form.photos()["appearance.uniform"]] == ["a.jpg"]


def test_a_draft_may_be_incomplete_but_never_illegal(app):
    form_class = build_visit_form(DEFINITION, "announced", "self-run")
    assert errors(post(form_class, {"appearance.uniform": "pass"})) == {}
    with force_locale("en"):
        found = errors(post(form_class, {"appearance.uniform": "maybe", "appearance.smile": "9", "conduct.taboo": "2x"}))
    assert found == {"appearance.uniform": ["answer pass, fail or na"],
                     "appearance.smile": ["answer a whole number from 0 to 4 or na"],
                     "conduct.taboo": ["Enter a whole number of times."]}


def test_submitting_asks_for_every_answer_and_photo_at_its_item(app):
    form_class = build_visit_form(DEFINITION, "announced", "self-run")
    with force_locale("en"):
        found = errors(post(form_class, {"appearance.uniform": "fail", "conduct.taboo": "na"}, complete=True))
    assert found == {
        "appearance.uniform.photos": ["Add a photo of what failed."],
        "appearance.smile": ["this item must be answered"],
        "conduct.roster": ["this item must be answered"],
        "conduct.notes": ["this item must be answered"],
    }
    with force_locale("zh_CN"):
        found = errors(post(form_class, {**GOOD, "conduct.taboo": "1"}, complete=True,
                            evidence_counts={"appearance.uniform": 1}))
    assert found == {"conduct.taboo.photos": ["本项必须拍照。"]}


def test_count_answers_are_a_number_or_not_applicable_not_both(app):
    form_class = build_visit_form(DEFINITION, "announced", "self-run")
    data = MultiDict([("conduct.taboo", "2"), ("conduct.taboo", "na")])
    with force_locale("en"):
        assert errors(post(form_class, data)) == {
            "conduct.taboo": ['Enter a number or tick "not applicable", not both.']}
    assert post(form_class, MultiDict([("conduct.taboo", ""), ("conduct.taboo", "na")])).answers() == {"conduct.taboo": "na"}


def test_staff_answers_are_checked_against_the_hall(app):
    form_class = build_visit_form(DEFINITION, "announced", "self-run")
    with force_locale("en"):
        form = post(form_class, {"conduct.staff": "1001 9999"}, staff={"1001": "张三"})
        assert errors(form) == {"conduct.staff": ["9999 is not a job number of this hall's staff."]}
        assert errors(post(form_class, {"conduct.staff": "10<01"})) == {"conduct.staff": ["10<01 is not a job number."]}


def test_a_saved_draft_is_shown_again(app):
    form = build_visit_form(DEFINITION, "announced", "self-run")(
        meta={"csrf": False}, formdata=None,
        answers={"appearance.uniform": "fail", "appearance.smile": 3, "conduct.taboo": 2, "conduct.staff": ["1001"]},
        remarks={"appearance.uniform": "未戴工号牌"})
    with app.test_request_context():
        html = render_template_string(RENDER, form=form, readonly=False)
    assert '<input type="radio" name="appearance.uniform" id="appearance.uniform-1" value="fail" checked>' in html
    assert '<input type="radio" name="appearance.smile" id="appearance.smile-3" value="3" checked>' in html
    assert html.count(" checked") == 2
    assert 'name="conduct.taboo"' in html and 'value="2"' in html
    assert 'value="1001"' in html and "未戴工号牌" in html
    assert form.answers()["appearance.smile"] == 3


@pytest.mark.parametrize(("lang", "text", "option"), [("zh_CN", "统一着装，整洁规范", "不符合"),
                                                       ("en", "Uniform worn, clean and correct", "Fail")])
def test_labels_follow_the_language_and_readonly_disables_everything(app, lang, text, option):
    form = build_visit_form(DEFINITION, "announced", "self-run")(meta={"csrf": False}, formdata=None)
    with app.test_request_context(), force_locale(lang):
        html = render_template_string(RENDER, form=form, readonly=True)
    assert text in html and f"<span>{option}</span>" in html
    assert html.count("disabled") >= len(form._fields) - 1


def test_errors_are_drawn_inside_their_item(app):
    form = post(build_visit_form(DEFINITION, "announced", "self-run"), {"appearance.uniform": "fail", "conduct.taboo": "x"},
                complete=True)
    with app.test_request_context():
        html = render_template_string(RENDER, form=form, readonly=False)
    uniform = html[html.index('id="item-appearance.uniform"'):html.index('id="item-appearance.smile"')]
    assert 'class="cl-item invalid"' in html[html.index('id="item-appearance.uniform"') - 40:][:80]
    assert "请拍照记录不符合的情况。" in uniform
    taboo = html[html.index('id="item-conduct.taboo"'):html.index('id="item-conduct.roster"')]
    assert "请填写整数次数。" in taboo and 'aria-describedby="conduct.taboo-errors"' in taboo
    assert "本项必须作答" in html[html.index('id="item-appearance.smile"'):html.index('id="item-conduct.taboo"')]
