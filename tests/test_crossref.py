"""contentkit.crossref: every OCSF classification value a query names (`@ocsf.type_uid:300107`,
`@ocsf.entity.type:Setting`, ...) must be one the pipeline produces; the values are read
from the query's syntax tree, not its text."""

import pytest

from contentkit.crossref import Known, classification_values, ocsf_classification, query_problems
from contentkit.load import load_pipelines
from contentkit.search import compile_query

CLASSIFICATION = {
    "ocsf.class_uid": {"3001", "3002", "3004"},
    "ocsf.type_uid": {"300107", "300201", "300202", "300403", "300404"},
    "ocsf.type_name": {"Account Change: Attach Policy", "Authentication: Logon", "Entity Management: Update"},
    "ocsf.entity.type": {"Setting", "Recording", "User Group"},
}
NEVER = "is never produced by the pipeline (its OCSF classes are in docs/attributes.md)"


@pytest.fixture
def known():
    k = Known.__new__(Known)  # no pipelines: a fixed classification
    k.attributes = {"evt.name", "evt.category", "log_type", "usr.email", "message", "source", *CLASSIFICATION}
    k.classification = {attribute: set(values) for attribute, values in CLASSIFICATION.items()}
    return k


def problems(query, known):
    return [p.message for p in query_problems(query, "f.yaml", "q", known)]


@pytest.mark.parametrize(
    "query, attribute, depends, excluded",
    [
        ("@ocsf.type_uid:300201", "ocsf.type_uid", {"300201"}, set()),
        # a NOT'd value is excluded: not a value the rule depends on
        ("@log_type:operation -@ocsf.type_uid:300404", "ocsf.type_uid", set(), {"300404"}),
        ("@log_type:operation NOT @ocsf.type_uid:300404", "ocsf.type_uid", set(), {"300404"}),
        (
            "@ocsf.type_uid:300201 NOT (@ocsf.type_uid:300202 OR @ocsf.type_uid:300107)",
            "ocsf.type_uid",
            {"300201"},
            {"300202", "300107"},
        ),
        ("-@ocsf.type_uid:(300201 OR 300202)", "ocsf.type_uid", set(), {"300201", "300202"}),
        ("-(-@ocsf.type_uid:300201)", "ocsf.type_uid", {"300201"}, set()),  # NOT of NOT: depended on again
        # OR'd values: each is one of the values the rule depends on, in any spelling
        ("@ocsf.type_uid:300201 OR @ocsf.type_uid:300202", "ocsf.type_uid", {"300201", "300202"}, set()),
        (
            '@ocsf.type_uid:(300201 OR "300202" OR (300107))',
            "ocsf.type_uid",
            {"300201", "300202", "300107"},
            set(),
        ),
        # only the attribute asked for
        (
            "(@ocsf.type_uid:300404 @ocsf.entity.type:Recording) OR -@ocsf.entity.type:Setting",
            "ocsf.entity.type",
            {"Recording"},
            {"Setting"},
        ),
        ("@ocsf.entity.type:User\\ Group", "ocsf.entity.type", {"User Group"}, set()),  # escapes resolved
        ('@ocsf.entity.type:("User Group" OR Role)', "ocsf.entity.type", {"User Group", "Role"}, set()),
        # free text that looks like a field is words, not a classification value
        ('"@ocsf.type_uid:300108" OR @usr.email:*', "ocsf.type_uid", set(), set()),
        ("300108", "ocsf.type_uid", set(), set()),
    ],
)
def test_classification_values_follow_the_tree(query, attribute, depends, excluded):
    assert classification_values(compile_query(query), attribute) == (depends, excluded)


