"""What changed between two versions: added, removed and changed items, field by field, and moves."""
from __future__ import annotations

from surveyapp.checklists.diff import diff_definitions
from surveyapp.checklists.loader import parse
from tests.checklists.samples import MINI, variant


def definition(text: str):
    found, problems = parse(text)
    assert not problems, problems
    return found


def test_identical_versions_have_no_changes():
    changes = diff_definitions(definition(MINI), definition(variant("version = 1", "version = 2")))
    assert changes.empty and changes.items == ()


def test_items_added_removed_and_changed_field_by_field():
    old = definition(MINI)
    new_text = variant("version = 1", "version = 2")
    new_text = variant('kind = "scale"\npoints = 4', 'kind = "scale"\npoints = 5', new_text)
    new_text = variant('text = "微笑服务"', 'text = "微笑服务，目光交流"', new_text)
    new_text = variant('''[[section.item]]
id = "roster"''', '''[[section.item]]
id = "badge"
text = "佩戴工号牌"
kind = "check"
points = 2

[[section.item]]
id = "roster-gone"''', new_text)
    new = definition(new_text)
    changes = diff_definitions(old, new)
    assert [(c.key, c.status) for c in changes.items] == [
        ("appearance.smile", "changed"), ("conduct.roster", "removed"), ("conduct.badge", "added"),
        ("conduct.roster-gone", "added")]
    smile = changes.items[0]
    assert [(f.field, f.old, f.new) for f in smile.changes] == [("text", "微笑服务", "微笑服务，目光交流"), ("points", 4, 5)]
    assert (changes.count("added"), changes.count("removed"), changes.count("changed")) == (2, 1, 1)
    announced_self = next(p for p in changes.points if (p.visit_type.value, p.hall_type.value) == ("announced", "self-run"))
    assert (announced_self.old, announced_self.new) == (12, 15)


def test_form_fields_sections_and_moves_are_reported():
    uniform = MINI[MINI.index('[[section.item]]\nid = "uniform"'):MINI.index('[[section.item]]\nid = "smile"')]
    smile = MINI[MINI.index('[[section.item]]\nid = "smile"'):MINI.index('[[section]]\nid = "conduct"')]
    moved = variant(uniform + smile, smile + "\n" + uniform)
    moved = variant('title = "小检查表"', 'title = "小检查表（修订）"', moved)
    moved = variant('title = "言行容礼"', 'title = "言行举止"', moved)
    changes = diff_definitions(definition(MINI), definition(moved))
    assert [(f.field, f.old, f.new) for f in changes.form] == [("title", "小检查表", "小检查表（修订）")]
    assert [(c.key, [(f.field, f.new) for f in c.changes]) for c in changes.sections] == [("conduct", [("title", "言行举止")])]
    assert [(c.key, [(f.field, f.old, f.new) for f in c.changes]) for c in changes.items] == [
        ("appearance.smile", [("position", 2, 1)]), ("appearance.uniform", [("position", 1, 2)])]
