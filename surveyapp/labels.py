"""Translated display labels: the registry type capabilities fill for their enumerations, and the local-time filter.

Each capability keeps its own labels (``auth.labels.ROLE``, ``org.labels.HALL_TYPE``, ``checklists.labels``) and
offers them to templates when its blueprint is registered; this module knows none of them.
"""
from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from typing import Any, Generic, TypeVar

from flask import Flask

from surveyapp import clock

E = TypeVar("E", bound=enum.Enum)


class Labels(dict[E, Any], Generic[E]):
    """The lazily translated label of each member of an enumeration; calling it gives one member's text."""

    def __init__(self, enumeration: type[E], labels: Mapping[E, Any]) -> None:
        super().__init__(labels)
        self.enumeration = enumeration

    def __call__(self, value: E | str) -> str:
        """The label of ``value`` (a member or its value) in the current language."""
        return str(self[self.enumeration(value)])


def localtime(value: dt.datetime | None, seconds: bool = False) -> str:
    """A UTC timestamp as the company's local time, e.g. ``2026-11-05 10:20``."""
    if value is None:
        return ""
    return clock.local(value).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def init_app(app: Flask) -> None:
    app.jinja_env.filters["localtime"] = localtime
