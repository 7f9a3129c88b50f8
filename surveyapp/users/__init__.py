"""Account administration: the administrator's user list, forms, imports, exports and ``flask users ...``."""
