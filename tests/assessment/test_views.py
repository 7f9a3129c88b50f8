"""The market department's pages: live results (sorting, paging, Excel), the policy, its edit form and history."""
from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from surveyapp.assessment import services
from surveyapp.auth.models import Role
from surveyapp.db import db


@pytest.fixture
def month(make_unit, make_hall, make_scored_visit):
    branch = make_unit("B1", "城区分公司")
    for n, score in enumerate((88, 95, 70, 95), start=1):
        make_scored_visit(make_hall(f"H{n}", f"第{n}营业厅", unit=branch), score=score)
    make_scored_visit(make_hall("H5", "第5营业厅", unit=branch), score=80, redline=True)
    make_hall("H6", "第6营业厅", unit=branch)


def rows(page: str) -> list[str]:
    """The hall codes of the ranking table, in order."""
    table = page.split('<table class="table ranking">', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<span class=\"nowrap\">(H\d+)</span>", table)


def test_results_page_ranks_the_month_and_lists_halls_not_assessed(client, login_as, month):
    login_as(Role.MARKET)
    page = client.get("/assessment/results?period=2026-11").get_data(as_text=True)
    assert "月度考核结果" in page and "2026-11" in page
    assert rows(page) == ["H2", "H4", "H1", "H3", "H5"]
    assert "未参加考核" in page and "第6营业厅" in page
    assert "750.00" in page  # H2 and H4 share the first two places' rewards: (1000 + 500) / 2
    assert "末位" in page and "红线" in page
    assert 'href="/assessment/results?period=2026-10"' in page and "/assessment/results.xlsx?period=2026-11" in page


def test_results_default_to_this_month_and_sort_by_any_column(client, login_as, month):
    login_as(Role.MARKET)
    assert rows(client.get("/assessment/results").get_data(as_text=True)) == ["H2", "H4", "H1", "H3", "H5"]
    assert rows(client.get("/assessment/results?sort=code").get_data(as_text=True)) == ["H1", "H2", "H3", "H4", "H5"]
    assert rows(client.get("/assessment/results?sort=score&dir=asc").get_data(as_text=True)) == ["H5", "H3", "H1", "H2", "H4"]
    assert rows(client.get("/assessment/results?sort=penalty").get_data(as_text=True))[0] == "H5"
    assert rows(client.get("/assessment/results?sort=nonsense").get_data(as_text=True))[0] == "H2"


def test_results_paginate(client, login_as, month, make_app):
    login_as(Role.MARKET)
    client.application.config["PAGE_SIZE"] = 2
    first = client.get("/assessment/results?period=2026-11").get_data(as_text=True)
    third = client.get("/assessment/results?period=2026-11&page=3").get_data(as_text=True)
    assert rows(first) == ["H2", "H4"] and rows(third) == ["H5"]
    assert 'rel="next"' in first and 'rel="prev"' in third and "共 5 条" in third


@pytest.mark.parametrize(("query", "message"), [
    ("period=2026-13", "2026-13 不是有效的月份"),
    ("period=2026-11&unit=NOPE", "没有编码为 NOPE 的单位"),
])
def test_results_explain_bad_choices(client, login_as, month, query, message):
    login_as(Role.MARKET)
    response = client.get(f"/assessment/results?{query}")
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_results_for_a_unit(client, login_as, month, make_unit, make_hall, make_scored_visit):
    make_scored_visit(make_hall("H9", unit=make_unit("B2", "郊县分公司")), score=99)
    login_as(Role.MARKET)
    page = client.get("/assessment/results?period=2026-11&unit=B1").get_data(as_text=True)
    assert "H9" not in rows(page) and rows(page)[0] == "H2"
    assert rows(client.get("/assessment/results?period=2026-11").get_data(as_text=True))[0] == "H9"


def test_excel_export_has_the_ranking_the_halls_not_assessed_and_the_summary(client, login_as, month):
    login_as(Role.MARKET)
    client.post("/lang", data={"lang": "en"})
    response = client.get("/assessment/results.xlsx?period=2026-11")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    assert 'filename="assessment-2026-11.xlsx"' in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Ranking", "Not assessed", "Summary"]
    ranking = list(book["Ranking"].iter_rows(values_only=True))
    assert ranking[0][:4] == ("Rank", "Code", "Hall", "Unit")
    assert [(r[0], r[1]) for r in ranking[1:]] == [(1, "H2"), (1, "H4"), (3, "H1"), (4, "H3"), (5, "H5")]
    header = ranking[0]
    h2 = dict(zip(header, ranking[1], strict=True))
    assert h2["Score"] == 95 and h2["Reward"] == 750 and h2["Band"] == "A"
    h5 = dict(zip(header, ranking[5], strict=True))
    assert h5["Red-line visits"] == 1 and h5["Penalty"] == 1300 and "Red line" in h5["Flags"]
    assert list(book["Not assessed"].iter_rows(values_only=True))[1][:2] == ("H6", "第6营业厅")
    summary = dict(book["Summary"].iter_rows(values_only=True))
    assert summary["Halls assessed"] == 5 and summary["Policy version"] == 1 and summary["Rewards"] == 2000


def test_policy_page_and_history_show_versions(client, login_as):
    login_as(Role.MARKET)
    page = client.get("/assessment/policy").get_data(as_text=True)
    assert "考核办法" in page and "第 1 版" in page and "内置的默认考核办法" in page
    export = client.get("/assessment/policy/export")
    assert export.mimetype == "application/toml" and b'amount = "1000.00"' in export.data
    assert client.get("/assessment/policy/versions/2").status_code == 404


