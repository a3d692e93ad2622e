"""Datadog log search syntax: parse a query once, match it against many events.

    q = compile_query('@evt.name:zoom.sign_in -@network.client.geoip.country.iso_code:US')
    q.matches(event) -> bool
    q.attributes()   -> {"evt.name", "network.client.geoip.country.iso_code"}
    q.text           -> the original query

Events are the dicts of `contentkit.event` (Datadog's log JSON: reserved attributes at
the top level, `tags` a list of "key:value" strings, other keys are attributes).

Sources (the rules below cite them by these short names):

[LS]  Log Search Syntax, https://docs.datadoghq.com/logs/explorer/search_syntax/
      (also served as /logs/search_syntax/; text checked against
      DataDog/documentation content/en/logs/explorer/search_syntax.md)
[OP]  Observability Pipelines logs search syntax,
      https://docs.datadoghq.com/observability_pipelines/search_syntax/logs/
[TAG] Getting started with tags, https://docs.datadoghq.com/getting_started/tagging/
[VRL] Datadog's own open-source implementation of this syntax (used by Vector / OP):
      https://github.com/vectordotdev/vrl/tree/main/src/datadog (grammar.pest,
      grammar.rs, field.rs), and its precedence fix
      https://github.com/vectordotdev/vrl/pull/1542 ("AND takes precedence over OR").

Where the documentation does not settle a behaviour, the choice is marked
"CHOICE" with the reason.

Supported syntax, and what it means here:

* Free text `hello`, `"hello world"` [LS "Full-text search" table: "hello — Free
  text — Searches only the log message"; OP: "Free text search only searches the
  message field and is case insensitive"].  The message is split into words (runs of
  letters, digits and `_`); a term matches a whole word, a term or phrase of several
  words matches those words in sequence separated by anything that is not a word
  character [OP: `"hello world"` matches "hello-world" and "Hello, world"].
  Case-insensitive [LS note 2: "Use full-text search to get case insensitive
  results"; OP].  Special characters cannot be searched in the message [LS "You
  cannot search for special characters in a log message"]: a term made only of them
  matches nothing.  Besides `message`, the attributes `error.message`,
  `error.stack` and `title` are searched too, as Datadog does (DataDog/documentation
  PR #31649 "include missing attributes for free text search"; [VRL] field.rs
  DEFAULT_FIELDS).  `message:term` searches the message only, the same way ([VRL]
  field.rs treats `message` as a default field).
* Full-text `*:hello`, `*:hello*`, `*:"hello world"` [LS "Full-text search"]: the same
  word matching, case-insensitive, over every attribute value of the log (message
  included; tags are not attributes).
* Attribute search `@path:value` on dotted paths [LS "Attributes search"]; reserved
  attributes without `@`: `host`, `service`, `source`, `status`, `trace_id` [VRL
  field.rs RESERVED_ATTRIBUTES]; the whole value is compared, case-sensitively [LS
  note 2 "Attributes searches are case sensitive"].  Numbers and booleans compare by
  their JSON text (`@a:200`, `@a:true`, as in [VRL]'s tests).  CHOICE: a JSON null is
  treated as not indexed: it matches no value and `@a:*` is false for it.
* Tags: any other `key:value` without `@` searches `event["tags"]` [LS "Tags":
  `env:(prod OR test)`]; `tags:<MY_TAG>` matches a whole tag [LS "Tags"].  Tags are
  lowercased by Datadog at intake [TAG "Tags are converted to lowercase"], so event
  tags are lowercased before comparing; CHOICE: the query's tag key and value are
  lowercased too (Datadog's tag facets hold lowercase values only, so a mixed-case
  tag query could otherwise never match).  `key:*` is true for `key:...` and for a
  bare `key` tag ([VRL] exists()).
* Wildcards `*` (any characters) and `?` (one character, including a space or special
  character) [LS "Wildcards", "Search wildcard"]; only outside double quotes: inside
  quotes they are literal [LS "Wildcards only work as wildcards outside of double
  quotes"].  Attribute/tag values: the pattern must match the whole value.  Free
  text: `web*`, `*web`, `*NETWORK*` match within the message from/to a word boundary,
  and `*` may span several words, as [VRL] regex.rs word_regex does.
* Escapes: `\\` before any character makes it literal (`\\ `, `\\:`, `\\*`, `\\"`,
  `\\\\`, `\\-` ...) [LS "Escape special characters and spaces": `+ - = && || > < ! ( )
  { } [ ] ^ " “ ” ~ * ? : \\ #` and spaces].  Unescaped, these characters are either
  syntax or rejected; `/` is not special [LS] (but see regexes below).  Values can
  also be double-quoted [LS note 3].  Unescaped curly quotes are dropped (newer [LS]:
  "Search ignores curly quotation marks").  `-`, `+`, `=` and `#` may appear
  unescaped inside a word after its first character (`flask-web-app` in [OP];
  [VRL] grammar.pest TERM_CHAR), and so may `!` ([OP]'s own example `message:*!*`,
  although [LS] lists `!` as special); at the start of a word they are rejected.
* Boolean: `AND` (also `&&`), `OR` (also `||`), `NOT` / `-` prefix, implicit AND
  between terms, parentheses [LS, OP "Boolean operators"; `&&`/`||` per [VRL] PR
  #1001].  Operators are case-sensitive [LS]: `and`, `or`, `not` are words.
  Precedence: NOT/- bind to the next term or group, then AND (explicit or implicit),
  then OR: `a OR b c` is `a OR (b AND c)`.  The docs give no precedence; Datadog's
  own parser was fixed to this in [VRL] PR #1542 (before, Lucene-style clause
  semantics made `a OR b c` mean `c` and `a OR -b` mean `a AND -b`, which that PR
  lists as bugs).
* Value groups `@attr:(a OR b)`, `env:(prod OR test)`, `service:(a OR b)` [LS "Tags",
  OP "Boolean operators"], with the same operators inside.
* Numeric comparisons `@a:>5`, `>=`, `<`, `<=` and ranges `@a:[1 TO 10]` (inclusive)
  [LS "Numerical values"], `@a:{1 TO 10}` (exclusive) [OP "Attribute search"], `*` as
  an open bound (`[50 TO *]`, [VRL] tests).  Only on `@attributes`, and they match
  JSON numbers only: [LS] "to search on a numerical attribute, first add it as a
  facet [a measure] ... numerical operators ... on numerical facets" - a string value
  (even "500") is not a measure.  Bounds must be numbers: CHOICE, string ranges are
  rejected since [LS] documents ranges for numerical values only.
* Existence `@attr:*` and `-@attr:*` [LS attributes examples].
* Arrays: a term matches an array if any element matches, and paths go through
  arrays of objects (`@Event.EventData.Data.Name:ObjectServer`) [LS "Arrays", OP
  "Arrays"].  CHOICE: an empty array has no values (`@a:*` false).
* `CIDR(@attr, 10.0.0.0/8, ...)` [LS "Search using CIDR notation"].

Rejected with SearchSyntaxError(message, query, position): regular expressions
`/.../` (a value starting and ending with an unescaped `/`; quote or escape a path
like that), fuzzy/proximity `~`, boosts `^`, `!`, leading `+`, calculated fields
`#field`, unbalanced parentheses or quotes, empty `()`, dangling or doubled
operators, a field with no value (`@attr:`), a comparison with no number
(`@a:>`), non-numeric bounds, comparisons on tags/reserved attributes/free text,
wildcards in field names, quoted field names, an unescaped `:` inside a value, a
trailing lone backslash, fields inside value groups.

Parse once: `_Parser` (hand-written recursive descent; see below) turns the text into a
syntax tree of small frozen dataclasses - And, Or, Not, Term, Phrase, Wildcard, Exists,
Comparison, Range, Cidr on a Field (free text is a Term/Phrase/Wildcard on the `free`
field; All is the empty query / `*`).  Value groups are distributed while parsing:
`@a:(x OR y)` is Or(Term(@a, x), Term(@a, y)).  Everything else is derived by walking
that tree, never by reading the text again: `Query.matches` (the tree compiled once to
closures, `compile_tree`), `Query.attributes()`, `Query.requires()` (hunt's gates: AND
= every part's requirement, OR = only what every branch requires, NOT = nothing),
`Query.value_terms()` / `equality_terms()` (crossref's attribute and evt.name taxonomy
checks; a term under NOT is marked negated).

Why not a grammar library (lark, pyparsing): the lexical rules are contextual - `-`,
`+`, `=`, `#`, `!` are plain inside a word but operators or errors at its start, `:`
ends a field name only before the value, keywords are keywords only before a space,
`(` or the end, curly quotes are dropped, escapes are per character - and the errors
(tests/test_search.py pins 60 messages with positions) name the Datadog rule broken.
A lark grammar would need the same hand-written checks around it, plus a translation
of its generic errors; the tree, not the parsing technique, is what the rest derives
from.

Checked against Datadog's own implementation: tests/test_differential.py runs
VRL's `match_datadog_query` (through pyvrl) on thousands of generated (query, event)
pairs and compares; each disagreement is listed there with its resolution.

Speed: the tree is compiled once into closures with precomputed regexes and paths;
matching never re-parses nor interprets the tree.  Rough figure on the development machine: ~1-3 µs
per match for typical pipeline filters (e.g. `@evt.name:zoom.sign_in
-@network.client.geoip.country.iso_code:US`), so 15 queries x 20,000 events/s needs
well under a second of CPU per second.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from dataclasses import field as _dc_field
from functools import lru_cache
from typing import Any, NoReturn

from contentkit.errors import SearchSyntaxError

__all__ = [
    "Query",
    "compile_query",
    "FREE_TEXT_ATTRIBUTES",
    "RESERVED_ATTRIBUTES",
    "Node",
    "All",
    "And",
    "Or",
    "Not",
    "Term",
    "Phrase",
    "Wildcard",
    "Exists",
    "Comparison",
    "Range",
    "Cidr",
    "Field",
    "ValueTerm",
    "walk",
    "value_terms",
    "compile_tree",
]

Matcher = Callable[[dict], bool]

# Reserved attributes searched without '@' by value ([VRL] field.rs RESERVED_ATTRIBUTES;
# `message` and `tags` are handled separately, `timestamp` is not searchable by value here).
RESERVED_ATTRIBUTES = frozenset({"host", "service", "source", "status", "trace_id"})
# Attributes searched by free text besides `message` (see module docstring).
FREE_TEXT_ATTRIBUTES = ("message", "error.message", "error.stack", "title")

_MISSING = object()
_EMPTY: tuple = ()
# Unescaped curly quotes are ignored (dropped): "Search ignores curly quotation marks",
# https://docs.datadoghq.com/ja/logs/search_syntax/?lang_pref=ja (English text, newest page);
# escaped, they are literal (listed as special in https://docs.datadoghq.com/logs/explorer/search_syntax/).
_CURLY_QUOTES = "\u201c\u201d"
_NUMBER_RE = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_WORD_RE = re.compile(r"\w+")


# --------------------------------------------------------------------------- values


def _text(value: Any) -> str | None:
    # Numbers/booleans compare by JSON text: `@a:200`, `@a:true` ([VRL] tests
    # src/conditions/datadog_search.rs in vectordotdev/vector). CHOICE: null -> not indexed.
    """The string a scalar is compared as: strings as is, numbers/booleans as JSON text."""
    if type(value) is str:
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, str):
        return str(value)
    return None


def _to_number(raw: str) -> int | float:
    return int(raw) if raw.lstrip("-").isdigit() else float(raw)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _collect(node: Any, parts: tuple, k: int, out: list) -> None:
    # Arrays: any element matches; paths go through arrays of objects.
    # https://docs.datadoghq.com/logs/explorer/search_syntax/#arrays and
    # https://docs.datadoghq.com/observability_pipelines/search_syntax/logs/#arrays
    """Leaves at parts[k:] under node, going through arrays (any element counts)."""
    if isinstance(node, list):
        for item in node:
            _collect(item, parts, k, out)
        return
    if k == len(parts):
        out.append(node)
        return
    if isinstance(node, dict):
        child = node.get(parts[k], _MISSING)
        if child is not _MISSING:
            _collect(child, parts, k + 1, out)


def _path_values(path: str) -> Callable[[dict], Any]:
    """A function event -> sequence of the values at a dotted path.

    A literal top-level key containing dots wins over nesting, as in event.get_path.
    Arrays met on the way or at the end are flattened: every element is a value.
    """
    parts = tuple(path.split("."))

    def values(event: dict):
        if path in event:
            node = event[path]
        else:
            node = event
            for k, part in enumerate(parts):
                if isinstance(node, dict):
                    node = node.get(part, _MISSING)
                    if node is _MISSING:
                        return _EMPTY
                elif isinstance(node, list):
                    out: list = []
                    _collect(node, parts, k, out)
                    return out
                else:
                    return _EMPTY
        if isinstance(node, list):
            out = []
            _collect(node, parts, len(parts), out)
            return out
        return (node,)

    return values


def _all_scalars(node: Any, out: list) -> None:
    if isinstance(node, dict):
        for value in node.values():
            _all_scalars(value, out)
    elif isinstance(node, list):
        for value in node:
            _all_scalars(value, out)
    else:
        text = _text(node)
        if text is not None:
            out.append(text)


# --------------------------------------------------------------------------- fields


@dataclass(frozen=True)
class Field:
    """Where a value is searched. kind: attr | reserved | tag | tags | message | free | fulltext.

    `pos` and `label` (the field as written) serve error messages only: they take no part
    in equality, so two readings of one query give equal trees."""

    kind: str
    name: str
    pos: int = _dc_field(default=-1, compare=False, repr=False)
    label: str = _dc_field(default="", compare=False, repr=False)

    @property
    def attribute(self) -> str | None:
        """The attribute path the field names (reserved ones by name, tags as 'tag:<key>')."""
        if self.kind in ("attr", "reserved"):
            return self.name
        if self.kind == "message":
            return "message"
        if self.kind == "tags":
            return "tags"
        if self.kind == "tag":
            return f"tag:{self.name}"
        return None


_Field = Field
FREE = Field("free", "")
_FREE = FREE


def _classify(name: str, pos: int, label: str) -> _Field:
    # Reserved attributes need no '@'; any other `key:value` is a tag
    # (https://docs.datadoghq.com/logs/explorer/search_syntax/#tags);
    # `tags:<MY_TAG>` matches a whole tag (https://docs.datadoghq.com/logs/explorer/search_syntax/#tags);
    # `message:` is free text on the
    # message ([VRL] field.rs DEFAULT_FIELDS).
    if name in RESERVED_ATTRIBUTES:
        return _Field("reserved", name, pos, label)
    if name == "message":
        return _Field("message", name, pos, label)
    if name == "tags":
        return _Field("tags", name, pos, label)
    return _Field("tag", name.lower(), pos, label)  # [TAG] tags are lowercase


# --------------------------------------------------------------------------- value patterns
# A value is a list of segments: ("lit", ch), ("esc", ch), ("star", "*"), ("q", "?").


def _literal(segs: list) -> str:
    return "".join(ch for _, ch in segs)


def _has_wildcard(segs: list) -> bool:
    return any(kind in ("star", "q") for kind, _ in segs)


def _wildcard_regex(segs: list, lower: bool = False) -> str:
    out = []
    for kind, ch in segs:
        if kind == "star":
            out.append(".*")
        elif kind == "q":
            out.append(".")
        else:
            out.append(re.escape(ch.lower() if lower else ch))
    return "".join(out)


def _word_pattern(text: str) -> re.Pattern | None:
    # Free text is case-insensitive and word based:
    # https://docs.datadoghq.com/observability_pipelines/search_syntax/logs/#free-text-search ("hello world"
    # matches "hello-world", "Hello, world");
    # https://docs.datadoghq.com/logs/explorer/search_syntax/#attributes-search note 2 (full-text
    # search gives case-insensitive results); special characters are not searchable in
    # the message (https://docs.datadoghq.com/logs/explorer/search_syntax/#escape-special-characters-and-spaces).
    """Free-text term/phrase without wildcards: its words, in sequence, as whole words."""
    words = _WORD_RE.findall(text)
    if not words:
        return None  # only special characters: cannot be searched in a message [LS]
    body = r"\W+".join(re.escape(w) for w in words)
    return re.compile(r"(?<!\w)" + body + r"(?!\w)", re.IGNORECASE)


def _text_pattern(segs: list | None, phrase: str | None) -> re.Pattern | None:
    if phrase is not None:
        return _word_pattern(phrase)
    assert segs is not None
    if not _has_wildcard(segs):
        return _word_pattern(_literal(segs))
    # Wildcards in free text (https://docs.datadoghq.com/logs/explorer/search_syntax/#wildcards: `web*`, `*web`,
    # `*NETWORK*` on the message):
    # as [VRL] regex.rs word_regex, \b<pattern>\b with * -> .*, ? -> one character.
    return re.compile(r"(?<!\w)" + _wildcard_regex(segs) + r"(?!\w)", re.IGNORECASE | re.DOTALL)


# --------------------------------------------------------------------------- matchers


def _never(event: dict) -> bool:
    return False


def _always(event: dict) -> bool:
    return True


def _text_sources(field: _Field) -> Callable[[dict], list | tuple]:
    if field.kind == "fulltext":

        def all_values(event: dict) -> list:
            out: list = []
            for key, value in event.items():
                if key != "tags":
                    _all_scalars(value, out)
            return out

        return all_values
    paths = ("message",) if field.kind == "message" else FREE_TEXT_ATTRIBUTES
    getters = [_path_values(p) for p in paths]
    # Top-level keys under which the other searched attributes can live (fast path).
    roots = frozenset(p.split(".")[0] for p in paths[1:]) | frozenset(paths[1:])

    def sources(event: dict) -> list | tuple:
        message = event.get("message")
        if type(message) is str and event.keys().isdisjoint(roots):
            return (message,)  # the common case: only the message to search
        out = []
        for get in getters:
            for value in get(event):
                text = _text(value)
                if text is not None:
                    out.append(text)
        return out

    return sources


def _text_matcher(field: _Field, segs: list | None, phrase: str | None) -> Matcher:
    pattern = _text_pattern(segs, phrase)
    if pattern is None:
        return _never
    search = pattern.search
    sources = _text_sources(field)

    def match(event: dict) -> bool:
        for text in sources(event):
            if search(text):
                return True
        return False

    return match


def _value_predicate(segs: list | None, phrase: str | None, lower: bool) -> Callable[[str], bool]:
    """Whole-value comparison of a string (attribute, reserved attribute or tag value)."""
    # Attribute searches are case sensitive
    # (https://docs.datadoghq.com/logs/explorer/search_syntax/#attributes-search note 2); tags are
    # lowercased at intake (https://docs.datadoghq.com/getting_started/tagging/), hence
    # `lower` for tags. Wildcards only outside quotes
    # (https://docs.datadoghq.com/logs/explorer/search_syntax/#wildcards); `?` matches one
    # character, a space or special one included
    # (https://docs.datadoghq.com/logs/explorer/search_syntax/#search-wildcard).
    if phrase is None:
        assert segs is not None
        if _has_wildcard(segs):
            fullmatch = re.compile(_wildcard_regex(segs, lower), re.DOTALL).fullmatch
            # a bool, not the Match: matches() returns this for a lone wildcard term
            return lambda text: fullmatch(text) is not None
        phrase = _literal(segs)
    literal = phrase.lower() if lower else phrase
    return literal.__eq__


def _term_matcher(field: _Field, segs: list | None, phrase: str | None) -> Matcher:
    kind = field.kind
    if kind in ("free", "message", "fulltext"):
        return _text_matcher(field, segs, phrase)
    if kind == "tags":
        pred = _value_predicate(segs, phrase, lower=True)

        def match_tags(event: dict) -> bool:
            for tag in event.get("tags") or _EMPTY:
                if isinstance(tag, str) and pred(tag.lower()):
                    return True
            return False

        return match_tags
    if kind == "tag":
        prefix = field.name + ":"
        value_pred = _value_predicate(segs, phrase, lower=True)
        n = len(prefix)

        def match_tag(event: dict) -> bool:
            for tag in event.get("tags") or _EMPTY:
                if isinstance(tag, str):
                    tag = tag.lower()
                    if tag.startswith(prefix) and value_pred(tag[n:]):
                        return True
            return False

        return match_tag
    # attr / reserved: whole value, case-sensitive, any array element
    pred = _value_predicate(segs, phrase, lower=False)
    values = _path_values(field.name)
    path = field.name
    parts = tuple(path.split("."))

    def match_value(event: dict) -> bool:
        # fast path: nested objects down to a string (the usual case); anything else
        # (literal dotted keys, arrays, numbers) takes the general walk below
        if path not in event:
            node = event
            for part in parts:
                if type(node) is not dict:
                    break
                node = node.get(part, _MISSING)
            else:
                if type(node) is str:
                    return pred(node)
                if node is _MISSING:
                    return False
        for value in values(event):
            text = _text(value)
            if text is not None and pred(text):
                return True
        return False

    return match_value


def _exists_matcher(field: _Field) -> Matcher:
    # `@attr:*` / `-@attr:*` (https://docs.datadoghq.com/logs/explorer/search_syntax/#attributes-search examples);
    # `key:*` for tags counts a
    # bare `key` tag too ([VRL] vector src/conditions/datadog_search.rs exists()).
    kind = field.kind
    if kind in ("free", "fulltext"):
        return _always
    if kind == "tags":
        return lambda event: any(isinstance(t, str) for t in event.get("tags") or _EMPTY)
    if kind == "tag":
        key, prefix = field.name, field.name + ":"

        def tag_exists(event: dict) -> bool:
            for tag in event.get("tags") or _EMPTY:
                if isinstance(tag, str):
                    tag = tag.lower()
                    if tag == key or tag.startswith(prefix):
                        return True
            return False

        return tag_exists
    values = _path_values(field.name)  # attr, reserved, message

    def exists(event: dict) -> bool:
        for value in values(event):
            if value is not None:
                return True
        return False

    return exists


def _range_matcher(path: str, lo: float | None, hi: float | None, lo_incl: bool, hi_incl: bool) -> Matcher:
    # Numerical operators and [a TO b] ranges on numerical facets
    # (https://docs.datadoghq.com/logs/explorer/search_syntax/#numerical-values);
    # {a TO b} is exclusive
    # (https://docs.datadoghq.com/observability_pipelines/search_syntax/logs/#attribute-search). Only JSON numbers
    # are measures.
    values = _path_values(path)

    def in_range(event: dict) -> bool:
        for v in values(event):
            if not _is_number(v):
                continue
            if lo is not None and (v < lo if lo_incl else v <= lo):
                continue
            if hi is not None and (v > hi if hi_incl else v >= hi):
                continue
            return True
        return False

    return in_range


def _cidr_matcher(path: str, networks: list) -> Matcher:
    # https://docs.datadoghq.com/logs/explorer/search_syntax/#search-using-cidr-notation (any array element may match)
    values = _path_values(path)

    def in_networks(event: dict) -> bool:
        for v in values(event):
            if type(v) is not str:
                continue
            try:
                ip = ipaddress.ip_address(v)
            except ValueError:
                continue
            for net in networks:
                if ip.version == net.version and ip in net:
                    return True
        return False

    return in_networks


def _and(matchers: list[Matcher]) -> Matcher:
    if len(matchers) == 1:
        return matchers[0]
    # Terms have no side effects, so their order is free: every 1,024 misses the
    # terms that fail most often move first (`source:x` matches every event of a
    # pack; `@evt.name:y` almost none). Replaying months of logs through every rule
    # (hunt) spends most of its time here.
    ms = list(matchers)
    fails = dict.fromkeys(ms, 0)
    misses = [0]

    def all_of(event: dict) -> bool:
        for m in ms:
            if not m(event):
                fails[m] += 1
                misses[0] += 1
                if not misses[0] & 1023:
                    ms.sort(key=fails.__getitem__, reverse=True)
                return False
        return True

    return all_of


def _or(matchers: list[Matcher]) -> Matcher:
    if len(matchers) == 1:
        return matchers[0]
    if len(matchers) == 2:
        a, b = matchers
        return lambda event: a(event) or b(event)
    ms = tuple(matchers)

    def any_of(event: dict) -> bool:
        for m in ms:
            if m(event):
                return True
        return False

    return any_of


def _not(matcher: Matcher) -> Matcher:
    if matcher is _always:
        return _never
    if matcher is _never:
        return _always
    return lambda event: not matcher(event)


# --------------------------------------------------------------------------- the syntax tree
# The parser's only output. Matching (compiled to closures once, below), the attributes a
# query names, hunt's gates (requires) and the value terms crossref checks are all
# derived by walking it, so they cannot disagree about what a query says.


@dataclass(frozen=True, slots=True)
class All:
    """Every event: the empty query, `*`, `*:*`."""


@dataclass(frozen=True, slots=True)
class And:
    parts: tuple  # of nodes, two or more (explicit AND / && or juxtaposition)


@dataclass(frozen=True, slots=True)
class Or:
    parts: tuple  # of nodes, two or more (OR / ||)


@dataclass(frozen=True, slots=True)
class Not:
    part: Any  # NOT x / -x


@dataclass(frozen=True, slots=True)
class Term:
    """An unquoted value without wildcards (escapes resolved): whole value on an attribute
    or tag, whole words on free text."""

    field: Field
    text: str


@dataclass(frozen=True, slots=True)
class Phrase:
    """A double-quoted value: wildcards inside are literal [LS "Wildcards"]."""

    field: Field
    text: str


@dataclass(frozen=True, slots=True)
class Wildcard:
    """An unquoted value with `*` / `?`: segments ("lit"|"esc"|"star"|"q", char)."""

    field: Field
    segments: tuple

    @property
    def text(self) -> str:
        return "".join(ch for _, ch in self.segments)


@dataclass(frozen=True, slots=True)
class Exists:
    """`field:*` (`@attr:*`, `env:*`)."""

    field: Field


@dataclass(frozen=True, slots=True)
class Comparison:
    """`@path:>n`, `>=`, `<`, `<=`: JSON numbers only."""

    path: str
    op: str
    number: int | float


@dataclass(frozen=True, slots=True)
class Range:
    """`@path:[lo TO hi]` (inclusive) / `{lo TO hi}` (exclusive); None is an open `*` bound."""

    path: str
    lo: int | float | None
    hi: int | float | None
    inclusive: bool


@dataclass(frozen=True, slots=True)
class Cidr:
    """`CIDR(@path, block, ...)`."""

    path: str
    blocks: tuple  # of str, as ipaddress.ip_network(strict=False) reads them


Node = All | And | Or | Not | Term | Phrase | Wildcard | Exists | Comparison | Range | Cidr
_VALUE_NODES = (Term, Phrase, Wildcard)


def compile_tree(node: Node) -> Matcher:
    """The matcher of a tree: closures built once, with precomputed regexes and paths."""
    if isinstance(node, All):
        return _always
    if isinstance(node, And):
        return _and([compile_tree(p) for p in node.parts])
    if isinstance(node, Or):
        return _or([compile_tree(p) for p in node.parts])
    if isinstance(node, Not):
        return _not(compile_tree(node.part))
    if isinstance(node, (Term, Phrase)):
        # unquoted without wildcards and quoted compare the same way (the literal text)
        return _term_matcher(node.field, None, node.text)
    if isinstance(node, Wildcard):
        return _term_matcher(node.field, list(node.segments), None)
    if isinstance(node, Exists):
        return _exists_matcher(node.field)
    if isinstance(node, Comparison):
        n, op = node.number, node.op
        if op == ">":
            return _range_matcher(node.path, n, None, False, True)
        if op == ">=":
            return _range_matcher(node.path, n, None, True, True)
        if op == "<":
            return _range_matcher(node.path, None, n, True, False)
        return _range_matcher(node.path, None, n, True, True)
    if isinstance(node, Range):
        return _range_matcher(node.path, node.lo, node.hi, node.inclusive, node.inclusive)
    if isinstance(node, Cidr):
        return _cidr_matcher(node.path, [ipaddress.ip_network(b, strict=False) for b in node.blocks])
    raise TypeError(f"not a search tree node: {node!r}")


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents before children."""
    yield node
    if isinstance(node, (And, Or)):
        for part in node.parts:
            yield from walk(part)
    elif isinstance(node, Not):
        yield from walk(node.part)


