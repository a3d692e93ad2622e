"""Datadog's grok parser, offline: compile the rules once, parse many values.

    parser = compile_grok(match_rules, support_rules="")   # the API's grok.match_rules / grok.support_rules
    parser.parse("john connected on 11/08/2017")  -> {"user": "john", "date": 1510099200000} | None
    parser.match(value)   -> ("MyParsingRule", {...}) | None
    parser.rule_names     -> ["MyParsingRule", ...]
    parser.extracts()     -> {"user", "date"}

`parse` returns a flat dict of dotted attribute path -> value, in extraction order
(feed it to `contentkit.event.set_path` to build nested attributes).

Sources (the rules below cite them by these short names):

[P]   Parsing, https://docs.datadoghq.com/logs/log_configuration/parsing/
      (text checked against DataDog/documentation content/en/logs/log_configuration/parsing.md)
[RX]  Understanding Regular Expressions (Regex) for Log Parsing in Datadog,
      https://docs.datadoghq.com/logs/guide/regex_log_parsing/
[GP]  Grok Parser processor, https://docs.datadoghq.com/logs/log_configuration/processors/grok_parser/
[VG]  Datadog's own open-source port of this parser (Vector/VRL `parse_groks`):
      https://github.com/vectordotdev/vector/tree/master/lib/datadog/grok
      (patterns/core.pattern, src/parse_grok.rs, src/parse_grok_rules.rs, src/matchers/date.rs),
      continued in https://github.com/vectordotdev/vrl/tree/main/src/datadog/grok
      (filters/keyvalue.rs after PR #1015 "extend keyvalue filter to match Datadog implementation").
[I13423] https://github.com/vectordotdev/vector/issues/13423 -- Datadog's real output for
      the [P] keyvalue example: a value that stops at a character outside the allowlist
      drops the pair (`connect_date=11/08/2017` is not extracted).

Where the documentation does not settle a behaviour, the choice is marked "CHOICE"
with the reason.

Rule syntax
-----------
* One rule a line, `name pattern` [GP "List of match rules ... separated by a new
  line"]. Rule names: alphanumerics, `_` and `.`, starting with an alphanumeric [P];
  support (helper) rules may start with `_` as Datadog's own integration pipelines
  do. Names are unique across both lists [P].
* A pattern is a regular expression [RX "Grok rules in Datadog are effectively
  regular expressions"] holding `%{MATCHER:EXTRACT:FILTER}` [P]; the whole value
  must match: an implicit `^...$` [P, RX].
* A match rule may use support rules and match rules defined above it [P "Each
  rule can reference parsing rules defined above itself"]. CHOICE: support rules may
  use each other in any order (cycles rejected), as [VG] resolves them as aliases.
  A reference with an extract (`%{_value:x}`) captures the text the support rule
  matched, and the support rule's own extracts are kept too [VG alias_with_filter].
* Rules are tried top to bottom; the first that matches is the only one that
  extracts [P].
* The regex dialect is Java's (Datadog's pipelines run on the JVM; the date patterns
  are Joda's): `\\w \\d \\s \\b` and `(?i)` are ASCII-only (compiled with re.ASCII),
  `.` matches a newline unless `(?-s)`: [P] documents `data` ("Equivalent to .*") as
  matching "any string including spaces and newlines", and VRL's Datadog grok made
  DOTALL its default (vectordotdev/vrl#1022, 2024; its old test said otherwise),
  mid-pattern flags `(?i)` apply to the rest of their group,
  `(?<name>...)` extracts `name` [VG extracts_field_with_regex_capture]. Backreferences,
  `\\p{..}`, nested/intersected character classes raise UnsupportedProcessor.

Extraction semantics
--------------------
* `%{word}` without an extract matches and extracts nothing [P].
* Properties with null or empty values are not displayed [P]: an empty match and a
  `nullIf` hit omit the key.
* The same extract used twice in a rule gives an array in match order
  [VG appends_to_the_same_field]; only the branches that matched count, so
  `(%{integer:x}|%{word:x})` yields a single value.
* A filter that fails (e.g. `integer` on "abc", bad JSON) omits that key; the rule
  still matches [VG ignores_field_if_filter_fails].
* A filter without an extract (`%{data::json}`, `%{data::keyvalue}`) merges a
  resulting object at the top level; any other result is dropped
  [P keyvalue example; VG supports_filters_without_fields].

Matchers (regexes from [VG] patterns/core.pattern; meaning from [P])
--------------------------------------------------------------------
  word                \\b\\w+\\b                 notSpace  \\S+
  data                .*?  (lazy: [RX] "behaves like the regular expression .*?")
  integer/-Str        [+-]?\\d+                               -> int / str
  integerExt/-Str     [+-]?\\d+(?:[eE][+-]?\\d+)?             -> int / str
  number/-Str         [+-]?(?>\\d+(?:\\.\\d*)?|\\.\\d+)         -> float / str
  numberExt/-Str      number + (?:[eE][+-]?\\d+)?             -> float / str
  boolean             (?i:true|false); boolean("t","f") -> t|f (patterns, case-sensitive)
  doubleQuotedString  "[^"]*"   singleQuotedString '[^']*'   quotedString  either (quotes kept)
  uuid, mac (cisco/windows/common), ipv4, ipv6, ip, hostname, ipOrHost, port [1-9]\\d{0,4}
  regex("re")         the regex, Java dialect as above
  date("pattern"[, "timezone"[, "locale"]]) -> milliseconds since the epoch (see _DateSpec)

Filters
-------
  integer, number, boolean, lowercase, uppercase, nullIf("v"), json,
  keyvalue([separatorStr[, characterAllowList[, quotingStr[, delimiter]]]]),
  scale(factor), decodeuricomponent, querystring.
  Rejected with UnsupportedProcessor: rubyhash, useragent, xml, csv, array, url and any
  other name.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, unquote

from contentkit.errors import ContentError, UnsupportedProcessor
from contentkit.event import parent_of

__all__ = ["compile_grok", "GrokParser"]

_FLAGS = re.ASCII  # Java's default: ASCII \w \d \s \b and ASCII case folding


class _Skip(Exception):
    """A conversion/filter failed: the key is omitted (the rule still matches)."""


# --------------------------------------------------------------------------- matchers


def _noncapturing(pattern: str) -> str:
    """core.pattern's plain groups `(` -> `(?:` (they hold no classes with parens)."""
    return re.sub(r"\((?!\?)", "(?:", pattern)


