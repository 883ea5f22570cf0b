"""The release's counts folded into a report's own scan must be the release's own counts.

A report scan of the campaign's whole scope grouped by atom hands its counts to the release
(``privacy.offer_counts``) so that no second scan is needed; the decision taken from them must be
the one the release's own GROUP BY gives, and a scan of part of the scope must hand nothing over.
"""
from __future__ import annotations

from flask import g

from surveyapp.campaigns import definition_of
from surveyapp.extensions import db
from surveyapp.privacy import one_release, release as release_module
from surveyapp.reports import _by_school_and_class, _school_distributions, measures_of
from test_disclosure_attacks import AttackWorld


def _cached(campaign):
    return (g.get(release_module._CACHE) or {}).get(campaign.id)


def _same(folded, own) -> None:
    assert folded is not None
    assert folded.cells.counts == own.cells.counts and folded.cells.alias == own.cells.alias
    assert folded.decision.hidden == own.decision.hidden and folded.decision.hidden


def test_workbook_scan_hands_the_release_its_own_counts(ctx):
    world = AttackWorld()
    with one_release():
        _by_school_and_class(world.campaign, measures_of(world.definition), world.dept)
        _same(_cached(world.campaign), release_module.compute_release(world.campaign, reuse=False))


def test_school_distributions_hand_the_same_counts_where_they_fold(ctx):
    world = AttackWorld()
    with one_release():
        per_school = _school_distributions(world.campaign, definition_of(world.campaign))
        folded = _cached(world.campaign)
        if db.engine.dialect.name == "sqlite":
            _same(folded, release_module.compute_release(world.campaign, reuse=False))
        else:
            assert folded is None  # PostgreSQL keeps its per-school scan and the release its own count
    assert sum(d.n for d in (per_school[world.school_a.id]).values()) > 0


def test_a_scan_of_part_of_the_scope_hands_nothing_over(ctx):
    world = AttackWorld()
    with one_release():
        _by_school_and_class(world.campaign, measures_of(world.definition), world.ward)
        _school_distributions(world.campaign, definition_of(world.campaign), world.ward)
        assert _cached(world.campaign) is None
