"""contentkit.ocsf: the pinned OCSF schema, the class lookups and the event validator.

Each known-good event is the least a Zoom mapping would write for its class; each bad
one breaks one rule and the error must name the attribute's path.
"""

from __future__ import annotations

import copy
import hashlib
import json
from importlib import metadata, resources

import jsonschema
import pytest

from contentkit import ocsf
from contentkit.ocsf import OCSF_VERSION, class_info, validate

TIME = 1764186821000  # milliseconds
ZOOM = {"product": {"name": "Zoom", "vendor_name": "Zoom"}, "version": OCSF_VERSION}
USER = {"uid": "KDcuGIm1QgePTO8WbOqwIQ", "name": "Jane Doe", "email_addr": "jane.doe@example.com"}
ACTOR = {"user": {"uid": "z8yAAAAA8bbbQ", "email_addr": "admin@example.com", "type_id": 2}}
SRC = {"ip": "203.0.113.7"}


def event(class_uid: int, activity_id: int, **attributes) -> dict:
    info = class_info(class_uid)
    return {
        "class_uid": class_uid,
        "category_uid": info.category_uid,
        "activity_id": activity_id,
        "type_uid": class_uid * 100 + activity_id,
        "time": TIME,
        "severity_id": 1,
        "metadata": copy.deepcopy(ZOOM),
        **copy.deepcopy(attributes),
    }


GOOD = {
    3001: event(3001, 3, user=USER, actor=ACTOR, src_endpoint=SRC, status_id=1, user_result=USER),
    3002: event(
        3002,
        1,
        user=USER,
        service={"name": "Zoom"},
        src_endpoint=SRC,
        status_id=2,
        status_detail="Password incorrect",
        is_mfa=False,
        auth_protocol_id=4,
        unmapped={"client_type": "Browser", "version": "-"},
    ),
    3003: event(3003, 1, user=USER, privileges=["Owner"]),
    3004: event(
        3004,
        3,
        entity={"name": "Meeting settings", "type": "Account Settings"},
        entity_result={"name": "Meeting settings", "type": "Account Settings"},
        actor=ACTOR,
        comment="Waiting room: on -> off",
    ),
    3005: event(3005, 1, user=USER, privileges=["Admin"], actor=ACTOR, resources=[{"name": "Role", "uid": "2"}]),
    3006: event(3006, 3, group={"name": "Sales", "uid": "g-1"}, user=USER, actor=ACTOR),
    6001: event(
        6001,
        7,
        web_resources=[{"name": "Cloud Recording", "type": "recording", "url_string": "https://zoom.us/rec/1"}],
        src_endpoint=SRC,
        http_request={"user_agent": "Mozilla/5.0", "http_method": "GET"},
    ),
    6002: event(6002, 1, app={"name": "Zoom Workplace", "version": "6.2.0"}),
    6003: event(
        6003,
        3,
        actor=ACTOR,
        api={"operation": "Update user settings", "service": {"name": "Zoom"}},
        src_endpoint=SRC,
        resources=[{"name": "User", "uid": "KDcuGIm1QgePTO8WbOqwIQ"}],
        observables=[{"type_id": 5, "name": "actor.user.email_addr", "value": "admin@example.com"}],
    ),
    6004: event(6004, 2, web_resources=[{"name": "Report"}], http_request={"http_method": "GET"}),
    6005: event(6005, 2, actor=ACTOR, src_endpoint=SRC, database={"name": "users", "type_id": 1}),
    6006: event(6006, 3, actor=ACTOR, src_endpoint=SRC, file={"name": "notes.txt", "type_id": 1}),
    6007: event(6007, 1, scan={"name": "nightly", "type_id": 2}),
    6008: event(6008, 1, message="crash"),
}

USED = (3001, 3002, 3004, 3005, 3006, 6001, 6003)


