"""Forms of the visits pages: planning, validation, and the supervisor's checklist page."""
from __future__ import annotations

from collections.abc import Container, Iterable, Mapping
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import HiddenInput

from surveyapp import clock
from surveyapp.checklists.definition import HallType, ItemKind, VisitType
from surveyapp.checklists.forms import StaffField, VisitForm, build_visit_form
from surveyapp.checklists.labels import visit_type_label
from surveyapp.checklists.scoring import applicable_items
from surveyapp.i18n import localized
from surveyapp.visits import rules
from surveyapp.visits.content import MAX_IMPRESSION, Content
from surveyapp.visits.models import Visit
from surveyapp.visits.validation import MAX_COMMENT
from surveyapp.webforms import Form


def _blank_to_none(value: Any) -> Any:
    return value or None


class PlanForm(Form):
    """Plan or change a visit; the choices are set by the view."""

    hall = SelectField(_l("Hall"), coerce=int, validators=[InputRequired(_l("Choose a hall."))])
    type = SelectField(_l("Kind of visit"), validators=[InputRequired()])
    checklist = SelectField(_l("Checklist"), validators=[InputRequired(_l("Choose a checklist."))])
    supervisor = SelectField(_l("Supervisor"), coerce=int, validators=[InputRequired(_l("Choose a supervisor."))])
    due_from = DateField(_l("Due from"), validators=[InputRequired(_l("Enter a date."))])
    due_until = DateField(_l("Due by"), validators=[InputRequired(_l("Enter a date."))])
    #: The visit's version the form was drawn with (optimistic locking); empty when planning a new one.
    version = HiddenField(filters=[_blank_to_none])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.type.choices = [(t.value, visit_type_label(t)) for t in VisitType]


class CancelForm(Form):
    reason = TextAreaField(_l("Reason (shown in the visit's history)"), validators=[Optional(), Length(max=MAX_COMMENT)],
                           render_kw={"rows": 2})
    version = IntegerField(widget=HiddenInput(), validators=[DataRequired()])


class DecisionForm(Form):
    """Approve, return with comments, or reject with a reason (which one: the ``action`` button)."""

    action = HiddenField()
    comment = TextAreaField(_l("Comments for the supervisor / reason"), validators=[Optional(), Length(max=MAX_COMMENT)],
                            render_kw={"rows": 3})
    version = IntegerField(widget=HiddenInput(), validators=[DataRequired()])


class ReleaseForm(Form):
    version = IntegerField(widget=HiddenInput(), validators=[DataRequired()])


# --- the supervisor's checklist page ------------------------------------------------------------------


class VisitPageForm(VisitForm):
    """The checklist form plus the visit's own fields (visit time, scenario, staff served, impression).

    Classes are made per visit by :func:`visit_page_form`; the scenario choices and the staff field depend
    on the app's settings and on whether the checklist has its own staff item.
    """

    visited_at = DateTimeLocalField(_l("Visit time"), format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
                                    validators=[Optional()])
    scenario = SelectField(_l("What you did in the hall"), validators=[Optional()])
    impression = TextAreaField(_l("Overall impression"), validators=[Optional(), Length(max=MAX_IMPRESSION)],
                               render_kw={"rows": 5})
    #: Names that are not answers (kept out of drafts' item counting and of content).
    VISIT_FIELDS = ("visited_at", "scenario", "impression", "served")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _l("Choose…"))] + [(zh, localized(zh, en)) for zh, en in current_app.config["VISIT_SCENARIOS"]]
        if self.scenario.data and self.scenario.data not in {c[0] for c in choices}:
            choices.append((self.scenario.data, self.scenario.data))  # e.g. imported from paper
        self.scenario.choices = choices

    def validate_visited_at(self, field: Any) -> None:
        problem = rules.visit_time_problem(field.data.replace(tzinfo=clock.company_tz()))
        if problem is not None:
            raise ValidationError(problem)

    def unknown_fields(self, names: Iterable[str], control: Container[str]) -> dict[str, list[str]]:
        """Posted names that are no field of this page (an item of another checklist, a typo): refused with
        a message each rather than dropped without a word."""
        return {name: [str(_l("“%(name)s” is not a field of this checklist.", name=name))]
                for name in names if name not in self._fields and name not in control}

    def content(self, zone: Any) -> Content:
        """What the form holds as a submission (call after :meth:`validate`)."""
        moment = self.visited_at.data
        visited = moment.replace(tzinfo=zone) if moment is not None else clock.now()
        served = getattr(self, "served", None)
        return Content(answers=self.answers(), remarks=self.remarks(), visited_at=visited,
                       staff=tuple(served.data or ()) if served is not None else (),
                       scenario=(self.scenario.data or "").strip() or None,
                       impression=(self.impression.data or "").strip() or None)


