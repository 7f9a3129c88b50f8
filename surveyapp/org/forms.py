"""Forms for units, halls and staff. Rules (unique codes, no cycles) live in the services."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import FloatField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from surveyapp.org.models import HallType
from surveyapp.org.queries import TreeNode
from surveyapp.webforms import Form, strip


def unit_choices(nodes: list[TreeNode], empty_label: object | None = None, exclude: set[int] = frozenset(),
                 by_code: bool = False) -> list[SelectChoice]:
    """Units as an indented select list (depth-first) valued by id (or code), leaving out ``exclude``."""
    choices = [SelectChoice("", str(empty_label))] if empty_label is not None else []
    for node in nodes:
        if node.unit.id in exclude:
            continue
        mark = "" if node.unit.active else " " + str(_l("(deactivated)"))
        label = "\u3000" * node.depth + f"{node.unit.name} ({node.unit.code}){mark}"
        choices.append(SelectChoice(node.unit.code if by_code else str(node.unit.id), label))
    return choices


class UnitForm(Form):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32)], filters=[strip],
                       description=_l("Unique, e.g. JZ02; used in import files."))
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)], filters=[strip])
    parent = SelectField(_l("Parent unit"), validate_choice=True)


class HallForm(Form):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32)], filters=[strip],
                       description=_l("Unique, e.g. H0101; used in import files and by hall managers."))
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)], filters=[strip])
    type = SelectField(_l("Type"), choices=[SelectChoice(HallType.SELF_RUN.value, _l("Self-run")),
                                                SelectChoice(HallType.COOPERATIVE.value, _l("Cooperative"))])
    unit = SelectField(_l("Unit"), validators=[DataRequired()])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=200)], filters=[strip])
    latitude = FloatField(_l("Latitude"), validators=[Optional()],
                          description=_l("Degrees, e.g. 31.230416; optional. With the longitude, visits and photos are "
                                         "checked against the hall's place."))
    longitude = FloatField(_l("Longitude"), validators=[Optional()], description=_l("Degrees, e.g. 121.473701; optional."))


class StaffForm(Form):
    job_number = StringField(_l("Job number"), validators=[DataRequired(), Length(max=32)], filters=[strip],
                             description=_l("Unique job number (工号)."))
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)], filters=[strip])
    hall = StringField(_l("Hall code"), validators=[DataRequired(), Length(max=32)], filters=[strip],
                       description=_l("Another hall's code moves the employee there."))