def test_the_schema_is_the_pinned_version():
    assert OCSF_VERSION == "1.8.0"
    assert ocsf.export()["version"] == OCSF_VERSION
    # the compiled export (v2 layout: dictionary, categories, profiles, extensions)
    assert {"dictionary", "categories", "classes", "objects", "profiles"} <= set(ocsf.export())
    assert metadata.version("ocsf-json-schema").split(".")[0] == "1"
    for uid in USED:
        assert json.dumps(ocsf.json_schema(uid)).count(f"/schema/{OCSF_VERSION}/classes/") == 1


# the export's bytes as ocsf-json-schema 1.2.0 ships them: a release that changes them
# (a re-export of the same version) must be looked at before the pin moves on
EXPORT_SHA256 = "221b43d05787aa68d03233589f0eabdab192531d3e4740b856b2e0a4d6d91f82"


def test_the_export_is_the_one_reviewed():
    data = (resources.files(ocsf.SCHEMA_PACKAGE) / "ocsf" / f"{OCSF_VERSION}.json").read_bytes()
    assert hashlib.sha256(data).hexdigest() == EXPORT_SHA256


def test_every_class_of_categories_3_and_6_is_there():
    by_category = {c: sorted(i.uid for i in ocsf.classes() if i.category_uid == c) for c in (3, 6)}
    assert by_category == {3: [3001, 3002, 3003, 3004, 3005, 3006], 6: list(range(6001, 6009))}
    assert set(GOOD) == set(by_category[3] + by_category[6])


@pytest.mark.parametrize("class_uid", sorted(GOOD))
def test_a_known_good_event_per_class_passes(class_uid):
    assert validate(GOOD[class_uid]) == []


@pytest.mark.parametrize("class_uid", sorted(GOOD))
def test_the_good_events_pass_with_every_profile_the_class_takes_that_adds_no_required_attribute(class_uid):
    info = class_info(class_uid)
    profiles = [
        p
        for p in info.profiles
        if not any(p in a.profiles and a.requirement == "required" for a in info.attributes.values())
    ]
    e = copy.deepcopy(GOOD[class_uid])
    e["metadata"]["profiles"] = profiles
    assert validate(e) == []


def test_class_info_of_the_classes_to_map():
    auth = class_info(3002)
    assert (auth.name, auth.caption, auth.category_uid, auth.category) == ("authentication", "Authentication", 3, "iam")
    assert auth.activities[1] == "Logon" and auth.activities[2] == "Logoff" and auth.activities[99] == "Other"
    assert set(auth.required) == {
        "activity_id",
        "category_uid",
        "class_uid",
        "metadata",
        "severity_id",
        "time",
        "type_uid",
        "user",
    }
    assert {"actor", "src_endpoint", "service", "status_id", "is_mfa"} <= set(auth.recommended)
    assert auth.constraints == {"at_least_one": ("service", "dst_endpoint")}
    assert "user" in class_info(3001).required and class_info(3001).activities[3] == "Password Change"
    entity = class_info(3004)
    assert "entity" in entity.required and "entity_result" in entity.recommended
    assert "privileges" in class_info(3005).required
    assert "group" in class_info(3006).required and "user" in class_info(3006).recommended
    assert "web_resources" in class_info(6001).required
    assert {"actor", "api", "src_endpoint"} <= set(class_info(6003).required)
    assert class_info(6004).deprecated and not class_info(6001).deprecated
    # Web Resources Activity has an actor only with the host profile
    assert class_info(6001).attributes["actor"].profiles == ("host",)
    assert class_info("authentication") is auth
    with pytest.raises(KeyError, match="not a class"):
        class_info(9999)


def test_the_objects_a_mapping_fills():
    assert ocsf.object_info("user").constraints == {"at_least_one": ("account", "name", "uid")}
    assert ocsf.object_info("user").attributes["email_addr"].type == "email_t"
    assert ocsf.object_info("metadata").required == ("product", "version")
    assert ocsf.object_info("network_endpoint").attributes["ip"].type == "ip_t"
    assert ocsf.object_info("actor").attributes["user"].object_type == "user"


