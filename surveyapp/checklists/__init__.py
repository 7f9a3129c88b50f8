"""Checklists: survey forms defined as TOML files under ``forms/``, their versions, and the scoring engine."""