_NUMBER = r"[+-]?(?>\d+(?:\.\d*)?|\.\d+)"
_NUMBER_EXT = _NUMBER + r"(?:[eE][+-]?\d+)?"
_INTEGER = r"[+-]?\d+"
_INTEGER_EXT = r"[+-]?\d+(?:[eE][+-]?\d+)?"
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|[0-1]?[0-9]{1,2})"
_IPV4 = rf"(?<![0-9])(?:{_OCTET}[.]{_OCTET}[.]{_OCTET}[.]{_OCTET})(?![0-9])"
_IPV6 = _noncapturing(
    r"((([0-9A-Fa-f]{1,4}:){7}([0-9A-Fa-f]{1,4}|:))|(([0-9A-Fa-f]{1,4}:){6}(:[0-9A-Fa-f]{1,4}|((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3})|:))"
    r"|(([0-9A-Fa-f]{1,4}:){5}(((:[0-9A-Fa-f]{1,4}){1,2})|:((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3})|:))"
    r"|(([0-9A-Fa-f]{1,4}:){4}(((:[0-9A-Fa-f]{1,4}){1,3})|((:[0-9A-Fa-f]{1,4})?:((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}))|:))"
    r"|(([0-9A-Fa-f]{1,4}:){3}(((:[0-9A-Fa-f]{1,4}){1,4})|((:[0-9A-Fa-f]{1,4}){0,2}:((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}))|:))"
    r"|(([0-9A-Fa-f]{1,4}:){2}(((:[0-9A-Fa-f]{1,4}){1,5})|((:[0-9A-Fa-f]{1,4}){0,3}:((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}))|:))"
    r"|(([0-9A-Fa-f]{1,4}:){1}(((:[0-9A-Fa-f]{1,4}){1,6})|((:[0-9A-Fa-f]{1,4}){0,4}:((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}))|:))"
    r"|(:(((:[0-9A-Fa-f]{1,4}){1,7})|((:[0-9A-Fa-f]{1,4}){0,5}:((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}))|:)))(%.+)?"
)
_IP = rf"(?:{_IPV6}|{_IPV4})"
# "We allow underscores in hostnames" [VG core.pattern]
_HOSTNAME = r"\b(?:[0-9A-Za-z][0-9A-Za-z_-]{0,62})(?:\.(?:[0-9A-Za-z][0-9A-Za-z_-]{0,62}))*(?:\.?|\b)"
_MAC = (
    r"(?:(?:[A-Fa-f0-9]{4}\.){2}[A-Fa-f0-9]{4}"  # cisco
    r"|(?:[A-Fa-f0-9]{2}-){5}[A-Fa-f0-9]{2}"  # windows
    r"|(?:[A-Fa-f0-9]{2}:){5}[A-Fa-f0-9]{2})"
)  # common
_DQ = r'"[^"]*"'
_SQ = r"'[^']*'"

_INT64 = (-(2**63), 2**63 - 1)


def _to_int(raw: str) -> int:
    value = int(raw)
    if not _INT64[0] <= value <= _INT64[1]:
        raise _Skip  # Datadog integers are 64-bit [VG parses to i64]
    return value


def _to_int_ext(raw: str) -> int:
    try:
        value = int(Decimal(raw))
    except (InvalidOperation, ValueError, OverflowError):
        raise _Skip from None
    if not _INT64[0] <= value <= _INT64[1]:
        raise _Skip
    return value


def _to_float(raw: str) -> float:
    return float(raw)


# name -> (regex, conversion of the matched text or None)
_SIMPLE_MATCHERS: dict[str, tuple[str, Callable[[str], Any] | None]] = {
    "word": (r"\b\w+\b", None),
    "notSpace": (r"\S+", None),
    "data": (r".*?", None),
    "integer": (_INTEGER, _to_int),
    "integerStr": (_INTEGER, None),
    "integerExt": (_INTEGER_EXT, _to_int_ext),
    "integerExtStr": (_INTEGER_EXT, None),
    "number": (_NUMBER, _to_float),
    "numberStr": (_NUMBER, None),
    "numberExt": (_NUMBER_EXT, _to_float),
    "numberExtStr": (_NUMBER_EXT, None),
    "doubleQuotedString": (_DQ, None),
    "singleQuotedString": (_SQ, None),
    "quotedString": (rf"(?>{_DQ}|{_SQ})", None),
    "uuid": (r"[A-Fa-f0-9]{8}-(?:[A-Fa-f0-9]{4}-){3}[A-Fa-f0-9]{12}", None),
    "mac": (_MAC, None),
    "ipv4": (_IPV4, None),
    "ipv6": (_IPV6, None),
    "ip": (_IP, None),
    "hostname": (_HOSTNAME, None),
    "ipOrHost": (rf"(?:{_IP}|{_HOSTNAME})", None),
    "port": (r"[1-9]\d{0,4}", None),
}
_ARG_MATCHERS = ("regex", "date", "boolean")

# Documented by Datadog [P] but not simulated here: named in the error.
_UNSIMULATED_FILTERS = ("rubyhash", "useragent", "xml", "csv", "array", "url")


# --------------------------------------------------------------------------- rule text parsing


@dataclass
class _Ident:
    """A bare identifier argument (e.g. `array(integer)`)."""

    name: str


@dataclass
class _Call:
    """One `%{matcher(args):extract:filter(args)}`."""

    matcher: str
    args: list | None
    extract: str
    filter: str | None
    filter_args: list | None
    text: str


_NAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.]*")
_FILTER_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_EXTRACT_RE = re.compile(r"[^:}\s()\"']*")
_ARG_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "'": "'", "\\": "\\"}


