"""Planning: which visits happen, where, by whom and when: a visit planned by hand, the automatic month plan and
the calendar. Sits above visits (it creates planned visits through the visits models and services)."""
