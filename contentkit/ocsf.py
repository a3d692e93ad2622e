"""The Open Cybersecurity Schema Framework, offline, pinned to one version, and a
validator for the normalized events the pipeline writes under a log's `ocsf` attribute.

The schema is the OCSF project's own compiled export of release OCSF_VERSION (every
class, object, dictionary type, enum, requirement and profile), as the PyPI package
ocsf-json-schema carries it; that package also turns a class into a JSON Schema
(2020-12, objects embedded under $defs, `additionalProperties: false`, the class's
`at_least_one`/`just_one` constraints, the types' regexes and ranges), which jsonschema
checks. On top of the JSON Schema this module checks what it cannot express:
type_uid = class_uid * 100 + activity_id, timestamps in milliseconds, IP addresses that
parse, the declared profiles, metadata.version, and it words every error with the
path of the attribute and the OCSF names involved.

Profiles are taken the OCSF way, from the event's `metadata.profiles`: the attributes
a profile adds (`cloud`, `device`, `time_dt`, ...) are unknown unless it is declared,
and its required attributes are required once it is.

    python -m contentkit.ocsf --describe 3001   # activities, required and recommended
    python -m contentkit.ocsf --list            # every class of the pinned version
    python -m contentkit.ocsf --validate FILE   # NDJSON lines, each log's `ocsf` checked
"""

from __future__ import annotations

import argparse
import functools
import ipaddress
import json
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, TypeGuard

import jsonschema
from ocsf_json_schema import OcsfJsonSchemaEmbedded

OCSF_VERSION = "1.8.0"

SCHEMA_PACKAGE = "ocsf_json_schema"  # the import name of the package carrying the export
LOG_ATTRIBUTE = "ocsf"  # the log attribute the events live under; every error path starts with it

# timestamp_t is milliseconds since the epoch: below this (1973-03-03 in ms) the value is
# in seconds, above the next (5138 in ms) in microseconds or nanoseconds
MIN_TIMESTAMP_MS = 10**11
MAX_TIMESTAMP_MS = 10**14

_JSON_TYPES = {"object": "an object", "array": "an array", "string": "a string", "integer": "an integer"}
_JSON_TYPES |= {"number": "a number", "boolean": "a boolean", "null": "null"}


# --------------------------------------------------------------------------- the schema


@functools.cache
def export() -> dict:
    """The OCSF project's compiled export of OCSF_VERSION (read once, shared: do not edit)."""
    path = resources.files(SCHEMA_PACKAGE) / "ocsf" / f"{OCSF_VERSION}.json"
    data = json.loads(path.read_text("utf-8"))
    if data.get("version") != OCSF_VERSION:
        raise RuntimeError(f"{path} holds OCSF {data.get('version')}, not the pinned {OCSF_VERSION}")
    return data


def _types() -> dict:
    return export()["dictionary"]["types"]["attributes"]


def _categories() -> dict[int, tuple[str, str]]:
    return {c["uid"]: (name, c["caption"]) for name, c in export()["categories"]["attributes"].items()}


@functools.cache
def _class_names() -> dict[int, str]:
    return {c["uid"]: name for name, c in export()["classes"].items()}


def _object(name: str) -> dict:
    return export()["objects"][name]


def _enum(definition: dict) -> dict[int | str, str]:
    """An attribute's enum, {value: caption}, in value order (integer values as int)."""
    items = definition.get("enum", {}).items()
    numbers = {int(k): v.get("caption", "") for k, v in items if k.lstrip("-").isdigit()}
    words = {k: v.get("caption", "") for k, v in items if not k.lstrip("-").isdigit()}
    return {**dict(sorted(numbers.items())), **dict(sorted(words.items()))}


def _deprecated(definition: dict) -> str | None:
    note = definition.get("@deprecated")
    if not note:
        return None
    message = str(note.get("message", "")).replace("<code>", "`").replace("</code>", "`")
    return f"since {note.get('since', '?')}: {message}".strip()


