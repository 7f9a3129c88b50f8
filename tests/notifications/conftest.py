"""Notifications are tested through what sends them: hall feedback's released visits and its clock."""
from __future__ import annotations

from tests.feedback.conftest import app_config, released

__all__ = ["app_config", "released"]