def tree_attributes(node: Node) -> set[str]:
    """Attribute paths the tree names (without '@'); reserved ones by name; tags as
    'tag:<key>', `tags:` as 'tags', `message:` as 'message'; free text names none."""
    out: set[str] = set()
    for n in walk(node):
        if isinstance(n, (Term, Phrase, Wildcard, Exists)):
            if n.field.attribute is not None:
                out.add(n.field.attribute)
        elif isinstance(n, (Comparison, Range, Cidr)):
            out.add(n.path)
    return out


# What a query requires: {attribute path: the exact string values one of which the
# attribute must hold} for an event to match at all. Derived from the tree, so right
# under NOT, OR and groups by construction. `hunt` routes events with it.
Requires = dict[str, frozenset]


def tree_requires(node: Node) -> Requires:
    """AND: every part's requirement (the same attribute: both sets at once); OR: only
    what every branch requires, with the values of all branches; NOT: nothing."""
    if isinstance(node, (Term, Phrase)):
        if node.field.kind in ("attr", "reserved"):
            return {node.field.name: frozenset({node.text})}
        return {}
    if isinstance(node, And):
        out: dict[str, frozenset] = {}
        for part in node.parts:
            for path, values in tree_requires(part).items():
                out[path] = out[path] & values if path in out else values
        return out
    if isinstance(node, Or):
        needs = [tree_requires(p) for p in node.parts]
        common = set(needs[0]).intersection(*needs[1:])
        return {path: frozenset().union(*(n[path] for n in needs)) for path in common}
    return {}  # NOT, wildcards, existence, ranges, CIDR, free text: no exact value


