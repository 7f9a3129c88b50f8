"""Helpers shared by the browser journeys: logging in, and checking that a page fits its screen.

Both wait for the page they act on to be loaded. Playwright's ``click`` returns as soon as the click is
dispatched, so a check run straight after a click that navigates can meet the old page, or the new one
before it has a document element; that race made the phone journey fail now and then in CI.
"""
from __future__ import annotations

from typing import Any

from tests.conftest import PASSWORD


def log_in(page: Any, username: str, password: str = PASSWORD, next_path: str | None = None) -> None:
    """Log in through the form and return once the page the login leads to has loaded."""
    page.goto("/login" if next_path is None else f"/login?next={next_path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("main button[type=submit].primary")


def fits_width(page: Any, slack: int = 0) -> bool:
    """True when the loaded page does not scroll sideways by more than ``slack`` pixels (a wide table may
    scroll inside its frame)."""
    page.wait_for_load_state()
    return bool(page.evaluate("slack => document.documentElement.scrollWidth <= window.innerWidth + slack", slack))
