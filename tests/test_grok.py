"""contentkit.grok: Datadog's grok parser, offline.

Examples marked [P] come from https://docs.datadoghq.com/logs/log_configuration/parsing/,
[RX] from https://docs.datadoghq.com/logs/guide/regex_log_parsing/, [VG] from Datadog's
open-source port (vectordotdev/vector lib/datadog/grok, vectordotdev/vrl src/datadog/grok),
[I13423] from https://github.com/vectordotdev/vector/issues/13423 (Datadog's real output).
"""

import time
from datetime import UTC, datetime

import pytest

import contentkit.grok as grok_module
from contentkit.errors import ContentError, UnsupportedProcessor
from contentkit.event import set_path
from contentkit.grok import GrokParser, compile_grok


def ms(*args, tz=UTC) -> int:
    return int(datetime(*args, tzinfo=tz).timestamp() * 1000)


def one(pattern: str, value: str, support: str = ""):
    """Parse `value` with a single rule `r <pattern>`."""
    return compile_grok(f"r {pattern}", support).parse(value)


# --------------------------------------------------------------------------- documented examples


def test_overview_example():  # [P] Overview
    parser = compile_grok('MyParsingRule %{word:user} connected on %{date("MM/dd/yyyy"):date}')
    assert isinstance(parser, GrokParser)
    assert parser.parse("john connected on 11/08/2017") == {"user": "john", "date": ms(2017, 11, 8)}
    assert parser.match("john connected on 11/08/2017")[0] == "MyParsingRule"
    assert parser.rule_names == ["MyParsingRule"]
    assert parser.extracts() == {"user", "date"}


def test_helper_rules_example():  # [P] Using helper rules to factorize multiple parsing rules
    support = "\n".join(
        [
            "user %{word:user.name} id:%{integer:user.id}",
            'connection connected on %{date("MM/dd/yyyy"):connect_date}',
            "server on server %{notSpace:server.name} in %{notSpace:server.env}",
        ]
    )
    parser = compile_grok("MyParsingRule %{user} %{connection} %{server}", support)
    result = parser.parse("john id:12345 connected on 11/08/2017 on server XYZ in production")
    assert result == {
        "user.name": "john",
        "user.id": 12345,
        "connect_date": ms(2017, 11, 8),
        "server.name": "XYZ",
        "server.env": "production",
    }
    assert list(result) == ["user.name", "user.id", "connect_date", "server.name", "server.env"]
    event: dict = {}
    for path, value in result.items():
        set_path(event, path, value)
    assert event["user"] == {"name": "john", "id": 12345}
    assert parser.extracts() == {"user.name", "user.id", "connect_date", "server.name", "server.env"}


def test_alternating_pattern_example():  # [P] Alternating pattern
    rule = 'MyParsingRule (%{integer:user.id}|%{word:user.firstname}) connected on %{date("MM/dd/yyyy"):connect_date}'
    parser = compile_grok(rule)
    assert parser.parse("john connected on 11/08/2017") == {"user.firstname": "john", "connect_date": ms(2017, 11, 8)}
    assert parser.parse("12345 connected on 11/08/2017") == {"user.id": 12345, "connect_date": ms(2017, 11, 8)}


def test_optional_attribute_example():  # [P] Optional attribute
    rule = 'MyParsingRule %{word:user.firstname} (%{integer:user.id} )?connected on %{date("MM/dd/yyyy"):connect_date}'
    parser = compile_grok(rule)
    assert parser.parse("john 1234 connected on 11/08/2017") == {
        "user.firstname": "john",
        "user.id": 1234,
        "connect_date": ms(2017, 11, 8),
    }
    assert parser.parse("john connected on 11/08/2017") == {"user.firstname": "john", "connect_date": ms(2017, 11, 8)}


def test_nested_json_example(monkeypatch):  # [P] Nested JSON
    monkeypatch.setattr(grok_module, "_current_year", lambda: 2020)
    rule = (
        r'parsing_rule %{date("MMM dd HH:mm:ss"):timestamp} %{word:vm} %{word:app}\[%{number:logger.thread_id}\]: '
        r"%{notSpace:server} %{data::json}"
    )
    log = (
        'Sep 06 09:13:38 vagrant program[123]: server.1 {"method":"GET", "status_code":200, '
        '"url":"https://app.datadoghq.com/logs/pipelines", "duration":123456}'
    )
    assert compile_grok(rule).parse(log) == {
        "timestamp": ms(2020, 9, 6, 9, 13, 38),
        "vm": "vagrant",
        "app": "program",
        "logger.thread_id": 123.0,
        "server": "server.1",
        "method": "GET",
        "status_code": 200,
        "url": "https://app.datadoghq.com/logs/pipelines",
        "duration": 123456,
    }


