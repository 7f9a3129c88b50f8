"""Demo notice for ``flask demo load``: the previous month's notice, published by the market department on
the second day of this month (through the services: snapshot, PDF, release, messages to the halls), so the
hall homes show their line and the letters download. Loading again changes nothing."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from surveyapp import clock
from surveyapp.auth.models import Role, User
from surveyapp.demo.loader import register
from surveyapp.notices import services
from surveyapp.notices.models import Notice
from surveyapp.planning.visit_demo import _at
from surveyapp.visits.models import Visit


@register("notice", order=48)
def load(session: Session) -> str:
    """The previous month's notice, revision 1 (see the module docstring)."""
    this_month = clock.today().replace(day=1)
    period = f"{this_month - dt.timedelta(days=1):%Y-%m}"
    if session.scalar(sa.select(Notice.id).where(Notice.period == period)) is not None:
        return f"notice {period} unchanged"
    market = session.scalar(sa.select(User).where(User.role == Role.MARKET).order_by(User.username))
    if market is None or session.scalar(sa.select(Visit.id).where(Visit.period == period).limit(1)) is None:
        return "skipped: no market user or no visits of the previous month"
    published = dt.datetime.combine(this_month + dt.timedelta(days=1), dt.time(10), clock.company_tz())
    with _at(min(published, clock.now())):
        notice = services.create_notice(session, market, period)
        revision = services.publish(session, market, notice, None)
    return f"notice {period}: revision 1 published ({len(revision.pdf) // 1024} KB PDF)"
