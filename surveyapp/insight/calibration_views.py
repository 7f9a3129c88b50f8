"""Insight pages: calibration."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("insight_calibration", __name__, url_prefix="/insight/calibration")