@dataclass(frozen=True)
class Attribute:
    """One attribute of a class or an object, as the pinned OCSF version defines it."""

    name: str
    caption: str
    type: str  # the OCSF type: string_t, timestamp_t, ... or object_t (see object_type)
    requirement: str  # required, recommended or optional
    object_type: str | None = None  # the object's name, for object_t
    is_array: bool = False
    profiles: tuple[str, ...] = ()  # present only with one of these profiles (none: always)
    enum: dict[int | str, str] = field(default_factory=dict)
    deprecated: str | None = None

    @property
    def type_text(self) -> str:
        base = f"object {self.object_type}" if self.type == "object_t" else self.type
        return f"array of {base}" if self.is_array else base


def _attribute(name: str, d: dict) -> Attribute:
    return Attribute(
        name=name,
        caption=d.get("caption", name),
        type=d.get("type", "?"),
        requirement=d.get("requirement", "optional"),
        object_type=d.get("object_type"),
        is_array=bool(d.get("is_array")),
        profiles=tuple(d.get("profiles") or ()),
        enum=_enum(d),
        deprecated=_deprecated(d),
    )


def _attributes(definition: dict) -> dict[str, Attribute]:
    return {name: _attribute(name, d) for name, d in sorted(definition.get("attributes", {}).items())}


def _requirement(attributes: dict[str, Attribute], level: str) -> tuple[str, ...]:
    """The attributes of a requirement level that apply without any profile; deprecated
    ones are left out of recommended (they stay required if they are)."""
    return tuple(
        a.name
        for a in attributes.values()
        if a.requirement == level and not a.profiles and (level == "required" or not a.deprecated)
    )


@dataclass(frozen=True)
class ObjectInfo:
    name: str
    caption: str
    description: str
    required: tuple[str, ...]
    recommended: tuple[str, ...]
    constraints: dict[str, tuple[str, ...]]  # at_least_one / just_one: attribute names
    deprecated: str | None
    attributes: dict[str, Attribute]


@dataclass(frozen=True)
class ClassInfo:
    uid: int
    name: str
    caption: str
    description: str
    category_uid: int
    category: str  # the category's name (iam, application, ...)
    category_caption: str
    activities: dict[int, str]  # activity_id: name
    required: tuple[str, ...]  # without any profile
    recommended: tuple[str, ...]  # without any profile, deprecated ones left out
    constraints: dict[str, tuple[str, ...]]  # at_least_one / just_one: attribute names
    profiles: tuple[str, ...]  # the profiles that apply to the class
    deprecated: str | None
    attributes: dict[str, Attribute]

    def type_uid(self, activity_id: int) -> int:
        return self.uid * 100 + activity_id


def _constraints(definition: dict) -> dict[str, tuple[str, ...]]:
    return {kind: tuple(names) for kind, names in definition.get("constraints", {}).items()}


def _strip_html(text: str) -> str:
    for tag in ("<code>", "</code>", "<b>", "</b>", "<br>", "<p>", "</p>"):
        text = text.replace(tag, "`" if "code" in tag else "")
    return text


def class_uid_of(name_or_uid: int | str) -> int:
    """A class's uid from its uid (3002, "3002") or its name ("authentication")."""
    if isinstance(name_or_uid, int) or str(name_or_uid).isdigit():
        uid = int(name_or_uid)
        if uid not in _class_names():
            raise KeyError(f"{uid} is not a class of OCSF {OCSF_VERSION}")
        return uid
    definition = export()["classes"].get(str(name_or_uid).lower())
    if definition is None:
        raise KeyError(f"{name_or_uid!r} is not a class of OCSF {OCSF_VERSION}")
    return int(definition["uid"])


def class_info(class_uid: int | str) -> ClassInfo:
    """What the pipeline author needs to map onto a class (its uid or name): name,
    category, activities {id: name}, required and recommended attributes, constraints,
    profiles. KeyError for a class the pinned version does not have."""
    return _class_info(class_uid_of(class_uid))


