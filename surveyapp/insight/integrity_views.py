"""Insight pages: integrity."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("insight_integrity", __name__, url_prefix="/insight/integrity")
