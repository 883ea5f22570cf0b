"""WTForms built from questionnaire sections; answers are checked by the questionnaire rules."""
from __future__ import annotations

from typing import Any

from flask_babel import _
from flask_wtf import FlaskForm
from wtforms import IntegerField, RadioField, SelectMultipleField, StringField, TextAreaField, widgets

from .questionnaire import Definition, check_value
from .questionnaire.answers import is_blank
from .questionnaire.schema import Section


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _field_for(definition: Definition, item_id: str, locale: str):
    info = definition.items[item_id]
    item = info.item
    label = item.text.get(locale)
    description = item.help.get(locale) if item.help else ""
    choices = [(str(o.value), o.text.get(locale)) for o in info.options]
    kwargs = {"label": label, "description": description, "validators": []}
    if item.type in ("single_choice", "likert", "yes_no", "criterion"):
        return RadioField(choices=choices, validate_choice=False, **kwargs)
    if item.type == "multi_choice":
        return CheckboxesField(choices=choices, validate_choice=False, **kwargs)
    if item.type == "number":
        return IntegerField(**kwargs)
    if item.type == "long_text":
        return TextAreaField(**kwargs)
    return StringField(**kwargs)


def section_form(definition: Definition, section: Section, locale: str, answers: dict[str, Any],
                 formdata=None) -> FlaskForm:
    """A form for one section, pre-filled from ``answers`` (stored values)."""

    class SectionForm(FlaskForm):
        pass

    for item in section.items:
        setattr(SectionForm, item.id, _field_for(definition, item.id, locale))
    data = {item.id: _display_value(definition, item.id, answers.get(item.id)) for item in section.items}
    return SectionForm(formdata=formdata, data=data)


def _display_value(definition: Definition, item_id: str, value: Any) -> Any:
    info = definition.items[item_id]
    if value is None:
        return None
    if info.item.type == "multi_choice":
        if isinstance(value, list):
            return [str(v) for v in value]
        return [str(o.value) for o in info.options if value & (1 << o.value)]
    if info.item.type in ("single_choice", "likert", "yes_no", "criterion"):
        return str(value)
    return value


def read_section(definition: Definition, section: Section, formdata, *, require: bool,
                 answers: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str], dict[str, Any]]:
    """Read one section's posted values: (values to keep, errors by item id, known answers).

    Every value typed is kept, valid or not, so nothing is lost when the page is shown
    again with its errors. ``answers`` are the stored-form answers known so far; the
    third result is them with this section's valid values applied (what drives show_if)."""
    kept: dict[str, Any] = {}
    errors: dict[str, str] = {}
    known = dict(answers)
    for item in section.items:
        raw = formdata.getlist(item.id) if item.type == "multi_choice" else formdata.get(item.id)
        if item.type == "multi_choice":
            raw = [v for v in raw if v != ""]
        known.pop(item.id, None)
        if is_blank(raw, item.type):   # a multi_choice posted with no tick is answered: zero ticks
            kept[item.id] = None
            continue
        kept[item.id] = raw
        try:
            known[item.id] = check_value(definition, item.id, raw)
        except ValueError as exc:
            errors[item.id] = _plain_error(str(exc))
    if require:
        visible = definition.visible_items(known)
        for item in section.items:
            if item.id in visible and item.required and kept.get(item.id) is None and item.id not in errors:
                errors[item.id] = _("Please answer this question.")
    return kept, errors, known


def _plain_error(message: str) -> str:
    if message.startswith("at most"):
        limit = "".join(ch for ch in message if ch.isdigit())
        return _("The answer is too long: at most %(limit)s characters.", limit=limit)
    if "whole number" in message or "between" in message:
        return _("Please enter a whole number in the allowed range.")
    return _("Please choose one of the answers shown.")
