"""Visits: planning, the supervisor's checklist with evidence, loss-free submission, validation and release."""

from typing import Any


def blueprints() -> tuple[Any, ...]:
    """The market department's, the supervisors' and the hall managers' pages."""
    from surveyapp.visits.hall_views import bp as hall_bp
    from surveyapp.visits.supervisor_views import bp as supervisor_bp
    from surveyapp.visits.views import bp as market_bp

    return market_bp, supervisor_bp, hall_bp
