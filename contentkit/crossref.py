"""Cross-content checks: every attribute content names must exist.

A rule or widget that reads an attribute the pipeline never sets can never fire
or stays empty, silently. Known attributes are: what the pipelines can produce
(from the simulator), the raw Zoom fields of the collector's lines, and Datadog's
reserved attributes. Every value of the OCSF classification used (`@ocsf.type_uid:300107`,
`@ocsf.entity.type:Setting`, ...) must be one the pipeline can produce: the classification
comes from the descriptor rows of the category and lookup processors that write
`zoom.ocsf.class`, read by the pipeline's own grok parser of that attribute, so the
check knows exactly the (class, activity, type, entity type) values of docs/attributes.md.

Both checks read the query's syntax tree (contentkit.search), never its text: the
attributes are those the tree names, and the values are the tree's value terms on the
classification attributes - inside value groups, OR and NOT alike, and not words of a
free-text phrase that happen to look like `@ocsf.type_uid:1`. A value under NOT is one the
rule excludes, not one it depends on (`classification_values`); it must still be one the
pipeline produces, since a misspelt excluded value makes the NOT always true.
"""

from __future__ import annotations

import re

from .errors import ContentError
from .event import ZOOM_FIELDS
from .grok import compile_grok
from .load import ROOT, PipelinePack, Problem, Rule, _rel
from .processors import compile_pipeline
from .search import Query, compile_query

RESERVED = {"message", "status", "service", "host", "source", "timestamp"}
# The internal attribute holding an event's OCSF descriptor (see module docstring).
OCSF_DESCRIPTOR = "zoom.ocsf.class"
# Pipeline 1.x wrote its own taxonomy in evt.name (zoom.user.role_change, ...) and
# evt.category; 2.0.0 holds Zoom's values there (Datadog's contract), so content still
# querying the old values would silently match nothing.
_OLD_CATEGORIES = {"authentication", "iam", "configuration", "data", "collaboration", "billing", "other"}
_VARIABLE = re.compile(r"\{\{\s*@([A-Za-z0-9_.\-]+)\s*\}\}")


# Written on logs by Datadog Cloud SIEM's threat intelligence enrichment, not by a pipeline: rules may
# read them (https://docs.datadoghq.com/security/cloud_siem/triage_and_investigate/investigate_security_signals/,
# "threat intelligence": @threat_intel.indicators_matched, @threat_intel.results.category such as tor,
# @threat_intel.results.intention malicious / suspicious / benign). docs/attributes.md lists them.
DATADOG_ENRICHMENT = frozenset(
    {"threat_intel.indicators_matched", "threat_intel.results.category", "threat_intel.results.intention"}
)


class Known:
    def __init__(self, packs: list[PipelinePack]):
        self.attributes = set(ZOOM_FIELDS) | RESERVED | DATADOG_ENRICHMENT
        self.classification: dict[str, set[str]] = {}
        for pack in packs:
            self.attributes |= compile_pipeline(pack.definition).produced_attributes()
            for attribute, values in ocsf_classification(pack.definition["processors"]).items():
                self.classification.setdefault(attribute, set()).update(values)

    def has(self, attribute: str) -> bool:
        attribute = attribute.lstrip("@")
        if attribute in self.attributes:
            return True
        # an object is known through its fields (network.client.geoip)
        return any(a.startswith(attribute + ".") for a in self.attributes)


def _descriptors_and_parsers(processors: list[dict], descriptors: set[str], parsers: list) -> None:
    for p in processors:
        if p.get("type") == "pipeline":
            _descriptors_and_parsers(p.get("processors", []), descriptors, parsers)
        elif p.get("target") == OCSF_DESCRIPTOR:
            if p["type"] == "category-processor":
                descriptors |= {c["name"] for c in p["categories"]}
            elif p["type"] == "lookup-processor":
                descriptors |= {row.split(",", 1)[1] for row in p["lookup_table"]}
                if p.get("default_lookup"):
                    descriptors.add(p["default_lookup"])
        elif p.get("type") == "grok-parser" and p.get("source") == OCSF_DESCRIPTOR:
            grok = p["grok"]
            parsers.append(compile_grok(grok["match_rules"], grok.get("support_rules") or ""))


