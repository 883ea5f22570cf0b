"""The questionnaire schema: what a module's YAML/JSON file may say.

Every model forbids unknown fields, so a misspelt field is an error that the
loader reports with its file and line. Cross-references (item ids in
``show_if``, scale names, scoring items) are checked in ``loader.py``.
"""
from __future__ import annotations

from typing import Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ITEM_TYPES = (
    "single_choice", "multi_choice", "likert", "yes_no", "criterion",
    "number", "short_text", "long_text",
)
TEXT_TYPES = ("short_text", "long_text")
CHOICE_TYPES = ("single_choice", "multi_choice", "likert")
ID_PATTERN = r"^[a-z][a-z0-9_]*$"
QID_PATTERN = r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$"
OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "contains")

# School levels of the organisation tree (mầm non, tiểu học, THCS, THPT, GDTX), in school order.
SCHOOL_LEVELS = ("mam_non", "tieu_hoc", "thcs", "thpt", "gdtx")
SchoolLevel = Literal["mam_non", "tieu_hoc", "thcs", "thpt", "gdtx"]

# Criterion answers are stored as small integers so reports can GROUP BY them.
CRITERION_MET, CRITERION_NOT_MET, CRITERION_NA = 1, 0, 2
YES, NO = 1, 0


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=False)


class Text(Strict):
    """A visible string in both required locales."""

    vi: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, locale: str) -> str:
        return self.en if locale == "en" else self.vi


class Option(Strict):
    value: int = Field(ge=-1000, le=1000)
    text: Text


class Condition(Strict):
    """``{item|score|context: name, <operator>: value}`` or ``all``/``any``/``not``."""

    item: Optional[str] = None
    score: Optional[str] = None
    context: Optional[str] = None
    eq: Optional[Union[int, float, str, bool]] = None
    ne: Optional[Union[int, float, str, bool]] = None
    gt: Optional[float] = None
    gte: Optional[float] = None
    lt: Optional[float] = None
    lte: Optional[float] = None
    in_: Optional[list[Union[int, str]]] = Field(default=None, alias="in")
    contains: Optional[int] = None
    all: Optional[list["Condition"]] = None
    any: Optional[list["Condition"]] = None
    not_: Optional["Condition"] = Field(default=None, alias="not")

    @model_validator(mode="after")
    def _one_form(self) -> "Condition":
        subjects = [s for s in ("item", "score", "context") if getattr(self, s) is not None]
        groups = [g for g in ("all", "any", "not_") if getattr(self, g) is not None]
        ops = [o for o in ("eq", "ne", "gt", "gte", "lt", "lte", "in_", "contains")
               if getattr(self, o) is not None]
        if groups:
            if len(groups) > 1 or subjects or ops:
                raise ValueError("use exactly one of all / any / not, with nothing beside it")
            return self
        if len(subjects) != 1:
            raise ValueError("a condition names exactly one of item, score or context")
        if len(ops) != 1:
            raise ValueError("a condition has exactly one operator: " + ", ".join(OPERATORS))
        return self


class Item(Strict):
    id: str = Field(pattern=ID_PATTERN, max_length=40)
    type: Literal[ITEM_TYPES]  # type: ignore[valid-type]
    text: Text
    code: Optional[str] = Field(default=None, max_length=20)
    help: Optional[Text] = None
    required: bool = True
    scale: Optional[str] = None
    options: Optional[list[Option]] = None
    reverse: bool = False
    show_if: Optional[Condition] = None
    min: Optional[int] = None
    max: Optional[int] = None
    max_length: Optional[int] = Field(default=None, ge=1, le=10000)
    mandatory: bool = False
    allow_na: bool = False
    evidence: Optional[Text] = None
    provenance: Optional[Literal["verbatim", "paraphrased"]] = None
    source: Optional[str] = None
    core: bool = True

    @model_validator(mode="after")
    def _type_fields(self) -> "Item":
        if self.type in CHOICE_TYPES and not (self.scale or self.options):
            raise ValueError(f"a {self.type} item needs 'scale' or 'options'")
        if self.scale and self.options:
            raise ValueError("give 'scale' or 'options', not both")
        if self.type not in CHOICE_TYPES and (self.scale or self.options):
            raise ValueError(f"a {self.type} item takes no 'scale' or 'options'")
        if self.type != "criterion" and (self.mandatory or self.allow_na or self.evidence):
            raise ValueError("'mandatory', 'allow_na' and 'evidence' are for criterion items")
        if self.type != "number" and (self.min is not None or self.max is not None):
            raise ValueError("'min' and 'max' are for number items")
        if self.type == "number" and self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("'min' is greater than 'max'")
        if self.type not in TEXT_TYPES and self.max_length is not None:
            raise ValueError("'max_length' is for text items")
        if self.reverse and self.type not in ("likert", "single_choice"):
            raise ValueError("'reverse' is for likert and single_choice items")
        return self


class Section(Strict):
    id: str = Field(pattern=ID_PATTERN, max_length=40)
    title: Text
    intro: Optional[Text] = None
    show_if: Optional[Condition] = None
    source: Optional[str] = None
    items: list[Item] = Field(min_length=1)


