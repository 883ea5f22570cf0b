"""The safeguarding keyword check: Vietnamese with and without diacritics.

A phrase matches word by word. A word typed with diacritics must equal the
phrase's word; a word typed without any diacritics matches the phrase's word
with its diacritics removed. So "tu tu" and "tự tử" both match "tự tử", while
"bí danh" (an alias) does not match "bị đánh".
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

KEYWORDS_FILE = Path(__file__).parent / "data" / "safeguarding_keywords.txt"
WORD = re.compile(r"\w+", re.UNICODE)


def strip_marks(text: str) -> str:
    """Remove Vietnamese diacritics: 'đánh' -> 'danh'."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


def words(text: str) -> list[str]:
    return WORD.findall(unicodedata.normalize("NFC", text or "").lower())


@dataclass(frozen=True)
class Phrase:
    category: str
    words: tuple[str, ...]
    plain: tuple[str, ...]


@lru_cache(maxsize=1)
def phrases() -> tuple[Phrase, ...]:
    found = []
    for line in KEYWORDS_FILE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or ":" not in line:
            continue
        category, phrase = (part.strip() for part in line.split(":", 1))
        tokens = tuple(words(phrase))
        if tokens:
            found.append(Phrase(category, tokens, tuple(strip_marks(t) for t in tokens)))
    return tuple(found)


def _word_matches(typed: str, word: str, plain: str) -> bool:
    if typed == word:
        return True
    return strip_marks(typed) == typed and typed == plain


def _phrase_at(text_words: list[str], start: int, phrase: Phrase) -> bool:
    if start + len(phrase.words) > len(text_words):
        return False
    return all(_word_matches(text_words[start + i], w, p) for i, (w, p) in enumerate(zip(phrase.words, phrase.plain)))


def check(text: str) -> list[str]:
    """The safeguarding categories the text touches (sorted, empty when none)."""
    text_words = words(text)
    hits = set()
    for phrase in phrases():
        if phrase.category not in hits and any(_phrase_at(text_words, i, phrase) for i in range(len(text_words))):
            hits.add(phrase.category)
    return sorted(hits)
