"""Visits: the supervisor's checklist with evidence, loss-free submission, validation and release (planned by
:mod:`surveyapp.planning`)."""
