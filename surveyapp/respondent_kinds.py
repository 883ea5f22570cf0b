"""Who answers a questionnaire, and how the respondent pages speak to them. One place.

A questionnaire's ``respondent:`` names a kind of ``data/respondent_kinds.yaml``
(student, parent, staff). Every respondent page (start, thank you, not available, help
after a risk answer) takes its wording and help contacts from ``page_words``, and the
core asks ``kind_of`` how the kind answers (access codes or a staff account), whether
small groups are hidden and how many answers a school should give. Modules add help
content through ``respondent_help``; which contacts are shown is decided here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal, Optional

from pydantic import Field, ValidationError

from .questionnaire.loader import Problem, QuestionnaireError, parse_text, pydantic_problems
from .questionnaire.schema import ID_PATTERN, Strict, Text

KINDS_FILE = Path(__file__).parent / "data" / "respondent_kinds.yaml"
DEFAULT_KIND = "student"  # pages reached without a campaign (a typed code not found yet)


class Contact(Strict):
    number: str = Field(min_length=2, max_length=20, pattern=r"^[0-9 +]+$")
    name: Text
    hours: Optional[Text] = None
    lead: Optional[Text] = None      # the sentence above a primary contact's number
    primary: bool = False
    verified: bool                   # false: the number or hours must be re-checked before release


class Wording(Strict):
    anonymous: Text
    anonymous_detail: Text
    thanks_title: Text
    thanks: Text
    busy: Text                       # many sending at once: press Send again
    unavailable: Text
    help_title: Text
    help_intro: Text
    contacts_title: Text
    school_contact: Text
    school_default: Text
    steps_title: Text
    steps: list[Text] = Field(min_length=1)


class Kind(Strict):
    name: Text
    answers_with: Literal["access_code", "sign_in"]
    small_groups_hidden: bool
    expected: Literal["class_size", "one_per_school"]
    wording: Wording
    contacts: list[Contact] = Field(min_length=1)

    @property
    def takes_codes(self) -> bool:
        return self.answers_with == "access_code"


class KindsFile(Strict):
    kinds: dict[str, Kind]


def load(path: Path = KINDS_FILE) -> dict[str, Kind]:
    """Read and check the file; a problem raises ``QuestionnaireError`` as file:line: field."""
    filename = str(path)
    data, lines = parse_text(path.read_text(encoding="utf-8"), filename)
    try:
        kinds = KindsFile.model_validate(data).kinds
    except ValidationError as exc:
        raise QuestionnaireError(pydantic_problems(exc, filename, lines)) from None
    problems = [Problem(filename, lines.get(("kinds", name), 1), f"kinds.{name}", "a kind's id is lower-case "
                        "letters, digits and _") for name in kinds if not _is_id(name)]
    problems += [Problem(filename, lines.get(("kinds", name, "contacts"), 1), f"kinds.{name}.contacts",
                         "needs at least one primary contact") for name, kind in kinds.items()
                 if not any(c.primary for c in kind.contacts)]
    if DEFAULT_KIND not in kinds:
        problems.append(Problem(filename, 1, "kinds", f"the kind '{DEFAULT_KIND}' is required"))
    if problems:
        raise QuestionnaireError(problems)
    return kinds


def _is_id(name: str) -> bool:
    return re.fullmatch(ID_PATTERN, name) is not None


@lru_cache(maxsize=1)
def kinds() -> dict[str, Kind]:
    return load()


def known() -> list[str]:
    return sorted(kinds())


def kind_of(name: str | None) -> Kind:
    """The kind named by a questionnaire (validated on load, so a stored one is known)."""
    return kinds()[name or DEFAULT_KIND]


def by_class(definition) -> bool:
    """Whether answers come class by class, as the questionnaire's respondent kind says. A staff
    form (e.g. a school's self-assessment) is one per school: no class or grade breakdown in its
    workbook or on its pages."""
    return kind_of(definition.model.respondent).expected == "class_size"


def of_campaign(campaign) -> str:
    """The respondent kind of a campaign's stored questionnaire (works without its module)."""
    if not campaign:  # None, or a template's undefined variable
        return DEFAULT_KIND
    from .campaigns import definition_of
    return definition_of(campaign).model.respondent


@dataclass(frozen=True)
class ContactLine:
    number: str
    name: str
    name_vi: str
    hours: str | None
    lead: str | None
    primary: bool


@dataclass(frozen=True)
class PageWords:
    """Everything a respondent page says that depends on who is answering, in one locale."""

    kind: str
    anonymous: str
    anonymous_detail: str
    thanks_title: str
    thanks: str
    busy: str
    unavailable: str
    help_title: str
    help_intro: str
    contacts_title: str
    school_contact: str
    school_default: str
    steps_title: str
    steps: tuple[str, ...]
    contacts: tuple[ContactLine, ...]


def page_words(name: str | None, locale: str, min_group: int) -> PageWords:
    kind = kind_of(name)
    words = kind.wording
    texts = {field: getattr(words, field).get(locale).replace("{n}", str(min_group))
             for field in Wording.model_fields if field != "steps"}
    return PageWords(kind=name or DEFAULT_KIND, steps=tuple(step.get(locale) for step in words.steps),
                     contacts=contact_lines(name, locale), **texts)


def contact_lines(name: str | None, locale: str) -> tuple[ContactLine, ...]:
    """The help contacts of a kind, for a module's own respondent pages (e.g. a help page)."""
    return tuple(_line(c, locale) for c in kind_of(name).contacts)


def words_for(campaign) -> PageWords:
    """The words of a respondent page about ``campaign`` (None: before a campaign is known)."""
    from flask import current_app
    from flask_babel import get_locale
    return page_words(of_campaign(campaign), str(get_locale()), current_app.config["MIN_GROUP_SIZE"])


def _line(contact: Contact, locale: str) -> ContactLine:
    return ContactLine(contact.number, contact.name.get(locale), contact.name.vi,
                       contact.hours.get(locale) if contact.hours else None,
                       contact.lead.get(locale) if contact.lead else None, contact.primary)
