"""contentkit.crossref reads evt.name values from the query's syntax tree, not its text."""

import pytest

from contentkit.crossref import Known, evt_name_values, query_problems
from contentkit.search import compile_query

TAXONOMY = {"zoom.sign_in", "zoom.sign_out", "zoom.user.delete", "zoom.user.create"}


@pytest.fixture
def known():
    k = Known.__new__(Known)  # no pipelines: a fixed taxonomy
    k.attributes = {"evt.name", "log_type", "usr.email", "message", "source"}
    k.taxonomy = set(TAXONOMY)
    return k


def problems(query, known):
    return [p.message for p in query_problems(query, "f.yaml", "q", known)]


@pytest.mark.parametrize(
    "query, depends, excluded",
    [
        ("@evt.name:zoom.sign_in", {"zoom.sign_in"}, set()),
        # a NOT'd value is excluded: not a value the rule depends on
        ("@log_type:operation -@evt.name:zoom.user.delete", set(), {"zoom.user.delete"}),
        ("@log_type:operation NOT @evt.name:zoom.user.delete", set(), {"zoom.user.delete"}),
        (
            "@evt.name:zoom.sign_in NOT (@evt.name:zoom.sign_out OR @evt.name:zoom.user.create)",
            {"zoom.sign_in"},
            {"zoom.sign_out", "zoom.user.create"},
        ),
        ("-@evt.name:(zoom.sign_in OR zoom.sign_out)", set(), {"zoom.sign_in", "zoom.sign_out"}),
        ("-(-@evt.name:zoom.sign_in)", {"zoom.sign_in"}, set()),  # NOT of NOT: depended on again
        # OR'd values: each is one of the values the rule depends on, in any spelling
        ("@evt.name:zoom.sign_in OR @evt.name:zoom.sign_out", {"zoom.sign_in", "zoom.sign_out"}, set()),
        (
            '@evt.name:(zoom.sign_in OR "zoom.sign_out" OR (zoom.user.delete))',
            {"zoom.sign_in", "zoom.sign_out", "zoom.user.delete"},
            set(),
        ),
        ("@evt.name:zoom\\.sign_in", {"zoom.sign_in"}, set()),  # escapes resolved
        # free text that looks like a field is words, not an evt.name value
        ('"@evt.name:zoom.bogus" OR @usr.email:*', set(), set()),
    ],
)
def test_evt_name_values_follow_the_tree(query, depends, excluded):
    assert evt_name_values(compile_query(query)) == (depends, excluded)


def test_taxonomy_check_reads_the_tree(known):
    assert problems("@evt.name:zoom.sign_in", known) == []
    # nested group: the old regex read "(zoom.user.delete" as a value and reported it
    assert problems("@evt.name:(zoom.sign_in OR (zoom.user.delete))", known) == []
    # a quoted phrase in free text is not an evt.name value (the regex checked it)
    assert problems('"@evt.name:zoom.bogus"', known) == []
    assert problems("@evt.name:zoom.user.*", known) == []  # a wildcard matches taxonomy names
    assert any("'zoom.nope.*' is not in the taxonomy" in p for p in problems("@evt.name:zoom.nope.*", known))
    assert any(
        "'zoom.sign_inn' is not in the taxonomy" in p and "NOT" not in p
        for p in problems("@evt.name:zoom.sign_in OR @evt.name:zoom.sign_inn", known)
    )
    # a misspelt excluded value is still reported (the NOT would always hold), as excluded
    out = problems("@log_type:operation -@evt.name:zoom.user.delet", known)
    assert len(out) == 1 and "'zoom.user.delet' is not in the taxonomy" in out[0] and "excluded by NOT" in out[0]
    # a value named twice is reported once
    assert len(problems("@evt.name:zoom.x OR (@evt.name:zoom.x @usr.email:*)", known)) == 1
