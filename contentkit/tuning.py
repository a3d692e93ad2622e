"""Tuning as data: a deployment's own facts (tuning.yaml) compiled into Cloud SIEM suppression rules,
and the same suppressions applied locally (hunt, rule tests).

    facts = load_tuning(Path("tuning.yaml"), rule_ids)        # TuningError listing every problem
    payloads = compile_suppressions(facts)                      # {pack_id: POST .../suppressions body}
    sup = Suppressions.from_payloads(payloads.values())
    sup.excluded("zoom-sign-in-from-hosting-provider", event)   # data_exclusion_query: the log is not evaluated
    sup.suppressed("zoom-sign-in-from-new-country", sample, at_ms)  # suppression_query: the signal is dropped

What Datadog documents, and what is done with it:

[API]  SecurityMonitoringSuppressionCreateAttributes, Datadog's OpenAPI v2
       (contentkit/data/openapi/datadog-v2.yaml; https://docs.datadoghq.com/api/latest/security-monitoring/
       #create-a-suppression-rule): `rule_query` "with the same syntax as the search bar for detection
       rules" selects the rules the suppression applies to; `suppression_query`: "If a signal matches this
       query, it is suppressed and is not triggered. It uses the same syntax as the queries to search
       signals in the Signals Explorer"; `data_exclusion_query`: "Events matching this query are ignored by
       any detection rules referenced in the suppression rule"; `start_date`: "After this date, it starts
       suppressing signals"; `expiration_date`: "After this date, it won't suppress signals anymore"
       (Unix milliseconds).
[SUP]  Suppressions, https://docs.datadoghq.com/security/cloud_siem/detect_and_monitor/suppressions/ (also
       /security/suppressions/): "Suppressions are specific conditions for when a signal should not be
       generated"; a suppression rule applies to the detection rules you select, with an optional
       expiration date "on which this suppression will be deactivated".
[EX]   The API's and the Terraform/Pulumi provider's examples: rule_query `type:log_detection
       source:cloudtrail`, `severity:low source:cloudtrail` (rule tags and attributes as `key:value`),
       suppression_query `@usr.id:john.doe`, data_exclusion_query `env:test`
       (https://www.pulumi.com/registry/packages/datadog/api-docs/securitymonitoringsuppression).

CHOICE (rule_query): the pack's rules are selected by their tags, `pack:zoom-activity-logs
pack_id:(<id> OR ...)`, as [EX] selects by the `source:` tag: the query is known before the rules exist in
the org (a Datadog rule id is not) and survives a rule being recreated. Not checked against a real org:
that the rules search bar matches every tag key as it does `source:` ([EX]). Locally the rule_query is
matched, with contentkit.search, against the rule's tags as a log's tags are.
CHOICE (dates): `starts: D` is 00:00 UTC of D; `expires: D` means "through D": expiration_date is 00:00 UTC
of the next day. An entry whose expiry has passed is warned about and not compiled (so `push_rules.py
--prune` deletes a deployed one). Locally both dates bound data exclusion too: Datadog says the rule is
"deactivated" [SUP].

Fact kinds, the query each compiles to, and the rules each applies to by default (DEFAULT_RULES):

- egress_networks (`cidr`): data_exclusion_query `CIDR(@network.client.ip, <cidr>)`; rules: hosting
  provider, new country, impossible travel, one IP many accounts
- asns (`asn`): data_exclusion_query `@network.client.geoip.as.number:AS<n>`; rules: hosting provider, new
  country, impossible travel
- service_accounts (`email`, `kind: scim`): data_exclusion_query `@usr.email:"<email>"`; rules: SCIM change
  burst, user created, mass deactivation, mass deletion, user deleted by admin
- service_accounts (`kind: automation`): the same query; rules: new client type, new country, dormant
  account, one IP many accounts
- admin_operators (`email`): suppression_query `@usr.email:"<email>"`; rules: first-seen operator admin change
- expected_countries (`country`): suppression_query `@network.client.geoip.country.iso_code:<CC>`; rules: new
  country

Exclusion (the logs are never evaluated) for facts about where traffic comes from and who is not a person;
suppression (the signal is dropped, the logs still count) for facts about people and places whose
signals are expected, so a correlation rule or a hunt still sees the logs.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema

from .errors import ContentError
from .load import PACK, Problem, read_text
from .search import Query, compile_query

SCHEMA = Path(__file__).resolve().parent / "schemas" / "tuning.schema.json"
SUPPRESSIONS = "/api/v2/security_monitoring/configuration/suppressions"
SUPPRESSION_TYPE = "suppressions"  # SecurityMonitoringSuppressionType: "should always be suppressions"
PACK_ID_PREFIX = "tuning-"  # pack_id:<prefix><kind>-<value>: never the id of a rule (zoom-...)

_NETWORK_RULES = (
    "zoom-sign-in-from-hosting-provider",
    "zoom-sign-in-from-new-country",
    "zoom-impossible-travel",
)
DEFAULT_RULES: dict[str, tuple[str, ...]] = {
    "egress_networks": (*_NETWORK_RULES, "zoom-one-ip-many-accounts"),
    "asns": _NETWORK_RULES,
    "service_accounts/scim": (
        "zoom-scim-change-burst",
        "zoom-user-created",
        "zoom-mass-user-deactivation",
        "zoom-mass-user-deletion",
        "zoom-user-deleted-by-admin",
    ),
    "service_accounts/automation": (
        "zoom-sign-in-new-client-type",
        "zoom-sign-in-from-new-country",
        "zoom-dormant-account-sign-in",
        "zoom-one-ip-many-accounts",
    ),
    "admin_operators": ("zoom-first-seen-operator-admin-change",),
    "expected_countries": ("zoom-sign-in-from-new-country",),
}
KINDS = ("egress_networks", "asns", "service_accounts", "admin_operators", "expected_countries")


class TuningError(ContentError):
    """Every problem of a tuning file, each one line naming the file and the field."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the tuning file; first: {problems[0]}")