def test_regex_example():  # [P] Regex
    rule = r'MyParsingRule %{regex("[a-z]*"):user.firstname}_%{regex("[a-zA-Z0-9]*"):user.id} .*'
    assert compile_grok(rule).parse("john_1a2b3c4 connected on 11/08/2017") == {
        "user.firstname": "john",
        "user.id": "1a2b3c4",
    }


def test_glog_example(monkeypatch):  # [P] Glog format (written in 2020)
    monkeypatch.setattr(grok_module, "_current_year", lambda: 2020)
    rule = (
        r'kube_scheduler %{regex("\\w"):level}%{date("MMdd HH:mm:ss.SSSSSS"):timestamp}\s+'
        r"%{number:logger.thread_id} %{notSpace:logger.name}:%{number:logger.lineno}\] %{data:msg}"
    )
    result = compile_grok(rule).parse("W0424 11:47:41.605188       1 authorization.go:47] Authorization is disabled")
    assert result == {
        "level": "W",
        "timestamp": 1587728861605,
        "logger.thread_id": 1.0,
        "logger.name": "authorization.go",
        "logger.lineno": 47.0,
        "msg": "Authorization is disabled",
    }
    assert isinstance(result["logger.lineno"], float)


@pytest.mark.parametrize(
    "pattern, value, expected",
    [
        # [P] Parsing dates table
        ('date("HH:mm:ss")', "14:20:15", 51615000),
        ('date("hh:mm:ss a")', "02:20:15 PM", 51615000),
        ('date("EEE MMM dd HH:mm:ss yyyy")', "Thu Jun 16 08:29:03 2016", 1466065743000),
        # the doc repeats the previous row's number here; the date is 2016-11-01T08:29:03Z
        ('date("EEE MMM d HH:mm:ss yyyy")', "Tue Nov 1 08:29:03 2016", ms(2016, 11, 1, 8, 29, 3)),
        ('date("dd/MMM/yyyy:HH:mm:ss Z")', "06/Mar/2013:01:36:30 +0900", 1362501390000),
        ("date(\"yyyy-MM-dd'T'HH:mm:ss.SSSZ\")", "2016-11-29T16:21:36.431+0000", 1480436496431),
        ("date(\"yyyy-MM-dd'T'HH:mm:ss.SSSZZ\")", "2016-11-29T16:21:36.431+00:00", 1480436496431),
        ('date("dd/MMM/yyyy:HH:mm:ss.SSS")', "06/Feb/2009:12:14:14.655", 1233922454655),
        ('date("yyyy-MM-dd HH:mm:ss.SSS z")', "2007-08-31 19:22:22.427 ADT", 1188598942427),
        ('date("EEE MMM dd HH:mm:ss yyyy","Europe/Paris")', "Thu Jun 16 08:29:03 2016", 1466058543000),
        ('date("EEE MMM dd HH:mm:ss yyyy","UTC+5")', "Thu Jun 16 08:29:03 2016", 1466047743000),
        ('date("EEE MMM dd HH:mm:ss yyyy","+3")', "Thu Jun 16 08:29:03 2016", 1466054943000),
        # the doc's 1412978400000 for "11/10/2014" is midnight in Paris; UTC is the default
        ('date("dd/MM/yyyy")', "11/10/2014", 1412985600000),
        ('date("dd/MM/yyyy", "Europe/Paris")', "11/10/2014", 1412978400000),
        # [VG] date tests
        ('date("yyyy-MM-dd HH:mm:ss.SSS z")', "2007-08-31 19:22:22.427 CET", 1188580942427),
        ('date("yyyy-MM-dd HH:mm:ss.SSS zzzz")', "2007-08-31 19:22:22.427 America/Thule", 1188598942427),
        ('date("yyyy-MM-dd HH:mm:ss.SSS Z")', "2007-08-31 19:22:22.427 -03:00", 1188598942427),
        ('date("EEE MMM dd HH:mm:ss yyyy", "-0300")', "Thu Jun 16 08:29:03 2016", 1466076543000),
        ('date("MMM d y HH:mm:ss z")', "Nov 16 2020 13:41:29 GMT", 1605534089000),
        # Zoom's ISO timestamps, the brief's forms
        ("date(\"yyyy-MM-dd'T'HH:mm:ss'Z'\")", "2024-03-01T12:00:05Z", ms(2024, 3, 1, 12, 0, 5)),
        ("date(\"yyyy-MM-dd'T'HH:mm:ss.SSSXXX\")", "2024-03-01T12:00:05.120+01:00", ms(2024, 3, 1, 11, 0, 5) + 120),
        ("date(\"yyyy-MM-dd'T'HH:mm:ss.SSSXXX\")", "2024-03-01T12:00:05.1Z", ms(2024, 3, 1, 12, 0, 5) + 100),
        ('date("MMMM d, yyyy")', "february 29, 2024", ms(2024, 2, 29)),
        ("date(\"yyyy-MM-dd''HH\")", "2024-03-01'07", ms(2024, 3, 1, 7)),
    ],
)
def test_date_matcher(pattern, value, expected):
    result = one(f"%{{{pattern}:date}}", value)
    assert result == {"date": expected}
    assert isinstance(result["date"], int)


