"""contentkit/tuning.py: the tuning file checked, compiled into suppressions, and applied locally."""

from __future__ import annotations

import importlib.util
import json
from datetime import date
from pathlib import Path

import pytest
import yaml

from contentkit.search import compile_query
from contentkit.tuning import (
    DEFAULT_RULES,
    Suppressions,
    TuningError,
    compile_suppressions,
    day_ms,
    load_tuning,
)

ROOT = Path(__file__).resolve().parent.parent
RULE_IDS = sorted(p.stem for p in (ROOT / "siem_rules").glob("zoom-*.yaml"))
HOSTING = "zoom-sign-in-from-hosting-provider"
NEW_COUNTRY = "zoom-sign-in-from-new-country"
AT = day_ms(date(2027, 3, 1)) + 3_600_000  # 2027-03-01 01:00 UTC


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tuning.yaml"
    path.write_text(text)
    return path


def sign_in(ip: str, at_ms: int = AT, country: str = "NL") -> dict:
    """A processed Zoom sign-in from a hosting network (as the pipeline writes it)."""
    return {
        "source": "zoom_activity_logs",
        "timestamp": at_ms,
        "ocsf": {"type_uid": 300201},
        "usr": {"email": "kim@example.com"},
        "network": {
            "client": {
                "ip": ip,
                "geoip": {"as": {"type": "hosting", "number": "AS64496"}, "country": {"iso_code": country}},
            }
        },
    }


def hosting_query():
    rule = yaml.safe_load((ROOT / "siem_rules" / f"{HOSTING}.yaml").read_text())
    return compile_query(rule["queries"][0]["query"])


EGRESS = """
egress_networks:
  - cidr: 2001:db8:11::/48
    reason: Corporate VPN at the hosting provider
    applies_to: [zoom-sign-in-from-hosting-provider]
    expires: 2027-06-30
"""


def test_the_default_rules_of_every_kind_are_rules_of_the_pack():
    assert {r for rules in DEFAULT_RULES.values() for r in rules} <= set(RULE_IDS)


def test_a_known_egress_network_excludes_its_sign_ins_from_the_hosting_provider_rule(tmp_path):
    event, other = sign_in("2001:db8:11::5"), sign_in("2001:db8:12::5")
    assert hosting_query().matches(event) and hosting_query().matches(other)  # the rule would fire on both
    sup = Suppressions.from_file(write(tmp_path, EGRESS), RULE_IDS, today=date(2027, 1, 1))
    assert sup.excluded(HOSTING, event) and not sup.excluded(HOSTING, other)
    assert not sup.excluded(NEW_COUNTRY, event)  # applies_to names the hosting rule only
    assert sup.keep_events(HOSTING, [event, other]) == [other]


def test_an_expired_entry_no_longer_excludes(tmp_path, capsys):
    path = write(tmp_path, EGRESS)
    # at the event's time: the suppression runs "through" 2027-06-30, and is deactivated after it
    sup = Suppressions.from_file(path, RULE_IDS, today=date(2027, 1, 1))
    assert sup.excluded(HOSTING, sign_in("2001:db8:11::5", day_ms(date(2027, 6, 30)) + 1))
    assert not sup.excluded(HOSTING, sign_in("2001:db8:11::5", day_ms(date(2027, 7, 1))))
    # once the day has passed the entry is not compiled at all, and is warned about
    tuning = load_tuning(path, RULE_IDS, today=date(2027, 7, 1))
    assert tuning.facts == []
    assert tuning.warnings == [f"{path}: egress_networks/0/expires: 2027-06-30 has passed: not deployed"]
    assert not Suppressions.from_payloads(compile_suppressions(tuning).values()).excluded(
        HOSTING, sign_in("2001:db8:11::5")
    )


def test_an_expected_country_suppresses_the_signal_not_the_logs(tmp_path):
    text = "expected_countries:\n  - country: NL\n    reason: Head office\n    starts: 2027-02-01\n"
    sup = Suppressions.from_file(write(tmp_path, text), RULE_IDS, today=date(2027, 1, 1))
    nl, fr = sign_in("2001:db8:11::5"), sign_in("2001:db8:11::5", country="FR")
    assert not sup.excluded(NEW_COUNTRY, nl)  # the log still counts (a suppression_query, no exclusion)
    assert sup.suppressed(NEW_COUNTRY, nl, AT) and not sup.suppressed(NEW_COUNTRY, fr, AT)
    assert not sup.suppressed(NEW_COUNTRY, nl, day_ms(date(2027, 1, 31)))  # before its start date
    assert not sup.suppressed(HOSTING, nl, AT)  # not a rule it applies to