@functools.cache
def _class_info(uid: int) -> ClassInfo:
    definition = export()["classes"][_class_names()[uid]]
    attributes = _attributes(definition)
    category_name, category_caption = _categories().get(definition["category_uid"], (definition["category"], ""))
    return ClassInfo(
        uid=uid,
        name=definition["name"],
        caption=definition["caption"],
        description=_strip_html(definition.get("description", "")),
        category_uid=definition["category_uid"],
        category=category_name,
        category_caption=category_caption,
        activities={int(k): v for k, v in attributes["activity_id"].enum.items()},
        required=_requirement(attributes, "required"),
        recommended=_requirement(attributes, "recommended"),
        constraints=_constraints(definition),
        profiles=tuple(definition.get("profiles") or ()),
        deprecated=_deprecated(definition),
        attributes=attributes,
    )


@functools.cache
def object_info(name: str) -> ObjectInfo:
    """An object's requirements, for the objects a class references (user, actor, ...)."""
    definition = _object(name)
    attributes = _attributes(definition)
    return ObjectInfo(
        name=name,
        caption=definition.get("caption", name),
        description=_strip_html(definition.get("description", "")),
        required=_requirement(attributes, "required"),
        recommended=_requirement(attributes, "recommended"),
        constraints=_constraints(definition),
        deprecated=_deprecated(definition),
        attributes=attributes,
    )


def classes() -> list[ClassInfo]:
    """Every class of the pinned version, by uid."""
    return [class_info(uid) for uid in sorted(_class_names())]


@functools.cache
def _generator() -> OcsfJsonSchemaEmbedded:
    return OcsfJsonSchemaEmbedded(export())


@functools.cache
def json_schema(class_uid: int, profiles: tuple[str, ...] = ()) -> dict:
    """The JSON Schema (2020-12) of a class with these profiles applied, objects embedded."""
    unknown = sorted(set(profiles) - set(export()["profiles"]))
    if unknown:
        raise KeyError(f"{', '.join(unknown)}: not a profile of OCSF {OCSF_VERSION}")
    return _generator().get_class_schema(_class_names()[class_uid_of(class_uid)], sorted(profiles))


@functools.cache
def _validator(class_uid: int, profiles: tuple[str, ...]) -> jsonschema.Draft202012Validator:
    # the schema itself is checked against the 2020-12 metaschema in the tests (0.3 s a class)
    return jsonschema.Draft202012Validator(json_schema(class_uid, profiles))


# --------------------------------------------------------------------------- validation


def _path(parts: Iterable[str | int]) -> str:
    text = LOG_ATTRIBUTE
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)  # JSON's true is no integer


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


class _Scope:
    """Where a place in the event is in the definitions: the class, or the object whose
    attributes apply there, and the attribute the value at that place is (if any)."""

    def __init__(self, info: ClassInfo, parts: Iterable[str | int]):
        self.owner = f"class {info.caption} ({info.uid})"
        self.attributes: dict[str, Attribute] = info.attributes
        self.attribute: Attribute | None = None
        self.element = False  # the value is one element of an array attribute
        for part in parts:
            if isinstance(part, int):
                self.element = True
                continue
            self.attribute = self.attributes.get(part)
            self.element = False
            if self.attribute is None:
                self.attributes = {}
                continue
            if self.attribute.object_type:
                self.owner = f"object {self.attribute.object_type}"
                self.attributes = object_info(self.attribute.object_type).attributes
            else:
                self.attributes = {}

    @property
    def ocsf_type(self) -> str:
        if self.attribute is None:
            return "?"
        if self.element or not self.attribute.is_array:
            return f"object {self.attribute.object_type}" if self.attribute.object_type else self.attribute.type
        return self.attribute.type_text


def _type_caption(ocsf_type: str) -> str:
    caption = _types().get(ocsf_type, {}).get("caption")
    return f"{ocsf_type} ({caption})" if caption else ocsf_type


def _enum_text(values: Mapping[Any, str], limit: int = 0) -> str:
    items = [f"{v} {c}" for v, c in values.items()]
    if limit and len(items) > limit:
        return ", ".join(items[:limit]) + f", ... ({len(items)} values)"
    return ", ".join(items)