@dataclass(frozen=True, slots=True)
class ValueTerm:
    """A value compared with an attribute or tag (`@evt.name:x`, `@evt.name:(x OR y*)`,
    `env:prod`): attribute as Field.attribute names it; `negated` when under an odd
    number of NOTs (the query then excludes the value rather than depending on it)."""

    attribute: str
    value: str
    wildcard: bool
    negated: bool
    segments: tuple = _dc_field(default=(), compare=False, repr=False)

    def matches(self, text: str) -> bool:
        """Would this term's value accept `text` (whole value, wildcards honoured)?"""
        if not self.wildcard:
            return text == self.value
        return re.fullmatch(_wildcard_regex(list(self.segments)), text, re.DOTALL) is not None


def value_terms(node: Node, negated: bool = False) -> Iterator[ValueTerm]:
    """The attribute/tag value terms of the tree, with their polarity."""
    if isinstance(node, (And, Or)):
        for part in node.parts:
            yield from value_terms(part, negated)
    elif isinstance(node, Not):
        yield from value_terms(node.part, not negated)
    elif isinstance(node, _VALUE_NODES):
        attribute = node.field.attribute
        if attribute is None or node.field.kind == "message":
            return  # free text: words, not values
        if isinstance(node, Wildcard):
            yield ValueTerm(attribute, node.text, True, negated, node.segments)
        else:
            yield ValueTerm(attribute, node.text, False, negated)


