"""What the visits capability tells others, inside the transaction of the change (receivers flush, never commit).

Hall feedback listens: released visits become findings for their halls, returned visits reach their
supervisors' inboxes; the assessment cache hears of visit rows written past the ORM. Senders pass the session as the sender, so receivers write in the same transaction.
"""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: ``send(session, actor=User | None, visits=[Visit, ...])``: these validated visits were just released to halls.
visits_released = _signals.signal("visits-released")
#: ``send(session, actor=User | None, visit=Visit, comment=str)``: the visit went back to its supervisor.
visit_returned = _signals.signal("visit-returned")
#: ``send(session, actor=User | None, visit=Visit, revision=int)``: the visit was just submitted (a new revision,
#: not a repeat; ``revision`` its number: 1 for its first submission).
visit_submitted = _signals.signal("visit-submitted")
#: ``send(session, actor=User | None, visit=Visit, comment=str)``: the market department approved the visit.
visit_approved = _signals.signal("visit-approved")
#: ``send(session, actor=User, visit=Visit)``: a visit dated in a closed month was validated (an explicit decision).
late_visit_validated = _signals.signal("late-visit-validated")
#: ``send(session, actor=User | None, visit=Visit)``: what a visit's evidence checks read changed without a new
#: submission: a photo was taken off it, or it was cancelled (evidence integrity checks it again).
evidence_changed = _signals.signal("evidence-changed")
#: ``send(session, periods={"YYYY-MM", ...})``: visit rows of these months were updated by a core statement that
#: the ORM's flush does not see (the release in bulk): what was computed from those months is stale.
visit_rows_updated = _signals.signal("visit-rows-updated")