def _parse_args(text: str, pos: int, where: str) -> tuple[list, int]:
    """Arguments after `(` up to the matching `)`: quoted strings, numbers, identifiers."""
    args: list = []
    n = len(text)
    while True:
        while pos < n and text[pos] in " \t":
            pos += 1
        if pos < n and text[pos] == ")" and not args:
            return args, pos + 1
        if pos >= n:
            break
        c = text[pos]
        if c in "\"'":
            # A string is evaluated first, so regex backslashes are doubled [RX "Escaping
            # inside %{regex("")}"]: \\ -> \, \" -> ", \n \t \r; any other \x is kept as is.
            out = []
            pos += 1
            while pos < n and text[pos] != c:
                if text[pos] == "\\" and pos + 1 < n:
                    nxt = text[pos + 1]
                    out.append(_ESCAPES.get(nxt, "\\" + nxt))
                    pos += 2
                else:
                    out.append(text[pos])
                    pos += 1
            if pos >= n:
                raise ContentError(f"{where}: unterminated string argument")
            args.append("".join(out))
            pos += 1
        elif (m := _ARG_NUMBER_RE.match(text, pos)) is not None:
            raw = m.group()
            args.append(float(raw) if any(ch in raw for ch in ".eE") else int(raw))
            pos = m.end()
        elif (m := _FILTER_NAME_RE.match(text, pos)) is not None:
            args.append(_Ident(m.group()))
            pos = m.end()
        else:
            raise ContentError(f"{where}: bad argument at {text[pos : pos + 20]!r}")
        while pos < n and text[pos] in " \t":
            pos += 1
        if pos < n and text[pos] == ",":
            pos += 1
            continue
        if pos < n and text[pos] == ")":
            return args, pos + 1
        break
    raise ContentError(f"{where}: unterminated argument list")


def _parse_call(text: str, start: int, where: str) -> tuple[_Call, int]:
    """Parse `%{...}` starting at `start` (the `%`); return the call and the end index."""
    pos = start + 2
    m = _NAME_RE.match(text, pos)
    if m is None:
        raise ContentError(f"{where}: expected a matcher name after '%{{' in {text[start : start + 30]!r}")
    matcher = m.group()
    pos = m.end()
    args = filter_name = filter_args = None
    extract = ""
    if text.startswith("(", pos):
        args, pos = _parse_args(text, pos + 1, f"{where}: matcher {matcher!r}")
    if text.startswith(":", pos):
        m = _EXTRACT_RE.match(text, pos + 1)
        assert m is not None  # the pattern matches the empty string too
        extract = m.group()
        pos = m.end()
        if extract and (extract.startswith(".") or extract.endswith(".") or ".." in extract):
            raise ContentError(f"{where}: bad extract name {extract!r}")
        if text.startswith(":", pos):
            m = _FILTER_NAME_RE.match(text, pos + 1)
            if m is None:
                raise ContentError(f"{where}: expected a filter name in {text[start : pos + 20]!r}")
            filter_name = m.group()
            pos = m.end()
            if text.startswith("(", pos):
                filter_args, pos = _parse_args(text, pos + 1, f"{where}: filter {filter_name!r}")
    if not text.startswith("}", pos):
        raise ContentError(
            f"{where}: malformed or unterminated %{{...}} at {text[start : pos + 20]!r} "
            "(expected %{MATCHER:EXTRACT:FILTER})"
        )
    return _Call(matcher, args, extract, filter_name, filter_args, text[start : pos + 1]), pos + 1


# --------------------------------------------------------------------------- Java regex -> Python

_JAVA_FLAGS_DROPPED = "ud"  # UNICODE_CASE / UNIX_LINES: no Python equivalent, harmless to drop
_HSPACE = r"[ \t\xa0\u1680\u180e\u2000-\u200a\u202f\u205f\u3000]"
_HSPACE_NOT = r"[^ \t\xa0\u1680\u180e\u2000-\u200a\u202f\u205f\u3000]"
_SIMPLE_ESCAPES = {
    "z": r"\Z",  # Java \z: end of input
    "Z": r"(?=\n?\Z)",  # Java \Z: end of input but for a final line terminator
    "h": _HSPACE,
    "H": _HSPACE_NOT,
    "R": r"(?:\r\n|[\n\x0b\x0c\r\x85\u2028\u2029])",
    "e": r"\x1b",
}