def _conj(parts: list) -> Node:
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def _disj(parts: list) -> Node:
    return parts[0] if len(parts) == 1 else Or(tuple(parts))


# --------------------------------------------------------------------------- parser

_TERM_STOP = frozenset(" \t\r\n()")


class _Parser:
    def __init__(self, text: str):
        self.s = text
        self.n = len(text)
        self.i = 0

    # -- helpers
    def fail(self, message: str, position: int) -> NoReturn:
        raise SearchSyntaxError(message, self.s, position)

    def skip_ws(self) -> None:
        s, n, i = self.s, self.n, self.i
        while i < n and (s[i].isspace() or s[i] in _CURLY_QUOTES):
            i += 1
        self.i = i

    def at_end_of_value(self, i: int) -> bool:
        return i >= self.n or self.s[i] in _TERM_STOP or self.s[i].isspace()

    def keyword(self) -> tuple[str, int] | None:
        """The operator at the current position, as (AND|OR|NOT, length)."""
        # Case-sensitive AND / OR / - (https://docs.datadoghq.com/logs/explorer/search_syntax/#overview), NOT
        # (https://docs.datadoghq.com/observability_pipelines/search_syntax/logs/#boolean-operators and
        # `NOT(CIDR(...))` in https://docs.datadoghq.com/logs/explorer/search_syntax/), && / ||
        # (vectordotdev/vrl PR #1001).
        s, i, n = self.s, self.i, self.n
        if s.startswith("&&", i):
            return "AND", 2
        if s.startswith("||", i):
            return "OR", 2
        for kw in ("AND", "OR", "NOT"):
            if s.startswith(kw, i):
                j = i + len(kw)
                if j >= n or s[j].isspace() or s[j] in "()" or s[j] in _CURLY_QUOTES:
                    return kw, len(kw)
        return None

    def expect_operand(self, op: str, op_pos: int) -> None:
        """After an operator: something must follow that can start a term."""
        self.skip_ws()
        kw = self.keyword()
        if self.i >= self.n or self.s[self.i] == ")" or (kw and kw[0] in ("AND", "OR")):
            self.fail(f"{op} is not followed by a term", op_pos)

    # -- boolean structure (ctx: None at top level, the field of a value group inside one)
    def parse_query(self) -> Node:
        self.skip_ws()
        if self.i >= self.n:
            return All()
        matcher = self.parse_or(None)
        self.skip_ws()
        if self.i < self.n:  # parse_or only stops early on ')'
            self.fail("unbalanced ')'", self.i)
        return matcher

    def parse_or(self, ctx: _Field | None) -> Node:
        # Precedence: NOT/- > AND (explicit or implicit, "if nothing is added, AND is taken
        # by default", https://docs.datadoghq.com/logs/explorer/search_syntax/#overview) > OR. Not stated in
        # the docs; Datadog's own parser:
        # https://github.com/vectordotdev/vrl/pull/1542 ("AND takes precedence over OR").
        branches = [self.parse_and(ctx)]
        while True:
            self.skip_ws()
            kw = self.keyword()
            if not kw or kw[0] != "OR":
                break
            pos = self.i
            self.i += kw[1]
            self.expect_operand("OR", pos)
            branches.append(self.parse_and(ctx))
        return _disj(branches)

    def parse_and(self, ctx: _Field | None) -> Node:
        terms = [self.parse_unary(ctx)]
        while True:
            self.skip_ws()
            if self.i >= self.n or self.s[self.i] == ")":
                break
            kw = self.keyword()
            if kw and kw[0] == "OR":
                break
            if kw and kw[0] == "AND":
                pos = self.i
                self.i += kw[1]
                self.expect_operand("AND", pos)
            terms.append(self.parse_unary(ctx))  # explicit or implicit AND
        return _conj(terms)

    def parse_unary(self, ctx: _Field | None) -> Node:
        self.skip_ws()
        kw = self.keyword()
        if kw and kw[0] in ("AND", "OR"):
            self.fail(f"{kw[0]} has no term before it", self.i)
        if kw and kw[0] == "NOT":
            pos = self.i
            self.i += kw[1]
            self.expect_operand("NOT", pos)
            if self.keyword() or self.s[self.i] == "-":
                self.fail("double negation is not supported", self.i)
            return Not(self.parse_primary(ctx))
        if self.s[self.i] == "-":
            pos = self.i
            self.i += 1
            if self.at_end_of_value(self.i) and (self.i >= self.n or self.s[self.i] != "("):
                self.fail("'-' is not followed by a term", pos)
            if self.s[self.i] == "-":
                self.fail("double negation is not supported", self.i)
            return Not(self.parse_primary(ctx))
        return self.parse_primary(ctx)

    def parse_group(self, ctx: _Field | None) -> Node:
        # Parentheses, and value groups `@attr:(a OR b)` / `env:(prod OR test)`
        # (https://docs.datadoghq.com/logs/explorer/search_syntax/#tags,
        # https://docs.datadoghq.com/observability_pipelines/search_syntax/logs/#boolean-operators
        # `service:(postgres OR datadog_agent)`).
        open_pos = self.i
        self.i += 1
        self.skip_ws()
        if self.i < self.n and self.s[self.i] == ")":
            self.fail("empty parentheses", open_pos)
        if self.i >= self.n:
            self.fail("unbalanced '(': missing ')'", open_pos)
        matcher = self.parse_or(ctx)
        self.skip_ws()
        if self.i >= self.n:
            self.fail("unbalanced '(': missing ')'", open_pos)
        self.i += 1  # the ')'
        return matcher

    def parse_primary(self, ctx: _Field | None) -> Node:
        c = self.s[self.i]
        if c == "(":
            return self.parse_group(ctx)
        if c == ")":
            self.fail("unbalanced ')'", self.i)
        if ctx is not None:
            return self.parse_value(ctx, in_group=True)
        return self.parse_clause()

    # -- clauses
    def parse_clause(self) -> Node:
        s, start = self.s, self.i
        c = s[start]
        if c == '"':
            phrase = self.read_phrase()
            if self.i < self.n and s[self.i] == ":":
                self.fail("quoted field names are not supported", start)
            return Phrase(FREE, phrase)
        if s.startswith(
            "*:", start
        ):  # full-text over all attributes, https://docs.datadoghq.com/logs/explorer/search_syntax/#full-text-search
            self.i += 2
            return self.parse_field_value(_Field("fulltext", "*", start, "*"))
        if s.startswith("CIDR(", start):
            return self.parse_cidr()
        if c == "@":
            self.i += 1
            if self.i >= self.n or s[self.i] == ":" or self.at_end_of_value(self.i):
                self.fail("missing attribute name after '@'", start)
            segs, colon = self.read_term(stop_at_colon=True)
            if not colon:
                self.fail(f"attribute '{s[start : self.i]}' needs ':' and a value", start)
            name = self.field_name(segs, start)
            field = _Field("attr", name, start, s[start : self.i])
            self.i += 1  # ':'
            return self.parse_field_value(field)
        if c == ":":
            self.fail("missing field name before ':'", start)
        if c in "<>":
            self.fail("a comparison needs an @attribute, as in @attr:>5", start)
        if c in "[{":
            self.fail("a range needs an @attribute, as in @attr:[1 TO 10]", start)
        if c == "#":
            self.fail("calculated fields (#) are not supported", start)
        segs, colon = self.read_term(stop_at_colon=True)
        if colon:
            name = self.field_name(segs, start)
            field = _classify(name, start, s[start : self.i])
            self.i += 1  # ':'
            return self.parse_field_value(field)
        if segs == [("star", "*")]:
            return All()  # `*` alone: every log
        self.reject_regex(segs, start)
        return _value_node(FREE, segs)

    def field_name(self, segs: list, start: int) -> str:
        if _has_wildcard(segs):
            self.fail("wildcards are not supported in field names", start)
        name = _literal(segs)
        if not name:
            self.fail("missing field name before ':'", start)
        return name

    def parse_field_value(self, field: _Field) -> Node:
        i = self.i
        while i < self.n and self.s[i] in _CURLY_QUOTES:  # ignored
            i += 1
        self.i = i
        if i >= self.n or self.s[i].isspace() or self.s[i] == ")":
            self.fail(f"missing value after '{field.label}:'", self.i)
        if self.s[i] == "(":
            return self.parse_group(field)
        return self.parse_value(field, in_group=False)

    def parse_value(self, field: _Field, in_group: bool) -> Node:
        s, start = self.s, self.i
        c = s[start]
        if c == '"':
            phrase = self.read_phrase()
            return Phrase(field, phrase)
        if c in "<>":
            return self.parse_comparison(field)
        if c in "[{":
            return self.parse_range(field)
        segs, colon = self.read_term(stop_at_colon=in_group)
        if colon:
            self.fail("a value group cannot contain another field", self.i)
        if segs == [("star", "*")]:
            return Exists(field)
        self.reject_regex(segs, start)
        return _value_node(field, segs)

    def parse_comparison(self, field: _Field) -> Node:
        s, start = self.s, self.i
        op = ">=" if s.startswith(">=", start) else "<=" if s.startswith("<=", start) else s[start]
        self.i += len(op)
        if field.kind != "attr":
            self.fail("numeric comparisons apply to @attributes only", field.pos)
        if self.at_end_of_value(self.i):
            self.fail(f"missing number after '{op}'", self.i)
        number, raw = self.read_number(self.i)
        if number is None:
            self.fail(f"'{op}' needs a number, not {raw!r}", start + len(op))
        assert number is not None
        return Comparison(field.name, op, number)

    def read_number(self, start: int) -> tuple[float | int | None, str]:
        """The number up to the end of the value (None when it is not one), and its text."""
        s, i = self.s, start
        chars = []
        while not self.at_end_of_value(i):
            if s[i] == "\\" and i + 1 < self.n:
                chars.append(s[i + 1])
                i += 2
            else:
                chars.append(s[i])
                i += 1
        raw = "".join(chars)
        self.i = i
        if not _NUMBER_RE.fullmatch(raw):
            return None, raw
        return _to_number(raw), raw

    def parse_range(self, field: _Field) -> Node:
        s, open_pos = self.s, self.i
        closing = "]" if s[open_pos] == "[" else "}"
        if field.kind != "attr":
            self.fail("ranges apply to @attributes only", field.pos)
        self.i += 1
        lo = self.read_bound(open_pos)
        self.skip_ws()
        if not (s.startswith("TO", self.i) and self.i + 2 < self.n and s[self.i + 2].isspace()):
            self.fail("expected 'TO' in range", self.i)
        self.i += 2
        hi = self.read_bound(open_pos)
        self.skip_ws()
        if self.i >= self.n:
            self.fail(f"unterminated range: missing '{closing}'", open_pos)
        if s[self.i] not in "]}":
            self.fail(f"expected '{closing}' to close the range", self.i)
        if s[self.i] != closing:
            self.fail("a range must use [..] (inclusive) or {..} (exclusive) on both ends", self.i)
        self.i += 1
        if not self.at_end_of_value(self.i):
            self.fail("unexpected character after range", self.i)
        inclusive = closing == "]"
        return Range(field.name, lo, hi, inclusive)

    def read_bound(self, open_pos: int) -> float | int | None:
        self.skip_ws()
        s, start = self.s, self.i
        i = start
        while i < self.n and not s[i].isspace() and s[i] not in "]}":
            i += 1
        raw = s[start:i]
        if not raw or raw == "TO":
            self.fail("expected a range bound", start)
        self.i = i
        if raw == "*":
            return None
        raw_unescaped = raw.replace("\\", "")
        if not _NUMBER_RE.fullmatch(raw_unescaped):
            self.fail(f"range bounds must be numbers, not {raw!r}", start)
        return _to_number(raw_unescaped)

    def parse_cidr(self) -> Node:
        s, start = self.s, self.i
        self.i += len("CIDR(")
        close = s.find(")", self.i)
        if close < 0:
            self.fail("unbalanced '(': missing ')'", start + 4)
        args, pos = [], self.i
        for piece in s[self.i : close].split(","):
            stripped = piece.strip()
            args.append((stripped, pos + len(piece) - len(piece.lstrip())))
            pos += len(piece) + 1
        attr, attr_pos = args[0]
        if not attr.startswith("@") or len(attr) < 2 or not re.fullmatch(r"@[\w.\-@$]+", attr):
            self.fail("CIDR() needs an @attribute as its first argument", attr_pos)
        if len(args) < 2:
            self.fail("CIDR() needs at least one CIDR block", close)
        blocks = []
        for block, block_pos in args[1:]:
            try:
                ipaddress.ip_network(block, strict=False)
                blocks.append(block)
            except ValueError:
                self.fail(f"invalid CIDR block {block!r}", block_pos)
        self.i = close + 1
        if not self.at_end_of_value(self.i):
            self.fail("unexpected character after CIDR(...)", self.i)
        return Cidr(attr[1:], tuple(blocks))

    # -- lexical pieces
    def read_phrase(self) -> str:
        # Sequences in double quotes (https://docs.datadoghq.com/logs/explorer/search_syntax/#overview);
        # values with special characters can be
        # quoted (https://docs.datadoghq.com/logs/explorer/search_syntax/ note 3); wildcards inside quotes are
        # literal (https://docs.datadoghq.com/logs/explorer/search_syntax/#wildcards).
        s, open_pos = self.s, self.i
        i, out = open_pos + 1, []
        while i < self.n:
            c = s[i]
            if c == "\\":
                if i + 1 >= self.n:
                    break
                out.append(s[i + 1])
                i += 2
                continue
            if c == '"':
                self.i = i + 1
                if self.i < self.n and s[self.i] != ":" and not self.at_end_of_value(self.i):
                    self.fail("unexpected character after closing quote", self.i)
                return "".join(out)
            out.append(c)
            i += 1
        self.fail("unterminated quoted phrase", open_pos)

    def read_term(self, stop_at_colon: bool) -> tuple[list, bool]:
        """Segments of an unquoted word; stops at whitespace, '(' / ')', or ':' when allowed."""
        # Special characters need escaping with \\
        # (https://docs.datadoghq.com/logs/explorer/search_syntax/#escape-special-characters-and-spaces);
        # inside a word `-`, `+`, `=`, `#`, `/` are plain (vrl grammar.pest TERM_CHAR; `/` is
        # not special per https://docs.datadoghq.com/logs/explorer/search_syntax/); `:` in a value needs
        # escaping or quotes (https://docs.datadoghq.com/logs/explorer/search_syntax/ note 3).
        s, n = self.s, self.n
        i = start = self.i
        segs: list = []
        first = s[i]
        if first in "+-=!~^<>#":
            what = {
                "+": "'+' (required clause) is not supported",
                "!": "'!' is not supported; use NOT or '-'",
                "~": "fuzzy/proximity searches ('~') are not supported",
                "^": "boosting ('^') is not supported",
                "#": "'#' must be escaped at the start of a value",
            }.get(first, f"'{first}' at the start of a value must be escaped")
            self.fail(what, i)
        colon = False
        while i < n:
            c = s[i]
            if c.isspace() or c == ")":
                break
            if c in _CURLY_QUOTES:  # ignored
                i += 1
                continue
            if c == "(":
                self.fail("unexpected '(' inside a term; escape it as \\(", i)
            if c == "\\":
                if i + 1 >= n:
                    self.fail("dangling '\\' at the end of the query", i)
                segs.append(("esc", s[i + 1]))
                i += 2
                continue
            if c == ":":
                if stop_at_colon and i > start:
                    colon = True
                    break
                self.fail("unescaped ':' in a value; escape it as \\: or quote the value", i)
            if c == "*":
                segs.append(("star", c))
            elif c == "?":
                segs.append(("q", c))
            elif c == '"':
                self.fail("unexpected '\"' inside a term", i)
            elif c in "[]{}":
                self.fail(f"unexpected '{c}'; escape it as \\{c}", i)
            elif c == "~":
                self.fail("fuzzy/proximity searches ('~') are not supported", i)
            elif c == "^":
                self.fail("boosting ('^') is not supported", i)
            elif c == "!" and not segs:
                self.fail("'!' is not supported; use NOT or '-'", i)
            elif c in "<>":
                self.fail(f"unexpected '{c}'; a comparison goes right after ':'", i)
            elif s.startswith("&&", i) or s.startswith("||", i):
                self.fail(f"unexpected '{s[i : i + 2]}' inside a term", i)
            else:
                segs.append(("lit", c))
            i += 1
        self.i = i
        if not segs:
            self.fail("expected a term", start)
        return segs, colon

    def reject_regex(self, segs: list, start: int) -> None:
        # Datadog log search has no regex syntax; CHOICE: reject the Lucene-looking /.../ so
        # that it is not silently taken as a literal path.
        if len(segs) >= 2 and segs[0] == ("lit", "/") and segs[-1] == ("lit", "/"):
            self.fail("regular expressions (/.../) are not supported; escape or quote the slashes", start)