def test_date_without_a_year_takes_the_current_year(monkeypatch):
    monkeypatch.setattr(grok_module, "_current_year", lambda: 2031)
    assert one('%{date("MMM dd HH:mm:ss"):d}', "Jan 02 03:04:05") == {"d": ms(2031, 1, 2, 3, 4, 5)}


def test_date_that_is_no_date_is_omitted_but_matches():
    parser = compile_grok('r %{date("yyyy-MM-dd"):d} %{word:w}')
    assert parser.parse("2024-13-01 x") == {"w": "x"}
    assert parser.parse("2024-02-30 x") == {"w": "x"}
    assert parser.parse("2024-1-01 x") is None  # MM is two digits


@pytest.mark.parametrize(
    "value, expected",
    [  # [P] Key value or logfmt
        ("key=valueStr", {"key": "valueStr"}),
        ("key=<valueStr>", {"key": "valueStr"}),
        ('"key"="valueStr"', {"key": "valueStr"}),
        # [I13423] Datadog's output for the doc example: the date has '/' outside the allowlist
        ("user=john connect_date=11/08/2017 id=123 action=click", {"user": "john", "id": 123, "action": "click"}),
        ("key:=valueStr", {}),  # [P] note: not matched -> {}
        ("key1= key2=null key3=value3", {"key3": "value3"}),  # [P] note: empty and null values are not displayed
        (
            "float=1.2,boolean=true,null=null,string=abc,integer1=11",
            {  # [VG] type inference
                "float": 1.2,
                "boolean": True,
                "string": "abc",
                "integer1": 11,
            },
        ),
        ("key1=value1;key2=value2", {"key1": "value1", "key2": "value2"}),
        ("key = valueStr", {}),
        ("db.name=my_db,db.operation=insert", {"db": {"name": "my_db", "operation": "insert"}}),
        ("a=1 a=2", {"a": [1, 2]}),
        ('id="123"', {"id": "123"}),
    ],
)
def test_keyvalue_default(value, expected):
    assert one("%{data::keyvalue}", value) == expected


@pytest.mark.parametrize(
    "rule, value, expected",
    [  # [P] keyvalue examples table and notes
        (
            '%{data::keyvalue(": ")}',
            "user: john connect_date: 11/08/2017 id: 123 action: click",
            {"user": "john", "id": 123, "action": "click"},
        ),
        (
            '%{data::keyvalue("=","/:")}',
            "url=https://app.datadoghq.com/event/stream user=john",
            {"url": "https://app.datadoghq.com/event/stream", "user": "john"},
        ),
        ('%{data::keyvalue(":")}', "key:valueStr", {"key": "valueStr"}),
        ('%{data::keyvalue(":", "/")}', 'key:"/valueStr"', {"key": "/valueStr"}),
        ('%{data::keyvalue(":", "/")}', "/key:/valueStr", {"/key": "/valueStr"}),
        ('%{data::keyvalue(":=", "", "{}")}', "key:={valueStr}", {"key": "valueStr"}),
        ('%{data::keyvalue("=", "", "", "|")}', "key1=value1|key2=value2", {"key1": "value1", "key2": "value2"}),
        ('%{data::keyvalue("=", "", "", "|")}', 'key1="value1"|key2="value2"', {"key1": "value1", "key2": "value2"}),
        (
            '%{data::keyvalue(":=","","<>")}',
            'key1:=valueStr key2:=</valueStr2> key3:="valueStr3"',
            {"key1": "valueStr", "key2": "/valueStr2"},
        ),
        ('%{data::keyvalue("=")}', "key:=valueStr", {}),
    ],
)
def test_keyvalue_arguments(rule, value, expected):
    assert one(rule, value) == expected


def test_keyvalue_with_an_extract_nests_the_object():  # [P] "If you add an extract attribute my_attribute"
    parser = compile_grok("rule %{data:my_attribute:keyvalue}")
    assert parser.parse("user=john id=123") == {"my_attribute": {"user": "john", "id": 123}}
    assert parser.parse("nothing here") == {"my_attribute": {}}
    assert parser.extracts() == {"my_attribute"}


