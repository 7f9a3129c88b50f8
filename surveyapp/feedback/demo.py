"""Demo feedback for ``flask demo load``: the managed halls have responded to some of their findings —
rectifications verified, one reopened, appeals upheld, rejected and waiting — others are left open or overdue,
and today's deadline reminders are in the inboxes. Made through the services at the time each step would
have happened. Loading again changes nothing (halls that responded already are left alone)."""
from __future__ import annotations

import datetime as dt
import io
import random

import sqlalchemy as sa
from sqlalchemy.orm import Session

from surveyapp import clock
from surveyapp.auth.models import Role, User, user_hall
from surveyapp.demo import scenes
from surveyapp.demo.loader import register
from surveyapp.feedback import services
from surveyapp.feedback.models import Appeal, Finding, FindingStatus, Rectification
from surveyapp.planning.visit_demo import _at

RECTIFICATIONS = ("已组织全员学习服务规范，当班营业员已整改到位，附整改后照片。",
                  "已更换损坏设施并安排专人每日巡检。", "已补齐公示材料并张贴在醒目位置。",
                  "已对相关营业员进行谈话提醒，纳入本月绩效考核。")
#: Appeals, ``{text}`` being the item's wording.
APPEALS = ("关于“{text}”：检查当时的情况已提前向市场部报备，附报备记录照片。",
           "关于“{text}”：现场监控显示该时段已按要求执行，附监控截图。",
           "关于“{text}”：检查前一天已发现并整改，检查人员到厅时正在收尾，附整改记录。")


@register("feedback", order=50)
def load(session: Session) -> str:
    """Responses to the findings of the halls that have a manager (see the module docstring)."""
    if session.scalar(sa.select(sa.func.count()).select_from(Rectification)) or \
            session.scalar(sa.select(sa.func.count()).select_from(Appeal)):
        return "feedback: already loaded"
    market = session.scalar(sa.select(User).where(User.role == Role.MARKET).order_by(User.username))
    managers = session.execute(
        sa.select(user_hall.c.hall_id, User).join(user_hall, user_hall.c.user_id == User.id)
        .where(User.role == Role.HALL_MANAGER).order_by(user_hall.c.hall_id, User.username)).all()
    if market is None or not managers:
        return "feedback: skipped (no market user or hall manager)"
    now = clock.now()
    rng = random.Random("surveyapp-demo-feedback")
    counts = {"rectified": 0, "appealed": 0}
    seen: set[int] = set()
    for hall_id, manager in managers:
        if hall_id in seen:
            continue
        seen.add(hall_id)
        findings = session.scalars(sa.select(Finding).where(Finding.hall_id == hall_id, Finding.status == FindingStatus.OPEN)
                                   .order_by(Finding.released_at, Finding.id)).all()
        for n, finding in enumerate(findings):
            fate = n % 6  # 0, 3: rectified; 1: appealed; 2, 5: left open (overdue when late); 4: rectified late
            start = finding.released_at + dt.timedelta(hours=20)
            if fate in (0, 3, 4):
                when = start + dt.timedelta(days=finding.rectify_days + 2 if fate == 4 else 1)
                if when < now:
                    # every third hall's first rectification still waits for the market department's check
                    waiting = fate == 0 and len(seen) % 3 == 0
                    _rectify(session, manager, market, finding, when, rng, reopen=(fate == 3 and n % 12 == 3),
                             check=not waiting)
                    counts["rectified"] += 1
            elif fate == 1 and start < now:
                _appeal(session, manager, market, finding, start, rng, counts["appealed"])
                counts["appealed"] += 1
    with _at(now):
        reminded = services.remind(session, 2)
    return f"feedback: {counts['rectified']} rectifications, {counts['appealed']} appeals, {reminded} reminders"


def _rectify(session: Session, manager: User, market: User, finding: Finding, when: dt.datetime,
             rng: random.Random, reopen: bool, check: bool = True) -> None:
    with _at(when):
        picture = scenes.photo(finding.hall.name, "整改后：" + _item_text(finding), finding.uid)
        services.rectify(session, manager, finding, None, rng.choice(RECTIFICATIONS), [io.BytesIO(picture)])
    checked = when + dt.timedelta(days=1)
    if check and checked < clock.now():
        with _at(checked):
            services.check_rectification(session, market, finding, None, not reopen,
                                         "整改照片看不出该项已整改到位，请补充整改后的现场照片。" if reopen else None)


def _appeal(session: Session, manager: User, market: User, finding: Finding, when: dt.datetime,
            rng: random.Random, k: int) -> None:
    """The ``k``-th appeal of the demo: every third one still waits, the others are upheld or rejected in turn."""
    with _at(when):
        text = _item_text(finding).rstrip("。；;")
        picture = scenes.photo(finding.hall.name, "申诉材料：" + text, finding.uid)
        services.appeal(session, manager, finding, None, rng.choice(APPEALS).format(text=text), [io.BytesIO(picture)])
    decided = when + dt.timedelta(days=2)
    if k % 3 == 2 or decided >= clock.now():
        return  # still waiting for the market department
    with _at(decided):
        if k % 3 == 0:
            services.decide_appeal(session, market, finding, None, True, "na", "报备材料属实，该项不计分。")
        else:
            services.decide_appeal(session, market, finding, None, False, reason="未提供有效证明材料，维持原结论。")


def _item_text(finding: Finding) -> str:
    return finding.visit.checklist_version.definition.item(finding.item_key).text
