"""Datadog's own out-of-the-box Zoom rules fire on this project's normalized logs.

A team replacing Datadog's closed "Zoom Activity Logs" integration keeps Datadog's
default Zoom rules enabled; they must keep working on the logs of this pipeline. Datadog
publishes the rules' pages, which describe the logic and name the attributes but do not
print the queries; the queries below are reconstructed from them (docs/attributes.md,
"Datadog's contract", says what is read and what is inferred):

* "Zoom user updated to privileged role" (def-000-g6t,
  https://docs.datadoghq.com/security/default_rules/zoom-users-to-privileged-role): "events
  where a user's role is changed to either "Co-Owner" or "Admin" ... events with
  @evt.category of "User" and @evt.name values of "Update" or "Batch Update" containing
  specific messages indicating role changes to privileged positions. Events are grouped by
  the email address of the user making these changes (@usr.email)." Its changelog says
  wildcard matching was removed (June 2025), so the messages are phrases of free text.
* "Zoom account sign in requirements changed" (def-000-83x,
  https://docs.datadoghq.com/security/default_rules/def-000-83x): password requirements
  turned off, password reuse allowed, two-factor authentication off, one-time-passcode
  sign-in off, on `@evt.category:"Account"`. INFERRED: `@evt.name:"Update"` (the action of
  every Zoom account-settings change) and the setting wording of the last two (from Zoom's
  security settings article, KB0064901, and its one-time passcode article, KB0063738).

Each rule runs through the local detection engine as a Datadog threshold rule (count > 0
per @usr.email) after this project's pipeline; it must fire on the right records and
only on those.
"""

from __future__ import annotations

import pytest

from contentkit.detect import compile_rule
from contentkit.load import ROOT, load_pipelines
from contentkit.rule_tests import expand_test_logs, process_logs

PACKS = load_pipelines(ROOT, [])

PRIVILEGED_ROLE = (
    'source:zoom_activity_logs @evt.category:"User" @evt.name:("Update" OR "Batch Update") '
    '("to Admin" OR "to Co-Owner")'
)
SIGN_IN_REQUIREMENTS = (
    'source:zoom_activity_logs @evt.category:"Account" @evt.name:"Update" ('
    '("Sign-In Password Requirement" "from On to Off") OR ("cannot reuse" "from On to Off") OR '
    '("Two-Factor Authentication" "from On to Off") OR ("one-time passcode" "from On to Off"))'
)


def ootb_rule(query: str) -> dict:
    return {
        "name": "Datadog default rule (reconstructed)",
        "type": "log_detection",
        "isEnabled": True,
        "queries": [{"name": "a", "query": query, "aggregation": "count", "groupByFields": ["@usr.email"]}],
        "cases": [{"name": "", "status": "medium", "condition": "a > 0"}],
        "options": {
            "detectionMethod": "threshold",
            "evaluationWindow": 0,
            "keepAlive": 3600,
            "maxSignalDuration": 86400,
        },
        "message": "reconstructed",
        "tags": [],
    }


def op(category: str, action: str, detail: str, operator: str = "admin@example.com") -> dict:
    return {
        "log_type": "operation",
        "operator": operator,
        "category_type": category,
        "action": action,
        "operation_detail": detail,
    }


def signals(query: str, log: dict) -> list:
    events = process_logs(expand_test_logs([{"log": log}]), PACKS)
    return compile_rule(ootb_rule(query)).evaluate(events)