def _messages(error: jsonschema.ValidationError, info: ClassInfo) -> Iterator[str]:
    parts = list(error.absolute_path)
    path = _path(parts)
    scope = _Scope(info, parts)
    kind = error.validator
    instance: Any = error.instance
    value: Any = error.validator_value  # typed by jsonschema as possibly unset: set for every error here
    schema: Any = error.schema
    if kind == "required":
        for name in value:
            if isinstance(instance, dict) and name not in instance:
                yield f"{_path([*parts, name])}: required attribute missing (required by {scope.owner})"
    elif kind == "additionalProperties":
        known = schema.get("properties", {})
        for name in instance:
            if name in known:
                continue
            attribute = scope.attributes.get(name)
            where = _path([*parts, name])
            if attribute is not None and attribute.profiles:
                named = ", ".join(attribute.profiles)
                yield f"{where}: attribute of the profile {named}, not declared in metadata.profiles"
            else:
                yield (
                    f"{where}: unknown attribute: {scope.owner} has none such in OCSF {OCSF_VERSION}"
                    " (source fields without a mapping go under `unmapped`)"
                )
    elif kind == "type":
        if instance is None:
            yield f"{path}: null is not allowed in OCSF events: leave the attribute out"
        else:
            expected = " or ".join(_JSON_TYPES.get(t, t) for t in ([value] if isinstance(value, str) else value))
            got = f"{_kind(instance)} {_short(instance)}"
            yield f"{path}: expected {_type_caption(scope.ocsf_type)}, {expected}; got {got}"
    elif kind in ("enum", "const"):
        attribute = scope.attribute
        if parts == ["category_uid"]:
            yield (
                f"{path}: {_short(instance)} is not the category of {scope.owner}:"
                f" {info.category_uid} ({info.category_caption})"
            )
        elif parts == ["activity_id"]:
            yield f"{path}: {_short(instance)} is not an activity of {scope.owner}: {_enum_text(info.activities)}"
        else:
            allowed = _enum_text(attribute.enum, 12) if attribute and attribute.enum else _short(value)
            yield f"{path}: {_short(instance)} is not a value of {parts[-1] if parts else 'it'}: {allowed}"
    elif kind == "pattern":
        yield f"{path}: {_short(instance)} is not a valid {_type_caption(scope.ocsf_type)}"
    elif kind == "maxLength":
        yield f"{path}: longer than {value} characters, the limit of {scope.ocsf_type}"
    elif kind in ("minimum", "maximum"):
        low, high = schema.get("minimum"), schema.get("maximum")
        yield f"{path}: {_short(instance)} is outside the range of {scope.ocsf_type}, {low} to {high}"
    elif kind == "anyOf" and all(list(branch) == ["required"] for branch in value):
        names = [n for branch in value for n in branch["required"]]
        yield f"{path}: at least one of {', '.join(names)} is required (a constraint of {scope.owner})"
    elif kind == "oneOf" and all(list(branch) == ["required"] for branch in value):
        names = [n for branch in value for n in branch["required"]]
        present = [n for n in names if isinstance(instance, dict) and n in instance]
        found = f"found {', '.join(present)}" if present else "found none"
        yield f"{path}: exactly one of {', '.join(names)} is required, {found} (a constraint of {scope.owner})"
    else:
        yield f"{path}: {error.message}"


def _declared_profiles(event: dict, info: ClassInfo, errors: list[str]) -> tuple[str, ...]:
    metadata = event.get("metadata")
    declared = metadata.get("profiles") if isinstance(metadata, dict) else None
    if not isinstance(declared, list):
        return ()  # absent, or a wrong type the schema reports
    known = export()["profiles"]
    profiles = []
    for i, name in enumerate(declared):
        if not isinstance(name, str):
            continue  # the schema reports it
        where = _path(["metadata", "profiles", i])
        if name not in known:
            errors.append(f"{where}: {name!r} is not a profile of OCSF {OCSF_VERSION}: {', '.join(sorted(known))}")
        elif name not in info.profiles:
            errors.append(f"{where}: the profile {name!r} does not apply to class {info.caption} ({info.uid})")
        else:
            profiles.append(name)
    return tuple(sorted(set(profiles)))