def errors_of(e: dict) -> list[str]:
    errors = validate(e)
    assert errors, "expected errors"
    return errors


def test_a_missing_required_attribute_is_named():
    e = copy.deepcopy(GOOD[3002])
    del e["user"]
    assert errors_of(e) == ["ocsf.user: required attribute missing (required by class Authentication (3002))"]


def test_a_missing_required_attribute_of_a_present_object_is_named():
    e = copy.deepcopy(GOOD[3002])
    del e["metadata"]["version"]
    assert errors_of(e) == ["ocsf.metadata.version: required attribute missing (required by object metadata)"]
    e = copy.deepcopy(GOOD[6003])
    del e["api"]["operation"]
    assert errors_of(e) == ["ocsf.api.operation: required attribute missing (required by object api)"]


def test_an_object_constraint_is_checked():
    e = copy.deepcopy(GOOD[3002])
    e["user"] = {"email_addr": "jane.doe@example.com"}  # an email alone is no user
    assert errors_of(e) == ["ocsf.user: at least one of account, name, uid is required (a constraint of object user)"]
    e = copy.deepcopy(GOOD[3002])
    del e["service"]
    assert errors_of(e) == [
        "ocsf: at least one of service, dst_endpoint is required (a constraint of class Authentication (3002))"
    ]


def test_just_one_is_exactly_one():
    e = copy.deepcopy(GOOD[3003])
    e["group"] = {"name": "Admins"}
    (error,) = errors_of(e)
    assert error.startswith("ocsf: exactly one of privileges, group is required, found privileges, group")


def test_a_wrong_type_uid():
    e = copy.deepcopy(GOOD[3002])
    e["type_uid"] = 300202
    assert errors_of(e) == ["ocsf.type_uid: 300202 is not class_uid * 100 + activity_id = 3002 * 100 + 1 = 300201"]


def test_an_activity_outside_the_enum():
    e = copy.deepcopy(GOOD[3001])
    e["activity_id"], e["type_uid"] = 42, 300142
    (error,) = errors_of(e)
    assert error.startswith(
        "ocsf.activity_id: 42 is not an activity of class Account Change (3001): 0 Unknown, 1 Create"
    )


def test_a_category_that_is_not_the_class_s():
    e = copy.deepcopy(GOOD[6003])
    e["category_uid"] = 3
    assert errors_of(e) == [
        "ocsf.category_uid: 3 is not the category of class API Activity (6003): 6 (Application Activity)"
    ]


def test_an_unknown_class():
    assert validate({"class_uid": 3999}) == ["ocsf.class_uid: 3999 is not a class of OCSF 1.8.0"]
    assert validate({"activity_id": 1}) == [
        "ocsf.class_uid: required attribute missing: it names the OCSF class to check against"
    ]
    assert validate({"class_uid": "3002"}) == ["ocsf.class_uid: expected integer_t (Integer), got a string '3002'"]
    assert validate([1]) == ["ocsf: expected an object, got an array [1]"]


def test_a_string_where_an_integer_is_one_error():
    e = copy.deepcopy(GOOD[3002])
    e["severity_id"] = "1"
    assert errors_of(e) == ["ocsf.severity_id: expected integer_t (Integer), an integer; got a string '1'"]
    e = copy.deepcopy(GOOD[3002])
    e["time"] = "2025-11-26T19:53:41Z"
    assert errors_of(e) == [
        "ocsf.time: expected timestamp_t (Timestamp), an integer; got a string '2025-11-26T19:53:41Z'"
    ]
    e = copy.deepcopy(GOOD[3002])
    e["is_mfa"] = 0
    assert errors_of(e) == ["ocsf.is_mfa: expected boolean_t (Boolean), a boolean; got an integer 0"]


