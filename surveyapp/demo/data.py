"""The fictional company of the demo: 江州通信, a city branch and four county branches, their halls,
staff and accounts. Deterministic, so loading twice gives the same data."""
from __future__ import annotations

import random
from dataclasses import dataclass

COMPANY = ("JZ", "江州通信有限公司")
#: (code, name, place prefix of hall names, places for halls: the first ones host self-run halls)
BRANCHES = [
    ("JZ01", "江州市区分公司", "江州", ["中山路", "人民广场", "火车站", "滨江路", "解放东路", "新华街", "大学城", "高新区",
                                  "五一路", "北门", "城西", "南湖", "东湖路", "科技园"]),
    ("JZ02", "临江县分公司", "临江县", ["城关", "石桥镇", "河口镇", "新坪镇", "沙溪镇", "白鹤乡", "城南", "马岭镇", "长湾镇",
                                   "三江口", "青龙镇", "塘坊镇", "城北"]),
    ("JZ03", "青山县分公司", "青山县", ["城关", "龙泉镇", "清水镇", "黄坑乡", "梅岭镇", "桃源镇", "城东", "双河镇", "大坪乡",
                                   "石门镇", "柳林镇", "杨家桥", "城西"]),
    ("JZ04", "白沙县分公司", "白沙县", ["城关", "白沙湖", "东岸镇", "凤凰镇", "金塘镇", "溪口镇", "城南", "竹林乡", "高岭镇",
                                   "平湖镇", "新桥镇", "古城", "城北"]),
    ("JZ05", "云溪县分公司", "云溪县", ["城关", "云峰镇", "西岭镇", "茶园乡", "五里铺", "罗家镇", "城东", "松林镇", "安乐乡",
                                   "花桥镇", "望江镇", "南山", "城西"]),
]
#: Self-run halls per branch (6 in all): two in the city, one in each county town.
SELF_RUN = {"JZ01": 2, "JZ02": 1, "JZ03": 1, "JZ04": 1, "JZ05": 1}
COOPERATIVE_PER_BRANCH = 12

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁任沈姚卢"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞",
         "平", "刚", "桂英", "婷", "雪", "晨", "欣怡", "子涵", "浩", "宇", "佳", "琳", "倩", "鹏", "辉", "颖", "思远", "晓燕",
         "文", "红梅", "建华", "海燕", "志强", "丹", "玉兰", "春梅", "梦瑶", "雨萱", "嘉怡", "俊杰", "慧敏"]

#: The password of every demo account; it exists only in demo mode.
DEMO_PASSWORD = "demo1234"


@dataclass(frozen=True)
class DemoHall:
    code: str
    name: str
    type: str
    unit: str
    address: str


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    role: str
    halls: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    external: bool = False


def units() -> list[tuple[str, str, str]]:
    """(code, name, parent code) for the company and its branches."""
    return [(COMPANY[0], COMPANY[1], "")] + [(code, name, COMPANY[0]) for code, name, _, _ in BRANCHES]


def halls() -> list[DemoHall]:
    """6 self-run and 60 cooperative halls, coded H<branch><number>, e.g. H0101."""
    out = []
    for code, _, prefix, places in BRANCHES:
        branch_no = code[-2:]
        n_self = SELF_RUN[code]
        for i, place in enumerate(places[: n_self + COOPERATIVE_PER_BRANCH], start=1):
            self_run = i <= n_self
            kind = "营业厅" if self_run else "合作营业厅"
            name = f"{prefix}{place}{kind}"
            street = f"{prefix}{place}{'大道' if self_run else '街'}{8 + i * 3}号"
            out.append(DemoHall(f"H{branch_no}{i:02d}", name, "self-run" if self_run else "cooperative", code, street))
    return out


def staff() -> list[tuple[str, str, str]]:
    """(job number, name, hall code): 3 to 8 staff per hall, job numbers <branch><hall><n>, e.g. 010103."""
    rng = random.Random(2026)
    out = []
    for hall in halls():
        for n in range(1, rng.randint(3, 8) + 1):
            name = rng.choice(SURNAMES) + rng.choice(GIVEN)
            out.append((f"{hall.code[1:]}{n:02d}", name, hall.code))
    return out


def users() -> list[DemoUser]:
    """Accounts for every role: one administrator, 2 market staff, 6 supervisors (4 of them social
    supervisors), a hall manager for each self-run hall and for a few cooperative halls."""
    people = [
        DemoUser("admin", "系统管理员", "admin"),
        DemoUser("market1", "刘敏（市场部）", "market"),
        DemoUser("market2", "周静（市场部）", "market"),
        # The market department's two inspectors and two social supervisors cover the whole company, the other
        # two social supervisors three neighbouring branches each: every hall has an inspector and two social
        # supervisors, so a month plan evens out the loads without sending anyone to the same hall twice.
        DemoUser("sup01", "王建国", "supervisor", units=(COMPANY[0],)),
        DemoUser("sup02", "李红", "supervisor", units=(COMPANY[0],)),
        DemoUser("sup03", "赵志刚（社会监督员）", "supervisor", units=(COMPANY[0],), external=True),
        DemoUser("sup04", "孙丽萍（社会监督员）", "supervisor", units=(COMPANY[0],), external=True),
        DemoUser("sup05", "陈晓东（社会监督员）", "supervisor", units=("JZ01", "JZ02", "JZ03"), external=True),
        DemoUser("sup06", "黄梅（社会监督员）", "supervisor", units=("JZ03", "JZ04", "JZ05"), external=True),
    ]
    rng = random.Random(7)
    all_halls = halls()
    managed = [h for h in all_halls if h.type == "self-run"]
    managed += [next(h for h in all_halls if h.type == "cooperative" and h.unit == unit) for unit in ("JZ01", "JZ02", "JZ03", "JZ05")]
    for hall in managed:
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        people.append(DemoUser(f"hm{hall.code[1:]}", f"{name}（{hall.name}）", "hall_manager", halls=(hall.code,)))
    return people
