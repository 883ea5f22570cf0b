"""Disclosure control in one place: every published figure, on screen and in files, passes here.

- :func:`release_for` — the campaign's hidden-cell set, decided once over every
  breakdown published together (units at every depth, schools, school levels,
  grades, classes) and cached for the request or export;
- :mod:`.figures` — grouped figures for modules, already suppressed;
- :func:`mask` — the masking of free text (phones, e-mails, likely names);
- :mod:`.audit` — the exact rank test that no hidden figure can be worked out.
"""
from __future__ import annotations

from .extra import extra_figures
from .figures import Figure, band_counts, counts, distributions, filtered, score_means, single
from .items import hide_items, item_release, partial_items
from .labels import reason_text, rule_text
from .release import Release, init_app, offer_counts, one_release, release_for, threshold
from .suppress import COMPLEMENTARY, SMALL, protect_counts
from .texts import free_text_allowed, free_texts, text_threshold
from .textmask import CheckedText, likely_names, mask

__all__ = ["COMPLEMENTARY", "SMALL", "CheckedText", "Figure", "Release", "band_counts", "counts", "distributions",
           "extra_figures", "filtered", "free_text_allowed", "free_texts", "hide_items", "init_app", "item_release",
           "likely_names", "mask", "offer_counts", "one_release", "partial_items", "protect_counts", "reason_text",
           "release_for", "rule_text", "score_means", "single", "text_threshold", "threshold"]
