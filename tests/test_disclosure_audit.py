"""The linear-algebra audit over generated trees (hypothesis): no hidden figure is ever determined.

Each test builds a campaign's groups (units at two depths, schools with one or two
levels, classes in grades, a few responses with no class), runs the core's
suppression and proves with an exact rank test that no hidden cell's sum lies in
the span of the published ones. A release without its complementary cells must fail.
"""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveyapp.privacy.audit import audit_cells, exposed
from surveyapp.privacy.cells import School, build_cells, class_cell, org_cell
from surveyapp.privacy.decide import decide
from surveyapp.privacy.suppress import COMPLEMENTARY, SMALL, Decision, Relation, suppress

K = 5
LEVELS = ("tieu_hoc", "thcs", "thpt")


@st.composite
def campaigns(draw):
    """(schools, atom counts): a department, 1-3 wards (some with sub-wards), 1-4 schools each."""
    schools, atoms, next_id = {}, {}, [100]

    def new_id():
        next_id[0] += 1
        return next_id[0]

    class_id = [1000]
    for _ward in range(draw(st.integers(1, 3))):
        ward = new_id()
        parents = [(1, ward)]
        if draw(st.booleans()):
            parents.append((1, ward, new_id()))
        for path in parents:
            for _school in range(draw(st.integers(1, 4))):
                sid = new_id()
                levels = tuple(sorted(set(draw(st.lists(st.sampled_from(LEVELS), min_size=1, max_size=2)))))
                schools[sid] = School(sid, path + (sid,), levels)
                for _class in range(draw(st.integers(0, 4))):
                    class_id[0] += 1
                    grade = draw(st.integers(6, 8))
                    atoms[(sid, class_id[0], grade)] = draw(st.integers(0, 12))
                if draw(st.integers(0, 4)) == 0:
                    atoms[(sid, None, None)] = draw(st.integers(0, 12))
    return schools, atoms


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(campaigns())
def test_no_hidden_cell_is_determined_on_generated_campaigns(data):
    schools, atoms = data
    cells = build_cells(schools, atoms)
    decision = decide(cells, K)
    assert audit_cells(cells, decision) == []
    for cell, n in cells.counts.items():  # every small group is hidden, and said so
        if 0 < n < K:
            assert decision.reason(cell) == SMALL


@settings(max_examples=100, deadline=None)
@given(campaigns())
def test_same_data_same_decision_whatever_the_order(data):
    schools, atoms = data
    forward = decide(build_cells(schools, atoms), K)
    backward = decide(build_cells(dict(reversed(list(schools.items()))), dict(reversed(list(atoms.items())))), K)
    assert forward.hidden == backward.hidden


def _ward_of_two():
    """A ward with schools of 3 and 7 responses beside a ward of 20: the 7 protects the 3."""
    schools = {11: School(11, (1, 2, 11), ("thcs",)), 12: School(12, (1, 2, 12), ("thcs",)),
               13: School(13, (1, 3, 13), ("thcs",))}
    atoms = {(11, None, None): 3, (12, None, None): 7, (13, None, None): 20}
    return build_cells(schools, atoms)


def test_a_release_without_complementary_cells_is_caught():
    cells = _ward_of_two()
    decision = suppress(cells.counts, cells.relations, K)
    assert decision.hidden == {cells.alias[org_cell(11)]: SMALL, cells.alias[org_cell(12)]: COMPLEMENTARY}
    assert audit_cells(cells, decision) == []
    broken = Decision(K, {cell: why for cell, why in decision.hidden.items() if why == SMALL})
    assert audit_cells(cells, broken) == [cells.alias[org_cell(11)]]


def test_the_audit_finds_a_difference_across_dimensions():
    """Published: a school, its class 6A and its class 7A; hidden 8A = school - 6A - 7A."""
    atoms = [frozenset({0}), frozenset({1}), frozenset({2})]
    school = frozenset({0, 1, 2})
    assert exposed([school, atoms[0], atoms[1]], {"8A": atoms[2]}) == ["8A"]
    assert exposed([school, atoms[0]], {"7A": atoms[1], "8A": atoms[2]}) == []


def test_ties_are_broken_by_the_key_not_the_order():
    for parts in (("a", "b", "c"), ("c", "b", "a"), ("b", "c", "a")):
        decision = suppress({"t": 20, "a": 4, "b": 8, "c": 8}, [Relation("t", parts)], K)
        assert set(decision.hidden) == {"a", "b"}


def test_class_cells_alias_their_school_when_alone():
    schools = {11: School(11, (1, 11), ("thcs",)), 12: School(12, (1, 12), ("thcs",))}
    cells = build_cells(schools, {(11, 501, 6): 3, (12, 502, 6): 9})
    assert cells.alias[class_cell(501)] == cells.alias[org_cell(11)]
    decision = suppress(cells.counts, cells.relations, K)
    assert decision.reason(cells.alias[class_cell(501)]) == SMALL
    assert decision.reason(cells.alias[org_cell(12)]) == COMPLEMENTARY
