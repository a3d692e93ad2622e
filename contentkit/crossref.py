"""Cross-content checks: every attribute content names must exist.

A rule or widget that reads an attribute the pipeline never sets can never fire
or stays empty, silently. Known attributes are: what the pipelines can produce
(from the simulator), the raw Zoom fields of the collector's lines, and Datadog's
reserved attributes. Every `evt.name` value used must be in the taxonomy.

Both checks read the query's syntax tree (contentkit.search), never its text: the
attributes are those the tree names, and the evt.name values are the tree's value terms
on `evt.name` - inside value groups, OR and NOT alike, and not words of a free-text
phrase that happen to look like `@evt.name:x`. A value under NOT is one the rule
excludes, not one it depends on (`evt_name_values`); it must still be in the taxonomy,
since a misspelt excluded value makes the NOT always true.
"""

from __future__ import annotations

import re

from .errors import ContentError
from .event import ZOOM_FIELDS
from .load import ROOT, PipelinePack, Problem, Rule, _rel
from .processors import compile_pipeline
from .search import Query, compile_query

RESERVED = {"message", "status", "service", "host", "source", "timestamp"}
_VARIABLE = re.compile(r"\{\{\s*@([A-Za-z0-9_.\-]+)\s*\}\}")


class Known:
    def __init__(self, packs: list[PipelinePack]):
        self.attributes = set(ZOOM_FIELDS) | RESERVED
        self.taxonomy: set[str] = set()
        for pack in packs:
            self.attributes |= compile_pipeline(pack.definition).produced_attributes()
            self.taxonomy |= evt_names(pack.definition["processors"])

    def has(self, attribute: str) -> bool:
        attribute = attribute.lstrip("@")
        if attribute in self.attributes:
            return True
        # an object is known through its fields (network.client.geoip)
        return any(a.startswith(attribute + ".") for a in self.attributes)


def evt_names(processors: list[dict]) -> set[str]:
    names = set()
    for p in processors:
        if p.get("type") == "pipeline":
            names |= evt_names(p.get("processors", []))
        elif p.get("target") == "evt.name":
            if p["type"] == "category-processor":
                names |= {c["name"] for c in p["categories"]}
            elif p["type"] == "lookup-processor":
                names |= {row.split(",", 1)[1] for row in p["lookup_table"]}
                if p.get("default_lookup"):
                    names.add(p["default_lookup"])
    return names


def evt_name_values(query: Query) -> tuple[set[str], set[str]]:
    """(values the query depends on, values it excludes) of `evt.name`, from its tree:
    a term under OR is one of the values depended on, a term under NOT is excluded."""
    depends: set[str] = set()
    excluded: set[str] = set()
    for term in query.value_terms():
        if term.attribute == "evt.name":
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
        if term.attribute != "evt.name" or (term.value, term.negated) in seen:
            continue
        seen.add((term.value, term.negated))
        if not any(term.matches(name) for name in known.taxonomy):
            why = " (excluded by NOT, so the NOT always holds)" if term.negated else ""
            problems.append(
                Problem(file, place, f"evt.name {term.value!r} is not in the taxonomy (docs/attributes.md){why}")
            )
    return problems


def rule_problems(rule: Rule, known: Known, root=ROOT) -> list[Problem]:
    file = _rel(rule.path, root)
    d = rule.data
    problems = []
    for i, q in enumerate(d["queries"]):
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