class _Writer:
    """Translate Java-regex text into Python `re` syntax, with grok atoms in between.

    Tracks groups so a mid-pattern inline flag `(?i)` (global in Java from there to the
    end of its group; an error in Python 3.11 unless at the very start) becomes a
    scoped `(?i:...)` closed at the end of the group and reopened after each `|`.
    """

    def __init__(self, ctx: _Ctx):
        self.ctx = ctx
        self.out: list[str] = []
        self.stack: list[list[str]] = [[]]  # per open group: scoped-flag prefixes opened in it

    def atom(self, regex: str) -> None:
        self.out.append(regex)

    def finish(self) -> str:
        if len(self.stack) != 1:
            raise ContentError(f"{self.ctx.where}: unbalanced parenthesis (missing ')')")
        self.out.append(")" * len(self.stack[0]))
        return "".join(self.out)

    def _flags(self, on: str, off: str) -> str | None:
        on = "".join(c for c in on if c not in _JAVA_FLAGS_DROPPED)
        off = "".join(c for c in off if c not in _JAVA_FLAGS_DROPPED)
        bad = set(on + off) - set("imsx")
        if bad:
            raise UnsupportedProcessor(
                f"{self.ctx.where}: regex flag(s) {''.join(sorted(bad))!r} are not supported by the simulator"
            )
        if not on and not off:
            return None
        return "(?" + on + ("-" + off if off else "") + ":"

    def feed(self, text: str) -> None:
        out = self.out
        i, n = 0, len(text)
        while i < n:
            c = text[i]
            if c == "\\":
                i = self._escape(text, i)
            elif c == "[":
                i = self._char_class(text, i)
            elif c == "(":
                i = self._open(text, i)
            elif c == ")":
                if len(self.stack) == 1:
                    raise ContentError(f"{self.ctx.where}: unbalanced parenthesis (extra ')')")
                out.append(")" * len(self.stack.pop()))
                out.append(")")
                i += 1
            elif c == "|":
                pending = self.stack[-1]
                out.append(")" * len(pending))
                out.append("|")
                out.extend(pending)
                i += 1
            else:
                out.append(c)
                i += 1

    def _escape(self, text: str, i: int) -> int:
        if i + 1 >= len(text):
            raise ContentError(f"{self.ctx.where}: regex ends with a backslash")
        d = text[i + 1]
        if d == "Q":
            end = text.find("\\E", i + 2)
            literal = text[i + 2 :] if end < 0 else text[i + 2 : end]
            self.out.append(re.escape(literal))
            return len(text) if end < 0 else end + 2
        if d in _SIMPLE_ESCAPES:
            self.out.append(_SIMPLE_ESCAPES[d])
            return i + 2
        if d == "x" and text.startswith("{", i + 2):
            end = text.find("}", i + 3)
            try:
                if end < 0:
                    raise ValueError
                self.out.append(re.escape(chr(int(text[i + 3 : end], 16))))
            except (ValueError, OverflowError):
                raise ContentError(f"{self.ctx.where}: bad \\x{{...}} escape") from None
            return end + 1
        if d == "k" and text.startswith("<", i + 2):
            # Java named backreference \k<name> to a named group earlier in the same
            # rule (used to test that two values are equal, e.g. actor == target).
            end = text.find(">", i + 3)
            name = text[i + 3 : end] if end > 0 else ""
            groups = [f.group for f in self.ctx.fields if f.path == name]
            if not groups:
                raise ContentError(f"{self.ctx.where}: backreference \\k<{name}> names no earlier group (?<{name}>...)")
            self.out.append(f"(?P={groups[-1]})")
            return end + 1
        if d == "k" or d in "123456789":
            raise UnsupportedProcessor(
                f"{self.ctx.where}: numbered regex backreferences are not supported "
                "by the simulator (use a named group and \\k<name>)"
            )
        if d in "pP":
            raise UnsupportedProcessor(
                f"{self.ctx.where}: regex \\{d}{{...}} classes are not supported by the simulator"
            )
        if d in "GcX":
            raise UnsupportedProcessor(f"{self.ctx.where}: regex escape \\{d} is not supported by the simulator")
        self.out.append(text[i : i + 2])
        return i + 2

    def _char_class(self, text: str, i: int) -> int:
        out = ["["]
        j, n = i + 1, len(text)
        if j < n and text[j] == "^":
            out.append("^")
            j += 1
        first, prev = True, ""
        while j < n:
            c = text[j]
            if c == "\\":
                if j + 1 >= n:
                    break
                d = text[j + 1]
                if d in "pPQk":
                    raise UnsupportedProcessor(
                        f"{self.ctx.where}: regex escape \\{d} in a character class is not supported by the simulator"
                    )
                if d in "hH":
                    raise UnsupportedProcessor(
                        f"{self.ctx.where}: regex \\{d} in a character class is not supported by the simulator"
                    )
                out.append(text[j : j + 2])
                prev = text[j : j + 2]
                j += 2
                first = False
                continue
            if c == "]" and not first:
                out.append("]")
                self.out.append("".join(out))
                return j + 1
            if c == "[":
                raise UnsupportedProcessor(
                    f"{self.ctx.where}: nested character classes (Java union) are not supported by the simulator"
                )
            if c == "&" and text.startswith("&&", j):
                raise UnsupportedProcessor(
                    f"{self.ctx.where}: character class intersection '&&' is not supported by the simulator"
                )
            if c in "~|&" or (c == "]" and first) or (c == "-" and prev == "-"):
                out.append("\\" + c)  # literal in Java; avoids Python's set-operation FutureWarnings
            else:
                out.append(c)
            prev, first = c, False
            j += 1
        raise ContentError(f"{self.ctx.where}: unterminated character class in {text[i : i + 30]!r}")

    _NAMED = re.compile(r"\(\?<([A-Za-z][A-Za-z0-9]*)>")
    _GLOBAL_FLAGS = re.compile(r"\(\?([A-Za-z]*)(?:-([A-Za-z]*))?\)")
    _SCOPED_FLAGS = re.compile(r"\(\?([A-Za-z]*)(?:-([A-Za-z]*))?:")
    _SPECIAL = re.compile(r"\(\?(?:[=!>]|<[=!])")

    def _open(self, text: str, i: int) -> int:
        if not text.startswith("(?", i):
            self.out.append("(?:")  # user groups never need numbers: no backreferences
            self.stack.append([])
            return i + 1
        if (m := self._NAMED.match(text, i)) is not None:
            # Java named group: extracts `name` as a plain attribute [VG extracts_field_with_regex_capture]
            group = self.ctx.new_group()
            self.ctx.fields.append(_Field(group, m.group(1), None, None))
            self.out.append(f"(?P<{group}>")
            self.stack.append([])
            return m.end()
        if (m := self._SPECIAL.match(text, i)) is not None:
            self.out.append(m.group())
            self.stack.append([])
            return m.end()
        if (m := self._GLOBAL_FLAGS.match(text, i)) is not None:
            prefix = self._flags(m.group(1), m.group(2) or "")
            if prefix:
                self.out.append(prefix)
                self.stack[-1].append(prefix)
            return m.end()
        if (m := self._SCOPED_FLAGS.match(text, i)) is not None:
            prefix = self._flags(m.group(1), m.group(2) or "")
            self.out.append(prefix or "(?:")
            self.stack.append([])
            return m.end()
        raise ContentError(
            f"{self.ctx.where}: unsupported group syntax {text[i : i + 12]!r} "
            "(Java regex: (?:..), (?=..), (?!..), (?<=..), (?<!..), (?>..), (?<name>..), (?i))"
        )


# --------------------------------------------------------------------------- dates

