"""``flask assess`` and ``flask policy``: the documented JSON shape, readable tables, clear errors, exit codes."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from surveyapp.assessment import services
from surveyapp.db import db
from tests.assessment.test_policy import DOMAIN_EXAMPLE


@pytest.fixture
def month(make_unit, make_hall, make_scored_visit):
    """November: H2 first, H1 at 87.125 (7 × 87 and 1 × 88), H3 last with a red line, H4 without visits."""
    branch = make_unit("B1", "城区分公司")
    county = make_unit("B2", "郊县分公司")
    h1 = make_hall("H1", "城北营业厅", unit=branch)
    h2 = make_hall("H2", "城南营业厅", unit=branch)
    h3 = make_hall("H3", "东湖营业厅", unit=county)
    make_hall("H4", "西山营业厅", unit=county)
    for score in (87,) * 7 + (88,):
        make_scored_visit(h1, "unannounced", score)
    make_scored_visit(h2, "unannounced", 95)
    make_scored_visit(h2, "announced", 95)
    make_scored_visit(h3, "unannounced", 70)
    make_scored_visit(h3, "announced", 90, redline=True)


def test_assess_json_is_exactly_the_documented_shape(runner, month):
    result = runner.invoke(args=["assess", "2026-11", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data) == ["period", "halls"] and data["period"] == "2026-11"
    keys = ["code", "name", "unit", "assessed", "visits", "channel_scores", "score", "rank", "band", "redline_visits",
            "reward", "penalty", "flags"]
    assert all(list(hall) == keys for hall in data["halls"])
    assert data["halls"] == [
        {"code": "H2", "name": "城南营业厅", "unit": "B1", "assessed": True,
         "visits": {"unannounced": 1, "announced": 1, "supervisor": 0},
         "channel_scores": {"unannounced": 95.0, "announced": 95.0, "supervisor": None},
         "score": 95.0, "rank": 1, "band": "A", "redline_visits": 0, "reward": "1000.00", "penalty": "0.00",
         "flags": []},
        {"code": "H1", "name": "城北营业厅", "unit": "B1", "assessed": True,
         "visits": {"unannounced": 8, "announced": 0, "supervisor": 0},
         # 87.125 rounds half-up to 87.13 (bankers' rounding would give 87.12)
         "channel_scores": {"unannounced": 87.13, "announced": None, "supervisor": None},
         "score": 87.13, "rank": 2, "band": "B", "redline_visits": 0, "reward": "500.00", "penalty": "0.00",
         "flags": []},
        {"code": "H3", "name": "东湖营业厅", "unit": "B2", "assessed": True,
         "visits": {"unannounced": 1, "announced": 1, "supervisor": 0},
         "channel_scores": {"unannounced": 70.0, "announced": 0.0, "supervisor": None},
         "score": 43.75, "rank": 3, "band": "C", "redline_visits": 1, "reward": "0.00", "penalty": "1300.00",
         "flags": ["last", "below_threshold", "redline"]},
        {"code": "H4", "name": "西山营业厅", "unit": "B2", "assessed": False,
         "visits": {"unannounced": 0, "announced": 0, "supervisor": 0},
         "channel_scores": {"unannounced": None, "announced": None, "supervisor": None},
         "score": None, "rank": None, "band": None, "redline_visits": 0, "reward": "0.00", "penalty": "0.00",
         "flags": []},
    ]
    assert '"reward": "1000.00"' in result.output and '"score": 87.13' in result.output


def test_assess_json_for_a_unit_ranks_within_it(runner, month):
    data = json.loads(runner.invoke(args=["assess", "2026-11", "--unit", "B2", "--json"]).output)
    assert [(h["code"], h["rank"], h["flags"], h["reward"]) for h in data["halls"]] == [
        ("H3", 1, ["below_threshold", "redline"], "0.00"), ("H4", None, [], "0.00")]  # alone: never last; reward barred


def test_assess_prints_a_table_in_chinese_or_english(runner, month):
    table = runner.invoke(args=["assess", "2026-11"])
    assert table.exit_code == 0
    lines = table.output.splitlines()
    assert lines[0] == "2026-11 全公司考核结果（考核办法第 1 版）"
    assert lines[2].split() == ["名次", "编码", "营业厅", "单位", "暗访", "明查", "社会监督员", "得分", "环比", "档次", "红线",
                                "奖励", "处罚", "标记"]
    assert lines[3].split() == ["1", "H2", "城南营业厅", "城区分公司", "95.0", "(1)", "95.0", "(1)", "–", "(0)", "95.0",
                                "–", "A", "1,000.00", "0.00"]
    assert "末位" in lines[5] and "红线" in lines[5] and "1,300.00" in lines[5]
    assert "未参加考核（当月无已审核的检查）：H4 西山营业厅" in table.output
    assert "3/4 个营业厅参加考核" in table.output
    english = runner.invoke(args=["assess", "--lang", "en", "2026-11", "--unit", "B1"])
    assert english.output.splitlines()[0] == "Assessment of 2026-11 for 城区分公司 (policy version 1)"
    assert "Rank" in english.output and "H3" not in english.output


@pytest.mark.parametrize(("args", "message"), [
    (["2026-13"], "2026-13 is not a month: write it as YYYY-MM, e.g. 2026-11."),
    (["2026-11", "--unit", "XX"], "No unit has the code XX."),
])
def test_assess_errors_are_clear_and_exit_1(runner, args, message):
    result = runner.invoke(args=["assess", "--lang", "en", *args])
    assert result.exit_code == 1 and message in result.stderr
    chinese = runner.invoke(args=["assess", *args])
    assert chinese.exit_code == 1 and message not in chinese.stderr and chinese.stderr.strip()


def test_policy_load_export_and_history(runner, tmp_path: Path):
    same = tmp_path / "same.toml"
    same.write_text(DOMAIN_EXAMPLE, encoding="utf-8")
    result = runner.invoke(args=["policy", "--lang", "en", "load", str(same)])
    assert result.exit_code == 0 and result.output == f"{same}: unchanged (the same as version 1).\n"
    changed = tmp_path / "changed.toml"
    changed.write_text(DOMAIN_EXAMPLE.replace('last_place = "500.00"', 'last_place = "800.00"'), encoding="utf-8")
    result = runner.invoke(args=["policy", "--lang", "en", "load", str(changed)])
    assert result.exit_code == 0 and result.output == f"{changed}: loaded as version 2 of the assessment policy.\n"
    assert services.current_policy(db.session).source_name == str(changed)

    exported = runner.invoke(args=["policy", "export"])
    assert exported.exit_code == 0 and 'last_place = "800.00"' in exported.output
    again = tmp_path / "again.toml"
    again.write_text(exported.output, encoding="utf-8")
    assert "unchanged (the same as version 2)" in runner.invoke(args=["policy", "--lang", "en", "load", str(again)]).output
    old = runner.invoke(args=["policy", "export", "--version", "1"]).output
    assert 'last_place = "500.00"' in old and "第 1 版" in old

    history = runner.invoke(args=["policy", "--lang", "en", "history"]).output.splitlines()
    assert history[0].startswith("Version 2  2026-11-28 12:00  the system") and history[0].endswith(f"({changed})")
    assert history[1] == "  Last-place penalty: 500.00 → 800.00"
    assert history[2].startswith("Version 1") and history[3] == "  the built-in default"


def test_policy_load_names_every_problem_and_stores_nothing(runner, tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text(DOMAIN_EXAMPLE.replace("announced = 0.3", "announced = -1").replace('"300.00"', '"3.001"'),
                   encoding="utf-8")
    result = runner.invoke(args=["policy", "--lang", "en", "load", str(bad)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{bad}: policy.weights.announced: must be 0 or more",
        f"{bad}: policy.penalties.below_amount: at most 2 decimal places (fen)",
        "The policy was not loaded: fix these problems first.",
    ]
    assert services.current_policy(db.session).number == 1
    missing = runner.invoke(args=["policy", "--lang", "en", "load", str(tmp_path / "nope.toml")])
    assert missing.exit_code == 1 and "cannot read the file" in missing.stderr
    assert runner.invoke(args=["policy", "export", "--version", "9"]).exit_code == 1


def test_assess_with_an_earlier_policy_version(runner, month, tmp_path: Path):
    changed = tmp_path / "changed.toml"
    changed.write_text(DOMAIN_EXAMPLE.replace('amount = "1000.00"', 'amount = "2000.00"'), encoding="utf-8")
    assert runner.invoke(args=["policy", "load", str(changed)]).exit_code == 0
    now = json.loads(runner.invoke(args=["assess", "2026-11", "--json"]).output)
    before = json.loads(runner.invoke(args=["assess", "2026-11", "--json", "--policy-version", "1"]).output)
    assert now["halls"][0]["reward"] == "2000.00" and before["halls"][0]["reward"] == "1000.00"
    missing = runner.invoke(args=["assess", "--lang", "en", "2026-11", "--policy-version", "5"])
    assert missing.exit_code == 1 and "The assessment policy has no version 5." in missing.stderr


def test_assess_shows_a_progress_bar_on_a_terminal_and_keeps_its_json_clean(app, runner, month, tmp_path):
    from tests.terminal import run_on_terminal

    piped = runner.invoke(args=["assess", "2026-11", "--json"])
    assert piped.exit_code == 0, repr(piped.exception)
    code, out, shown = run_on_terminal(app, ["assess", "2026-11", "--json", "--lang", "en"], tmp_path / "instance")
    assert code == 0, shown
    # Standard output is byte for byte what a script gets without a terminal; the bar is on the terminal only.
    assert out == piped.output and json.loads(out)["halls"][0]["code"] == "H2"
    assert "Assessing the halls" in shown and "100%" in shown
    assert "{" not in shown
    # Without a terminal (a log, a pipe, cron) nothing is drawn: the table run prints exactly the table.
    table = runner.invoke(args=["assess", "2026-11", "--lang", "en"])
    assert table.output.startswith("Assessment of 2026-11 for the whole company") and "%" not in table.output
