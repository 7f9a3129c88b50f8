"""The notice's forms: starting a month, editing the text, publishing (a revision needs its reason)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from surveyapp.notices import narrative
from surveyapp.notices.models import FORMAL_KEYS
from surveyapp.notices.services import MAX_DOC_NUMBER, MAX_FORMAL_LINE, MAX_REASON
from surveyapp.webforms import Form, strip


class NewNoticeForm(Form):
    period = StringField(_l("Month"), validators=[DataRequired(_l("Choose the month."))], filters=[strip],
                         render_kw={"type": "month"})


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class NoticeTextForm(Form):
    """The text of the next publication: a document number, the narrative of each section, the typical cases."""

    version = HiddenField(validators=[DataRequired(_l("The page is out of date: reload it."))])
    doc_number = StringField(_l("Document number"), validators=[Optional(), Length(max=MAX_DOC_NUMBER)],
                             filters=[strip], description=_l("Printed under the title, e.g. 市场〔2026〕45号."))
    layout = RadioField(_l("Layout"), choices=[
        SelectChoice("report", _l("Report: title, sections and signature")),
        SelectChoice("formal", _l("Formal company document: issuing unit, document number, addressee and distribution lines"))],
        default="report")
    issuing_unit = StringField(_l("Issuing unit"), validators=[Optional(), Length(max=MAX_FORMAL_LINE)],
                               filters=[strip], description=_l("Printed in red at the top: the company's name and the word for document."))
    main_to = StringField(_l("Main recipients"), validators=[Optional(), Length(max=MAX_FORMAL_LINE)],
                          filters=[strip], description=_l("Also the addressee line under the title."))
    report_to = StringField(_l("Reported to"), validators=[Optional(), Length(max=MAX_FORMAL_LINE)],
                            filters=[strip], description=_l("Optional: the superior bodies informed."))
    copy_to = StringField(_l("Copied to"), validators=[Optional(), Length(max=MAX_FORMAL_LINE)],
                          filters=[strip], description=_l("Optional: other departments that get a copy."))
    overview = TextAreaField(narrative.SECTIONS["overview"], validators=[Length(max=narrative.MAX_LENGTH)])
    problems = TextAreaField(narrative.SECTIONS["problems"], validators=[Length(max=narrative.MAX_LENGTH)])
    commendations = TextAreaField(narrative.SECTIONS["commendations"], validators=[Length(max=narrative.MAX_LENGTH)])
    money = TextAreaField(narrative.SECTIONS["money"], validators=[Length(max=narrative.MAX_LENGTH)])
    instructions = TextAreaField(narrative.SECTIONS["instructions"], validators=[Length(max=narrative.MAX_LENGTH)])
    auto_cases = BooleanField(_l("Choose the typical cases from the figures (red lines and findings with photos first)"))
    cases = MultiCheckboxField(_l("Typical cases"), choices=[], validate_choice=False)

    def formal_lines(self) -> dict[str, str]:
        return {key: getattr(self, key).data or "" for key in FORMAL_KEYS}

    def texts(self) -> dict[str, str]:
        return {key: getattr(self, key).data or "" for key in narrative.SECTIONS}


class PublishForm(Form):
    """Publishing exactly what was previewed: the draft's version, the preview's hash and time travel with the
    form; open work in the month needs the box ticked (it carries the counts it was shown)."""

    reason = TextAreaField(_l("Reason for the revision"), validators=[Optional(), Length(max=MAX_REASON)],
                           description=_l("Required for a revision: what is corrected and why (e.g. an upheld appeal)."))
    version = HiddenField()
    digest = HiddenField()
    previewed_at = HiddenField()
    open_token = HiddenField()
    confirm_open = BooleanField(_l("I have seen what is still open in this month and publish it anyway"))

    def preview(self, notice_version: int, digest: str, previewed_at: str, token: str) -> None:
        """Fill the hidden fields from the preview being shown."""
        self.version.data, self.digest.data = str(notice_version), digest
        self.previewed_at.data, self.open_token.data = previewed_at, token
        self.confirm_open.data = False

    def confirmed(self) -> str | None:
        return self.open_token.data if self.confirm_open.data else None
