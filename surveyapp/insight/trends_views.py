"""Insight pages: trends."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("insight_trends", __name__, url_prefix="/insight/trends")