def ocsf_classification(processors: list[dict]) -> dict[str, set[str]]:
    """{attribute: every value the pipeline can give it} for the attributes parsed out of
    the OCSF descriptor (ocsf.class_uid, ocsf.type_uid, ocsf.entity.type, ...), as text."""
    descriptors: set[str] = set()
    parsers: list = []
    _descriptors_and_parsers(processors, descriptors, parsers)
    values: dict[str, set[str]] = {}
    for descriptor in descriptors:
        for parser in parsers:
            for attribute, value in (parser.parse(descriptor) or {}).items():
                values.setdefault(attribute, set()).add(str(value))
    return values


def classification_values(query: Query, attribute: str) -> tuple[set[str], set[str]]:
    """(values the query depends on, values it excludes) of a classification attribute,
    from its tree: a term under OR is one of the values depended on, under NOT excluded."""
    depends: set[str] = set()
    excluded: set[str] = set()
    for term in query.value_terms():
        if term.attribute == attribute:
            (excluded if term.negated else depends).add(term.value)
    return depends, excluded


def query_problems(query: str, file: str, place: str, known: Known) -> list[Problem]:
    problems = []
    try:
        compiled = compile_query(query)
    except ContentError as exc:
        return [Problem(file, place, str(exc))]
    for attribute in sorted(a for a in compiled.attributes() if not a.startswith("tag:") and a != "tags"):
        if not known.has(attribute):
            problems.append(
                Problem(file, place, f"attribute @{attribute} is never produced by the pipeline nor a raw Zoom field")
            )
    seen = set()
    for term in compiled.value_terms():
        if (term.attribute == "evt.name" and term.value.startswith("zoom.")) or (
            term.attribute == "evt.category" and term.value in _OLD_CATEGORIES
        ):
            problems.append(
                Problem(
                    file,
                    place,
                    f"@{term.attribute}:{term.value} is pipeline 1.x's taxonomy, gone in 2.0.0 (the attribute now "
                    "holds Zoom's own value): see the migration table in pipelines/zoom_activity_logs/CHANGELOG.md",
                )
            )
            continue
        produced = known.classification.get(term.attribute)
        if produced is None or (term.attribute, term.value, term.negated) in seen:
            continue
        seen.add((term.attribute, term.value, term.negated))
        if not any(term.matches(value) for value in produced):
            why = " (excluded by NOT, so the NOT always holds)" if term.negated else ""
            problems.append(
                Problem(
                    file,
                    place,
                    f"@{term.attribute}:{term.value} is never produced by the pipeline "
                    f"(its OCSF classes are in docs/attributes.md){why}",
                )
            )
    return problems


def rule_problems(rule: Rule, known: Known, root=ROOT) -> list[Problem]:
    file = _rel(rule.path, root)
    d = rule.data
    problems = []
    for i, q in enumerate([] if rule.is_correlation else d["queries"]):
        problems += query_problems(q["query"], file, f"queries/{i}/query", known)
        for key in ("groupByFields", "distinctFields", "metrics"):
            for j, attribute in enumerate(q.get(key, [])):
                if not known.has(attribute):
                    problems.append(
                        Problem(
                            file,
                            f"queries/{i}/{key}/{j}",
                            f"attribute {attribute} is never produced by the pipeline nor a raw Zoom field",
                        )
                    )
    for attribute in sorted(set(_VARIABLE.findall(d["message"]))):
        if not known.has(attribute):
            problems.append(
                Problem(
                    file,
                    "message",
                    f"template variable {{{{@{attribute}}}}} names an attribute the pipeline never produces",
                )
            )
    return problems


def carried_fields(query) -> set[str]:
    """What the signals of a log query carry (without `@`): its group-by values, and the
    attributes its events have because the query names them (searched, counted, learned)."""
    out = {a for a in compile_query(query.query).attributes() if not a.startswith("tag:") and a != "tags"}
    for fields in (query.group_by_fields, query.distinct_fields, query.metrics):
        out |= {f.lstrip("@") for f in fields or []}
    return out