#: Form classes made, by checklist version (and its source's hash: an unfrozen version may be reloaded), visit
#: type and hall type. A per-process cache, safe to lose; a few dozen entries at most in practice.
_PAGE_FORMS: dict[tuple[int, str, str, str], type[VisitPageForm]] = {}
_PAGE_FORMS_MAX = 256


def visit_page_form(visit: Visit) -> type[VisitPageForm]:
    """The page's form class for ``visit``: its checklist's fields and the visit's own (made once per checklist
    version, visit type and hall type: building the ~140 fields cost a few milliseconds a request)."""
    version = visit.checklist_version
    key = (version.id, version.source_sha256, VisitType(visit.type).value, HallType(visit.hall.type).value)
    form_class = _PAGE_FORMS.get(key)
    if form_class is None:
        if len(_PAGE_FORMS) >= _PAGE_FORMS_MAX:
            _PAGE_FORMS.clear()
        form_class = _PAGE_FORMS[key] = _make_page_form(visit)
    return form_class


def _make_page_form(visit: Visit) -> type[VisitPageForm]:
    base = build_visit_form(visit.checklist_version, visit.type, visit.hall.type)
    attrs: dict[str, Any] = {}
    items = applicable_items(visit.checklist_version.definition, visit.type, visit.hall.type)
    if not any(item.kind is ItemKind.STAFF for item in items):
        attrs["served"] = StaffField(_l("Job numbers of the staff who served you"),
                                     render_kw={"autocomplete": "off", "placeholder": _l("e.g. 1001, 1002")})
    return type(f"VisitPage_{base.__name__}", (VisitPageForm, base), attrs)


def initial_values(visit: Visit) -> dict[str, Any]:
    """The form's initial data from the visit's latest submission (a returned visit) or its start."""
    from surveyapp.visits.services import latest_revision

    revision = latest_revision(visit)
    zone = clock.company_tz()
    if revision is None:
        visited = visit.visited_at or clock.now()
        return {"data": {"visited_at": visited.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)}}
    content = Content.from_json(revision.content)
    data: dict[str, Any] = {
        "visited_at": content.visited_at.astimezone(zone).replace(tzinfo=None),
        "scenario": content.scenario, "impression": content.impression, "served": list(content.staff) or None,
    }
    return {"data": data, "answers": dict(content.answers), "remarks": dict(content.remarks)}


def field_errors(form: FlaskForm) -> dict[str, list[str]]:
    """The form's errors by field name, as text (for JSON answers)."""
    return {name: [str(m) for m in messages] for name, messages in form.errors.items() if name != "csrf_token"}


def page_names(form: FlaskForm, fields: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """A service's problems by the page's field names (the visit's ``staff`` is the page's ``served``)."""
    return {("served" if name == "staff" and "served" in form else name): list(messages) for name, messages in fields.items()}


def attach_errors(form: FlaskForm, fields: Mapping[str, list[str]]) -> None:
    """Show a service's per-field problems at the fields."""
    for name, messages in page_names(form, fields).items():
        target = form._fields.get(name)
        if target is None:
            form.form_errors.extend(messages)
        else:
            target.errors = [*target.errors, *messages]
