"""``flask org ...``: organisation data from the command line."""
from __future__ import annotations

import click


@click.group("org")
def org_group() -> None:
    """Units, halls and staff."""