_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MONTH_INDEX = {**{m: i + 1 for i, m in enumerate(_MONTHS)}, **{m[:3]: i + 1 for i, m in enumerate(_MONTHS)}}
_ZONE_NAME_RE = r"[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*"
_OFFSET_RE = re.compile(r"(?:UTC|GMT|UT)?([+-])(\d{1,2})(?::?(\d{2}))?(?::?(\d{2}))?")
# CHOICE: zone abbreviations missing from the TZ database are ambiguous; these are the
# usual North-American/European readings ([P] parses "2007-08-31 19:22:22.427 ADT" as UTC-3).
_ZONE_ABBREVIATIONS = {
    "ADT": -3,
    "AST": -4,
    "EDT": -4,
    "EST": -5,
    "CDT": -5,
    "CST": -6,
    "MDT": -6,
    "MST": -7,
    "PDT": -7,
    "PST": -8,
    "AKDT": -8,
    "AKST": -9,
    "HST": -10,
    "WET": 0,
    "WEST": 1,
    "BST": 1,
    "CET": 1,
    "CEST": 2,
    "EET": 2,
    "EEST": 3,
    "MSK": 3,
    "JST": 9,
    "KST": 9,
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NUMERIC_LETTERS = "yYMdHhmsS"


def _current_year() -> int:
    """The year given to dates without one (patched by tests)."""
    return datetime.now(UTC).year


def _offset_zone(sign: str, hh: str, mm: str | None, ss: str | None) -> timezone | None:
    delta = timedelta(hours=int(hh), minutes=int(mm or 0), seconds=int(ss or 0))
    if delta > timedelta(hours=18):  # [P] "from +18:00 to -18:00 inclusive"
        return None
    return timezone(-delta if sign == "-" else delta)


@lru_cache(maxsize=256)
def _zone(name: str):
    """A zone from a name in a value or argument, or None."""
    if name in ("GMT", "UTC", "UT", "Z"):
        return UTC
    if (m := _OFFSET_RE.fullmatch(name)) is not None:
        return _offset_zone(*m.groups())
    try:  # TZ database ids first: "CET" keeps its summer time, as [VG] reads it
        from zoneinfo import ZoneInfo

        return ZoneInfo(name)
    except Exception:  # ZoneInfoNotFoundError, ValueError for malformed keys, missing tzdata
        pass
    if name in _ZONE_ABBREVIATIONS:
        return timezone(timedelta(hours=_ZONE_ABBREVIATIONS[name]))
    return None


class _DateSpec:
    """`date("pattern"[, "timezone"[, "locale"]])` [P "Parsing dates"].

    Joda/Java pattern letters supported: y/Y (yyyy, yy = 20yy, y), M (M, MM, MMM, MMMM,
    English names, any case), d, H, h (with a), m, s, S... (fraction, milliseconds kept),
    E (day names, checked for shape only), Z/ZZ (+hhmm, +hh:mm or Z), ZZZ and z (zone id
    or abbreviation), X/XX/XXX, 'quoted literals' and '' for a quote. A numeric field
    followed directly by another numeric field takes exactly its letter count of digits.
    Result: milliseconds since the epoch [P "unit of measure millisecond"]. Without a zone
    in the value the timezone argument applies, else UTC [P footnote 1]. Without a year,
    a pattern with a month or day takes the current year ([P] glog example "MMdd ..."
    gives 2020 when written) and a time-only pattern is on 1970-01-01 ([P] "14:20:15"
    -> 51615000). A value the pattern matches but that is no date (month 13) omits the
    key, like a failed filter [VG].
    """

    def __init__(self, args: list, where: str):
        if not 1 <= len(args) <= 3 or not all(isinstance(a, str) for a in args):
            raise ContentError(f'{where}: date matcher takes date("pattern"[, "timezone"[, "locale"]])')
        self.pattern = args[0]
        self.zone = UTC
        if len(args) > 1:
            zone = _zone(args[1])
            if zone is None:
                raise ContentError(f"{where}: unknown timezone {args[1]!r} in date matcher")
            self.zone = zone
        if len(args) > 2 and not re.fullmatch(r"en(?:[_-][A-Za-z]{2})?", args[2]):
            raise UnsupportedProcessor(
                f"{where}: date locale {args[2]!r} is not supported by the simulator (English names only)"
            )
        tokens = self._tokens(self.pattern, where)
        embed, parse = [], []
        self.letters: set[str] = set()
        for k, (kind, value, count) in enumerate(tokens):
            if kind == "lit":
                embed.append(re.escape(value))
                parse.append(re.escape(value))
                continue
            nxt = tokens[k + 1] if k + 1 < len(tokens) else None
            fixed = (
                nxt is not None
                and nxt[0] == "field"
                and nxt[1] in _NUMERIC_LETTERS
                and not (nxt[1] == "M" and nxt[2] >= 3)
            )
            regex = self._field_regex(value, count, fixed, where)
            embed.append(regex)
            parse.append(f"(?P<{value}{k}>{regex})")
            self.letters.add(value)
        self.regex = "".join(embed)
        self._parse_re = re.compile("".join(parse), _FLAGS)
        self._tokens_list = tokens

    @staticmethod
    def _tokens(pattern: str, where: str) -> list[tuple[str, str, int]]:
        tokens: list[tuple[str, str, int]] = []
        i, n = 0, len(pattern)
        while i < n:
            c = pattern[i]
            if c == "'":
                if pattern.startswith("''", i):
                    tokens.append(("lit", "'", 0))
                    i += 2
                    continue
                end = pattern.find("'", i + 1)
                if end < 0:
                    raise ContentError(f"{where}: unterminated quote in date pattern {pattern!r}")
                tokens.append(("lit", pattern[i + 1 : end], 0))
                i = end + 1
            elif c.isascii() and c.isalpha():
                j = i
                while j < n and pattern[j] == c:
                    j += 1
                tokens.append(("field", c, j - i))
                i = j
            else:
                tokens.append(("lit", c, 0))
                i += 1
        return tokens

    @staticmethod
    def _field_regex(letter: str, count: int, fixed: bool, where: str) -> str:
        if letter in "yY":
            if fixed or count == 2:
                return rf"\d{{{count}}}"
            return r"\d{4}" if count >= 4 else r"\d{1,4}"
        if letter == "M" and count >= 3:
            names = [m[:3] for m in _MONTHS] if count == 3 else _MONTHS
            return "(?i:" + "|".join(names) + ")"
        if letter in "MdHhms":
            if fixed or count > 2:
                return rf"\d{{{count}}}"
            return r"\d{1,2}" if count == 1 else r"\d{2}"
        if letter == "S":
            return rf"\d{{{count}}}" if fixed else r"\d{1,9}"
        if letter == "a":
            return "(?i:am|pm)"
        if letter == "E":
            names = [d[:3] for d in _DAYS] if count <= 3 else _DAYS
            return "(?i:" + "|".join(names) + ")"
        if letter == "Z" and count <= 2:
            return r"(?:Z|[+-]\d{2}:?\d{2})"
        if letter == "X":
            return r"(?:Z|[+-]\d{2}(?::?\d{2})?)"
        if letter in "Zz":
            return _ZONE_NAME_RE
        raise UnsupportedProcessor(f"{where}: date pattern letter {letter!r} is not supported by the simulator")

    def millis(self, raw: str) -> int:
        m = self._parse_re.fullmatch(raw)
        if m is None:
            raise _Skip
        year = month = day = None
        hour = minute = second = micro = 0
        half = None
        hour12 = None
        zone = self.zone
        for name, text in m.groupdict().items():
            letter = name[0]
            if letter in "yY":
                year = int(text) + (2000 if len(text) == 2 else 0)
            elif letter == "M":
                month = int(text) if text.isdigit() else _MONTH_INDEX[text.lower()]
            elif letter == "d":
                day = int(text)
            elif letter == "H":
                hour = int(text)
            elif letter == "h":
                hour12 = int(text)
            elif letter == "m":
                minute = int(text)
            elif letter == "s":
                second = int(text)
            elif letter == "S":
                micro = int((text + "000")[:3]) * 1000
            elif letter == "a":
                half = text.lower()
            elif letter in "ZXz":
                zone = UTC if text == "Z" else _zone(text)
                if zone is None:
                    raise _Skip
        if hour12 is not None:
            if not 1 <= hour12 <= 12:
                raise _Skip
            hour = hour12 % 12 + (12 if half == "pm" else 0)
        if year is None:
            year = _current_year() if (month is not None or day is not None) else 1970
        try:
            moment = datetime(year, month or 1, day or 1, hour, minute, second, micro, tzinfo=zone)
        except (ValueError, OverflowError):
            raise _Skip from None
        return (moment - _EPOCH) // timedelta(milliseconds=1)


# --------------------------------------------------------------------------- filters

_INTEGER_RE = re.compile(_INTEGER, _FLAGS)
_NUMBER_EXT_RE = re.compile(_NUMBER_EXT, _FLAGS)


def _f_integer(value: Any) -> int:
    if isinstance(value, bool):
        raise _Skip
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INTEGER_RE.fullmatch(value):
        return _to_int(value)
    raise _Skip


def _f_number(value: Any) -> float:
    if isinstance(value, bool):
        raise _Skip
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and _NUMBER_EXT_RE.fullmatch(value):
        return float(value)
    raise _Skip


def _f_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):  # "ignoring case" [P]
        return value.lower() == "true"
    raise _Skip