class Band(Strict):
    """Scores from ``min`` (inclusive) up to ``max`` (inclusive) or ``below`` (exclusive);
    with neither, every score from ``min`` up."""

    id: str = Field(pattern=ID_PATTERN)
    min: float
    max: Optional[float] = None
    below: Optional[float] = None
    label: Text
    needs_review: bool = False

    @model_validator(mode="after")
    def _one_upper_bound(self) -> "Band":
        if self.max is not None and self.below is not None:
            raise ValueError("give 'max' or 'below', not both")
        if self.below is not None and self.below <= self.min:
            raise ValueError("'below' must be greater than 'min'")
        return self

    def contains(self, score: float) -> bool:
        if score < self.min:
            return False
        if self.below is not None:
            return score < self.below
        return self.max is None or score <= self.max


class ItemSelector(Strict):
    """Select items by attribute instead of listing them."""

    type: Optional[str] = None
    section: Optional[str] = None
    mandatory: Optional[bool] = None


class ScaleDef(Strict):
    id: str = Field(pattern=ID_PATTERN)
    label: Text
    method: str = "sum"
    items: Union[list[str], ItemSelector]
    params: dict[str, Union[int, float, str, list[int]]] = Field(default_factory=dict)
    multiplier: float = 1
    weights: dict[str, float] = Field(default_factory=dict)
    bands: list[Band] = Field(default_factory=list)
    # How an unanswered optional item counts: zero (as 0), skip (left out), prorate (as the
    # mean of the answered items). Without a rule an optional item may not be in the scale.
    missing: Optional[Literal["zero", "skip", "prorate"]] = None
    source: Optional[str] = None

    @field_validator("bands")
    @classmethod
    def _bands_ordered(cls, bands: list[Band]) -> list[Band]:
        for previous, band in zip(bands, bands[1:]):
            if previous.contains(band.min) or (previous.max is None and previous.below is None) or \
                    band.min < previous.min:
                raise ValueError(f"band '{band.id}' overlaps band '{previous.id}' (bands go low to high)")
        for band in bands:
            if band.max is not None and band.max < band.min:
                raise ValueError(f"band '{band.id}' has max below min")
        return bands


class RiskRule(Strict):
    id: str = Field(pattern=ID_PATTERN)
    when: Condition
    label: Text
    # Said to the respondent on the help page when the rule is met (the label is for staff).
    help: Optional[Text] = None


class OutcomeRule(Strict):
    when: Condition
    result: str = Field(pattern=ID_PATTERN)


class Outcome(Strict):
    """An overall classification, e.g. a safe-school result: first matching rule wins."""

    id: str = Field(pattern=ID_PATTERN)
    rules: list[OutcomeRule] = Field(min_length=1)
    default: str = Field(pattern=ID_PATTERN)
    labels: dict[str, Text]
    source: Optional[str] = None


class Scoring(Strict):
    scales: list[ScaleDef] = Field(default_factory=list)
    primary: Optional[str] = None
    risk: list[RiskRule] = Field(default_factory=list)
    outcome: Optional[Outcome] = None


class Population(Strict):
    """Who a questionnaire is for: the school levels and grades it applies to (empty: all).

    A campaign of it expects answers from these schools and classes only, so participation,
    laggards and indicators are computed over them."""

    levels: list[SchoolLevel] = Field(default_factory=list)
    grades: list[int] = Field(default_factory=list)

    @field_validator("grades")
    @classmethod
    def _grades(cls, grades: list[int]) -> list[int]:
        if any(not 1 <= g <= 12 for g in grades):
            raise ValueError("grades must be from 1 to 12")
        return sorted(set(grades))


class Translation(Strict):
    status: Literal["validated", "not_validated"]
    note: Text


class Questionnaire(Strict):
    schema_version: Literal[1]
    id: str = Field(pattern=QID_PATTERN, max_length=60)
    version: str = Field(min_length=1, max_length=20)
    title: Text
    description: Optional[Text] = None
    locales: list[str]
    source: str = Field(min_length=1)
    licence: str = Field(min_length=1)
    translation: Optional[Translation] = None
    # A kind of surveyapp/data/respondent_kinds.yaml (student, parent, staff): checked in loader.py.
    respondent: str = Field(default="student", pattern=ID_PATTERN, max_length=40)
    anonymous: bool = True
    applies_to: Population = Field(default_factory=Population)
    withheld: Optional[Text] = None
    scales: dict[str, list[Option]] = Field(default_factory=dict)
    sections: list[Section] = Field(default_factory=list)
    scoring: Optional[Scoring] = None

    @field_validator("locales")
    @classmethod
    def _locales(cls, locales: list[str]) -> list[str]:
        if not {"vi", "en"} <= set(locales):
            raise ValueError("locales must include vi and en")
        return locales

    @property
    def module(self) -> str:
        return self.id.split(".", 1)[0]

    @model_validator(mode="after")
    def _usable(self) -> "Questionnaire":
        if self.withheld is None and not self.sections:
            raise ValueError("a questionnaire needs at least one section (or 'withheld' with the reason)")
        return self
