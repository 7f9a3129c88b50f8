"""Visits: planning, the supervisor's checklist with evidence, loss-free submission, validation and release."""
