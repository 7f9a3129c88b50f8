"""Checklist files are validated completely: every problem at once, each naming the file and the item."""
from __future__ import annotations

from pathlib import Path

import pytest

from surveyapp.checklists.definition import (
    Definition,
    EvidenceRule,
    ItemKind,
    VisitType,
)
from surveyapp.checklists.loader import SourceFile, check_sources, parse, read_sources
from surveyapp.org.models import HallType
from tests.checklists.samples import MINI, variant


def problems(text: str, name: str = "forms/x.toml") -> list[str]:
    definition, found = parse(text)
    assert (definition is None) == bool(found)
    return [p.format(name) for p in found]


def test_a_valid_file_becomes_a_definition_with_every_default_filled_in():
    definition, found = parse(MINI)
    assert found == []
    assert (definition.id, definition.version, definition.title_en) == ("mini", 1, "Mini checklist")
    assert definition.visit_types == (VisitType.ANNOUNCED, VisitType.UNANNOUNCED)
    assert [i.key for i in definition.items] == [
        "appearance.uniform", "appearance.smile", "conduct.taboo", "conduct.roster", "conduct.staff", "conduct.notes"]
    uniform = definition.item("appearance.uniform")
    assert (uniform.kind, uniform.points, uniform.per, uniform.redline, uniform.evidence) == (
        ItemKind.CHECK, 2, None, False, EvidenceRule.ON_FAIL)
    assert uniform.visit_types is None and uniform.hall_types is None and uniform.position == 1
    taboo = definition.item("conduct.taboo")
    assert (taboo.per, taboo.redline, taboo.evidence) == (2, True, EvidenceRule.REQUIRED)
    roster = definition.item("conduct.roster")
    assert roster.applies("announced", "self-run")
    assert not roster.applies("unannounced", "self-run") and not roster.applies("announced", HallType.COOPERATIVE)
    notes = definition.item("conduct.notes")
    assert notes.required and notes.points is None and not notes.scored


def test_count_items_deduct_one_point_per_occurrence_by_default():
    definition, _ = parse(variant("per = 2\n", ""))
    assert definition.item("conduct.taboo").per == 1


def test_a_scale_item_is_a_finding_below_its_own_or_the_form_s_threshold():
    assert parse(MINI)[0].item("appearance.smile").finding_below is None  # only the lowest answer, 0
    form_wide, _ = parse(variant('visit_types = ["announced", "unannounced"]\n',
                                 'visit_types = ["announced", "unannounced"]\nfinding_below = 2\n'))
    assert form_wide.item("appearance.smile").finding_below == 2 and form_wide.item("conduct.taboo").finding_below is None
    own, _ = parse(variant('kind = "scale"\npoints = 4', 'kind = "scale"\npoints = 4\nfinding_below = 3'))
    assert own.item("appearance.smile").finding_below == 3
    assert Definition.from_json(own.to_json()) == own
    assert "finding_below" not in parse(MINI)[0].to_json()["sections"][0]["items"][1]


def test_the_stored_json_gives_back_the_same_definition():
    definition, _ = parse(MINI)
    assert Definition.from_json(definition.to_json()) == definition


def test_the_message_names_the_file_the_item_and_the_rule():
    assert problems(variant("points = 2\nevidence", "points = 0\nevidence")) == [
        "forms/x.toml: appearance.uniform: points must be a positive integer"]


def test_malformed_toml_is_reported_with_its_line():
    text = variant('title_en = "Appearance"', 'title_en = "Appearance')
    [message] = problems(text)
    line = text.splitlines().index('title_en = "Appearance') + 1
    assert message.startswith(f"forms/x.toml: line {line}, column ")
    assert "not valid TOML" in message