def _f_lowercase(value: Any) -> str:
    if not isinstance(value, str):
        raise _Skip
    return value.lower()


def _f_uppercase(value: Any) -> str:
    if not isinstance(value, str):
        raise _Skip
    return value.upper()


def _reject_constant(name: str):
    raise ValueError(name)


def _f_json(value: Any) -> Any:
    if not isinstance(value, str):
        raise _Skip
    try:
        return json.loads(value, parse_constant=_reject_constant)
    except ValueError:
        raise _Skip from None


def _f_decodeuricomponent(value: Any) -> str:
    if not isinstance(value, str):
        raise _Skip
    return unquote(value)


def _f_querystring(value: Any) -> dict:
    if not isinstance(value, str):
        raise _Skip
    query = value.split("?", 1)[1] if "?" in value else value
    return {k: v for k, v in parse_qsl(query, keep_blank_values=False)}


def _nested_insert(result: dict, path: str, value: Any) -> None:
    """Insert at a dotted path; a repeated key becomes an array [VRL keyvalue.rs]."""
    node, last = parent_of(result, path)
    if last in node:
        prev = node[last]
        node[last] = prev + [value] if isinstance(prev, list) else [prev, value]
    else:
        node[last] = value


class _KeyValue:
    """`keyvalue([separatorStr[, characterAllowList[, quotingStr[, delimiter]]]])` [P "Key value or logfmt"].

    Pairs are found anywhere in the text [VRL keyvalue.rs regex_from_config]: a key
    starts the text or follows a delimiter (default: whitespace , ; ( [ {), then the
    separator (default `=`), then a value, then a delimiter (default whitespace , ; ) ] })
    or the end. Keys and unquoted values are runs of `\\w.\\-_@` plus the allowlist;
    quoted ones (default "", '', <>; `quotingStr` replaces them) may hold anything but the
    closing quote and lose their quotes. A value stopped by any other character drops
    the pair [I13423]. No spaces around the separator. Values: `null` and empty are
    dropped [P note], true/false -> bool, numbers -> int (whole) or float, unless quoted;
    a dotted key nests (`db.name`); a repeated key gives an array. CHOICE: a custom
    `delimiter` string is a set of delimiter characters used on both sides.
    """

    _DEFAULT_ALLOW = r"\w.\-_@"
    _DEFAULT_QUOTES: tuple[tuple[str, str], ...] = (('"', '"'), ("'", "'"), ("<", ">"))
    _NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")

    def __init__(self, args: list, where: str):
        if len(args) > 4 or not all(isinstance(a, str) for a in args):
            raise ContentError(
                f"{where}: keyvalue takes up to 4 string arguments "
                "(separatorStr, characterAllowList, quotingStr, delimiter)"
            )
        separator = args[0] if len(args) > 0 else "="
        if not separator:
            raise ContentError(f"{where}: keyvalue separator cannot be empty")
        allow = self._DEFAULT_ALLOW + (args[1] if len(args) > 1 else "")
        quotes = self._DEFAULT_QUOTES
        if len(args) > 2 and args[2]:  # "" keeps the default quoting [P note]
            if len(args[2]) != 2:
                raise ContentError(f"{where}: keyvalue quotingStr must be two characters, got {args[2]!r}")
            quotes = ((args[2][0], args[2][1]),)
        self.quotes = quotes
        if len(args) > 3 and args[3]:
            before = after = "".join(re.escape(c) for c in args[3])
        else:
            before, after = r"\s,;(\[{", r"\s,;)\]}"
        quoted = "|".join(f"{re.escape(o)}[^{re.escape(c)}]+{re.escape(c)}" for o, c in quotes)
        token = f"(?:{quoted}|[{allow}]+)"
        try:
            self.regex = re.compile(
                f"(?:^|(?<=[{before}]))({token}){re.escape(separator)}({token})(?=[{after}]|$)", _FLAGS
            )
        except re.error as e:
            raise ContentError(f"{where}: bad keyvalue characterAllowList {args[1]!r}: {e}") from None

    def _unquote(self, text: str) -> tuple[str, bool]:
        for o, c in self.quotes:
            if len(text) >= 2 and text[0] == o and text[-1] == c:
                return text[1:-1], True
        return text, False

    def _value(self, text: str) -> Any:
        text, quoted = self._unquote(text.strip())
        if quoted:
            return text.strip()
        if text == "null":
            return None
        if text in ("true", "false"):
            return text == "true"
        if self._NUMBER.fullmatch(text):
            number = float(text)
            if number.is_integer() and "." not in text and "e" not in text.lower():
                # [VRL] keeps a 0-prefixed value holding 8 or 9 (not octal) as a string
                if text.lstrip("+-").startswith("0") and len(text.lstrip("+-")) > 1 and any(d in text for d in "89"):
                    return text
                return int(text)
            return int(number) if number.is_integer() and abs(number) < 2**53 else number
        return text

    def __call__(self, value: Any) -> dict:
        if not isinstance(value, str):
            raise _Skip
        result: dict = {}
        for m in self.regex.finditer(value):
            key, _ = self._unquote(m.group(1))
            if not key or " " in key:
                continue
            val = self._value(m.group(2))
            if val is None or val == "":
                continue
            try:
                _nested_insert(result, key, val)
            except (AttributeError, TypeError):
                continue
        return result