def form_data(client, **changes):
    """The edit form as the page sends it, with ``changes``."""
    page = client.get("/assessment/policy/edit").get_data(as_text=True)
    data = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page))
    data.pop("csrf_token", None)
    data["redline_bars_reward"] = "y"
    data.update(changes)
    return data


def test_editing_the_policy_makes_a_new_version_shown_in_the_history(client, login_as):
    login_as(Role.MARKET, display_name="王科长")
    data = form_data(client, weight_announced="0.4", **{"rewards-2-ranks": "4-5", "rewards-2-amount": "200"},
                     note="明查权重提高")
    response = client.post("/assessment/policy/edit", data=data)
    assert response.status_code == 302 and response.headers["Location"] == "/assessment/policy"
    version = services.current_policy(db.session)
    assert version.number == 2 and version.note == "明查权重提高"
    assert version.policy.weight("announced") == Decimal("0.4") and version.policy.reward_for_rank(5) == 200
    history = client.get("/assessment/policy/history").get_data(as_text=True)
    assert "王科长" in history and "明查权重提高" in history and "权重：明查" in history and "0.3" in history
    assert "第 5 名奖励" in history
    again = client.post("/assessment/policy/edit", data={**data, "based_on": "2"})
    assert again.status_code == 302
    assert services.current_policy(db.session).number == 2  # nothing changed: no version 3


def test_bad_settings_are_explained_at_their_fields_and_nothing_is_saved(client, login_as):
    login_as(Role.MARKET)
    data = form_data(client, weight_announced="-1", below_score="abc", **{
        "rewards-0-amount": "12.345", "rewards-1-ranks": "1", "bands-1-minimum": "95", "rectify-2-section": "Front Desk",
        "rectify-2-days": "3"})
    response = client.post("/assessment/policy/edit", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "考核办法未保存" in page
    for message in ("不能小于 0", "必须是数字", "最多 2 位小数", "第 1 名已有奖励", "档次应按最低分从高到低排列",
                    "不是检查表的部分编号"):
        assert message in page, message
    assert 'value="12.345"' in page and 'value="Front Desk"' in page  # what was typed is kept
    assert services.current_policy(db.session).number == 1
    client.post("/lang", data={"lang": "en"})
    page = client.post("/assessment/policy/edit", data=data).get_data(as_text=True)
    assert "must be 0 or more" in page and "at most 2 decimal places (fen)" in page


def test_a_stale_edit_is_refused_and_keeps_what_was_typed(client, login_as, make_user):
    login_as(Role.MARKET)
    data = form_data(client, appeal_days="5")
    other = make_user(Role.MARKET, password=None, display_name="李主任")
    changed = services.current_policy(db.session).policy
    import dataclasses

    services.save_policy(db.session, other, dataclasses.replace(
        changed, penalties=dataclasses.replace(changed.penalties, last_place=changed.penalties.last_place * 2)), based_on=1)
    db.session.commit()
    response = client.post("/assessment/policy/edit", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and "李主任" in page and "末位处罚" in page and 'value="5"' in page
    assert 'name="based_on" type="hidden" value="2"' in page
    resent = dict(data, based_on="2", last_place="1000.00")
    assert client.post("/assessment/policy/edit", data=resent).status_code == 302
    assert services.current_policy(db.session).policy.deadlines.appeal_days == 5


def test_results_with_an_earlier_policy_version(client, login_as, month, make_user):
    import dataclasses

    login_as(Role.MARKET)
    policy = services.current_policy(db.session).policy
    services.save_policy(db.session, make_user(Role.MARKET, password=None), dataclasses.replace(
        policy, rank_rewards=policy.rank_rewards[:1]), based_on=1)
    db.session.commit()
    now = client.get("/assessment/results?period=2026-11").get_data(as_text=True)
    assert "考核办法第 2 版" in now and "750.00" not in now  # only the first place is rewarded now
    before = client.get("/assessment/results?period=2026-11&policy=1").get_data(as_text=True)
    assert "考核办法第 1 版" in before and "750.00" in before
    assert "policy=1" in before.split('rel="prev"')[0].rsplit("<a", 1)[1]  # the month links keep the version
    assert client.get("/assessment/results?period=2026-11&policy=7").status_code == 400


def test_a_large_company_gets_its_excel_export_from_a_background_job(app, client, login_as, month):
    app.config["EXPORT_JOB_ROWS"] = 3  # the month has 6 halls
    login_as(Role.MARKET)
    started = client.get("/assessment/results.xlsx?period=2026-11")
    assert started.status_code == 302 and "/jobs/" in started.headers["Location"]
    done = client.get(started.headers["Location"])  # the tests' queue runs jobs at once: ready to download
    assert done.status_code == 302 and done.headers["Location"].endswith("/download")
    response = client.get(done.headers["Location"])
    assert 'filename="assessment-2026-11.xlsx"' in response.headers["Content-Disposition"]
    ranking = list(load_workbook(io.BytesIO(response.data))["排名"].iter_rows(values_only=True))
    assert [r[1] for r in ranking[1:]] == ["H2", "H4", "H1", "H3", "H5"]
    login_as(Role.HALL_MANAGER)
    assert client.get(done.headers["Location"]).status_code == 404
