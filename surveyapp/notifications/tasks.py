"""The background delivery of the outbox: after each commit that wrote mail, and every minute."""
from __future__ import annotations

from surveyapp import jobs
from surveyapp.db import db
from surveyapp.notifications import mail
from surveyapp.notifications.settings import mail_server


@jobs.function("mail.deliver", every="minute")
def deliver() -> int:
    """Send the outbox's due messages with the running application's mail server settings."""
    return mail.deliver(db.session, mail_server())
