"""What the organisation capability tells others, inside the transaction of the change (receivers flush, never
commit; senders pass the session as the sender)."""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: ``send(session, actor=User | None, hall=Hall)``: the hall's location (latitude, longitude) was set, changed or
#: cleared. Evidence integrity listens: the travel checks of the hall's visits measure from it.
hall_moved = _signals.signal("hall-moved")
