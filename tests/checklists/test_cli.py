"""``flask forms check|load|list`` and the checklists shipped in forms/."""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from surveyapp.checklists.definition import ItemKind, VisitType
from surveyapp.checklists.loader import parse
from surveyapp.checklists.models import ChecklistVersion
from surveyapp.db import db
from surveyapp.resources import resource_dir
from tests.checklists.samples import MINI, variant


def forms(runner, *args: str):
    return runner.invoke(args=["forms", *args])


def test_the_shipped_forms_pass_the_check(runner):
    result = forms(runner, "--lang", "en", "check")
    assert result.exit_code == 0, result.output
    assert "hall-etiquette.toml: ok (hall-etiquette version 1, 47 items, 44 scored)" in result.output
    assert "social-supervisor.toml: ok (social-supervisor version 1, 13 items, 11 scored)" in result.output


def test_check_lists_every_problem_with_file_and_item_and_exits_1(runner, tmp_path: Path):
    bad = tmp_path / "x.toml"
    bad.write_text(variant("points = 2\nevidence", "points = 0\npionts = 2\nevidence"), encoding="utf-8")
    good = tmp_path / "mini.toml"
    good.write_text(MINI, encoding="utf-8")
    result = forms(runner, "--lang", "en", "check", str(bad), str(good), str(tmp_path / "gone.toml"))
    assert result.exit_code == 1
    assert f"{bad}: appearance.uniform: points must be a positive integer" in result.stderr
    assert f"{bad}: appearance.uniform: unknown key pionts (did you mean points?)" in result.stderr
    assert f"{tmp_path / 'gone.toml'}: no such file or folder" in result.stderr
    assert "2 files checked, 3 problems." in result.stderr
    assert f"{good}: ok (mini version 1, 6 items, 4 scored)" in result.stdout


def test_messages_are_chinese_by_default(runner, tmp_path: Path):
    bad = tmp_path / "x.toml"
    bad.write_text(variant("points = 2\nevidence", "points = 0\nevidence"), encoding="utf-8")
    result = forms(runner, "check", str(bad))
    assert result.exit_code == 1
    assert f"{bad}: appearance.uniform: points 必须是正整数" in result.stderr
    assert "检查了 1 个文件，发现 1 个问题。" in result.stderr


def test_load_is_idempotent_and_list_shows_what_is_loaded(runner):
    first = forms(runner, "--lang", "en", "load")
    assert first.exit_code == 0, first.output
    assert "hall-etiquette version 1 loaded" in first.output
    again = forms(runner, "--lang", "en", "load")
    assert "hall-etiquette version 1 unchanged" in again.output and "social-supervisor version 1 unchanged" in again.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ChecklistVersion)) == 2
    listing = forms(runner, "--lang", "en", "list").output.splitlines()
    assert listing[0].split()[:5] == ["Checklist", "Version", "Items", "Scored", "Loaded"]
    assert listing[1].split()[:4] == ["hall-etiquette", "1", "47", "44"]
    assert listing[2].split()[:4] == ["social-supervisor", "1", "13", "11"]


def test_a_changed_file_for_a_used_version_is_refused(runner, tmp_path: Path, make_checklist):
    make_checklist("mini", source=MINI, frozen=True)
    changed = tmp_path / "mini.toml"
    changed.write_text(variant('text = "微笑服务"', 'text = "主动微笑"'), encoding="utf-8")
    result = forms(runner, "--lang", "en", "load", str(changed))
    assert result.exit_code == 1
    assert "version 1 of mini has been used by visits since" in result.stderr
    assert "give the changed file version 2" in result.stderr
    assert db.session.scalar(sa.select(ChecklistVersion.source)) == MINI


def test_load_refuses_everything_when_one_file_is_bad(runner, tmp_path: Path):
    (tmp_path / "a.toml").write_text(MINI, encoding="utf-8")
    (tmp_path / "b.toml").write_text(variant('id = "mini"', 'id = "other"', variant('kind = "scale"', 'kind = "stars"')),
                                     encoding="utf-8")
    result = forms(runner, "--lang", "en", "load", str(tmp_path))
    assert result.exit_code == 1
    assert "appearance.smile: kind must be one of check | count | scale | text | staff" in result.stderr
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ChecklistVersion)) == 0


def test_list_says_when_nothing_is_loaded(runner):
    assert "flask forms load" in forms(runner, "list").output


def shipped(name: str):
    definition, problems = parse((resource_dir("forms") / f"{name}.toml").read_text(encoding="utf-8"))
    assert not problems
    return definition


def test_the_etiquette_checklist_covers_the_practice_of_the_halls():
    form = shipped("hall-etiquette")
    assert [s.title for s in form.sections] == ["厅外环境", "厅内环境设施", "仪容仪表", "言行容礼", "业务办理",
                                                "首问负责与投诉处理", "安全应急", "现场管理", "检查记录"]
    items = list(form.items)
    assert 40 <= len(items) <= 50 and all(i.text_en for i in items) and all(s.title_en for s in form.sections)
    assert all(2 <= i.points <= 4 for i in items if i.scored)
    assert {i.key for i in items if i.redline} == {
        "appearance.sober", "conduct.taboo", "business.illegal-fees", "business.data-protection",
        "first-contact.no-buck-passing", "first-contact.no-gifts"}
    assert any(i.kind is ItemKind.COUNT and not i.redline for i in items)
    assert all(i.visit_types == (VisitType.ANNOUNCED,) for s in form.sections if s.id == "management" for i in s.items)
    assert {"conduct.civil-phrases", "conduct.both-hands", "conduct.pause-sign", "conduct.queue-care",
            "conduct.farewell", "business.one-time-notice", "business.identity", "business.fees-explained",
            "business.wait-time", "management.last-round-closed", "management.self-inspection"} <= {i.key for i in items}


def test_the_social_supervisor_form_is_short_and_for_supervisors_only():
    form = shipped("social-supervisor")
    assert form.visit_types == (VisitType.SUPERVISOR,)
    assert 10 <= len(form) <= 15 and any(i.redline for i in form.items)


def test_check_rejects_an_integrity_question_whose_expected_answer_is_impossible(runner, tmp_path: Path):
    trap = ('[[section.item]]\nid = "awning"\ntext = "门头雨棚干净"\nkind = "count"\npoints = 2\n'
            'integrity = true\nexpected = -1\n')
    bad = tmp_path / "trap.toml"
    bad.write_text(MINI + "\n" + trap, encoding="utf-8")
    result = forms(runner, "--lang", "en", "check", str(bad))
    assert result.exit_code == 1
    assert (f"{bad}: conduct.awning: expected -1 is not a possible answer: answer a whole number of times from 0 to "
            "999 or na") in result.stderr
    bad.write_text(MINI + "\n" + trap.replace("expected = -1", "expected = 0"), encoding="utf-8")
    assert forms(runner, "--lang", "en", "check", str(bad)).exit_code == 0
