"""Notice tests run on 2 December 2026 (company time): November's visits are in, its notice is due."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.assessment.conftest import CST, at
from tests.test_pdf import bait  # noqa: F401 - the never-asked HTTP server, a fixture for the notice tests

NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=CST)
NOV, OCT = "2026-11", "2026-10"

__all__ = ["NOV", "NOW", "OCT", "at"]


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "FROZEN_NOW": NOW.isoformat(), "COMPANY_NAME": "某某供电公司"}


def publish_fields(client: Any, period: str = NOV) -> dict[str, str]:
    """What the publish form on the month's page (or its comparison page, once published) sends: the hidden
    preview fields included, the confirmation box unticked."""
    import html
    import re

    page = client.get(f"/notices/{period}/compare", follow_redirects=True).get_data(as_text=True)
    form = re.search(r'<form[^>]*class="publish-form"[^>]*>(.*?)</form>', page, re.DOTALL)
    assert form is not None, "no publish form on the page"
    fields = {}
    for tag in re.findall(r"<input[^>]*>", form.group(1)):
        name, value = re.search(r'name="([^"]*)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and 'type="checkbox"' not in tag:
            fields[name.group(1)] = html.unescape(value.group(1)) if value else ""
    return fields


def publish(client: Any, period: str = NOV, reason: str | None = None, confirm: bool = False,
            fields: dict[str, str] | None = None) -> Any:
    """Publish as the page does: with the preview's hidden fields; ``confirm`` ticks the open-work box."""
    data = dict(fields) if fields is not None else publish_fields(client, period)
    if reason:
        data["reason"] = reason
    if confirm:
        data["confirm_open"] = "y"
    return client.post(f"/notices/{period}/publish", data=data)