@dataclass(frozen=True)
class Fact:
    kind: str  # one of KINDS
    value: str  # the CIDR (normalised), "AS<n>", the email (lower case), the country code
    reason: str
    rules: tuple[str, ...]
    place: str  # e.g. egress_networks/0, for messages
    starts: date | None = None
    expires: date | None = None
    account: str | None = None  # service_accounts: scim | automation

    @property
    def pack_id(self) -> str:
        slug = re.sub(r"[^a-z0-9.]+", "-", self.value.lower()).strip("-")
        return f"{PACK_ID_PREFIX}{self.kind.replace('_', '-')}-{slug}"


@dataclass
class Tuning:
    facts: list[Fact]
    warnings: list[str]  # expired entries (not compiled)


def _loader():
    """A safe YAML loader that reads 2027-02-30 as text, so the date check names it (PyYAML's own
    timestamp reading raises a bare ValueError for it)."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return Loader


def _dates_to_text(node: Any) -> Any:
    """YAML reads 2027-01-31 as a date: the schema checks text."""
    if isinstance(node, dict):
        return {k: _dates_to_text(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_dates_to_text(v) for v in node]
    if isinstance(node, (date, datetime)):
        return node.isoformat()
    return node


def _day(text: str | None, file: str, place: str, problems: list[Problem]) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(Problem(file, place, f"{text!r} is not a date (YYYY-MM-DD)"))
        return None


def day_ms(day: date) -> int:
    """00:00 UTC of `day`, in Unix milliseconds."""
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() * 1000)


def load_tuning(path: Path, rule_ids: Iterable[str], today: date | None = None) -> Tuning:
    """The facts of a tuning file, checked: the schema, networks, dates, rule ids. Every problem
    raises TuningError at once (all of them); expired entries are warnings and are left out."""
    import yaml

    today = today or datetime.now(UTC).date()
    known = set(rule_ids)
    file = str(path)
    problems: list[Problem] = []
    text = read_text(path, problems, path.parent)
    if text is None:
        raise TuningError([Problem(file, "", problems[0].message)])
    try:
        data = yaml.load(text, Loader=_loader())
        data = _dates_to_text(data)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise TuningError([Problem(file, where, f"not valid YAML: {getattr(exc, 'problem', exc)}")]) from None
    except RecursionError:
        # a self-referencing alias (`a: &x [*x]`) or thousands of nested lists: not a tuning file
        too_deep = "not a tuning file: nested too deep (or a self-referencing alias)"
        raise TuningError([Problem(file, "", too_deep)]) from None
    if data is None:
        raise TuningError([Problem(file, "", "empty (no YAML document)")])
    validator = jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text("utf-8")))
    broken: set[tuple] = set()  # the entries the schema refuses: not checked further
    for error in sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
        at = list(error.absolute_path)
        problems.append(Problem(file, "/".join(str(p) for p in at) or "(top)", error.message))
        broken.add(tuple(at[:2]))
    if any(len(b) < 2 for b in broken):  # the file's shape is wrong: nothing more to check
        raise TuningError(problems)
    facts: list[Fact] = []
    warnings: list[str] = []
    seen: dict[str, str] = {}
    for kind in KINDS:
        for i, entry in enumerate(data.get(kind) or []):
            place = f"{kind}/{i}"
            if (kind, i) in broken:
                continue
            value = _value(kind, entry, file, place, problems)
            starts = _day(entry.get("starts"), file, f"{place}/starts", problems)
            expires = _day(entry.get("expires"), file, f"{place}/expires", problems)
            if starts and expires and expires < starts:
                problems.append(Problem(file, f"{place}/expires", f"{expires} is before starts ({starts})"))
            default_key = f"{kind}/{entry['kind']}" if kind == "service_accounts" else kind
            if "applies_to" in entry:
                rules = tuple(entry["applies_to"])
                for j, rid in enumerate(rules):
                    if rid not in known:
                        problems.append(Problem(file, f"{place}/applies_to/{j}", f"{rid} is not a rule of this pack"))
            else:
                rules = tuple(r for r in DEFAULT_RULES[default_key] if r in known)
                if not rules:
                    problems.append(
                        Problem(
                            file,
                            f"{place}/applies_to",
                            f"none of the default rules ({', '.join(DEFAULT_RULES[default_key])}) is in this pack: "
                            "name the rules",
                        )
                    )
            if value is None:
                continue
            fact = Fact(kind, value, entry["reason"], rules, place, starts, expires, entry.get("kind"))
            if fact.pack_id in seen:
                problems.append(Problem(file, place, f"the same {kind} entry as {seen[fact.pack_id]}"))
                continue
            seen[fact.pack_id] = place
            if expires is not None and expires < today:
                warnings.append(f"{file}: {place}/expires: {expires} has passed: not deployed")
                continue
            facts.append(fact)
    if problems:
        raise TuningError(problems)
    return Tuning(facts, warnings)


def _value(kind: str, entry: dict, file: str, place: str, problems: list[Problem]) -> str | None:
    if kind == "egress_networks":
        try:
            return str(ipaddress.ip_network(entry["cidr"], strict=True))
        except ValueError as exc:
            problems.append(Problem(file, f"{place}/cidr", f"{entry['cidr']!r} is not a network: {exc}"))
            return None
    if kind == "asns":
        asn = entry["asn"]
        number = int(asn[2:]) if isinstance(asn, str) else asn
        if not 1 <= number <= 4294967295:
            problems.append(Problem(file, f"{place}/asn", f"{asn!r} is not an AS number (1 to 4294967295)"))
            return None
        return f"AS{number}"  # as the pipeline's geoip `as.number` holds it (contentkit/geoip.py)
    if kind in ("service_accounts", "admin_operators"):
        return str(entry["email"]).lower()
    return str(entry["country"])


def _query(fact: Fact) -> tuple[str, str]:
    """(the attribute of the suppression, its query)."""
    if fact.kind == "egress_networks":
        return "data_exclusion_query", f"CIDR(@network.client.ip, {fact.value})"
    if fact.kind == "asns":
        return "data_exclusion_query", f"@network.client.geoip.as.number:{fact.value}"
    if fact.kind == "service_accounts":
        return "data_exclusion_query", f'@usr.email:"{fact.value}"'
    if fact.kind == "admin_operators":
        return "suppression_query", f'@usr.email:"{fact.value}"'
    return "suppression_query", f"@network.client.geoip.country.iso_code:{fact.value}"


_LABELS = {
    "egress_networks": "egress network",
    "asns": "ASN",
    "service_accounts": "service account",
    "admin_operators": "admin operator",
    "expected_countries": "expected country",
}


def rule_query(rules: Sequence[str]) -> str:
    """Selects the pack's rules by their tags (see CHOICE above)."""
    ids = " OR ".join(rules)
    return f"pack:{PACK} pack_id:({ids})"