def test_every_problem_of_a_file_is_reported_at_once():
    text = '''
[form]
id = "Hall Etiquette"
version = 0
title = ""
visit_types = ["announced", "walkin", "announced"]
colour = "red"

[[section]]
id = "appearance"
title = "仪容仪表"

[[section.item]]
id = "uniform"
text = "统一着装"
kind = "check"
points = -2
pionts = 3

[[section.item]]
id = "uniform"
text = "重复"
kind = "scale"
points = true
redline = true

[[section.item]]
text = "没有编号"
kind = "essay"

[[section.item]]
id = "manner"
text = 12
kind = "text"
points = 2
per = 1
evidence = "on-fail"
hall_types = ["franchise"]
visit_types = []

[[section]]
id = "appearance"
title = "空"
'''
    assert problems(text) == [
        "forms/x.toml: form: unknown key colour (allowed: id, version, title, title_en, description, description_en, visit_types, finding_below)",
        "forms/x.toml: form: id Hall Etiquette may only use lower-case letters, digits and single - or _ between them",
        "forms/x.toml: form: version must be a positive integer",
        "forms/x.toml: form: title must not be empty",
        "forms/x.toml: form: visit_types: unknown value walkin (use announced | unannounced | supervisor)",
        "forms/x.toml: form: visit_types lists announced twice",
        "forms/x.toml: appearance.uniform: unknown key pionts (did you mean points?)",
        "forms/x.toml: appearance.uniform: points must be a positive integer",
        "forms/x.toml: appearance.uniform: duplicate item id uniform in this section",
        "forms/x.toml: appearance.uniform: points must be a positive integer",
        "forms/x.toml: appearance.uniform: redline is only for check, count items (this one is scale)",
        "forms/x.toml: appearance.item[3]: id is missing",
        "forms/x.toml: appearance.item[3]: kind must be one of check | count | scale | text | staff",
        "forms/x.toml: appearance.manner: text must be a string",
        "forms/x.toml: appearance.manner: points is only for check, count, scale items (this one is text)",
        "forms/x.toml: appearance.manner: per is only for count items (this one is text)",
        'forms/x.toml: appearance.manner: evidence = "on-fail" needs an item that can fail (check, count or scale)',
        "forms/x.toml: appearance.manner: visit_types must not be empty",
        "forms/x.toml: appearance.manner: hall_types: unknown value franchise (use self-run | cooperative)",
        "forms/x.toml: appearance: duplicate section id appearance",
        "forms/x.toml: appearance: the section has no items ([[section.item]])",
    ]


@pytest.mark.parametrize(("old", "new", "expected"), [
    ('version = 1\n', 'version = "1"\n', "form: version must be a positive integer"),
    ('version = 1\n', '', "form: version is missing"),
    ('visit_types = ["announced", "unannounced"]\n', '', "form: visit_types is missing"),
    ('[form]\nid = "mini"', '[form]\nid = "mini"\nversoin = 2', "form: unknown key versoin (did you mean version?)"),
    ("[[section.item]]\nid = \"smile\"", "[[section.items]]\nid = \"smile\"",
     "appearance: unknown key items (did you mean item?)"),
    ('kind = "scale"\npoints = 4', 'kind = "scale"\npoints = 101', "appearance.smile: points must be at most 100"),
    ('kind = "scale"\npoints = 4', 'kind = "scale"', "appearance.smile: points is missing (scale items are scored)"),
    ('kind = "scale"', 'kind = "Scale"', "appearance.smile: kind must be one of check | count | scale | text | staff"),
    ('per = 2', 'per = 0', "conduct.taboo: per must be a positive integer"),
    ('redline = true', 'redline = "yes"', "conduct.taboo: redline must be true or false"),
    ('evidence = "required"', 'evidence = "photo"',
     "conduct.taboo: evidence must be one of none | optional | on-fail | required"),
    ('visit_types = ["announced"]', 'visit_types = ["supervisor"]',
     "conduct.roster: visit type supervisor is not among the form's visit_types"),
    ('visit_types = ["announced"]', 'visit_types = "announced"',
     "conduct.roster: visit_types must be a list of strings from announced | unannounced | supervisor"),
    ('id = "uniform"', 'id = "uni.form"',
     "appearance.item[1]: id uni.form may only use lower-case letters, digits and single - or _ between them"),
    ('id = "smile"\ntext = "微笑服务"', 'id = "smile"\ntext = "微笑服务"\nrequired = true',
     "appearance.smile: required is only for text, staff items (this one is scale)"),
    ('title = "仪容仪表"', 'title = "仪容仪表"\nguidance = "x"', "appearance: unknown key guidance (allowed: id, title, title_en, item)"),
    ('[form]', '[forms]\nid = "x"\n[form]', "unknown key forms (did you mean form?)"),
    ('kind = "scale"\npoints = 4', 'kind = "scale"\npoints = 4\nfinding_below = 5', "appearance.smile: finding_below must be at most 4"),
    ('per = 2', 'per = 2\nfinding_below = 1',
     "conduct.taboo: finding_below is only for scale items (this one is count)"),
])
def test_each_rule_names_its_place(old, new, expected):
    assert f"forms/x.toml: {expected}" in problems(variant(old, new))


def test_a_form_without_sections_or_without_scored_items_is_refused():
    head = MINI.split("[[section]]")[0]
    assert problems(head) == ["forms/x.toml: the form has no section ([[section]])"]
    unscored = head + '[[section]]\nid = "a"\ntitle = "A"\n[[section.item]]\nid = "b"\ntext = "B"\nkind = "text"\n'
    assert problems(unscored) == ["forms/x.toml: the form has no scored item (check, count or scale)"]
    assert problems("") == ["forms/x.toml: form: the file has no [form] table",
                            "forms/x.toml: the form has no section ([[section]])"]