def test_the_rule_query_selects_rules_by_their_tags(tmp_path):
    payloads = compile_suppressions(load_tuning(write(tmp_path, EGRESS), RULE_IDS, today=date(2027, 1, 1)))
    (body,) = payloads.values()
    assert body["data"]["attributes"]["rule_query"] == f"pack:zoom-activity-logs pack_id:({HOSTING})"
    # a rule whose tags say another pack is not selected, even with the same pack_id
    sup = Suppressions.from_payloads(payloads.values(), {HOSTING: ["pack:other", f"pack_id:{HOSTING}"]})
    assert not sup.excluded(HOSTING, sign_in("2001:db8:11::5"))


def test_the_example_file_compiles_with_each_kind_and_its_query():
    tuning = load_tuning(ROOT / "tuning.example.yaml", RULE_IDS, today=date(2026, 12, 1))
    assert tuning.warnings == []
    bodies = compile_suppressions(tuning)
    queries = {pid: b["data"]["attributes"] for pid, b in bodies.items()}
    assert queries["tuning-egress-networks-203.0.113.0-24"]["data_exclusion_query"] == (
        "CIDR(@network.client.ip, 203.0.113.0/24)"
    )
    assert queries["tuning-asns-as64496"]["data_exclusion_query"] == "@network.client.geoip.as.number:AS64496"
    assert queries["tuning-admin-operators-it-admin-example.com"]["suppression_query"] == (
        '@usr.email:"it-admin@example.com"'
    )
    assert queries["tuning-admin-operators-it-admin-example.com"]["start_date"] == day_ms(date(2026, 1, 1))
    scim = queries["tuning-service-accounts-scim-okta-example.com"]["rule_query"]
    assert all(r in scim for r in DEFAULT_RULES["service_accounts/scim"])


@pytest.mark.parametrize(
    "text, says",
    [
        ("egress_networks:\n  - cidr: 10.0.0.0/33\n    reason: x y z\n", "egress_networks/0/cidr: '10.0.0.0/33'"),
        ("asns:\n  - asn: AS0\n    reason: a vpn\n", "asns/0/asn: 'AS0' is not an AS number"),
        ("asns:\n  - asn: sixty\n    reason: a vpn\n", "asns/0/asn: 'sixty' is not valid under any"),
        ("admin_operators:\n  - email: root\n    reason: admin\n", "admin_operators/0/email: 'root' does not match"),
        ("expected_countries:\n  - country: nl\n    reason: office\n", "expected_countries/0/country: 'nl'"),
        ("service_accounts:\n  - email: a@b.co\n    kind: robot\n    reason: bot\n", "service_accounts/0/kind"),
        ("egress:\n  - cidr: 10.0.0.0/8\n", "(top): Additional properties are not allowed ('egress'"),
        (
            "expected_countries:\n  - country: NL\n    reason: office\n    starts: 2027-02-01\n    expires: 2027-01-01\n",
            "expected_countries/0/expires: 2027-01-01 is before starts (2027-02-01)",
        ),
        (
            "expected_countries:\n  - country: NL\n    reason: office\n  - country: NL\n    reason: again\n",
            "expected_countries/1: the same expected_countries entry as expected_countries/0",
        ),
        ("egress_networks: [\n", "not valid YAML"),
        ("# nothing\n", "empty (no YAML document)"),
    ],
)
def test_each_problem_names_the_file_and_field(tmp_path, text, says):
    path = write(tmp_path, text)
    with pytest.raises(TuningError) as refused:
        load_tuning(path, RULE_IDS)
    lines = [str(p) for p in refused.value.problems]
    assert any(line.startswith(f"{path}: ") and says in line for line in lines), lines
    assert all("\n" not in line for line in lines)


def test_build_writes_the_suppressions_next_to_the_rules(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("build_tuning", ROOT / "scripts" / "build.py")
    assert spec is not None and spec.loader is not None
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    out = tmp_path / "out"
    (out / "suppressions").mkdir(parents=True)
    (out / "suppressions" / "tuning-gone.json").write_text("{}")  # left by an older build
    assert build.main(["--out", str(out), "--tuning", str(ROOT / "tuning.example.yaml")]) == 0
    written = sorted(p.stem for p in (out / "suppressions").glob("*.json"))
    assert len(written) == 8 and "tuning-gone" not in written
    body = json.loads((out / "suppressions" / "tuning-asns-as64496.json").read_text())
    assert (
        body["data"]["type"] == "suppressions" and "pack_id:tuning-asns-as64496" in body["data"]["attributes"]["tags"]
    )
    assert (out / "rules" / f"{HOSTING}.json").exists()
    bad = write(tmp_path, "asns:\n  - asn: AS1\n")
    assert build.main(["--out", str(out), "--tuning", str(bad)]) == 1
    assert f"error: {bad}: asns/0: 'reason' is a required property" in capsys.readouterr().err
