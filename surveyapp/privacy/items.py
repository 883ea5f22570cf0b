"""Answer counts of items not every respondent answers: one decision per such item.

A group published for the questionnaire (a school of 18) can hold only two answers to an optional
or conditional item ("did you tell an adult?", asked only of a student who was bullied). Its answer
counts are then a group of two, and its parent's counts minus its published siblings' give them
again. So each such item gets its own decision over the same breakdowns (``cells``), counted by who
answered it, with the same rule and audit as the release and starting from every group the release
already hides. The counts come from ONE narrow scan for all such items of a campaign.
"""
from __future__ import annotations

from typing import Hashable

from sqlalchemy import func, select

from ..collector import collector_paused
from ..extensions import db
from ..models import slot_column
from .cells import build_cells
from .decide import decide
from .release import Release, release_for
from .suppress import UNPUBLISHED

_ANSWERED = "answered"  # key of the per-release cache of the items' counts


def partial_items(definition) -> dict[str, int]:
    """{item id: slot} of the choice items some respondents may leave unanswered."""
    return {item_id: info.slot for item_id, info in definition.items.items()
            if info.slot is not None and info.item.type != "number"
            and (not info.item.required or info.item.show_if or info.section.show_if)}


def _answered(campaign_id: int, slots: dict[str, int]) -> dict[str, dict[tuple, int]]:
    """Per item: answers per atom (school, class, grade), for every item in one scan."""
    from ..reports import ATOM, submitted
    items = list(slots)
    query = (select(*ATOM, *[func.count(slot_column(slots[i])) for i in items])
             .where(submitted(campaign_id)).group_by(*ATOM))
    found: dict[str, dict[tuple, int]] = {i: {} for i in items}
    for row in db.session.execute(query):
        for item_id, n in zip(items, row[3:]):
            if n:
                found[item_id][tuple(row[:3])] = n
    return found


def _start(release: Release, cells) -> dict[Hashable, str]:
    """The item's groups whose every page the release hides. Two groups with the same answerers are
    one figure for the item: if any of their pages is published, it shows that figure anyway."""
    hidden, names = release.decision.hidden, {}
    for name, canonical in release.cells.alias.items():
        if name in cells.alias:
            names.setdefault(cells.alias[name], []).append(hidden.get(canonical))
    return {cell: why[0] for cell, why in names.items() if all(w and w != UNPUBLISHED for w in why)}


def item_release(campaign, definition, item_id: str) -> Release | None:
    """The decision for one item's answer counts; the campaign's release itself when everyone who
    responded answered it; None for an item every respondent must answer."""
    slots = partial_items(definition)
    if item_id not in slots:
        return None
    release = release_for(campaign)
    if release.k <= 1:
        return release
    if _ANSWERED not in release.derived:
        release.derived[_ANSWERED] = _answered(campaign.id, slots)
    if item_id not in release.derived:
        atoms = release.derived[_ANSWERED].get(item_id, {})
        everyone = dict(zip(release.cells.atoms, release.cells.atom_n))
        if {a: n for a, n in atoms.items() if a[0] in release.schools} == everyone:
            release.derived[item_id] = release
        else:
            with collector_paused():
                cells = build_cells(release.schools, atoms)
                release.derived[item_id] = Release(campaign.id, release.k, cells,
                                                   decide(cells, release.k, _start(release, cells)), release.schools)
    return release.derived[item_id]


def hide_items(campaign, definition, cell: Hashable, per_item: dict) -> dict:
    """Hide, in place, the answer counts (``reports.Distribution``) of the items ``cell`` may not show."""
    for item_id, dist in per_item.items():
        decision = item_release(campaign, definition, item_id)
        if decision is None or dist.reason:
            continue
        reason = decision.reason(cell, dist.n)
        if reason:
            dist.hide(reason)
    return per_item
