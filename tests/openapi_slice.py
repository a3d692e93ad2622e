#!/usr/bin/env python3
"""Cut the slices of Datadog's OpenAPI descriptions that the push scripts use.

A maintainer's tool, run by hand when Datadog's descriptions change; no test and no
script runs it (nothing of the project reads the full descriptions):

    python tests/openapi_slice.py PATH/TO/datadog-openapi-v1.yaml PATH/TO/datadog-openapi-v2.yaml

It writes contentkit/data/openapi/datadog-v1.yaml and datadog-v2.yaml: `openapi`,
`info`, `servers`, the security schemes, the operations in OPERATIONS (each path item
with only those methods, every other key of the operation as published), and every
component they reach through `$ref`, transitively, unchanged. Nothing is edited.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

OUT = Path(__file__).resolve().parent.parent / "contentkit" / "data" / "openapi"

# (file, path, method): every operation that scripts/push_*.py call
OPERATIONS = {
    "v1": [
        ("/api/v1/dashboard", "get"),  # ListDashboards (paged: count/start)
        ("/api/v1/dashboard", "post"),  # CreateDashboard
        ("/api/v1/dashboard/{dashboard_id}", "get"),  # GetDashboard
        ("/api/v1/dashboard/{dashboard_id}", "put"),  # UpdateDashboard
        ("/api/v1/logs/config/pipelines", "get"),  # ListLogsPipelines (not paged)
        ("/api/v1/logs/config/pipelines", "post"),  # CreateLogsPipeline
        ("/api/v1/logs/config/pipelines/{pipeline_id}", "put"),  # UpdateLogsPipeline
        ("/api/v1/logs/config/pipeline-order", "get"),  # GetLogsPipelineOrder
        ("/api/v1/logs/config/pipeline-order", "put"),  # UpdateLogsPipelineOrder
    ],
    "v2": [
        ("/api/v2/security_monitoring/rules", "get"),  # ListSecurityMonitoringRules (paged: page[size]/page[number])
        ("/api/v2/security_monitoring/rules", "post"),  # CreateSecurityMonitoringRule
        ("/api/v2/security_monitoring/rules/validation", "post"),  # ValidateSecurityMonitoringRule
        ("/api/v2/security_monitoring/rules/test", "post"),  # TestSecurityMonitoringRule
        ("/api/v2/security_monitoring/rules/{rule_id}", "put"),  # UpdateSecurityMonitoringRule
        ("/api/v2/security_monitoring/rules/{rule_id}", "delete"),  # DeleteSecurityMonitoringRule
        # ListSecurityMonitoringSuppressions (paged: page[size]/page[number], total in meta.page.totalCount)
        ("/api/v2/security_monitoring/configuration/suppressions", "get"),
        ("/api/v2/security_monitoring/configuration/suppressions", "post"),  # CreateSecurityMonitoringSuppression
        # ValidateSecurityMonitoringSuppression
        ("/api/v2/security_monitoring/configuration/suppressions/validation", "post"),
        # UpdateSecurityMonitoringSuppression (JSON:API, partial)
        ("/api/v2/security_monitoring/configuration/suppressions/{suppression_id}", "patch"),
        # DeleteSecurityMonitoringSuppression
        ("/api/v2/security_monitoring/configuration/suppressions/{suppression_id}", "delete"),
    ],
}


def _refs(node, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            found.add(ref)
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


def cut(spec: dict, operations: list[tuple[str, str]]) -> dict:
    paths: dict = {}
    for path, method in operations:
        item = spec["paths"][path]
        kept = paths.setdefault(path, {k: v for k, v in item.items() if k in ("parameters", "servers")})
        kept[method] = item[method]
    components: dict = {"securitySchemes": spec["components"]["securitySchemes"]}
    todo: set[str] = set()
    _refs(paths, todo)
    done: set[str] = set()
    while todo:
        ref = todo.pop()
        if ref in done:
            continue
        done.add(ref)
        _, section, name = ref.removeprefix("#/").split("/")  # "#/components/<section>/<name>"
        value = spec["components"][section][name]
        components.setdefault(section, {})[name] = value
        _refs(value, todo)
    for section in components:
        components[section] = dict(sorted(components[section].items()))
    return {
        "openapi": spec["openapi"],
        "info": spec["info"],
        "servers": spec["servers"],
        "security": spec.get("security", []),
        "paths": paths,
        "components": components,
    }


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    for version, source in zip(("v1", "v2"), argv):
        spec = yaml.load(Path(source).read_text("utf-8"), Loader=yaml.CSafeLoader)
        sliced = cut(spec, OPERATIONS[version])
        target = OUT / f"datadog-{version}.yaml"
        target.write_text(yaml.dump(sliced, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=True, width=120))
        print(f"{target}: {len(sliced['components'].get('schemas', {}))} schemas")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
