"""Helpers shared by the forms of every capability."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from surveyapp.errors import ValidationError


def show_error(form: FlaskForm, exc: ValidationError) -> None:
    """Put a service's error next to the field it is about, or at the top of the form."""
    message = str(exc.message)
    field = getattr(form, exc.field, None) if exc.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, message]
    else:
        form.form_errors.append(message)
    form.form_errors.extend(str(e) for e in exc.errors)


def strip(value: Any) -> Any:
    """A WTForms filter: trim text input."""
    return value.strip() if isinstance(value, str) else value


class UploadForm(FlaskForm):
    """One spreadsheet to import."""

    file = FileField(_l("File (CSV or Excel .xlsx)"), validators=[FileRequired(_l("Choose a file to import."))],
                     render_kw={"accept": ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
