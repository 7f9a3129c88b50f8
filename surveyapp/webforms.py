"""Helpers shared by the forms of every capability."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from flask import abort, flash, has_request_context, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from flask_wtf.form import _Auto

from surveyapp.errors import ValidationError

T = TypeVar("T")


class Form(FlaskForm):
    """The base of every form of the app: it reads posted form fields and files, never a JSON body.

    (Flask-WTF would turn a JSON body into form data, and a list, a number or a nested object there fails
    inside WTForms: JSON sent to a page's form is a post with no fields, refused with the form's own messages.)
    """

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form: Any, formdata: Any) -> Any:
            if formdata is _Auto and has_request_context() and request.is_json:
                return request.form
            return super().wrap_formdata(form, formdata)


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


class UploadForm(Form):
    """One spreadsheet to import."""

    file = FileField(_l("File (CSV or Excel .xlsx)"), validators=[FileRequired(_l("Choose a file to import."))],
                     render_kw={"accept": ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})


def get_or_404(model: type[T], object_id: int) -> T:
    """The object with this id, or a 404 page."""
    from surveyapp.db import db

    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    return obj


def toggle_active(change: Callable[[bool], object], done: Callable[[bool], str]) -> bool:
    """Run ``change(active)`` for the ``active`` form value (``1`` or ``0``), commit and flash ``done(active)``;
    a refused change is flashed as an error instead. Returns whether it was saved."""
    from surveyapp.db import db

    active = request.form.get("active") == "1"
    try:
        change(active)
    except ValidationError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return False
    db.session.commit()
    flash(done(active), "success")
    return True


class ListFilter:
    """Filters of a list page, read from its query arguments: each field's default is its first allowed value
    (``CHOICES``) or empty; anything else is ignored."""

    #: Allowed values of the fields that are choices; the first is the default.
    CHOICES: ClassVar[dict[str, tuple[str, ...]]] = {}

    @classmethod
    def from_args(cls, args: Any) -> Any:
        values = {}
        for name in (f.name for f in dataclasses.fields(cls)):  # type: ignore[arg-type]
            value = (args.get(name, "") or "").strip()[:100]
            allowed = cls.CHOICES.get(name)
            if allowed is not None and value not in allowed:
                value = allowed[0]
            values[name] = value
        return cls(**values)

    def args(self) -> dict[str, str]:
        """The non-empty filters, to carry into export links."""
        return {k: v for k, v in vars(self).items() if v}


def contains(column: Any, text: str) -> Any:
    """A case-insensitive "contains" condition; ``%`` and ``_`` typed by the user match literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")
