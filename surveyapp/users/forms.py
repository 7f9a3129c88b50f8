"""The administrator's account forms."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from surveyapp.auth.labels import ROLE
from surveyapp.webforms import Form, strip


class UserForm(Form):
    """An account as the administrator edits it: one role, and the scope that role needs."""

    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)], filters=[strip],
                           render_kw={"autocapitalize": "none", "autocomplete": "off"},
                           description=_l("Letters, digits, dots, hyphens, underscores or @; case does not matter."))
    display_name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=100)], filters=[strip])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=254)], filters=[strip])
    role = SelectField(_l("Role"), choices=[SelectChoice(r.value, label) for r, label in ROLE.items()],
                       description=_l("Each account has exactly one role, so no one can both submit and validate visits."))
    external = BooleanField(_l("Social supervisor (from outside the company)"))
    halls = StringField(_l("Halls (hall managers)"), filters=[strip],
                        description=_l("Hall codes separated by ; e.g. H0101;H0102"))
    units = SelectMultipleField(_l("Units covered (supervisors)"), coerce=str, validate_choice=True,
                                description=_l("The supervisor may visit the halls of these units and the units below them."))
    password = PasswordField(_l("Initial password"), validators=[Optional(), Length(min=8, max=256)],
                             render_kw={"autocomplete": "new-password"},
                             description=_l("Optional: without one the account cannot log in until you set a password."))


class ResetPasswordForm(Form):
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=8, max=256)], render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Repeat the new password"), validators=[DataRequired(), EqualTo("new", message=_l("The two passwords differ."))],
                            render_kw={"autocomplete": "new-password"})
