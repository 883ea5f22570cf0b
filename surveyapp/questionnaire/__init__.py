"""Questionnaires as data: schema, loader, run-time definition and answer checks."""
from .answers import AnswerError, answers_from_list, check_answers, check_value
from .definition import MAX_SLOTS, Definition, evaluate
from .loader import Problem, QuestionnaireError, load_data, load_file, load_text

__all__ = ["AnswerError", "answers_from_list", "check_answers", "check_value", "MAX_SLOTS",
           "Definition", "evaluate", "Problem", "QuestionnaireError", "load_data", "load_file", "load_text"]