# --------------------------------------------------------------------------- [RX] guide examples


def test_regex_guide_examples():
    assert one(
        r"Test \{%{data:my-attribute}} the rest of the log", "Test {some id 1656165ab; more text} the rest of the log"
    ) == {"my-attribute": "some id 1656165ab; more text"}
    assert one(
        r'Test \{%{regex("[^}]*"):my-attribute}} the rest of the log',
        "Test {some id 1656165ab; more text} the rest of the log",
    ) == {"my-attribute": "some id 1656165ab; more text"}
    alt = compile_grok(r'rule Connected with (%{regex("OSX|Windows"):os}|%{regex("\\d+"):kernel_version})')
    assert alt.parse("Connected with OSX") == {"os": "OSX"}
    assert alt.parse("Connected with Windows") == {"os": "Windows"}
    assert alt.parse("Connected with 169686468464") == {"kernel_version": "169686468464"}
    case = compile_grok(r'rule %{regex("(?i)test this log"):case_insensitive}.*')
    assert case.parse("Test This Log") == {"case_insensitive": "Test This Log"}
    assert case.parse("test this log") == {"case_insensitive": "test this log"}
    url = (
        r"/bits-datadog-new-york-2016-357401?utm_source=rule&utm_medium=sms&utm_campaign=Bits&utm_custom[rm]=148647836"
    )
    assert one(r"[^\]]+\]=%{notSpace:http.url_details.queryString.utm_custom_rm}", url) == {
        "http.url_details.queryString.utm_custom_rm": "148647836"
    }
    log = '2025-11-08T10:03:56.426Z 3d8a4e89 INFO Example-Message {"awsRequestId":"snip","level":30,"msg":"Example Message"}'
    assert one(r"[^{]*%{data::json}", log) == {"awsRequestId": "snip", "level": 30, "msg": "Example Message"}
    log = '[32m[Nest] 1 - 01/14/2022 [{"user":"someone","type":"change"}] [39m[32mOperator: cosmin changed a case'
    assert one(r'[^{]+%{regex("\\{[^}]+}")::json}.*', log) == {"user": "someone", "type": "change"}


def test_regex_guide_helper_rules():
    support = '_tocolon [^:]*:\\s*\n_insidebrackets %{regex("[^\\\\]]*")}'
    rule = r"rule %{_tocolon}\[%{_insidebrackets:User}\],\s*%{_tocolon}\[%{_insidebrackets:Plan}\],\s*.*"
    log = (
        "User:[iambits@gmail.com], Plan: [1], Total usage: [0.016050000000000002], "
        "[GS2] usage: [0.016050000000000002], [DOGGOLABS] usage: [0]"
    )
    assert compile_grok(rule, support).parse(log) == {"User": "iambits@gmail.com", "Plan": "1"}


# --------------------------------------------------------------------------- matchers


