"""Every check over all content, each problem reported with its file and place.

Used by `python scripts/validate.py` (and so by CI): schemas, Datadog's official
models, Datadog's limits, cross-references, pipeline samples, rule tests, the
version lock. Nothing stops at the first problem.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .errors import ContentError
from .event import from_ndjson_line, get_path, has_path
from .load import ROOT, PipelinePack, Problem, Rule, _rel, load_pipelines, load_rules, pipeline_body, rule_body

MAX_PROCESSORS, MAX_GROK_RULES, MAX_GROK_SAMPLES = 20, 10, 5


def pipeline_limits(pack: PipelinePack, root: Path) -> list[Problem]:
    from .grok import compile_grok

    file = _rel(pack.directory / "pipeline.yaml", root)
    problems = []

    def walk(processors, where):
        if len(processors) > MAX_PROCESSORS:
            problems.append(Problem(file, where, f"{len(processors)} processors (Datadog allows {MAX_PROCESSORS})"))
        for i, p in enumerate(processors):
            place = f"{where}/{i} ({p.get('name', p.get('type'))})"
            if p.get("is_enabled") is not True:
                problems.append(Problem(file, place, "is_enabled is not true (Datadog's default is false)"))
            if p.get("type") == "pipeline":
                walk(p.get("processors", []), f"{place}/processors")
            if p.get("type") == "grok-parser":
                grok = p.get("grok", {})
                rules = [line for line in grok.get("match_rules", "").splitlines() if line.strip()]
                if len(rules) > MAX_GROK_RULES:
                    problems.append(Problem(file, place, f"{len(rules)} grok rules (Datadog allows {MAX_GROK_RULES})"))
                if len(p.get("samples", [])) > MAX_GROK_SAMPLES:
                    problems.append(
                        Problem(file, place, f"{len(p['samples'])} samples (Datadog allows {MAX_GROK_SAMPLES})")
                    )
                try:
                    parser = compile_grok(grok.get("match_rules", ""), grok.get("support_rules", ""))
                except ContentError as exc:
                    problems.append(Problem(file, place, str(exc)))
                    continue
                for j, sample in enumerate(p.get("samples", [])):
                    if parser.parse(sample) is None:
                        problems.append(Problem(file, f"{place}/samples/{j}", "no grok rule matches this sample"))

    walk(pack.definition.get("processors", []), "definition/processors")
    return problems


def pipeline_samples(pack: PipelinePack, root: Path) -> list[Problem]:
    from .processors import compile_pipeline

    file = _rel(pack.directory / "tests.yaml", root)
    try:
        pipeline = compile_pipeline(pack.definition)
    except ContentError as exc:
        return [Problem(_rel(pack.directory / "pipeline.yaml", root), "definition", str(exc))]
    problems = []
    for i, sample in enumerate(pack.samples):
        event = pipeline.process(from_ndjson_line(sample["log"], source=pack.sample_source))
        place = f"samples/{i} ({sample['name']})"
        for path, expected in sample["expect"].items():
            if expected is None and has_path(event, path):
                problems.append(Problem(file, place, f"{path} should be absent, got {get_path(event, path)!r}"))
            elif expected is not None and get_path(event, path) != expected:
                problems.append(Problem(file, place, f"{path}: got {get_path(event, path)!r}, expected {expected!r}"))
        for key, field in (
            ("expect_message", "message"),
            ("expect_status", "status"),
            ("expect_timestamp", "timestamp"),
        ):
            if key in sample and event.get(field) != sample[key]:
                problems.append(Problem(file, place, f"{field}: got {event.get(field)!r}, expected {sample[key]!r}"))
    return problems


def official_models(packs: list[PipelinePack], rules: list[Rule], root: Path) -> list[Problem]:
    try:
        from datadog_api_client import Configuration
        from datadog_api_client.model_utils import UnparsedObject, validate_and_convert_types
        from datadog_api_client.v1.model.logs_pipeline import LogsPipeline
        from datadog_api_client.v2.model.security_monitoring_rule_create_payload import (
            SecurityMonitoringRuleCreatePayload,
        )
    except ImportError:
        return [Problem("(environment)", "", "datadog-api-client is not installed: pip install -e '.[test]'")]
    problems = []
    config = Configuration()

    def processors_ok(processors, file, where):
        for i, p in enumerate(processors):
            inst = p.get_oneof_instance()
            if isinstance(inst, UnparsedObject):
                problems.append(
                    Problem(file, f"{where}/{i}", "Datadog's LogsPipeline model does not accept this processor")
                )
            elif str(getattr(inst, "type", "")) == "pipeline":
                processors_ok(inst.processors, file, f"{where}/{i}/processors")

    for pack in packs:
        file = _rel(pack.directory / "pipeline.yaml", root)
        try:
            model = validate_and_convert_types(pipeline_body(pack), (LogsPipeline,), ["body"], True, True, config)
            processors_ok(model.processors, file, "definition/processors")
        except Exception as exc:  # the client raises its own types for wrong value types
            problems.append(Problem(file, "definition", f"Datadog's LogsPipeline model refuses it: {exc}"))
    for rule in rules:
        file = _rel(rule.path, root)
        try:
            model = validate_and_convert_types(
                rule_body(rule), (SecurityMonitoringRuleCreatePayload,), ["body"], True, True, config
            )
            if isinstance(model.get_oneof_instance(), UnparsedObject):
                problems.append(Problem(file, "", "Datadog's rule model does not accept the built body"))
        except Exception as exc:
            problems.append(Problem(file, "", f"Datadog's rule model refuses it: {exc}"))
    return problems


def rule_checks(rules: list[Rule], packs: list[PipelinePack], root: Path) -> list[Problem]:
    from .crossref import Known, correlation_problems, rule_problems
    from .rule_tests import run_rule_tests

    problems = []
    known = Known(packs)
    by_id = {rule.id: rule for rule in rules}
    for rule in rules:
        file = _rel(rule.path, root)
        problems += rule_problems(rule, known, root)
        correlation = correlation_problems(rule, by_id, root)
        problems += correlation
        if rule.model.options.problems() or correlation:
            continue  # a window order the engine refuses (load_rules reported it, once), or no rules to run
        try:
            referenced = {rid: rule_body(by_id[rid]) for rid in rule.referenced}
            for outcome in run_rule_tests(rule, packs, rule_body(rule), referenced):
                if not outcome.passed:
                    problems.append(Problem(file, f"tests ({outcome.name})", outcome.detail))
        except ContentError as exc:
            problems.append(Problem(file, "", str(exc)))
    return problems


def tuning_report(root: Path, tuning_path: Path) -> list[Problem]:
    """The rule tests that must fire but no longer do under a deployment's tuning file: what
    the tuning would silence, for its author to confirm (TuningError when the file is bad)."""
    from .rule_tests import run_rule_tests
    from .tuning import Suppressions

    rules = load_rules(root, [])
    packs = load_pipelines(root, [])
    by_id = {rule.id: rule for rule in rules}
    suppressions = Suppressions.from_file(tuning_path, list(by_id))
    silenced = []
    for rule in rules:
        firing = {t.name for t in rule.model.tests if t.fires}
        if not firing:
            continue
        referenced = {rid: rule_body(by_id[rid]) for rid in rule.referenced}
        for outcome in run_rule_tests(rule, packs, rule_body(rule), referenced, suppressions):
            if outcome.name in firing and not outcome.signals:
                where = f"tests ({outcome.name})"
                silenced.append(Problem(_rel(rule.path, root), where, "silenced by the tuning file"))
    return silenced


def validate_all(root: Path = ROOT, lock: bool = True) -> list[Problem]:
    from .load import load_dashboards
    from .lock import check, entries, read_lock

    problems: list[Problem] = []
    packs = load_pipelines(root, problems)
    rules = load_rules(root, problems)
    dashboards = load_dashboards(root, problems)
    for pack in packs:
        problems += pipeline_limits(pack, root)
        problems += pipeline_samples(pack, root)
    problems += official_models(packs, rules, root)
    problems += rule_checks(rules, packs, root)
    problems += dashboard_checks(dashboards, packs, root)
    if lock:
        problems += check(entries(packs, rules, dashboards), read_lock(root), root)
    return problems


def refuse_invalid(root: Path = ROOT, lock: bool = True) -> bool:
    """What build and the push scripts run before writing anything: every check of
    validate.py, printed with its one-line errors. True if there was any (the caller
    then writes nothing and exits 1)."""
    problems = validate_all(root, lock)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s): nothing was written; see scripts/validate.py", file=sys.stderr)
    return bool(problems)


def dashboard_checks(dashboards, packs, root: Path) -> list[Problem]:
    from .crossref import Known, dashboard_problems
    from .load import dashboard_body

    problems = []
    known = Known(packs)
    try:
        from datadog_api_client import Configuration
        from datadog_api_client.model_utils import UnparsedObject, validate_and_convert_types
        from datadog_api_client.v1.model.dashboard import Dashboard

        official = True
    except ImportError:
        official = False
    for dash in dashboards:
        file = _rel(dash.path, root)
        problems += dashboard_problems(dash, known, root)
        if not official:
            continue
        try:
            model = validate_and_convert_types(
                dashboard_body(dash), (Dashboard,), ["body"], True, True, Configuration()
            )
            for i, widget in enumerate(model.widgets):
                if isinstance(widget.definition.get_oneof_instance(), UnparsedObject):
                    problems.append(
                        Problem(file, f"dashboard/widgets/{i}", "Datadog's Dashboard model does not accept this widget")
                    )
        except Exception as exc:
            problems.append(Problem(file, "dashboard", f"Datadog's Dashboard model refuses it: {exc}"))
    return problems
