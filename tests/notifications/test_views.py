"""The inbox page: the unread badge in the menu, opening a message, marking all read."""
from __future__ import annotations

import sqlalchemy as sa

from surveyapp.db import db
from surveyapp.notifications.models import Notification


def test_inbox_badge_and_reading(app, client, login, released):
    s = released()
    login(s.manager)
    page = client.get("/inbox/").get_data(as_text=True)
    assert 'nav-badge' in page and ">1</span>" in page
    [message] = db.session.scalars(sa.select(Notification).where(Notification.user_id == s.manager.id)).all()
    assert "2026-11-07" in page  # the earliest deadline, in the message text
    response = client.post(f"/inbox/{message.id}/open")
    assert response.headers["Location"].endswith(f"/hall/visits/{s.visit.uid}")
    assert "nav-badge" not in client.get("/inbox/").get_data(as_text=True)