@pytest.mark.parametrize(
    "pattern, value, expected",
    [
        ("%{word:f}", "hello_World9", "hello_World9"),
        ("%{word:f}", "hello-world", None),
        ("%{word:f}", "héllo", None),  # Java's \w is ASCII
        ("%{notSpace:f}", "a/b:c@d", "a/b:c@d"),
        ("%{notSpace:f}", "a b", None),
        ("%{data:f}", "any thing at all", "any thing at all"),
        ("%{data:f}", "a\nb", "a\nb"),  # [P] data "matches any string including spaces and newlines"
        ("(?-s)%{data:f}", "a\nb", None),  # unless the rule turns DOTALL off
        ("(?s)%{data:f}", "a\nb", "a\nb"),
        ("%{integer:f}", "-2", -2),
        ("%{integer:f}", "+7", 7),
        ("%{integer:f}", "1.5", None),
        ("%{integerStr:f}", "007", "007"),
        ("%{integerExt:f}", "-1e+2", -100),
        ("%{integerExt:f}", "+2", 2),
        ("%{integerExt:f}", "1234.1e+5", None),
        ("%{integerExtStr:f}", "1e3", "1e3"),
        ("%{number:f}", "-1.2", -1.2),
        ("%{number:f}", "-1", -1.0),
        ("%{number:f}", ".5", 0.5),
        ("%{number:f}", "1e3", None),
        ("%{numberStr:f}", "3.14", "3.14"),
        ("%{numberExt:f}", "-1234e+3", -1234000.0),
        ("%{numberExt:f}", ".1e+3", 100.0),
        ("%{numberExtStr:f}", "2.5E-3", "2.5E-3"),
        ("%{boolean:f}", "tRue", True),
        ("%{boolean:f}", "False", False),
        ("%{boolean:f}", "yes", None),
        ('%{boolean("ok", "no"):f}', "ok", True),
        ('%{boolean("ok", "no"):f}', "no", False),
        ('%{boolean("ok", "no"):f}', "No", None),
        ("%{doubleQuotedString:f}", '"test  "', '"test  "'),
        ("%{singleQuotedString:f}", "'it'", "'it'"),
        ("%{quotedString:f}", "'single'", "'single'"),
        ("%{quotedString:f}", '"double"', '"double"'),
        ("%{quotedString:f}", "\"mixed'", None),
        ("%{uuid:f}", "123e4567-e89b-12d3-a456-426614174000", "123e4567-e89b-12d3-a456-426614174000"),
        ("%{uuid:f}", "123e4567e89b12d3a456426614174000", None),
        ("%{mac:f}", "00:1A:2b:3c:4D:5e", "00:1A:2b:3c:4D:5e"),
        ("%{mac:f}", "00-1A-2B-3C-4D-5E", "00-1A-2B-3C-4D-5E"),
        ("%{mac:f}", "001a.2b3c.4d5e", "001a.2b3c.4d5e"),
        ("%{ipv4:f}", "192.168.0.255", "192.168.0.255"),
        ("%{ipv4:f}", "256.1.1.1", None),
        ("%{ipv6:f}", "2001:db8::8a2e:370:7334", "2001:db8::8a2e:370:7334"),
        ("%{ipv6:f}", "::1", "::1"),
        ("%{ipv6:f}", "10.0.0.1", None),
        ("%{ip:f}", "10.0.0.1", "10.0.0.1"),
        ("%{ip:f}", "fe80::1", "fe80::1"),
        ("%{hostname:f}", "api.zoom.us", "api.zoom.us"),
        ("%{hostname:f}", "my_host-1.example.com.", "my_host-1.example.com."),
        ("%{ipOrHost:f}", "zoom.us", "zoom.us"),
        ("%{port:f}", "8080", "8080"),
        ("%{port:f}", "0", None),
        ('%{regex("[a-z]+"):f}', "abc", "abc"),
        ('%{regex("\\\\d{2}"):f}', "42", "42"),  # "\\d{2}" in the rule is \d{2} [RX Escaping]
    ],
)
def test_matchers(pattern, value, expected):
    result = one(pattern, value)
    if expected is None:
        assert result is None
    else:
        assert result == {"f": expected}
        assert type(result["f"]) is type(expected)


def test_matcher_without_extract_matches_and_extracts_nothing():
    assert one("%{word} %{integer} %{word:w}", "abc 12 def") == {"w": "def"}
    assert one("%{word}", "abc") == {}


def test_data_is_lazy_and_notspace_stops_at_spaces():
    assert one("%{data:a} - %{data:b}", "x - y - z") == {"a": "x", "b": "y - z"}
    assert one("%{notSpace:a}%{data:b}", "first second") == {"a": "first", "b": " second"}
    assert one("%{data:a}%{data:b}", "ab") == {"b": "ab"}  # the lazy first one is empty -> omitted


# --------------------------------------------------------------------------- filters


@pytest.mark.parametrize(
    "pattern, value, expected",
    [
        ("%{data:f:integer}", "1", 1),
        ("%{data:f:integer}", "-42", -42),
        ("%{data:f:number}", "1.0", 1.0),
        ("%{data:f:number}", "3", 3.0),
        ("%{integer:f:number}", "3", 3.0),
        ("%{data:f:boolean}", "tRue", True),
        ("%{data:f:boolean}", "false", False),
        ("%{data:f:lowercase}", "aBC", "abc"),
        ("%{data:f:uppercase}", "Abc", "ABC"),
        ('%{data:f:nullIf("-")}', "abc", "abc"),
        ("%{data:f:json}", '{ "bool_field": true, "array": ["abc"] }', {"bool_field": True, "array": ["abc"]}),
        ("%{data:f:json}", "[1, 2]", [1, 2]),
        ("%{integer:f:scale(10)}", "1", 10),
        ("%{number:f:scale(0.5)}", "10.0", 5.0),
        ("%{data:f:decodeuricomponent}", "%2Fservice%2Ftest", "/service/test"),
        (
            "%{data:f:querystring}",
            "?productId=superproduct&promotionCode=superpromo",
            {"productId": "superproduct", "promotionCode": "superpromo"},
        ),
    ],
)
def test_filters(pattern, value, expected):
    result = one(pattern, value)
    assert result == {"f": expected}
    assert type(result["f"]) is type(expected)