def _make_filter(name: str | None, args: list | None, where: str) -> Callable[[Any], Any] | None:
    if name is None:
        return None
    args = args or []

    def no_args() -> None:
        if args:
            raise ContentError(f"{where}: filter {name!r} takes no arguments")

    simple = {
        "integer": _f_integer,
        "number": _f_number,
        "boolean": _f_boolean,
        "lowercase": _f_lowercase,
        "uppercase": _f_uppercase,
        "json": _f_json,
        "decodeuricomponent": _f_decodeuricomponent,
        "querystring": _f_querystring,
    }
    if name in simple:
        no_args()
        return simple[name]
    if name == "nullIf":
        if len(args) != 1 or not isinstance(args[0], str):
            raise ContentError(f'{where}: nullIf takes one string argument: nullIf("value")')
        target = args[0]

        def null_if(value: Any) -> Any:
            text = value if isinstance(value, str) else json.dumps(value)
            return None if text == target else value

        return null_if
    if name == "keyvalue":
        return _KeyValue(args, where)
    if name == "scale":
        if len(args) != 1 or isinstance(args[0], (str, _Ident)):
            raise ContentError(f"{where}: scale takes one number: scale(factor)")
        factor = args[0]

        def scale(value: Any) -> Any:
            if isinstance(value, bool):
                raise _Skip
            if isinstance(value, str):
                if not _NUMBER_EXT_RE.fullmatch(value):
                    raise _Skip
                value = int(value) if _INTEGER_RE.fullmatch(value) else float(value)
            if not isinstance(value, (int, float)):
                raise _Skip
            return value * factor

        return scale
    if name in _UNSIMULATED_FILTERS:
        raise UnsupportedProcessor(f"grok filter {name!r} is not supported by the simulator ({where})")
    raise UnsupportedProcessor(
        f"grok filter {name!r} is not supported by the simulator (not a Datadog filter) ({where})"
    )


# --------------------------------------------------------------------------- compilation


@dataclass
class _Field:
    group: str
    path: str | None  # None: merge an object result at the top level
    convert: Callable[[str], Any] | None  # the matcher's own parsing (integer, date, ...)
    filter: Callable[[Any], Any] | None


class _Ctx:
    def __init__(self, rule: str, support: dict[str, str], earlier: dict[str, str], later: set[str]):
        self.rule = rule
        self.support = support
        self.earlier = earlier
        self.later = later
        self.fields: list[_Field] = []
        self.count = 0
        self.chain: list[str] = []

    @property
    def where(self) -> str:
        via = "".join(f" via {name!r}" for name in self.chain)
        return f"grok rule {self.rule!r}{via}"

    def new_group(self) -> str:
        self.count += 1
        return f"_g{self.count}"


def _compile_body(body: str, ctx: _Ctx, in_support: bool) -> str:
    writer = _Writer(ctx)
    pos = 0
    while (start := body.find("%{", pos)) >= 0:
        writer.feed(body[pos:start])
        call, pos = _parse_call(body, start, ctx.where)
        writer.atom(_compile_call(call, ctx, in_support))
    writer.feed(body[pos:])
    return writer.finish()


