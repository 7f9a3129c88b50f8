"""Where the top-level folders (templates/, forms/, migrations/) are: beside the package in a checkout,
inside it in an installed wheel."""
from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """The folder ``name`` (``templates``, ``forms`` or ``migrations``) of this installation."""
    installed = PACKAGE_DIR / name
    if installed.is_dir():
        return installed
    checkout = PACKAGE_DIR.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"surveyapp: folder {name!r} is missing from this installation")