@pytest.mark.parametrize(
    "pattern, value",
    [
        ('%{data:f:nullIf("-")}', "-"),  # null is not displayed [P]
        ("%{data:f:integer}", "abc"),  # a failing filter omits the key [VG]
        ("%{data:f:number}", "1.2.3"),
        ("%{data:f:boolean}", "yes"),
        ("%{data:f:json}", "not a json"),
        ("%{data:f:json}", "NaN"),
        ("%{integer:f:lowercase}", "12"),
        ("%{data:f}", ""),  # empty is not displayed [P]
    ],
)
def test_filter_results_that_are_not_displayed(pattern, value):
    assert one(pattern, value) == {}


def test_filter_without_extract_merges_objects_only():  # [VG supports_filters_without_fields]
    rule = "%{notSpace:standalone_field} '%{data::json}' '%{data::json}' %{number::number}"
    assert one(rule, 'value1 \'{ "json_field1": "value2" }\' \'{ "json_field2": "value3" }\' 3') == {
        "standalone_field": "value1",
        "json_field1": "value2",
        "json_field2": "value3",
    }
    assert one("%{notSpace:standalone_field} %{data::integer}", "value1 1") == {"standalone_field": "value1"}
    assert one("%{data::json}", "not a json") == {}


# --------------------------------------------------------------------------- extraction semantics


def test_repeated_extract_makes_an_array():  # [VG appends_to_the_same_field]
    rule = r'%{integer:nested.field} %{notSpace:nested.field:uppercase} %{notSpace:nested.field:nullIf("-")}'
    assert one(rule, "1 info -") == {"nested.field": [1, "INFO"]}
    assert one(rule, "1 info x") == {"nested.field": [1, "INFO", "x"]}


def test_support_rule_and_main_rule_extracting_the_same_path():  # [VG alias_and_main_rule_extract_same_fields_to_array]
    assert one("%{notSpace:field:number} %{alias}", "1 2", "alias %{notSpace:field:integer}") == {"field": [1.0, 2]}


def test_support_rule_reference_with_extract_and_filter():  # [VG alias_with_filter]
    assert one("%{alias:field:uppercase}", "a 1", "alias %{notSpace:subfield1} %{notSpace:subfield2:integer}") == {
        "field": "A 1",
        "subfield1": "a",
        "subfield2": 1,
    }


def test_java_named_group_extracts():  # [VG extracts_field_with_regex_capture]
    assert one(r"(?<field>\w+)-%{word:other}", "abc-def") == {"field": "abc", "other": "def"}


def test_inline_flags_follow_java_scoping():
    parser = compile_grok(r"r a(?i)b|c")  # (?i) applies to the rest of the group, both branches
    assert parser.parse("aB") == {} and parser.parse("C") == {} and parser.parse("A") is None
    assert one(r"(x(?i)y)z", "xYz") == {} and one(r"(x(?i)y)z", "xYZ") is None
    assert one("(?-s)%{data:f} (?s)%{data:f}", "abc d\ne") == {"f": ["abc", "d\ne"]}


@pytest.mark.parametrize(
    "pattern, value, matches",
    [
        (r"a\Q.*\Eb", "a.*b", True),
        (r"a\Q.*\Eb", "axxb", False),
        (r"\x{41}\z", "A", True),
        (r"a\h+b", "a \t b", True),
        (r"a[|]b", "a|b", True),
        (r"(?>a+)b", "aab", True),
        (r"a++a", "aaa", False),  # possessive
        (r"\d+", "\u0661", False),  # Java's \d is ASCII
        (r"(?i)é", "É", False),  # and so is (?i)
    ],
)
def test_java_regex_dialect(pattern, value, matches):
    assert (one(pattern, value) is not None) is matches


def test_rules_are_tried_in_order_and_only_the_first_match_extracts():
    parser = compile_grok(
        "\n".join(
            [
                "numbers %{integer:n} %{word:w}",
                "words %{word:a} %{word:b}",
                "catch_all %{data:rest}",
            ]
        )
    )
    assert parser.rule_names == ["numbers", "words", "catch_all"]
    assert parser.match("12 abc") == ("numbers", {"n": 12, "w": "abc"})
    assert parser.match("xy abc") == ("words", {"a": "xy", "b": "abc"})
    assert parser.match("x, y") == ("catch_all", {"rest": "x, y"})
    assert parser.extracts() == {"n", "w", "a", "b", "rest"}


def test_match_rule_may_use_the_rules_above_it():  # [P] "Each rule can reference parsing rules defined above itself"
    parser = compile_grok("base %{word:a}\nmore %{base} and %{word:b}")
    assert parser.match("x and y") == ("more", {"a": "x", "b": "y"})
    with pytest.raises(ContentError, match="'more' is used before it is defined"):
        compile_grok("first %{more}\nmore %{word:b}")