def _compile_call(call: _Call, ctx: _Ctx, in_support: bool) -> str:
    where = ctx.where
    filt = _make_filter(call.filter, call.filter_args, where)
    path = call.extract or None
    name = call.matcher
    visible = ctx.support if in_support else {**ctx.support, **ctx.earlier}
    convert: Callable[[str], Any] | None = None
    field: _Field | None = None
    if path or filt:
        field = _Field(ctx.new_group(), path, None, filt)
        ctx.fields.append(field)  # before any nested fields: extraction follows the text

    if name in visible:  # user rules come first, as in [VG] (prev_rule_definitions)
        if call.args is not None:
            raise ContentError(f"{where}: rule reference %{{{name}}} takes no arguments")
        if name in ctx.chain:
            raise ContentError(f"{where}: circular reference to rule {name!r}")
        ctx.chain.append(name)
        try:
            regex = _compile_body(visible[name], ctx, in_support=in_support or name in ctx.support)
        finally:
            ctx.chain.pop()
    elif name in _SIMPLE_MATCHERS:
        if call.args:
            raise ContentError(f"{where}: matcher {name!r} takes no arguments")
        regex, convert = _SIMPLE_MATCHERS[name]
    elif name == "regex":
        if not call.args or len(call.args) != 1 or not isinstance(call.args[0], str):
            raise ContentError(f'{where}: regex matcher takes one string: regex("pattern")')
        inner = _Writer(ctx)
        inner.feed(call.args[0])
        regex = inner.finish()
    elif name == "date":
        spec = _DateSpec(call.args or [], where)
        regex, convert = spec.regex, spec.millis
    elif name == "boolean":
        args = call.args or []
        if not args:
            regex, convert = "(?i:true|false)", lambda raw: raw.lower() == "true"
        elif len(args) == 2 and all(isinstance(a, str) for a in args):
            parts = []
            for arg in args:
                sub = _Writer(ctx)
                sub.feed(arg)
                parts.append(sub.finish())
            true_re = _compile_regex(parts[0], where)
            regex = f"(?:{parts[0]}|{parts[1]})"
            convert = lambda raw, t=true_re: t.fullmatch(raw) is not None  # noqa: E731
        else:
            raise ContentError(f'{where}: boolean matcher takes boolean or boolean("true", "false")')
    else:
        if name in ctx.earlier or name in ctx.later or name == ctx.rule:
            reason = (
                f"a support rule cannot use match rule {name!r}"
                if in_support
                else f"rule {name!r} is used before it is defined (a rule may only use the rules above it)"
            )
            raise ContentError(f"{where}: {reason}")
        raise UnsupportedProcessor(
            f"grok matcher {name!r} is not supported by the simulator "
            f"(not a Datadog matcher, nor a support rule or a match rule above) ({where})"
        )

    if field is None:
        return f"(?:{regex})"
    field.convert = convert
    return f"(?P<{field.group}>{regex})"


class _Rule:
    __slots__ = ("name", "regex", "fields")

    def __init__(self, name: str, regex: re.Pattern, fields: list[_Field]):
        self.name = name
        self.regex = regex
        self.fields = fields

    def extract(self, m: re.Match) -> dict:
        out: dict = {}
        arrays: set[str] = set()
        for field in self.fields:
            raw = m.group(field.group)
            if raw is None:
                continue  # a branch that did not take part in the match
            try:
                value = field.convert(raw) if field.convert else raw
                if field.filter:
                    value = field.filter(value)
            except _Skip:
                continue
            if field.path is None:
                if isinstance(value, dict):  # top-level merge, later keys win [VG `extend`]
                    for key, item in value.items():
                        out[key] = item
                        arrays.discard(key)
                continue
            if value is None or value == "":
                continue  # "Properties with null or empty values are not displayed" [P]
            path = field.path
            if path in out:
                if path in arrays:
                    out[path].append(value)
                else:
                    out[path] = [out[path], value]
                    arrays.add(path)
            else:
                out[path] = value
        return out


class GrokParser:
    """Compiled grok rules; see the module docstring."""

    def __init__(self, rules: list[_Rule]):
        self._rules = rules

    @property
    def rule_names(self) -> list[str]:
        return [rule.name for rule in self._rules]

    def extracts(self) -> set[str]:
        """Every attribute path a rule can write (top-level merges of json/keyvalue excluded)."""
        return {field.path for rule in self._rules for field in rule.fields if field.path}

    def match(self, value: str) -> tuple[str, dict] | None:
        if not isinstance(value, str):
            return None
        for rule in self._rules:
            m = rule.regex.fullmatch(value)
            if m is not None:
                return rule.name, rule.extract(m)
        return None

    def parse(self, value: str) -> dict | None:
        found = self.match(value)
        return None if found is None else found[1]

    def __repr__(self) -> str:
        return f"GrokParser(rules={self.rule_names!r})"


_MATCH_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.]*")
_SUPPORT_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.]*")
_LINE = re.compile(r"(\S+)\s+(.*)", re.S)


def _split_rules(text: str, kind: str) -> list[tuple[str, str]]:
    rules = []
    for lineno, line in enumerate((text or "").splitlines(), 1):
        if not line.strip():
            continue
        m = _LINE.fullmatch(line.lstrip())
        if m is None or not m.group(2).strip():
            raise ContentError(f"grok {kind} rule on line {lineno}: expected 'name pattern', got {line.strip()!r}")
        name, body = m.group(1), m.group(2)
        valid = _MATCH_NAME if kind == "match" else _SUPPORT_NAME
        if not valid.fullmatch(name):
            raise ContentError(
                f"grok {kind} rule {name!r} (line {lineno}): a rule name holds only letters, "
                "digits, '_' and '.', and starts with a letter or digit"
            )
        rules.append((name, body))
    return rules


def _compile_regex(regex: str, where: str) -> re.Pattern:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            return re.compile(regex, _FLAGS | re.DOTALL)
        except (re.error, Warning) as e:
            raise ContentError(f"{where}: invalid regular expression: {e}") from None


def compile_grok(match_rules: str, support_rules: str = "") -> GrokParser:
    """Compile Datadog grok rules (the API's `grok.match_rules` / `grok.support_rules`)."""
    support_list = _split_rules(support_rules, "support")
    match_list = _split_rules(match_rules, "match")
    if not match_list:
        raise ContentError("grok parser has no match rules")
    seen: set[str] = set()
    for name, _ in support_list + match_list:
        if name in seen:
            raise ContentError(f"grok rule {name!r} is defined twice (rule names must be unique)")
        seen.add(name)
    support = dict(support_list)
    match_names = [name for name, _ in match_list]

    # Every support rule must compile on its own, used or not: no silent mismatch later.
    for name, body in support_list:
        ctx = _Ctx(name, support, {}, set(match_names))
        _compile_regex(_compile_body(body, ctx, in_support=True), ctx.where)

    rules = []
    for index, (name, body) in enumerate(match_list):
        ctx = _Ctx(name, support, dict(match_list[:index]), set(match_names[index + 1 :]))
        regex = _compile_body(body, ctx, in_support=False)
        rules.append(_Rule(name, _compile_regex(regex, ctx.where), ctx.fields))
    return GrokParser(rules)