PRIVILEGED_FIRES = {
    "Change Role to Co-Owner (Batch Update)": op(
        "User", "Batch Update", "Change Role  - homer.simpson@duff.io: from User to Co-Owner"
    ),
    "User Role to Admin (Update)": op(
        "User", "Update", "Update User bart@panther.io  - User Role: from Member to Admin"
    ),
    "User Role to Admin among other changes": op(
        "User",
        "Update",
        "Update User lisa@example.com  - Department: from R&D to Sales - User Role: from Member to Admin",
    ),
}
PRIVILEGED_QUIET = {
    "demotion from Admin": op("User", "Update", "Update User bart@panther.io  - User Role: from Admin to Member"),
    "job title change": op("User", "Update", "Update User bart@panther.io  - Job Title: set to Contractor"),
    "user added": op("User", "Add", "Add User new.hire@example.com "),
    "a role edited, not a user": op("Role", "Update", "Edit Role Admin  - Meeting:View: from Off to On"),
    # Datadog's rule reads Admin and Co-Owner only; this pack's own rule also catches these
    "to Billing Admin": op("User", "Update", "Update User bart@panther.io  - User Role: from Member to Billing Admin"),
}
REQUIREMENTS_FIRES = {
    "password requirement off": op(
        "Account", "Update", "Sign-In Password Requirement  - Include at least 1 special character: from On to Off"
    ),
    "password requirement off among others": op(
        "Account",
        "Update",
        "Sign-In Password Requirement  - Have at least specified length of characters: from 8 to 14 "
        "- Include at least 1 number: from On to Off",
    ),
    "password reuse allowed": op(
        "Account", "Update", "Password Policy  - Users cannot reuse any password used in the previous: from On to Off"
    ),
    "two-factor authentication off": op(
        "Account", "Update", "Security  - Sign in with Two-Factor Authentication: from On to Off"
    ),
    "one-time passcode sign-in off": op(
        "Account", "Update", "Sign-in Methods  - Allow users to sign in with a one-time passcode: from On to Off"
    ),
}
REQUIREMENTS_QUIET = {
    "two-factor authentication on": op(
        "Account", "Update", "Security  - Sign in with Two-Factor Authentication: from Off to On"
    ),
    "password requirement made stricter": op(
        "Account", "Update", "Sign-In Password Requirement  - Include at least 1 special character: from Off to On"
    ),
    "another security setting off": op("Account", "Update", "Security  - Waiting Room: from On to Off"),
    "a group's setting, not the account's": op(
        "User Group", "Update", "Edit Group Sales  - Sign in with Two-Factor Authentication: from On to Off"
    ),
}


@pytest.mark.parametrize("log", PRIVILEGED_FIRES.values(), ids=list(PRIVILEGED_FIRES))
def test_privileged_role_rule_fires(log):
    fired = signals(PRIVILEGED_ROLE, log)
    assert len(fired) == 1 and fired[0].group == {"usr.email": log["operator"]}


@pytest.mark.parametrize("log", PRIVILEGED_QUIET.values(), ids=list(PRIVILEGED_QUIET))
def test_privileged_role_rule_stays_quiet(log):
    assert signals(PRIVILEGED_ROLE, log) == []


@pytest.mark.parametrize("log", REQUIREMENTS_FIRES.values(), ids=list(REQUIREMENTS_FIRES))
def test_sign_in_requirements_rule_fires(log):
    fired = signals(SIGN_IN_REQUIREMENTS, log)
    assert len(fired) == 1 and fired[0].group == {"usr.email": log["operator"]}


@pytest.mark.parametrize("log", REQUIREMENTS_QUIET.values(), ids=list(REQUIREMENTS_QUIET))
def test_sign_in_requirements_rule_stays_quiet(log):
    assert signals(SIGN_IN_REQUIREMENTS, log) == []


def test_the_rules_need_this_pipelines_contract():
    """Without the pipeline's evt.category / evt.name (the 1.x taxonomy, or a raw line) the
    reconstructed rules cannot fire: the test depends on the contract, not on luck."""
    log = PRIVILEGED_FIRES["User Role to Admin (Update)"]
    events = process_logs(expand_test_logs([{"log": log}]), PACKS)
    events[0]["evt"]["name"] = "zoom.user.role_change"
    events[0]["evt"]["category"] = "iam"
    assert compile_rule(ootb_rule(PRIVILEGED_ROLE)).evaluate(events) == []