def test_anchoring_the_whole_value_must_match():  # [P] implicit ^ and $
    parser = compile_grok("r %{word:w}")
    assert parser.parse("abc") == {"w": "abc"}
    assert parser.parse("abc ") is None
    assert parser.parse(" abc") is None
    assert compile_grok("r b").parse("abc") is None
    assert compile_grok("r a|b").parse("ab") is None  # the alternation is anchored as a whole
    assert parser.parse(None) is None


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "rules, name",
    [
        ("r %{greedyData:x}", "greedyData"),
        ("r %{xml:x}", "xml"),
        ("r %{unknownMatcher}", "unknownMatcher"),
    ],
)
def test_unsupported_matchers_are_rejected_by_name(rules, name):
    with pytest.raises(UnsupportedProcessor, match=f"grok matcher '{name}' is not supported by the simulator"):
        compile_grok(rules)


@pytest.mark.parametrize(
    "filter_text, name",
    [
        ("xml", "xml"),
        ('csv("a,b")', "csv"),
        ('array("[]",",")', "array"),
        ("useragent", "useragent"),
        ("rubyhash", "rubyhash"),
        ("url", "url"),
        ("unknownFilter", "unknownFilter"),
    ],
)
def test_unsupported_filters_are_rejected_by_name(filter_text, name):
    with pytest.raises(UnsupportedProcessor, match=f"grok filter '{name}' is not supported by the simulator"):
        compile_grok(f"r %{{data:x:{filter_text}}}")


def test_unsupported_things_in_support_rules_are_rejected_even_when_unused():
    with pytest.raises(UnsupportedProcessor, match="grok filter 'xml'"):
        compile_grok("r %{word:x}", "_unused %{data:y:xml}")


@pytest.mark.parametrize(
    "rules, support, exception, message",
    [
        ('r %{date("yyyy-ww"):d}', "", UnsupportedProcessor, "date pattern letter 'w'"),
        ('r %{date("yyyy", "UTC", "fr_FR"):d}', "", UnsupportedProcessor, "locale 'fr_FR'"),
        ('r %{date("yyyy", "Mars/Olympus"):d}', "", ContentError, "unknown timezone 'Mars/Olympus'"),
        (r"r (a)\1", "", UnsupportedProcessor, "backreferences"),
        (r"r \p{Alpha}+", "", UnsupportedProcessor, r"\\p"),
        (r"r [a-z&&[^b]]", "", UnsupportedProcessor, "intersection"),
        ("onlyname", "", ContentError, "expected 'name pattern'"),
        ("_bad %{word:x}", "", ContentError, "rule name"),
        ("r %{word:x", "", ContentError, "unterminated"),
        ("r %{word:x:lowercase:uppercase}", "", ContentError, "malformed"),
        ('r %{regex("[a-z"):x}', "", ContentError, "unterminated character class"),
        ("r %{regex([a-z]):x}", "", ContentError, "bad argument"),
        ('r %{regex("a", "b"):x}', "", ContentError, "regex matcher takes one string"),
        ('r %{word("a"):x}', "", ContentError, "takes no arguments"),
        ("r %{data:x:nullIf}", "", ContentError, "nullIf takes one string"),
        ("r (abc", "", ContentError, "unbalanced parenthesis"),
        ("r abc)", "", ContentError, "unbalanced parenthesis"),
        ("r a{2,1}", "", ContentError, "invalid regular expression"),
        ("r (?P<x>a)", "", ContentError, "unsupported group syntax"),
        ("r %{word:x}\nr %{word:y}", "", ContentError, "'r' is defined twice"),
        ("r %{word:x}", "r %{word:y}", ContentError, "'r' is defined twice"),
        ("r %{a}", "a %{b}\nb %{a}", ContentError, "circular reference"),
        ("", "", ContentError, "no match rules"),
        ('r %{data:x:keyvalue("=", "", "abc")}', "", ContentError, "quotingStr"),
        ('r %{boolean("(", "no"):x}', "", ContentError, "unbalanced parenthesis"),
        ('r %{boolean("yes"):x}', "", ContentError, "boolean matcher takes"),
        (r"r \x{zz}", "", ContentError, "bad"),
        ("r %{a}", "a %{r}", ContentError, "support rule cannot use match rule 'r'"),
    ],
)
def test_bad_rules_are_rejected_with_the_rule_named(rules, support, exception, message):
    with pytest.raises(exception, match=message):
        compile_grok(rules, support)


def test_errors_name_the_rule():
    with pytest.raises(ContentError, match="grok rule 'second'"):
        compile_grok('first %{word:a}\nsecond %{regex("("):b}')
    with pytest.raises(ContentError, match="grok rule '_a' via '_b': unterminated character class"):
        compile_grok("main %{_a}", '_a %{_b}\n_b %{regex("["):x}')