def test_a_visit_type_with_nothing_to_score_is_refused():
    head = MINI.split("[[section]]")[0]
    text = head + '''
[[section]]
id = "a"
title = "A"
[[section.item]]
id = "b"
text = "B"
kind = "check"
points = 2
visit_types = ["announced"]
hall_types = ["cooperative"]
'''
    assert problems(text) == [
        "forms/x.toml: no scored item applies to announced visits at self-run halls",
        "forms/x.toml: no scored item applies to unannounced visits at self-run halls",
        "forms/x.toml: no scored item applies to unannounced visits at cooperative halls",
    ]


def test_one_form_version_in_two_files_is_an_error():
    checked = check_sources([SourceFile("forms/a.toml", MINI), SourceFile("forms/b.toml", MINI + "\n# copy\n")])
    assert checked[0].definition is not None and checked[0].messages() == []
    assert checked[1].definition is None
    assert checked[1].messages() == ["forms/b.toml: form: form mini version 1 is also defined in forms/a.toml"]


def test_folders_are_read_in_name_order_and_unreadable_paths_are_named(tmp_path: Path):
    (tmp_path / "b.toml").write_text(MINI, encoding="utf-8")
    (tmp_path / "a.toml").write_text(MINI, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a form", encoding="utf-8")
    (tmp_path / "latin1.toml").write_bytes("title = 'caf\xe9'".encode("latin-1"))
    (tmp_path / "empty").mkdir()
    sources, errors = read_sources([tmp_path, tmp_path / "missing.toml", tmp_path / "empty"], display_base=tmp_path)
    assert [s.name for s in sources] == ["a.toml", "b.toml"]
    assert errors == ["latin1.toml: the file is not UTF-8 text", "missing.toml: no such file or folder",
                      "empty: no .toml file in this folder"]


def test_text_the_database_cannot_store_is_refused_naming_its_key(app):
    """TOML allows a NUL as an escape (\\u0000); PostgreSQL cannot store it."""
    from flask_babel import force_locale

    text = MINI.replace('text = "统一着装，整洁规范"', 'text = "统一着装\\u0000整洁规范"')
    with force_locale("en"):
        assert problems(text) == [
            ("forms/x.toml: section[0].item[0].text: it contains the character U+0000 at position 5, which is not "
            "accepted (control characters other than tab and line breaks, and broken emoji, cannot be stored)")]
        [checked] = check_sources([SourceFile("forms/bad\x07.toml", MINI)])
        assert checked.definition is None and "file name: it contains the character U+0007" in checked.messages()[0]


SMILE = 'id = "smile"\ntext = "微笑服务"\nkind = "scale"\npoints = 4'
#: The mini checklist with a check item added after ``appearance.smile``, for integrity keys to be appended.
TRAP = (SMILE, SMILE + '\n\n[[section.item]]\nid = "awning"\ntext = "门头雨棚干净"\nkind = "check"\npoints = 2\n')


@pytest.mark.parametrize(("extra", "expected"), [
    ('integrity = true\n', "appearance.awning: expected is missing (the answer a supervisor who was there gives)"),
    ('integrity = true\nexpected = "absent"\n',
     "appearance.awning: expected 'absent' is not a possible answer: answer pass, fail or na"),
    ('expected = "na"\n', "appearance.awning: expected is only for integrity questions (integrity = true)"),
    ('integrity = "yes"\nexpected = "na"\n', "appearance.awning: integrity must be true or false"),
    ('integrity = true\nexpected = "na"\nredline = true\n',
     "appearance.awning: an integrity question is never scored, so it cannot be a red line"),
])
def test_an_integrity_question_needs_a_possible_expected_answer(extra, expected):
    assert f"forms/x.toml: {expected}" in problems(variant(TRAP[0], TRAP[1] + extra))


def test_an_integrity_question_is_asked_but_never_scored():
    definition, found = parse(variant(TRAP[0], TRAP[1] + 'integrity = true\nexpected = "na"\n'))
    assert found == [] and definition is not None
    item = definition.item("appearance.awning")
    assert item.integrity and item.expected == "na" and not item.scored and item.must_answer
    assert Definition.from_json(definition.to_json()) == definition
    count, _ = parse(variant(TRAP[0], TRAP[1].replace('"check"', '"count"') + 'integrity = true\nexpected = 0\n'))
    assert count is not None and count.item("appearance.awning").expected == 0
    scale = variant(TRAP[0], TRAP[1].replace('"check"', '"scale"') + 'integrity = true\nexpected = 3\n')
    assert "forms/x.toml: appearance.awning: expected 3 is not a possible answer: answer a whole number from 0 to 2 " \
           "or na" in problems(scale)