# --------------------------------------------------------------------------- API


def _value_node(field: Field, segs: list) -> Node:
    if _has_wildcard(segs):
        return Wildcard(field, tuple(segs))
    return Term(field, _literal(segs))


class Query:
    """A compiled Datadog log search query: its syntax tree, and what is derived from it."""

    __slots__ = ("text", "tree", "_match", "_attributes", "_requires")

    def __init__(self, text: str, tree: Node):
        self.text = text
        self.tree = tree
        self._match = compile_tree(tree)  # closures, built once
        self._attributes = frozenset(tree_attributes(tree))
        self._requires = tree_requires(tree)

    def matches(self, event: dict) -> bool:
        return self._match(event)

    def attributes(self) -> set[str]:
        """Attribute paths named (without '@'); reserved ones by name; tags as 'tag:<key>'."""
        return set(self._attributes)

    def requires(self) -> Requires:
        """Necessary conditions: {path: exact string values, one of which the attribute must
        hold} for any event to match (empty when the query requires no exact value)."""
        return dict(self._requires)

    def value_terms(self) -> list[ValueTerm]:
        """Every attribute/tag value term, with its polarity (see ValueTerm)."""
        return list(value_terms(self.tree))

    def equality_terms(self) -> set[tuple[str, str]]:
        """(attribute, value) of the positive exact value terms: values the query depends on
        (a NOT'd term is excluded, a term under OR counts as one alternative)."""
        return {(t.attribute, t.value) for t in value_terms(self.tree) if not t.negated and not t.wildcard}

    def __repr__(self) -> str:
        return f"Query({self.text!r})"


@lru_cache(maxsize=2048)
def _compile(text: str) -> Query:
    return Query(text, _Parser(text).parse_query())


def compile_query(text: str) -> Query:
    """Parse a Datadog log search query; SearchSyntaxError outside the supported syntax."""
    if not isinstance(text, str):
        raise TypeError(f"query must be a string, not {type(text).__name__}")
    return _compile(text)