def test_an_enum_value_out_of_range():
    e = copy.deepcopy(GOOD[3002])
    e["severity_id"], e["status_id"] = 7, 3
    assert errors_of(e) == [
        "ocsf.severity_id: 7 is not a value of severity_id: 0 Unknown, 1 Informational, 2 Low, 3 Medium, 4 High,"
        " 5 Critical, 6 Fatal, 99 Other",
        "ocsf.status_id: 3 is not a value of status_id: 0 Unknown, 1 Success, 2 Failure, 99 Other",
    ]


def test_a_bad_email():
    e = copy.deepcopy(GOOD[3001])
    e["actor"]["user"]["email_addr"] = "admin at example.com"
    assert errors_of(e) == ["ocsf.actor.user.email_addr: 'admin at example.com' is not a valid email_t (Email Address)"]


def test_a_bad_ip():
    e = copy.deepcopy(GOOD[3002])
    e["src_endpoint"]["ip"] = "203.0.113"
    assert errors_of(e) == ["ocsf.src_endpoint.ip: '203.0.113' is not a valid ip_t (IP Address)"]
    e["src_endpoint"]["ip"] = "203x0x113x7"  # OCSF's regex leaves its dots unescaped
    assert errors_of(e) == ["ocsf.src_endpoint.ip: '203x0x113x7' is not a valid ip_t (IP Address)"]
    e["src_endpoint"]["ip"] = "2001:db8::1"
    assert validate(e) == []


def test_timestamps_are_milliseconds():
    e = copy.deepcopy(GOOD[3002])
    e["time"] = TIME // 1000
    assert errors_of(e) == ["ocsf.time: 1764186821 looks like seconds: timestamp_t is milliseconds since the epoch"]
    e["time"] = TIME * 1000
    (error,) = errors_of(e)
    assert "looks like micro- or nanoseconds" in error


def test_an_unknown_attribute_is_named_at_any_depth():
    e = copy.deepcopy(GOOD[3002])
    e["client_type"] = "Browser"
    e["user"]["zoom_role"] = "Owner"
    e["src_endpoint"]["ip_address"] = "203.0.113.7"
    assert errors_of(e) == [
        "ocsf.client_type: unknown attribute: class Authentication (3002) has none such in OCSF 1.8.0"
        " (source fields without a mapping go under `unmapped`)",
        "ocsf.src_endpoint.ip_address: unknown attribute: object network_endpoint has none such in OCSF 1.8.0"
        " (source fields without a mapping go under `unmapped`)",
        "ocsf.user.zoom_role: unknown attribute: object user has none such in OCSF 1.8.0"
        " (source fields without a mapping go under `unmapped`)",
    ]


def test_arrays_and_their_elements():
    e = copy.deepcopy(GOOD[3005])
    e["privileges"] = "Admin"
    assert errors_of(e) == ["ocsf.privileges: expected array of string_t, an array; got a string 'Admin'"]
    e = copy.deepcopy(GOOD[6001])
    e["web_resources"].append({"name": 7})
    assert errors_of(e) == ["ocsf.web_resources[1].name: expected string_t (String), a string; got an integer 7"]


def test_null_is_not_a_value():
    e = copy.deepcopy(GOOD[3002])
    e["status_id"] = None
    assert errors_of(e) == ["ocsf.status_id: null is not allowed in OCSF events: leave the attribute out"]


