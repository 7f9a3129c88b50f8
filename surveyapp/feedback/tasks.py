"""Hall feedback's background duties: the hourly deadline reminder (what ``flask feedback remind`` does)."""
from __future__ import annotations

import logging

from flask import current_app

from surveyapp import jobs
from surveyapp.db import db
from surveyapp.feedback import services

log = logging.getLogger("surveyapp.feedback")


@jobs.function("feedback.remind", every="hour")
def remind() -> int:
    """Remind hall managers of deadlines coming due; once per hall and due day, so running it hourly is safe."""
    sent = services.remind(db.session, current_app.config["FEEDBACK_REMIND_DAYS"])
    db.session.commit()
    if sent:
        log.info("%d deadline reminder(s) sent", sent)
    return sent