def _value_checks(value: Any, attributes: dict[str, Attribute], parts: list[str | int]) -> Iterator[str]:
    """What the JSON Schema does not say: timestamps in milliseconds, IPs that parse."""
    if not isinstance(value, dict):
        return
    for name, item in value.items():
        attribute = attributes.get(name)
        if attribute is None:
            continue
        elements = list(enumerate(item)) if attribute.is_array and isinstance(item, list) else [(None, item)]
        for i, element in elements:
            where = [*parts, name] if i is None else [*parts, name, i]
            if attribute.type == "timestamp_t" and _is_int(element):
                if not MIN_TIMESTAMP_MS <= element < MAX_TIMESTAMP_MS:
                    unit = "seconds" if element < MIN_TIMESTAMP_MS else "micro- or nanoseconds"
                    yield f"{_path(where)}: {element} looks like {unit}: timestamp_t is milliseconds since the epoch"
            elif attribute.type == "ip_t" and isinstance(element, str):
                try:
                    ipaddress.ip_address(element)
                except ValueError:
                    yield f"{_path(where)}: {_short(element)} is not a valid {_type_caption('ip_t')}"
            elif attribute.object_type and isinstance(element, dict):
                yield from _value_checks(element, object_info(attribute.object_type).attributes, where)


def validate(event: Any) -> list[str]:
    """Every error of an OCSF event (the value of a log's `ocsf` attribute) against the
    pinned OCSF version, each naming the attribute's path (ocsf.actor.user.email_addr);
    an empty list when the event is valid."""
    if not isinstance(event, dict):
        return [f"{LOG_ATTRIBUTE}: expected an object, got {_kind(event)} {_short(event)}"]
    class_uid = event.get("class_uid")
    if class_uid is None:
        return [f"{_path(['class_uid'])}: required attribute missing: it names the OCSF class to check against"]
    if not _is_int(class_uid):
        return [f"{_path(['class_uid'])}: expected integer_t (Integer), got {_kind(class_uid)} {_short(class_uid)}"]
    if class_uid not in _class_names():
        return [f"{_path(['class_uid'])}: {class_uid} is not a class of OCSF {OCSF_VERSION}"]
    info = class_info(class_uid)
    errors: list[str] = []
    profiles = _declared_profiles(event, info, errors)

    # type_uid from class_uid and activity_id (the schema's enum of type_uids would only
    # say that a value is not one of them)
    activity_id, type_uid = event.get("activity_id"), event.get("type_uid")
    checked_type_uid = _is_int(activity_id)
    if _is_int(activity_id) and _is_int(type_uid):
        expected = info.type_uid(activity_id)
        if type_uid != expected:
            errors.append(
                f"{_path(['type_uid'])}: {type_uid} is not class_uid * 100 + activity_id ="
                f" {class_uid} * 100 + {activity_id} = {expected}"
            )
    metadata = event.get("metadata")
    version = metadata.get("version") if isinstance(metadata, dict) else None
    if isinstance(version, str) and version != OCSF_VERSION:
        errors.append(f"{_path(['metadata', 'version'])}: {version!r}, but events are checked against {OCSF_VERSION}")

    schema_errors = list(_validator(class_uid, profiles).iter_errors(event))
    mistyped = {tuple(e.absolute_path) for e in schema_errors if e.validator == "type"}
    for error in schema_errors:
        place = tuple(error.absolute_path)
        if error.validator in ("enum", "const", "pattern") and place in mistyped:
            continue  # a value of the wrong type: that one error says it
        if checked_type_uid and place == ("type_uid",) and error.validator in ("enum", "const"):
            continue
        errors.extend(_messages(error, info))
    failed = {e.split(":", 1)[0] for e in errors}
    errors.extend(e for e in _value_checks(event, info.attributes, []) if e.split(":", 1)[0] not in failed)
    return sorted(dict.fromkeys(errors))


# --------------------------------------------------------------------------- the command line


def _object_note(attribute: Attribute) -> str:
    if not attribute.object_type:
        return ""
    obj = object_info(attribute.object_type)
    notes = []
    if obj.required:
        notes.append(f"requires {', '.join(obj.required)}")
    for kind, names in obj.constraints.items():
        notes.append(f"{kind.replace('_', ' ')} of {', '.join(names)}")
    return f"  [{'; '.join(notes)}]" if notes else ""


