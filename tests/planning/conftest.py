"""Helpers for the planning tests: the organisation and "now" they share with the visits tests."""
from __future__ import annotations

from tests.visits.conftest import PLANNING_NOW, login_en, planning_org  # noqa: F401 - fixtures and their "now"
