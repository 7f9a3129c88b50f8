"""Insight: whether the numbers can be trusted and what they show over time (rater calibration, integrity
questions and evidence checks, trends, heat maps, staff star levels). It reads every capability below it and
none of them imports it."""
