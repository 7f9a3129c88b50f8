"""What the notices capability tells others, inside the transaction of the change (receivers flush, never commit)."""
from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: ``send(session, actor=User | None, revision=NoticeRevision)``: a notice (or a revision of it) was just published.
notice_published = _signals.signal("notice-published")
