"""A lower room tells the rooms above it through signals; a signal nobody listens to is a message lost.

The listeners connect when their modules are imported, and building the app imports every room: so once the
app exists, every signal any room defines must have one. A listener's module that the app stops importing (or a
signal left behind by a refactoring) fails here instead of silently dropping audit entries or cache refreshes.
"""
from __future__ import annotations

import sys

import blinker


def test_every_signal_of_every_room_has_a_listener_once_the_app_is_built(app):
    signals = {}
    for name, module in list(sys.modules.items()):
        if name == "surveyapp" or name.startswith("surveyapp."):
            for attribute, value in vars(module).items():
                if isinstance(value, blinker.Signal):
                    signals.setdefault(id(value), (value, f"{name}.{attribute}"))
    assert len(signals) >= 10  # hall_moved, visit_submitted, bulk.imported, password_changed, ...
    deaf = sorted(where for signal, where in signals.values() if not signal.receivers)
    assert deaf == []