def _attribute_line(attribute: Attribute) -> str:
    text = f"  {attribute.name:<24} {attribute.type_text}"
    if attribute.enum and attribute.name not in ("activity_id", "type_uid"):
        text += f"  {{{_enum_text(attribute.enum)}}}"
    if attribute.deprecated:
        text += f"  DEPRECATED {attribute.deprecated}"
    return text + _object_note(attribute)


def describe(class_uid: int | str) -> str:
    """A class as the pipeline author needs it to choose a mapping."""
    info = class_info(class_uid)
    lines = [
        f"{info.caption} ({info.name}): class_uid {info.uid}, category_uid {info.category_uid}"
        f" {info.category_caption} ({info.category}), OCSF {OCSF_VERSION}",
    ]
    if info.deprecated:
        lines.append(f"DEPRECATED {info.deprecated}")
    lines += [info.description, "", "activities (activity_id: name, type_uid):"]
    lines += [f"  {a:>3}: {name:<28} {info.type_uid(a)}" for a, name in info.activities.items()]
    for title, names in (("required", info.required), ("recommended", info.recommended)):
        lines += ["", f"{title}:"] + [_attribute_line(info.attributes[n]) for n in names]
    for kind, names in info.constraints.items():
        lines += ["", f"constraint {kind}: {', '.join(names)}"]
    deprecated = [a for a in info.attributes.values() if a.deprecated and not a.profiles]
    if deprecated:
        lines += ["", "deprecated attributes:"] + [f"  {a.name:<24} {a.deprecated}" for a in deprecated]
    lines += ["", "profiles (declare in metadata.profiles; the attributes each adds):"]
    for profile in info.profiles:
        added = [a for a in info.attributes.values() if profile in a.profiles]
        text = ", ".join(f"{a.name} ({a.requirement})" for a in added) or "(adds attributes to objects only)"
        lines.append(f"  {profile}: {text}")
    optional = [a.name for a in info.attributes.values() if a.requirement == "optional" and not a.profiles]
    lines += ["", f"optional: {', '.join(optional)}"]
    return "\n".join(lines)


def _events(path: str) -> Iterator[tuple[int, Any]]:
    with open(path, encoding="utf-8") if path != "-" else sys.stdin as stream:
        text = stream.read()
    stripped = text.lstrip()
    if stripped.startswith("["):
        yield from enumerate(json.loads(text), 1)
        return
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            yield number, json.loads(line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m contentkit.ocsf", description=f"The OCSF {OCSF_VERSION} schema, offline, and its validator."
    )
    parser.add_argument("--describe", metavar="CLASS", help="a class (uid or name): activities, required, recommended")
    parser.add_argument("--list", action="store_true", help="every class of the pinned version")
    parser.add_argument("--json-schema", metavar="CLASS", help="print the JSON Schema of a class")
    parser.add_argument("--profile", action="append", default=[], help="with --json-schema: a profile to apply")
    parser.add_argument(
        "--validate", metavar="FILE", nargs="+", help="NDJSON (or a JSON array) of logs; each `ocsf` (or line) checked"
    )
    args = parser.parse_args(argv)
    try:
        if args.describe:
            print(describe(args.describe))
            return 0
        if args.json_schema:
            print(json.dumps(json_schema(class_uid_of(args.json_schema), tuple(sorted(args.profile))), indent=2))
            return 0
    except KeyError as error:
        print(f"error: {error.args[0]}", file=sys.stderr)
        return 2
    if args.list:
        for info in classes():
            mark = "  (deprecated)" if info.deprecated else ""
            print(f"{info.uid:>5}  {info.category_uid}  {info.name:<36} {info.caption}{mark}")
        return 0
    if args.validate:
        bad = 0
        for path in args.validate:
            for number, log in _events(path):
                if isinstance(log, dict) and LOG_ATTRIBUTE not in log and "class_uid" not in log:
                    messages = [f"{LOG_ATTRIBUTE}: missing: the log has no OCSF event"]
                else:
                    messages = validate(log.get(LOG_ATTRIBUTE, log) if isinstance(log, dict) else log)
                for message in messages:
                    bad += 1
                    print(f"{path}:{number}: {message}")
        return 1 if bad else 0
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