def test_classification_check_reads_the_tree(known):
    assert problems("@ocsf.type_uid:300107", known) == []
    assert problems("@ocsf.type_uid:300403 @ocsf.entity.type:Setting", known) == []
    # a nested value group: every value inside it is one the pipeline produces
    assert problems("@ocsf.type_uid:(300201 OR (300202))", known) == []
    assert problems("@ocsf.entity.type:User\\ Group", known) == []
    # a quoted phrase (or a bare word) in free text is not a classification value
    assert problems('"@ocsf.type_uid:300108"', known) == []
    assert problems("300108 Settings", known) == []
    # a wildcard is accepted when it matches a produced value, reported when it matches none
    assert problems("@ocsf.type_name:Account*", known) == []
    assert problems("@ocsf.type_uid:3004*", known) == []
    assert problems("@ocsf.type_name:Acount*", known) == [f"@ocsf.type_name:Acount* {NEVER}"]
    # a misspelt value under OR, reported alone and not as excluded
    assert problems("@ocsf.type_uid:300201 OR @ocsf.type_uid:300108", known) == [f"@ocsf.type_uid:300108 {NEVER}"]
    assert problems("@ocsf.type_uid:300403 @ocsf.entity.type:Settings", known) == [
        f"@ocsf.entity.type:Settings {NEVER}"
    ]
    assert problems("@ocsf.class_uid:3005", known) == [f"@ocsf.class_uid:3005 {NEVER}"]
    # a misspelt excluded value is still reported (the NOT would always hold), as excluded
    assert problems("@log_type:operation -@ocsf.entity.type:Recordings", known) == [
        f"@ocsf.entity.type:Recordings {NEVER} (excluded by NOT, so the NOT always holds)"
    ]
    assert problems("@ocsf.type_uid:300201 NOT @ocsf.type_uid:(300202 OR 300203)", known) == [
        f"@ocsf.type_uid:300203 {NEVER} (excluded by NOT, so the NOT always holds)"
    ]
    # a value named twice is reported once
    assert problems("@ocsf.type_uid:300108 OR (@ocsf.type_uid:300108 @usr.email:*)", known) == [
        f"@ocsf.type_uid:300108 {NEVER}"
    ]
    # attributes outside the classification are not checked for values
    assert problems("@usr.email:nobody@example.com @log_type:anything", known) == []


def test_pipeline_1x_taxonomy_values_are_reported_with_the_migration_table(known):
    (old,) = problems("@evt.name:zoom.user.role_change", known)
    assert old.startswith("@evt.name:zoom.user.role_change is pipeline 1.x's taxonomy, gone in 2.0.0")
    assert "pipelines/zoom_activity_logs/CHANGELOG.md" in old
    assert len(problems("@evt.category:iam -@evt.name:zoom.sign_in", known)) == 2
    # Zoom's own values, which the attributes now hold, are fine
    assert problems('@evt.name:("Sign in" OR Update) @evt.category:Account', known) == []


def test_the_classification_is_parsed_from_every_descriptor_the_pipeline_writes():
    grok = {
        "type": "grok-parser",
        "source": "zoom.ocsf.class",
        "grok": {
            "support_rules": "",
            "match_rules": "entity %{integer:ocsf.type_uid}\\|%{data:ocsf.entity.type}\nplain %{integer:ocsf.type_uid}",
        },
    }
    processors = [
        {
            "type": "pipeline",
            "processors": [
                {
                    "type": "lookup-processor",
                    "source": "type",
                    "target": "zoom.ocsf.class",
                    "lookup_table": ["Sign in,300201", "Sign out,300202"],
                    "default_lookup": "300299",
                }
            ],
        },
        {
            "type": "category-processor",
            "target": "zoom.ocsf.class",
            "categories": [{"name": "300403|Setting", "filter": {"query": "*"}}],
        },
        # another target: not a descriptor
        {"type": "category-processor", "target": "zoom.severity", "categories": [{"name": "1", "filter": {}}]},
        grok,
    ]
    assert ocsf_classification(processors) == {
        "ocsf.type_uid": {"300201", "300202", "300299", "300403"},
        "ocsf.entity.type": {"Setting"},
    }
    assert ocsf_classification(processors[:-1]) == {}  # no parser of the descriptor: nothing known


def test_the_packs_classification_is_the_pipelines_own():
    known = Known(load_pipelines())
    c = known.classification
    assert {"300107", "300201", "300299", "300403", "300404", "300605", "300499", "600101", "600102", "600199"} <= c[
        "ocsf.type_uid"
    ]
    assert {"Setting", "Recording", "User", "Role", "User Group"} <= c["ocsf.entity.type"]
    assert {"3001", "3002", "3004", "3006", "6001"} == c["ocsf.class_uid"]
    assert "Account Change: Attach Policy" in c["ocsf.type_name"]
    assert [p.message for p in query_problems("@ocsf.type_uid:300107 @ocsf.entity.type:Setting", "f", "q", known)] == []
    assert [p.message for p in query_problems("@ocsf.type_uid:300108", "f", "q", known)] == [
        f"@ocsf.type_uid:300108 {NEVER}"
    ]