# --------------------------------------------------------------------------- Zoom operation_detail

ZOOM_RULES = "\n".join(
    [
        r"role_change Change Role  - %{notSpace:usr.email}: from %{data:role.old} to %{data:role.new}",
        r"channel_update Update a Channel %{notSpace:channel.name}  - %{data:first.setting}: set to %{data:first.value}"
        r" - %{data:second.setting}: from %{data:second.old} to %{data:second.new}",
        r"numeric_change %{data:section}  - %{data:setting}: from %{integer:old} to %{integer:new}( - .*)?",
        r"setting_change %{data:section}  - %{data:setting}: from %{data:old} to %{notSpace:new}( - .*)?",
        r"user_action %{word:action:lowercase} [Uu]ser( -)? %{notSpace:usr.email}\s*",
    ]
)


@pytest.mark.parametrize(
    "value, rule, expected",
    [
        (
            "Security  - Sign in with Two-Factor Authentication: from On to Off",
            "setting_change",
            {"section": "Security", "setting": "Sign in with Two-Factor Authentication", "old": "On", "new": "Off"},
        ),
        (
            "Sign-In Password Requirement  - Have at least specified length of characters: from 8 to 14"
            " - Include at least 1 letter: from On to Off",
            "numeric_change",
            {
                "section": "Sign-In Password Requirement",
                "setting": "Have at least specified length of characters",
                "old": 8,
                "new": 14,
            },
        ),
        (
            "Change Role  - homer.simpson@duff.io: from User to Co-Owner",
            "role_change",
            {"usr.email": "homer.simpson@duff.io", "role.old": "User", "role.new": "Co-Owner"},
        ),
        (
            "Update a Channel TestGroupChannel1  - Cloud Storage Retention: set to  - Name: from TestGroup1 to TestGroupChannel1",
            "channel_update",
            {
                "channel.name": "TestGroupChannel1",
                "first.setting": "Cloud Storage Retention",  # first.value is empty
                "second.setting": "Name",
                "second.old": "TestGroup1",
                "second.new": "TestGroupChannel1",
            },
        ),
        (
            "Activate User sjkfhdsf@jdfgkhgd.com ",
            "user_action",
            {"action": "activate", "usr.email": "sjkfhdsf@jdfgkhgd.com"},
        ),
        ("delete user - user2@example.com", "user_action", {"action": "delete", "usr.email": "user2@example.com"}),
    ],
)
def test_zoom_operation_detail(value, rule, expected):
    assert compile_grok(ZOOM_RULES).match(value) == (rule, expected)


def test_zoom_rule_order_and_trailing_space():
    lines = ZOOM_RULES.splitlines()
    channel_value = (
        "Update a Channel TestGroupChannel1  - Cloud Storage Retention: set to  - Name: "
        "from TestGroup1 to TestGroupChannel1"
    )
    late_channel = compile_grok("\n".join(lines[:1] + lines[2:] + lines[1:2]))
    rule, result = late_channel.match(channel_value)
    assert rule == "setting_change"
    assert result["section"] == "Update a Channel TestGroupChannel1"
    strict = compile_grok(r"user_action %{word:action:lowercase} [Uu]ser( -)? %{notSpace:usr.email}")
    assert strict.parse("Activate User sjkfhdsf@jdfgkhgd.com ") is None  # the trailing space must be matched
    assert compile_grok(ZOOM_RULES).parse("Something else entirely") is None


def test_parse_is_fast():
    rules = (
        ZOOM_RULES + "\n" + "\n".join(f"extra{i} Event{i} %{{notSpace:x}} %{{integer:y}} %{{data:z}}" for i in range(5))
    )
    parser = compile_grok(rules)
    assert len(parser.rule_names) == 10
    values = [
        "Security  - Sign in with Two-Factor Authentication: from On to Off",
        "Change Role  - homer.simpson@duff.io: from User to Co-Owner",
        "delete user - user2@example.com",
        "no rule matches this one at all, it is long enough to make the regexes work " * 3,
    ]
    start = time.perf_counter()
    for _ in range(1000):
        for value in values:
            parser.parse(value)
    assert time.perf_counter() - start < 2.0  # 4000 values; typically well under 0.2 s


def test_named_backreference_tests_equality():
    parser = compile_grok(r"self (?<same>[^|]+)\|\k<same>")
    assert parser.parse("a@example.com|a@example.com") == {"same": "a@example.com"}
    assert parser.parse("a@example.com|b@example.com") is None
    with pytest.raises(ContentError, match=r"names no earlier group"):
        compile_grok(r"bad (?<x>a)\|\k<y>")