def correlation_problems(rule: Rule, rules: dict[str, Rule], root=ROOT) -> list[Problem]:
    """A signal correlation rule's queries: each names a log detection rule of the pack whose
    signals carry the correlated fields (at correlatedQueryIndex, or any of its queries)."""
    from .model import RuleFile, SignalRuleFile

    if not isinstance(rule.model, SignalRuleFile):
        return []
    file = _rel(rule.path, root)
    problems = []
    for i, q in enumerate(rule.model.queries):
        place = f"queries/{i}"
        target = rules.get(q.rule)
        if target is None:
            problems.append(Problem(file, f"{place}/rule", f"{q.rule!r} is not a rule of the pack (siem_rules/)"))
            continue
        if not isinstance(target.model, RuleFile):
            # Datadog correlates log detection (and other products') rules, not correlation rules:
            # this also rules out cycles
            problems.append(
                Problem(file, f"{place}/rule", f"{q.rule!r} is itself a signal correlation rule; correlate log rules")
            )
            continue
        queries = target.model.queries
        index = q.correlated_query_index
        if index is not None and index >= len(queries):
            problems.append(
                Problem(file, f"{place}/correlatedQueryIndex", f"{index}: {q.rule} has {len(queries)} query(ies)")
            )
            continue
        carried = set().union(*(carried_fields(t) for t in (queries if index is None else [queries[index]])))
        for j, name in enumerate(q.correlated_by_fields):
            if name.lstrip("@") not in carried:
                problems.append(
                    Problem(
                        file,
                        f"{place}/correlatedByFields/{j}",
                        f"{name}: the signals of {q.rule} do not carry it (they carry "
                        f"{', '.join('@' + c for c in sorted(carried))})",
                    )
                )
    return problems


_TEMPLATE_VAR = re.compile(r"\$[A-Za-z_][A-Za-z0-9_]*(?:\.value)?")


def dashboard_problems(dash, known: Known, root=ROOT) -> list[Problem]:
    """Log queries, list streams and facets of every widget; template variable prefixes."""
    file = _rel(dash.path, root)
    problems = []
    for i, var in enumerate(dash.definition.get("template_variables", [])):
        if var.get("prefix") and not known.has(var["prefix"]):
            problems.append(
                Problem(file, f"template_variables/{i}", f"prefix {var['prefix']} is never produced by the pipeline")
            )

    def walk(widgets, where):
        for i, widget in enumerate(widgets):
            d = widget.get("definition", {})
            place = f"{where}/{i} ({d.get('title', d.get('type'))})"
            if d.get("type") == "group":
                walk(d.get("widgets", []), f"{place}/widgets")
            for j, request in enumerate(d.get("requests", [])):
                for query in request.get("queries", []):
                    if query.get("data_source") == "logs":
                        text = _TEMPLATE_VAR.sub("", query.get("search", {}).get("query", ""))
                        problems.extend(query_problems(text, file, f"{place}/requests/{j}", known))
                        for g in query.get("group_by", []):
                            if not known.has(g["facet"]):
                                problems.append(
                                    Problem(
                                        file,
                                        f"{place}/requests/{j}",
                                        f"facet {g['facet']} is never produced by the pipeline",
                                    )
                                )
                stream = request.get("query", {})
                if stream.get("data_source") == "logs_stream":
                    text = _TEMPLATE_VAR.sub("", stream.get("query_string", ""))
                    problems.extend(query_problems(text, file, f"{place}/requests/{j}", known))
                    for col in request.get("columns", []):
                        if col["field"] not in (
                            "timestamp",
                            "content",
                            "host",
                            "service",
                            "status_line",
                        ) and not known.has(col["field"]):
                            problems.append(
                                Problem(
                                    file,
                                    f"{place}/requests/{j}",
                                    f"column {col['field']} is never produced by the pipeline",
                                )
                            )

    walk(dash.definition.get("widgets", []), "dashboard/widgets")
    return problems