def test_profiles_come_from_metadata():
    e = copy.deepcopy(GOOD[3002])
    e["time_dt"] = "2025-11-26T19:53:41Z"
    assert errors_of(e) == ["ocsf.time_dt: attribute of the profile datetime, not declared in metadata.profiles"]
    e["metadata"]["profiles"] = ["datetime"]
    assert validate(e) == []
    e["metadata"]["profiles"] = ["datetime", "cloud"]  # cloud makes `cloud` required
    assert errors_of(e) == ["ocsf.cloud: required attribute missing (required by class Authentication (3002))"]
    e["cloud"] = {"provider": "Zoom"}
    assert validate(e) == []
    e["metadata"]["profiles"] = ["datetime", "nope", "trace"]
    assert errors_of(e) == [
        "ocsf.cloud: attribute of the profile cloud, not declared in metadata.profiles",
        "ocsf.metadata.profiles[1]: 'nope' is not a profile of OCSF 1.8.0: "
        + ", ".join(sorted(ocsf.export()["profiles"])),
        "ocsf.metadata.profiles[2]: the profile 'trace' does not apply to class Authentication (3002)",
    ]


def test_web_resources_activity_takes_an_actor_only_with_the_host_profile():
    e = copy.deepcopy(GOOD[6001])
    e["actor"] = copy.deepcopy(ACTOR)
    assert errors_of(e) == ["ocsf.actor: attribute of the profile host, not declared in metadata.profiles"]
    e["metadata"]["profiles"] = ["host"]
    assert validate(e) == []


def test_metadata_version_is_the_pinned_one():
    e = copy.deepcopy(GOOD[3002])
    e["metadata"]["version"] = "1.5.0"
    assert errors_of(e) == ["ocsf.metadata.version: '1.5.0', but events are checked against 1.8.0"]


def test_unmapped_takes_anything():
    e = copy.deepcopy(GOOD[3002])
    e["unmapped"] = {"operation_detail": "x", "nested": {"a": [1, None]}, "n": 1}
    assert validate(e) == []


def test_every_error_at_once():
    e = copy.deepcopy(GOOD[3002])
    e["type_uid"], e["severity_id"], e["extra"] = 1, "high", True
    del e["user"]
    assert [m.split(":")[0] for m in validate(e)] == ["ocsf.extra", "ocsf.severity_id", "ocsf.type_uid", "ocsf.user"]


def test_the_cli_describes_a_class(capsys):
    assert ocsf.main(["--describe", "3001"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        "Account Change (account_change): class_uid 3001, category_uid 3 Identity & Access Management"
    )
    assert "    3: Password Change              300103" in out
    required = out.split("\nrequired:\n")[1].split("\n\n")[0]
    assert "  user                     object user  [at least one of account, name, uid]" in required
    assert "recommended:\n  actor " in out and "user_result" in out
    assert "policy                   since 1.4.0: Use the `policies` attribute instead." in out
    assert ocsf.main(["--describe", "nope"]) == 2


def test_the_cli_lists_and_validates(capsys, tmp_path):
    assert ocsf.main(["--list"]) == 0
    assert " 3002  3  authentication" in capsys.readouterr().out
    good, bad = copy.deepcopy(GOOD[3002]), copy.deepcopy(GOOD[3002])
    bad["type_uid"] = 1
    logs = tmp_path / "logs.ndjson"
    logs.write_text("\n".join(json.dumps({"message": "x", "ocsf": e}) for e in (good, bad)) + "\n")
    assert ocsf.main(["--validate", str(logs)]) == 1
    assert (
        capsys.readouterr().out
        == f"{logs}:2: ocsf.type_uid: 1 is not class_uid * 100 + activity_id = 3002 * 100 + 1 = 300201\n"
    )
    logs.write_text(json.dumps({"ocsf": good}))
    assert ocsf.main(["--validate", str(logs)]) == 0
    assert ocsf.main(["--json-schema", "3002", "--profile", "cloud"]) == 0
    assert "cloud" in json.loads(capsys.readouterr().out)["required"]


@pytest.mark.slow
@pytest.mark.parametrize("class_uid", sorted(GOOD))
def test_the_generated_json_schemas_are_valid_2020_12(class_uid):
    jsonschema.Draft202012Validator.check_schema(ocsf.json_schema(class_uid))
    jsonschema.Draft202012Validator.check_schema(ocsf.json_schema(class_uid, class_info(class_uid).profiles))