def suppression_body(fact: Fact) -> dict:
    """The body of POST /api/v2/security_monitoring/configuration/suppressions
    (SecurityMonitoringSuppressionCreateRequest)."""
    field, query = _query(fact)
    label = _LABELS[fact.kind]
    attributes: dict[str, Any] = {
        "name": f"[{PACK}] {label} {fact.value}",
        "enabled": True,
        "rule_query": rule_query(fact.rules),
        field: query,
        "description": f"{fact.reason} (tuning file, {label} {fact.value})",
        "tags": [f"pack:{PACK}", f"pack_id:{fact.pack_id}"],
    }
    if fact.starts is not None:
        attributes["start_date"] = day_ms(fact.starts)
    if fact.expires is not None:
        attributes["expiration_date"] = day_ms(fact.expires + timedelta(days=1))  # "through" the day
    return {"data": {"type": SUPPRESSION_TYPE, "attributes": attributes}}


def compile_suppressions(tuning: Tuning) -> dict[str, dict]:
    """{pack_id: create body}, in the file's order."""
    return {fact.pack_id: suppression_body(fact) for fact in tuning.facts}


# -- applied locally, with Datadog's semantics --------------------------------------------------


@dataclass(frozen=True)
class _Compiled:
    pack_id: str | None
    enabled: bool
    rules: Query
    suppression: Query | None
    exclusion: Query | None
    start_ms: int | None
    expiration_ms: int | None

    def active(self, at_ms: int | None) -> bool:
        if not self.enabled:
            return False
        if at_ms is None:
            return True
        return (self.start_ms is None or at_ms >= self.start_ms) and (
            self.expiration_ms is None or at_ms < self.expiration_ms
        )


