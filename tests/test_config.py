"""The accounts config file: schema, env references, clouds, and one-line errors that never echo a value."""

from __future__ import annotations

import textwrap

import pytest

from collector.config import CLOUDS, load_config
from collector.errors import UsageError
from collector.records import LOG_TYPES

ENV = {
    "CORP_ID": "acct-1",
    "CORP_CLIENT": "client-1",
    "CORP_SECRET": "s3cr3t-value-1",
    "GOV_CLIENT": "client-2",
    "GOV_SECRET": "s3cr3t-value-2",
}

GOOD = """
version: 1
defaults:
  max_rps: 3
  lookback_days: 2
accounts:
  - name: corp
    auth: server_to_server
    account_id: {env: CORP_ID}
    client_id: {env: CORP_CLIENT}
    client_secret: {env: CORP_SECRET}
    api_url: https://api-eu.zoom.us/v2
    log_types: [operation]
    category: role
    state: state/corp.sqlite3
  - name: agency
    auth: authorization_code
    cloud: zoomgov
    client_id: {env: GOV_CLIENT}
    client_secret: {env: GOV_SECRET}
    token_file: tokens/agency.json
    max_rps: 1.5
    activity_type: remote control
    meeting_number: "982 610 0285"
    search_key: Jill
"""


def write(tmp_path, text):
    path = tmp_path / "accounts.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_a_valid_file_gives_every_account_with_defaults_and_overrides(tmp_path):
    corp, agency = load_config(write(tmp_path, GOOD), ENV)
    assert (corp.name, corp.auth, corp.account_id, corp.client_id, corp.client_secret) == (
        "corp",
        "server_to_server",
        "acct-1",
        "client-1",
        "s3cr3t-value-1",
    )
    assert corp.api_url == "https://api-eu.zoom.us/v2" and corp.token_url == "https://zoom.us/oauth/token"
    assert corp.log_types == ("operation",) and corp.category == "role"
    assert corp.max_rps == 3 and corp.lookback_days == 2  # from defaults
    assert corp.state == tmp_path / "state" / "corp.sqlite3"  # relative to the config file
    assert agency.api_url == CLOUDS["zoomgov"][0] == "https://api.zoomgov.com/v2"
    assert agency.token_url == "https://zoomgov.com/oauth/token"
    assert agency.authorize_url == "https://zoomgov.com/oauth/authorize"
    assert agency.max_rps == 1.5 and agency.token_file == tmp_path / "tokens" / "agency.json"
    assert agency.log_types == LOG_TYPES  # all three by default
    # meeting filters in the form sent to Zoom: the enum name, digits
    assert (agency.activity_type, agency.meeting_number, agency.search_key) == ("Remote Control", "9826100285", "Jill")
    assert corp.activity_type is corp.meeting_number is corp.search_key is None
    assert "s3cr3t" not in repr(corp) + repr(agency)  # secrets stay out of reprs (and so of tracebacks)


@pytest.mark.parametrize(
    "edit,needle",
    [
        (
            ("client_secret: {env: CORP_SECRET}", "client_secret: s3cr3t-inline"),
            "accounts[0].client_secret: must be a reference to an environment variable",
        ),
        (("    account_id: {env: CORP_ID}\n", ""), "accounts[0]: missing account_id"),
        (
            ("auth: server_to_server", "auth: jwt"),
            "accounts[0].auth: must be one of server_to_server, authorization_code",
        ),
        (
            ("api_url: https://api-eu.zoom.us/v2", "api_url: http://api.zoom.us/v2"),
            "accounts[0].api_url: must be an https URL",
        ),
        (("name: corp", "name: Corp Account"), "accounts[0].name: must be lower-case"),
        (("    category: role\n", "    category: role\n    colour: blue\n"), "accounts[0]: unknown field colour"),
        (
            ("log_types: [operation]", "log_types: [meetings]"),
            "accounts[0].log_types[0]: must be one of activity, operation",
        ),
        (("max_rps: 3", "max_rps: 100"), "defaults.max_rps: violates maximum 40"),
        (
            ("    token_file: tokens/agency.json\n", "    token_file: tokens/agency.json\n    account_id: x\n"),
            "accounts[1]: has fields that do not apply",
        ),
        (("name: agency", "name: corp"), "accounts[1] (corp): name used by another account"),
        (("activity_type: remote control", "activity_type: remote"), "accounts[1].activity_type: must be one of"),
        (("activity_type: remote control", "activity_type: 7"), "accounts[1].activity_type: must be one of"),
        (('meeting_number: "982 610 0285"', "meeting_number: 98x"), "accounts[1].meeting_number: must be"),
        (("search_key: Jill", "search_key: '   '"), "accounts[1].search_key: must be an operator's name"),
        (("search_key: Jill", "search_key: [Jill]"), "accounts[1].search_key: must be of type string"),
        (("  max_rps: 3\n", "  max_rps: 3\n  activity_type: Chat\n"), "defaults.activity_type: must be one of"),
    ],
)
def test_each_mistake_is_one_line_naming_the_field(tmp_path, edit, needle):
    path = write(tmp_path, GOOD.replace(*edit))
    with pytest.raises(UsageError) as err:
        load_config(path, ENV)
    message = str(err.value)
    assert message.startswith(f"{path}: ") and needle in message and "\n" not in message
    assert "s3cr3t" not in message  # a value is never echoed


def test_missing_environment_variable_is_named(tmp_path):
    env = {k: v for k, v in ENV.items() if k != "GOV_SECRET"}
    with pytest.raises(
        UsageError,
        match=r"accounts\[1\] \(agency\)\.client_secret: environment variable "
        r"GOV_SECRET is not set",
    ):
        load_config(write(tmp_path, GOOD), env)


def test_yaml_errors_give_the_line(tmp_path):
    with pytest.raises(UsageError, match=r"accounts.yaml:3:\d+: not valid YAML"):
        load_config(write(tmp_path, "accounts:\n  - name: a\n   auth: [\n"), ENV)


def test_missing_file_and_empty_file(tmp_path):
    with pytest.raises(UsageError, match="no such config file"):
        load_config(tmp_path / "nope.yaml", ENV)
    with pytest.raises(UsageError, match=r"\(top level\): must be of type object"):
        load_config(write(tmp_path, ""), ENV)


def test_loopback_http_is_allowed_for_the_emulator(tmp_path):
    text = GOOD.replace(
        "api_url: https://api-eu.zoom.us/v2", "api_url: http://127.0.0.1:8787/v2\n    oauth_url: http://127.0.0.1:8787"
    )
    corp = load_config(write(tmp_path, text), ENV)[0]
    assert corp.token_url == "http://127.0.0.1:8787/oauth/token"


def test_the_example_config_in_the_docs_is_valid(tmp_path):
    from pathlib import Path

    example = Path(__file__).parent.parent / "examples" / "accounts.yaml"
    env = {
        name: "x"
        for name in (
            "ZOOM_CORP_ACCOUNT_ID",
            "ZOOM_CORP_CLIENT_ID",
            "ZOOM_CORP_CLIENT_SECRET",
            "ZOOM_EU_ACCOUNT_ID",
            "ZOOM_EU_CLIENT_ID",
            "ZOOM_EU_CLIENT_SECRET",
            "ZOOM_GOV_CLIENT_ID",
            "ZOOM_GOV_CLIENT_SECRET",
        )
    }
    accounts = load_config(example, env)
    assert [a.name for a in accounts] == ["corp", "corp-eu", "agency"]
