"""Demo data for trying surveyapp out: ``flask demo load`` (only when ``DEMO`` is on) and ``flask demo logins``.

Each capability adds its own demo data with a loader function: either here, or in a module
``surveyapp/<capability>/demo.py`` that calls :func:`surveyapp.demo.loader.register` when imported
(``flask demo load`` imports every such module). Loaders must be idempotent: running them again
changes nothing.
"""