class Suppressions:
    """Suppression rules applied as Datadog applies them [API]: a suppression applies to the rules its
    rule_query selects (matched against the rule's tags), while enabled and between its start and
    expiration dates; data_exclusion_query drops a log before the rule evaluates it; suppression_query
    drops a signal whose sample log matches it.

    `rule_tags` gives each rule's tags (rule_body(...)["tags"]); a rule not in it has the tags the pack
    gives every rule: pack:zoom-activity-logs and pack_id:<rule id>."""

    def __init__(self, compiled: list[_Compiled], rule_tags: Mapping[str, Sequence[str]] | None = None):
        self._all = compiled
        self._tags = dict(rule_tags or {})
        self._by_rule: dict[str, list[_Compiled]] = {}

    @classmethod
    def from_payloads(
        cls, payloads: Iterable[dict], rule_tags: Mapping[str, Sequence[str]] | None = None
    ) -> Suppressions:
        """From create bodies (compile_suppressions' values, or DIR/suppressions/*.json)."""
        compiled = []
        for body in payloads:
            a = body["data"]["attributes"]
            tags = a.get("tags") or []
            pid = next((t.split(":", 1)[1] for t in tags if t.startswith("pack_id:")), None)
            compiled.append(
                _Compiled(
                    pid,
                    bool(a.get("enabled", True)),
                    compile_query(a["rule_query"]),
                    compile_query(a["suppression_query"]) if a.get("suppression_query") else None,
                    compile_query(a["data_exclusion_query"]) if a.get("data_exclusion_query") else None,
                    a.get("start_date"),
                    a.get("expiration_date"),
                )
            )
        return cls(compiled, rule_tags)

    @classmethod
    def from_file(
        cls,
        path: Path,
        rule_ids: Iterable[str],
        today: date | None = None,
        rule_tags: Mapping[str, Sequence[str]] | None = None,
    ) -> Suppressions:
        """Load, check and compile a tuning file (TuningError on any problem)."""
        return cls.from_payloads(compile_suppressions(load_tuning(path, rule_ids, today)).values(), rule_tags)

    def __len__(self) -> int:
        return len(self._all)

    def for_rule(self, rule_id: str) -> list[_Compiled]:
        """The suppressions whose rule_query selects the rule."""
        if rule_id not in self._by_rule:
            tags = list(self._tags.get(rule_id) or [f"pack:{PACK}", f"pack_id:{rule_id}"])
            self._by_rule[rule_id] = [s for s in self._all if s.rules.matches({"tags": tags})]
        return self._by_rule[rule_id]

    def excluded(self, rule_id: str, event: dict, at_ms: int | None = None) -> bool:
        """True when a suppression of the rule excludes this log before evaluation
        (at_ms: default the log's `timestamp`)."""
        when = at_ms if at_ms is not None else event.get("timestamp")
        return any(
            s.exclusion is not None and s.active(when) and s.exclusion.matches(event) for s in self.for_rule(rule_id)
        )

    def suppressed(self, rule_id: str, signal_sample_event: dict, at_ms: int) -> bool:
        """True when a suppression of the rule drops a signal generated at `at_ms` whose sample log
        is `signal_sample_event` (a signal carries its logs' attributes: the query names them)."""
        return any(
            s.suppression is not None and s.active(at_ms) and s.suppression.matches(signal_sample_event)
            for s in self.for_rule(rule_id)
        )

    def keep_events(self, rule_id: str, events: Iterable[dict]) -> list[dict]:
        """The logs the rule evaluates: those no suppression excludes."""
        return [e for e in events if not self.excluded(rule_id, e)]

    def keep_signals(self, rule_id: str, signals: Iterable[Any]) -> list[Any]:
        """The signals (contentkit.detect.Signal) not suppressed: judged on the first sample at first_seen."""
        return [s for s in signals if not (s.samples and self.suppressed(rule_id, s.samples[0], s.first_seen))]
