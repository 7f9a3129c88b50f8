"""The visit form: a WTForms class built at run time from a checklist version (one field per applicable item).

Use::

    VisitForm = build_visit_form(version, visit.type, hall.type)   # a ChecklistVersion or a Definition
    form = VisitForm(answers=saved_answers, remarks=saved_remarks,    # initial values (a saved draft)
                     staff={"1001": "张三"}, evidence_counts={"appearance.uniform": 1},
                     complete=submitting)                             # True: everything must be answered
    if form.validate_on_submit():
        form.answers()        # {"appearance.uniform": "pass", "conduct.taboo": 0, ...} (canonical, see scoring)
        form.remarks()        # {"appearance.uniform": "左胸未佩戴工号牌"}
        form.photos()         # {"appearance.uniform": [FileStorage, ...]}

    {% from "checklists/_visit_form.html" import render_checklist %}
    {{ render_checklist(form) }}          {# inside your <form method="post" enctype="multipart/form-data"> #}

Field names: the answer to item ``"section.item"`` is posted as ``section.item``, its remark as
``section.item.remark`` and its photos as ``section.item.photos`` (ids cannot contain dots, so these
never collide). Legality of answers is decided by :mod:`surveyapp.checklists.scoring`, in one place.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from markupsafe import Markup, escape
from wtforms import Field, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError
from wtforms.widgets import html_params

from surveyapp import inputs
from surveyapp.checklists import scoring
from surveyapp.checklists.definition import (
    Definition,
    EvidenceRule,
    Item,
    ItemKind,
    Section,
    VisitType,
)
from surveyapp.i18n import localized
from surveyapp.org.models import HallType
from surveyapp.webforms import Form

MAX_REMARK = 1000
_JOB_NUMBER = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_-]*$")
_SEPARATORS = re.compile(r"[\s,，、;；]+")


class Localized:
    """A data label with Chinese and English variants, chosen when it is drawn (so a class serves both)."""

    __slots__ = ("en", "zh")

    def __init__(self, zh: str | None, en: str | None) -> None:
        self.zh, self.en = zh, en

    def __str__(self) -> str:
        return localized(self.zh, self.en)

    def __html__(self) -> str:
        return str(escape(str(self)))

    def __bool__(self) -> bool:
        return bool(self.zh or self.en)


# --- answer fields: each turns what was posted into the canonical answer or ``None`` (not answered) ---


@dataclass(frozen=True, slots=True)
class Option:
    """One radio button of an answer, ready for the template (cheaper than WTForms' per-option subfields)."""

    id: str
    value: str
    label: Any
    checked: bool


class OptionsMixin:
    """``options()`` for radio answers: the template draws the inputs itself, 40 items × 3–6 buttons each."""

    def options(self: Any) -> list[Option]:
        current = None if self.data is None else str(self.data)
        return [Option(f"{self.id}-{i}", c.value, c.label, c.value == current) for i, c in enumerate(self.choices)]


#: Made once: lazy labels are translated when drawn, so every request (and language) can share them.
NOT_APPLICABLE = SelectChoice(scoring.NA, _l("Not applicable"))
CHECK_CHOICES = (SelectChoice(scoring.PASS, _l("Pass")), SelectChoice(scoring.FAIL, _l("Fail")), NOT_APPLICABLE)


class CheckField(OptionsMixin, RadioField):
    """pass / fail / not applicable."""

    def __init__(self, label: Any = None, **kwargs: Any) -> None:
        super().__init__(label, choices=list(CHECK_CHOICES), validate_choice=False, coerce=str, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = valuelist[0] if valuelist and valuelist[0] else None


def _mark(value: str) -> int | str:
    return value if value == scoring.NA else int(value)


class ScaleField(OptionsMixin, RadioField):
    """0..points, or not applicable."""

    def __init__(self, label: Any = None, points: int = 1, **kwargs: Any) -> None:
        choices = [SelectChoice(str(n), str(n)) for n in range(points + 1)] + [NOT_APPLICABLE]
        # Coerced choices compare equal to the answer (3 == coerce("3")), which marks the checked one.
        super().__init__(label, choices=choices, validate_choice=False, coerce=_mark, **kwargs)

    def process_data(self, value: Any) -> None:
        self.data = value

    def process_formdata(self, valuelist: list[Any]) -> None:
        value = valuelist[0] if valuelist else ""
        self.data = None
        if value == scoring.NA:
            self.data = value
        elif value:
            mark = inputs.whole_number(value)
            if mark is None:
                raise ValueError(_l("Choose one of the marks."))
            self.data = mark


class CountWidget:
    """A number input and a "not applicable" box under the same name: one of them is sent."""

    def __call__(self, field: CountField, **kwargs: Any) -> Markup:
        kwargs.setdefault("id", field.id)
        disabled = kwargs.pop("disabled", False)
        number = html_params(type="number", name=field.name, value=field.number_value(), min=0, max=scoring.MAX_COUNT,
                             step=1, inputmode="numeric", disabled=disabled, **kwargs)
        na = html_params(type="checkbox", name=field.name, value=scoring.NA, checked=field.data == scoring.NA,
                         disabled=disabled, id=f"{kwargs['id']}-na")
        unit, na_label = escape(_l("times")), escape(_l("Not applicable"))
        return Markup(
            f'<span class="count-input"><input {number}> <span class="count-unit">{unit}</span></span>'
            f'<label class="opt opt-na"><input {na}> <span>{na_label}</span></label>'
        )


class CountField(Field):
    """How many times (0..999), or not applicable."""

    widget = CountWidget()

    def number_value(self) -> str:
        return str(self.data) if isinstance(self.data, int) else ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        values = [v.strip() for v in valuelist if isinstance(v, str) and v.strip()]
        self.data = None
        if scoring.NA in values:
            if len(values) > 1:
                raise ValueError(_l('Enter a number or tick "not applicable", not both.'))
            self.data = scoring.NA
        elif values:
            count = inputs.whole_number(values[0])
            if count is None:
                raise ValueError(_l("Enter a whole number of times."))
            self.data = count


class TextAnswerField(TextAreaField):
    """Free text; blank is no answer."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        text = (valuelist[0] if valuelist else "").strip()
        self.data = text or None

    def _value(self) -> str:
        return self.data or ""


class StaffField(StringField):
    """Job numbers (工号), separated by spaces, commas or 、."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        raw = valuelist[0] if valuelist else ""
        numbers = [n for n in _SEPARATORS.split(raw.strip()) if n]
        self.data = list(dict.fromkeys(numbers)) or None

    def _value(self) -> str:
        return ", ".join(self.data or [])

    def pre_validate(self, form: Any) -> None:
        for number in self.data or []:
            if not _JOB_NUMBER.match(number):
                raise ValidationError(_l("%(number)s is not a job number.", number=number))
            if form.staff is not None and number not in form.staff:
                raise ValidationError(_l("%(number)s is not a job number of this hall's staff.", number=number))


# --- the form class ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemFields:
    """The fields of one item: its answer, its remark and, when its evidence rule asks, its photos."""

    item: Item
    number: int
    answer: str
    remark: str
    photos: str | None


@dataclass(frozen=True)
class SectionFields:
    section: Section
    items: tuple[ItemFields, ...]


class VisitForm(Form):
    """Base of the classes :func:`build_visit_form` makes; the class carries its checklist and visit."""

    definition: ClassVar[Definition]
    visit_type: ClassVar[VisitType]
    hall_type: ClassVar[HallType]
    layout: ClassVar[tuple[SectionFields, ...]]
    #: (language, key) -> HTML drawn once (see :meth:`once`); each class made has its own.
    _html: ClassVar[dict[tuple[str, str], Markup]]
    max_remark: ClassVar[int] = MAX_REMARK

    def __init__(self, *args: Any, answers: Mapping[str, object] | None = None,
                 remarks: Mapping[str, str] | None = None, staff: Mapping[str, str] | None = None,
                 evidence_counts: Mapping[str, int] | None = None, complete: bool = False, **kwargs: Any) -> None:
        """
        :param answers: saved answers (canonical values) shown when nothing is posted.
        :param remarks: saved remarks by item key.
        :param staff: the hall's staff, job number → name; given, staff answers must be among them.
        :param evidence_counts: photos already stored per item key (they satisfy the evidence rules).
        :param complete: submitting: every applicable scored and required item must be answered and
            every photo the evidence rules ask for must be there. Drafts (``False``) check only legality.
        """
        data = dict(kwargs.pop("data", None) or {})
        data.update({key: value for key, value in (answers or {}).items() if key in self._keys})
        data.update({f"{key}.remark": text for key, text in (remarks or {}).items() if key in self._keys})
        super().__init__(*args, data=data, **kwargs)
        self.staff = dict(staff) if staff is not None else None
        self.evidence_counts = dict(evidence_counts or {})
        self.complete = complete

    @property
    def _keys(self) -> set[str]:
        return {f.item.key for s in self.layout for f in s.items}

    def once(self, key: str, render: Callable[..., str], *args: Any) -> Markup:
        """HTML that depends only on the checklist and the language (an item's text, badges and guidance), drawn
        by ``render(*args)`` once per form class and language: the phone page's form class is made once per
        checklist version (:func:`surveyapp.visits.forms.visit_page_form`), so this is once per process."""
        language = self.__dict__.get("_language")
        if language is None:  # once per form (one request): asking Flask-Babel costs more than the lookup
            language = self.__dict__["_language"] = str(get_locale())
        cache_key = (language, key)
        html = self._html.get(cache_key)
        if html is None:
            html = self._html[cache_key] = Markup(render(*args))
        return html

    def options_html(self, fields: ItemFields, readonly: bool, render: Callable[..., str]) -> Markup:
        """The radio buttons of a check or scale item, drawn by ``render(field, readonly)`` once per form class,
        language, answer and ``readonly`` (an answer that is none of the choices, e.g. posted by a faulty
        client, is drawn every time rather than kept)."""
        field = self[fields.answer]
        current = None if field.data is None else str(field.data)
        if current is not None and current not in {choice.value for choice in field.choices}:
            return Markup(render(field, readonly))
        return self.once(f"{field.name}\0{current}\0{bool(readonly)}", render, field, readonly)

    def item_fields(self) -> list[ItemFields]:
        return [f for section in self.layout for f in section.items]

    def answers(self) -> dict[str, object]:
        """Every given answer, by item key, as the canonical values :mod:`scoring` takes."""
        return {f.item.key: self[f.answer].data for f in self.item_fields() if self[f.answer].data is not None}

    def remarks(self) -> dict[str, str]:
        """Every non-blank remark, by item key."""
        return {f.item.key: (self[f.remark].data or "").strip() for f in self.item_fields()
                if (self[f.remark].data or "").strip()}

    def photos(self) -> dict[str, list[Any]]:
        """Uploaded photos (``FileStorage``) by item key; storing them is the caller's job."""
        return {f.item.key: list(self[f.photos].data) for f in self.item_fields()
                if f.photos and self[f.photos].data}

    def validate(self, extra_validators: Any = None) -> bool:
        super().validate(extra_validators)
        answers = self.answers()
        by_key = {f.item.key: f for f in self.item_fields()}
        problems = scoring.validate_answers(self.definition, self.visit_type, self.hall_type, answers,
                                            complete=self.complete)
        for problem in problems:
            field = self[by_key[problem.key].answer]
            if not field.errors:
                field.errors = [*field.errors, problem.message]
        if self.complete:
            for fields in by_key.values():
                self._check_evidence(fields, answers.get(fields.item.key))
        return not self.errors

    def _check_evidence(self, fields: ItemFields, answer: object) -> None:
        if fields.photos is None or answer is None or not scoring.needs_evidence(fields.item, answer):
            return
        if self.evidence_counts.get(fields.item.key, 0) or self[fields.photos].data:
            return
        field = self[fields.photos]
        message = (_l("This item needs a photo.") if fields.item.evidence is EvidenceRule.REQUIRED
                   else _l("Add a photo of what failed."))
        field.errors = [*field.errors, message]


def _answer_field(item: Item) -> Field:
    label = Localized(item.text, item.text_en)
    if item.kind is ItemKind.CHECK:
        return CheckField(label)
    if item.kind is ItemKind.COUNT:
        return CountField(label)
    if item.kind is ItemKind.SCALE:
        return ScaleField(label, points=item.points or 0)
    if item.kind is ItemKind.TEXT:
        return TextAnswerField(label, validators=[Length(max=scoring.MAX_TEXT_ANSWER)])
    return StaffField(label, render_kw={"autocomplete": "off", "placeholder": _l("e.g. 1001, 1002")})


def build_visit_form(checklist: Any, visit_type: VisitType | str, hall_type: HallType | str) -> type[VisitForm]:
    """A form class for a visit of ``visit_type`` to a hall of ``hall_type`` with this checklist.

    :param checklist: a ``ChecklistVersion`` or a :class:`Definition`.
    :return: a :class:`VisitForm` subclass with, for each applicable item in form order, an answer field
        (check: radio pass/fail/na; count: number or na; scale: radio 0..points or na; text: textarea;
        staff: job numbers), a remark field and, unless its evidence rule is ``none``, a photo field.
    """
    definition: Definition = getattr(checklist, "definition", checklist)
    visit_type, hall_type = VisitType(visit_type), HallType(hall_type)
    attrs: dict[str, Any] = {"definition": definition, "visit_type": visit_type, "hall_type": hall_type}
    layout = []
    number = 0
    for section in definition.sections:
        fields = []
        for item in section.items:
            if not item.applies(visit_type, hall_type):
                continue
            number += 1
            photos = None if item.evidence is EvidenceRule.NONE else f"{item.key}.photos"
            attrs[item.key] = _answer_field(item)
            attrs[f"{item.key}.remark"] = TextAreaField(_l("Remark"), validators=[Optional(), Length(max=MAX_REMARK)],
                                                        render_kw={"rows": 2})
            if photos:
                attrs[photos] = MultipleFileField(_l("Photos"), render_kw={"accept": "image/*"})
            fields.append(ItemFields(item, number, item.key, f"{item.key}.remark", photos))
        if fields:
            layout.append(SectionFields(section, tuple(fields)))
    attrs["layout"], attrs["_html"] = tuple(layout), {}
    return type(f"VisitForm_{definition.id}_{definition.version}", (VisitForm,), attrs)
