"""``flask org ...``: organisation data from the command line."""
from __future__ import annotations

import click

from surveyapp.bulk_cli import export_command, import_command
from surveyapp.org import imports  # noqa: F401  (registers the units, halls and staff file formats)


@click.group("org")
def org_group() -> None:
    """Units, halls and staff."""


import_command(org_group, "import-units", "units",
               "Import units (code, name, parent) from CSV or XLSX, all or nothing; existing codes are updated.")
import_command(org_group, "import-halls", "halls",
               "Import halls (code, name, type, unit) from CSV or XLSX, all or nothing; existing codes are updated.")
import_command(org_group, "import-staff", "staff",
               "Import staff (job_number, name, hall) from CSV or XLSX, all or nothing; existing job numbers are updated.")
export_command(org_group, "export-units", "units", "Export every unit to an XLSX file (importable again).")
export_command(org_group, "export-halls", "halls", "Export every hall to an XLSX file (importable again).")
export_command(org_group, "export-staff", "staff", "Export all staff to an XLSX file (importable again).")
