"""What the accounts capability tells the rooms above it, inside the transaction of the change (receivers flush,
never commit; senders pass the session as the sender)."""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: ``send(session, user=User)``: a user changed their own password (their other sessions have ended). The audit
#: trail records it.
password_changed = _signals.signal("password-changed")
