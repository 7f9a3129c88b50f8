"""Forms of the feedback pages: the hall's rectification and appeal, the market department's decisions."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import IntegerField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from surveyapp.feedback.services import MAX_TEXT
from surveyapp.webforms import Form, strip

PHOTO_ACCEPT = {"accept": "image/jpeg,image/png,image/heic,image/heif,.jpg,.jpeg,.png,.heic", "data-pick": _l("Choose photos")}


class _Versioned(Form):
    #: The finding's version the page was drawn with (optimistic locking).
    version = IntegerField(widget=HiddenInput(), validators=[DataRequired()])


class RectifyForm(_Versioned):
    text = TextAreaField(_l("What was done"), filters=[strip], render_kw={"rows": 4},
                         validators=[InputRequired(_l("Describe what was done to rectify the finding.")), Length(max=MAX_TEXT)])
    photos = MultipleFileField(_l("Photos (optional)"), id="rectify-photos", render_kw=PHOTO_ACCEPT)


class AppealForm(_Versioned):
    reason = TextAreaField(_l("Reason for the appeal"), filters=[strip], render_kw={"rows": 4},
                           validators=[InputRequired(_l("Give the reason for the appeal.")), Length(max=MAX_TEXT)])
    photos = MultipleFileField(_l("Evidence photos (optional)"), id="appeal-photos", render_kw=PHOTO_ACCEPT)


class CheckForm(_Versioned):
    """Verify or reopen a rectification (which one: the ``action`` button)."""

    comment = TextAreaField(_l("Comment (required to reopen)"), filters=[strip], render_kw={"rows": 2},
                            validators=[Optional(), Length(max=MAX_TEXT)])


class DecideForm(_Versioned):
    """Uphold or reject an appeal (which one: the ``action`` button)."""

    corrected_to = RadioField(_l("If upheld, the answer becomes"), default="pass",
                              choices=[SelectChoice("pass", _l("Pass (full points)")),
                                       SelectChoice("na", _l("Not applicable"))])
    reason = TextAreaField(_l("Reason (required to reject)"), filters=[strip], render_kw={"rows": 2},
                           validators=[Optional(), Length(max=MAX_TEXT)])
