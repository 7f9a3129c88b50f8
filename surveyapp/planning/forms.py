"""Forms of planning: a visit planned by hand and the month plan."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, NumberRange, Regexp
from wtforms.widgets import HiddenInput

from surveyapp import inputs
from surveyapp.checklists.definition import VisitType
from surveyapp.checklists.labels import visit_type_label
from surveyapp.planning.month_plan import MAX_PER_HALL, MAX_WINDOWS
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


#: The form's count and checklist fields of each kind of visit.
COUNT_FIELDS = {VisitType.ANNOUNCED: "announced", VisitType.UNANNOUNCED: "unannounced", VisitType.SUPERVISOR: "supervisor"}


def _id(value: Any) -> int:
    """A chosen id, 0 for none (a kind without any checklist has nothing to choose)."""
    return inputs.whole_number(value) or 0


def _count(label: Any) -> IntegerField:
    return IntegerField(label, validators=[InputRequired(_l("Enter a number.")),
                                           NumberRange(0, MAX_PER_HALL, _l("From 0 to %(max)s.", max=MAX_PER_HALL))],
                        render_kw={"inputmode": "numeric", "min": 0, "max": MAX_PER_HALL})


class MonthPlanForm(Form):
    """What the automatic planner is asked for; the unit and checklist choices are set by the view."""

    month = StringField(_l("Month"), validators=[InputRequired(_l("Choose a month.")),
                                                  Regexp(r"^\d{4}-\d{2}$", message=_l("Give the month as YYYY-MM."))],
                        render_kw={"type": "month"})
    unit = SelectField(_l("Halls of"), coerce=int)
    announced = _count(_l("Announced inspections per hall"))
    unannounced = _count(_l("Unannounced visits per hall"))
    supervisor = _count(_l("Social supervisor visits per hall"))
    checklist_announced = SelectField(_l("Checklist for announced inspections"), coerce=_id, validate_choice=False)
    checklist_unannounced = SelectField(_l("Checklist for unannounced visits"), coerce=_id, validate_choice=False)
    checklist_supervisor = SelectField(_l("Checklist for social supervisor visits"), coerce=_id, validate_choice=False)
    windows = IntegerField(_l("Due windows in the month"), validators=[
        InputRequired(_l("Enter a number.")), NumberRange(1, MAX_WINDOWS, _l("From 1 to %(max)s.", max=MAX_WINDOWS))],
        render_kw={"inputmode": "numeric", "min": 1, "max": MAX_WINDOWS})

    def count(self, visit_type: VisitType) -> int:
        return int(getattr(self, COUNT_FIELDS[visit_type]).data or 0)

    def checklist(self, visit_type: VisitType) -> Any:
        return getattr(self, f"checklist_{COUNT_FIELDS[visit_type]}")


class ProposalForm(Form):
    """A state change of a proposal (adjust, save, discard, propose again), with the version the page showed."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
