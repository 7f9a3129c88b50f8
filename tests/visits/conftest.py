"""Helpers for the visits tests."""
from __future__ import annotations

from typing import Any

import pytest


def english(client: Any) -> Any:
    """Show ``client`` the English pages (call after logging in: logging in starts a new session)."""
    with client.session_transaction() as session:
        session["lang"] = "en"
    return client


@pytest.fixture
def login_en(login_as: Any, client: Any) -> Any:
    """``login_as`` with the pages in English."""

    def do(role: Any, **kwargs: Any) -> Any:
        user = login_as(role, **kwargs)
        english(client)
        return user

    return do
