"""Datadog log search syntax (contentkit.search).

Doc pages cited below:
LS  = https://docs.datadoghq.com/logs/explorer/search_syntax/
OP  = https://docs.datadoghq.com/observability_pipelines/search_syntax/logs/
UPG = https://docs.datadoghq.com/observability_pipelines/guide/upgrade_your_filter_queries_to_the_new_search_syntax/
TAG = https://docs.datadoghq.com/getting_started/tagging/
FR  = https://docs.datadoghq.com/fr/logs/search_syntax/
VRL = https://github.com/vectordotdev/vrl/pull/1542 (Datadog's parser: AND before OR)

Timing sanity (not a test): on the development machine the 23 filters of
pipelines/zoom_activity_logs/pipeline.yaml take ~1 µs per match on a Zoom operation
event (20,000 events x 23 queries in ~0.5 s); a free-text query ~1-3.5 µs.
"""

import pytest

from contentkit.errors import SearchSyntaxError
from contentkit.search import Query, compile_query


def log(message="", tags=(), **attrs):
    event = {"message": message, "status": "info", "tags": list(tags)}
    event.update(attrs)
    return event


def m(query, event):
    return compile_query(query).matches(event)


# --------------------------------------------------------------------------- API


def test_empty_and_star_match_everything():
    for q in ("", "   ", "*", "*:*"):
        assert m(q, {})
        assert m(q, log("anything", tags=["a:b"], x=1))


def test_query_object():
    q = compile_query("@evt.name:zoom.sign_in -@network.client.geoip.country.iso_code:US")
    assert isinstance(q, Query)
    assert q.text == "@evt.name:zoom.sign_in -@network.client.geoip.country.iso_code:US"
    assert q.attributes() == {"evt.name", "network.client.geoip.country.iso_code"}
    assert q.matches(
        {"evt": {"name": "zoom.sign_in"}, "network": {"client": {"geoip": {"country": {"iso_code": "FR"}}}}}
    )
    assert not q.matches(
        {"evt": {"name": "zoom.sign_in"}, "network": {"client": {"geoip": {"country": {"iso_code": "US"}}}}}
    )
    assert not q.matches({"evt": {"name": "zoom.sign_out"}})
    assert compile_query(q.text) is q  # compiled once, cached


def test_non_string_query_is_a_type_error():
    with pytest.raises(TypeError):
        compile_query(None)


def test_attributes():
    q = compile_query(
        "source:zoom status:(error OR warn) service:x host:h env:Prod tags:foo "
        "@usr.email:* @a.b:[1 TO 2] -@c:>3 message:hi CIDR(@network.client.ip, 10.0.0.0/8) "
        'free "text" *:fulltext @g:(x OR y)'
    )
    assert q.attributes() == {
        "source",
        "status",
        "service",
        "host",
        "tag:env",
        "tags",
        "usr.email",
        "a.b",
        "c",
        "message",
        "network.client.ip",
        "g",
    }
    assert compile_query("hello world").attributes() == set()
    q.attributes().add("mutated")
    assert "mutated" not in q.attributes()


# --------------------------------------------------------------------------- LS examples


def test_ls_boolean_operator_examples():
    # LS "Overview" table
    assert m("authentication AND failure", log("authentication failure for bob"))
    assert not m("authentication AND failure", log("authentication ok"))
    assert m("authentication OR password", log("bad password"))
    assert not m("authentication OR password", log("nothing"))
    assert m("authentication AND -password", log("authentication ok"))
    assert not m("authentication AND -password", log("authentication password"))


def test_ls_full_text_vs_free_text():
    # LS "Full-text search": `*:hello` searches all attributes, `hello` only the message
    event = log("nothing here", greeting="hello", nested={"deep": ["x", "hello_world"]})
    assert m("*:hello", event)
    assert not m("hello", event)
    assert m("*:hello*", log("", a={"b": "hello_world"}))  # "strings starting with hello"
    assert not m("*:hello", log("", a={"b": "hello_world"}))  # hello_world is one word
    assert m('*:"hello world"', log("", a="say Hello World"))
    assert not m('*:"hello world"', log("", a="world hello"))
    assert m("hello world", log("hello beautiful world"))  # free text: both words
    assert m("*:HELLO", event)  # full-text search is case insensitive (LS note 2)
    assert not m("*:hello", log("", tags=["hello"]))  # tags are not attributes


def test_ls_attribute_examples():
    # LS "Attributes search"
    assert m("@url:www.datadoghq.com", log(url="www.datadoghq.com"))
    assert not m("@url:www.datadoghq.com", log(url="www.datadoghq.com/x"))
    ev = log(my_attribute="hello:world")
    assert m(r"@my_attribute:hello\:world", ev)
    assert m('@my_attribute:"hello:world"', ev)
    assert m("@my_attribute:hello?world", log(my_attribute="hello world"))
    assert m('@http.url_details.path:"/api/v1/test"', log(http={"url_details": {"path": "/api/v1/test"}}))
    assert m(r"@http.url:/api\-v1/*", log(http={"url": "/api-v1/users/1"}))
    assert not m(r"@http.url:/api\-v1/*", log(http={"url": "/api-v2/users"}))
    both = r"@http.status_code:[200 TO 299] @http.url_details.path:/api\-v1/*"
    assert m(both, log(http={"status_code": 204, "url_details": {"path": "/api-v1/x"}}))
    assert not m(both, log(http={"status_code": 301, "url_details": {"path": "/api-v1/x"}}))
    assert m("-@http.status_code:*", log(http={"url": "/"}))
    assert not m("-@http.status_code:*", log(http={"status_code": 200}))


def test_ls_attribute_search_is_case_sensitive():
    # LS note 2: "Attributes searches are case sensitive"
    assert m("@user:Name", log(user="Name"))
    assert not m("@user:name", log(user="Name"))
    # UPG: `user:(name OR Name or nAme)` - attribute search is case sensitive
    assert m("@user:(name OR Name OR nAme)", log(user="nAme"))
    assert not m("@user:(name OR Name OR nAme)", log(user="NAME"))


def test_ls_cidr_examples():
    # LS "Search using CIDR notation"
    assert m("CIDR(@network.client.ip,13.0.0.0/8)", log(network={"client": {"ip": "13.4.5.6"}}))
    assert not m("CIDR(@network.client.ip,13.0.0.0/8)", log(network={"client": {"ip": "14.4.5.6"}}))
    assert m("CIDR(@network.ip.list,13.0.0.0/8, 15.0.0.0/8)", log(network={"ip": {"list": ["1.1.1.1", "15.0.0.9"]}}))
    q = "source:vpc NOT(CIDR(@network.client.ip, 13.0.0.0/8)) CIDR(@network.destination.ip, 15.0.0.0/8)"
    vpc = {"source": "vpc"}
    assert m(q, log(network={"client": {"ip": "10.0.0.1"}, "destination": {"ip": "15.1.1.1"}}, **vpc))
    assert not m(q, log(network={"client": {"ip": "13.0.0.1"}, "destination": {"ip": "15.1.1.1"}}, **vpc))
    assert m("CIDR(@ip, 2001:db8::/32)", log(ip="2001:db8::1"))
    assert not m("CIDR(@ip, 10.0.0.0/8)", log(ip="not an ip"))


def test_ls_wildcard_examples():
    # LS "Wildcards"
    assert m("service:web*", log(service="web-store"))
    assert not m("service:web*", log(service="store-web"))
    assert m("web*", log("webserver started"))
    assert m("*web", log("served by cobweb"))
    assert m("service:*mongo", log(service="shard-mongo"))
    assert m("*NETWORK*", log("a NETWORK error"))
    assert not m("*NETWORK*", log("other", detail="NETWORK"))  # not in the message
    # wildcards only work outside double quotes
    assert m("*test*", log("a unittests run"))
    assert not m('"*test*"', log("a unittests run"))
    assert m('"*test*"', log("the *test* marker"))


def test_ls_numerical_examples():
    # LS "Numerical values"
    assert m("@http.response_time:>100", log(http={"response_time": 101}))
    assert not m("@http.response_time:>100", log(http={"response_time": 100}))
    assert m("@http.status_code:[400 TO 499]", log(http={"status_code": 404}))
    assert m("@http.status_code:[400 TO 499]", log(http={"status_code": 400}))
    assert m("@http.status_code:[400 TO 499]", log(http={"status_code": 499}))
    assert not m("@http.status_code:[400 TO 499]", log(http={"status_code": 500}))


def test_ls_tag_examples():
    # LS "Tags"
    assert m("test", log("this is a test"))
    assert m("env:(prod OR test)", log(tags=["env:test"]))
    assert not m("env:(prod OR test)", log(tags=["env:dev"]))
    assert m("(env:prod AND -version:beta)", log(tags=["env:prod", "version:1"]))
    assert not m("(env:prod AND -version:beta)", log(tags=["env:prod", "version:beta"]))
    assert m("tags:my_tag", log(tags=["my_tag", "env:prod"]))  # `tags:<MY_TAG>`


def test_ls_array_examples():
    # LS "Arrays": `Peter` matches a value Peter or an array containing Peter
    assert m("@users.names:Peter", log(users={"names": "Peter"}))
    assert m("@users.names:Peter", log(users={"names": ["Paul", "Peter"]}))
    assert not m("@users.names:Peter", log(users={"names": ["Paul"]}))
    # array of JSON objects
    data = [{"Name": "SubjectUserID1", "value": "12345"}, {"Name": "ObjectServer", "value": "Security"}]
    ev = log(Event={"EventData": {"Data": data}})
    assert m("@Event.EventData.Data.Name:ObjectServer", ev)
    assert not m("@Event.EventData.Data.Name:Other", ev)


def test_fr_escaped_equal_in_message():
    # FR "Recherche d'attribut message": user\=AliceMartin finds user=AliceMartin
    assert m(r"user\=AliceMartin", log("login user=AliceMartin ok"))


# --------------------------------------------------------------------------- OP examples


def test_op_free_text_examples():
    assert m("hello", {"message": "hello world"})
    assert m("Hello world", log("hello beautiful world"))
    assert m("Hello AND world", log("hello beautiful world"))
    assert not m("Hello world", log("hello beautiful"))
    for message in ("hello world", "hello-world", "Hello, world"):
        assert m('"hello world"', log(message))
    assert not m('"hello world"', log("hello beautiful world"))
    # UPG: the new syntax's free text is case insensitive
    assert m("hello", log("hEllo world"))


def test_op_attribute_and_boolean_examples():
    assert m("status:ok service:flask-web-app", {"status": "ok", "service": "flask-web-app"})
    assert not m("status:ok service:flask-web-app", {"status": "ok", "service": "flask"})
    assert m("NOT (status:debug)", log(status="info"))
    assert not m("NOT (status:debug)", log(status="debug"))
    q = "host:COMP-A9JNGYK OR host:COMP-J58KAS"
    assert m(q, log(host="COMP-J58KAS")) and not m(q, log(host="COMP-X"))
    assert m("hello AND status:info", log("hello there"))
    assert m("-@http.status_code:200", log(http={"status_code": 404}))
    assert not m("-@http.status_code:200", log(http={"status_code": 200}))
    assert m("service:(postgres OR datadog_agent)", log(service="datadog_agent"))
    assert m("service:postgres OR service:datadog_agent", log(service="postgres"))


def test_op_ranges_inclusive_and_exclusive():
    assert m("@http.status:[200 TO 299]", log(http={"status": 200}))
    assert m("@http.status:[200 TO 299]", log(http={"status": 299}))
    assert not m("@http.status:{200 TO 299}", log(http={"status": 200}))
    assert not m("@http.status:{200 TO 299}", log(http={"status": 299}))
    assert m("@http.status:{200 TO 299}", log(http={"status": 250}))


def test_op_escape_examples():
    ev = {
        "service": "postgres",
        "status": "INFO",
        "tags": ["env:prod", "namespace:something", "reader:logs", "my_app:hello world again"],
    }
    assert m("tags:env*", ev)
    assert m(r"tags:(env\:prod OR env\:test)", ev)
    assert m('tags:("env:prod" OR "env:test")', ev)
    assert m(r"tags:env\:prod AND -tags:version\:beta", ev)
    assert m('tags:"env:prod" AND -tags:"version:beta"', ev)
    assert m("my_app:hello?world?again", ev)
    assert m(r"@my_app:hello\:world", log(my_app="hello:world"))
    # OP: to find `!` in the message use `message:*!*`
    assert m("message:*!*", log("hi! there"))
    assert not m("message:*!*", log("hi there"))


# --------------------------------------------------------------------------- precedence

A, B, C = "@f.a:1", "@f.b:1", "@f.c:1"


def ev_with(*names):
    return {"f": {n: 1 for n in names}}


@pytest.mark.parametrize("present", [(), ("a",), ("b",), ("c",), ("a", "b"), ("a", "c"), ("b", "c"), ("a", "b", "c")])
def test_and_binds_tighter_than_or(present):
    # VRL PR #1542: AND takes precedence over OR (the Lucene-style reading was a bug)
    a, b, c = ("a" in present), ("b" in present), ("c" in present)
    ev = ev_with(*present)
    assert m(f"{A} OR {B} {C}", ev) == (a or (b and c))
    assert m(f"{A} OR {B} AND {C}", ev) == (a or (b and c))
    assert m(f"{A} AND {B} OR {C}", ev) == ((a and b) or c)
    assert m(f"{A} {B} OR {C}", ev) == ((a and b) or c)
    assert m(f"({A} OR {B}) {C}", ev) == ((a or b) and c)
    assert m(f"{A} OR -{B}", ev) == (a or not b)
    assert m(f"-{A} OR -{B}", ev) == ((not a) or (not b))
    assert m(f"NOT {A} {B}", ev) == ((not a) and b)
    assert m(f"NOT ({A} {B})", ev) == (not (a and b))
    assert m(f"-({A} OR {B})", ev) == (not (a or b))
    assert m(f"{A} && {B} || {C}", ev) == ((a and b) or c)
    assert m("@f.a:(1 OR 2) -@f.b:*", ev) == (a and not b)


def test_operators_are_case_sensitive():
    # LS: "case sensitive Boolean operators": lowercase ones are words
    assert not m("alpha or beta", log("alpha"))
    assert m("alpha or beta", log("alpha or beta"))
    assert m("alpha OR beta", log("alpha"))
    assert m("ANDROID", log("android phone"))  # a word starting with AND


# --------------------------------------------------------------------------- free text details


def test_free_text_searches_message_and_error_and_title_only():
    assert m("boom", log("", error={"message": "Boom happened"}))
    assert m("trace", log("", error={"stack": "Trace line 1"}))
    assert m("report", log("", title="Weekly report"))
    assert not m("boom", log("", other="boom"))
    assert m("boom", {"message": None, "error.message": "boom"})  # literal dotted key
    assert not m("hello", {})


def test_free_text_is_word_based():
    assert not m("hell", log("hello world"))
    assert m("hell*", log("hello world"))
    assert m("hel?o", log("hello world"))
    assert m("zoom.sign_in", log("event zoom.sign_in seen"))
    assert m("hello-world", log("hello world"))  # words in sequence, separators ignored
    assert not m(r"\!\!", log("!!"))  # special characters cannot be searched in the message
    assert m("123", log("code 123 returned"))
    assert m("café", log("Le CAFÉ"))


def test_message_field_is_free_text_on_message_only():
    assert m("message:hello", log("Hello there"))
    assert not m("message:hello", log("", error={"message": "hello"}))
    assert m("@message:*timeout*", log("db timeout after 3s"))
    assert not m("@message:timeout", log("db timeout after 3s"))  # @message: whole value


def test_curly_quotes_are_ignored():
    # newest LS: "Search ignores curly quotation marks"
    assert m("\u201chello world\u201d", log("world then hello"))


# --------------------------------------------------------------------------- attributes


def test_nested_attributes_and_literal_dotted_keys():
    assert m("@usr.email:bob@example.com", log(usr={"email": "bob@example.com"}))
    assert m("@usr.email:*@example.com", log(usr={"email": "bob@example.com"}))
    assert not m("@usr.email:*@example.com", log(usr={"email": "bob@example.org"}))
    assert m("@a.b:x", {"a.b": "x"})  # a literal key with dots wins, as in get_path
    assert not m("@a.b:x", {"a": "x"})
    assert m("@evt.name:zoom.user.*", {"evt": {"name": "zoom.user.role_change"}})
    assert not m("@evt.name:zoom.user.*", {"evt": {"name": "zoom.sign_in"}})


def test_values_compare_as_json_text():
    assert m("@a:200", log(a=200))
    assert m("@a:200", log(a="200"))
    assert not m("@a:200", log(a=200.5))
    assert m("@a:0.75", log(a=0.75))
    assert m("@a:true", log(a=True))
    assert not m("@a:True", log(a=True))
    assert not m("@a:1", log(a=True))
    assert m("@a:2*", log(a=204))
    assert not m("@a:null", log(a=None))
    assert not m("@a:x", log(a={"x": 1}))  # an object is not a value


def test_existence():
    assert m("@a:*", log(a="x"))
    assert m("@a:*", log(a=0))
    assert m("@a:*", log(a=False))
    assert m("@a:*", log(a={"b": 1}))
    assert not m("@a:*", log(a=None))  # null: not indexed
    assert not m("@a:*", log(a=[]))  # empty array: no value
    assert not m("@a:*", log())
    assert m("-@a:*", log())
    assert m("@a.b:*", log(a=[{"c": 1}, {"b": 2}]))


def test_reserved_attributes():
    ev = {
        "source": "zoom_activity_logs",
        "service": "zoom",
        "host": "h1",
        "status": "info",
        "trace_id": "t1",
        "tags": ["source:zoom_activity_logs"],
    }
    assert m("source:zoom_activity_logs service:zoom host:h1 status:info trace_id:t1", ev)
    assert not m("status:INFO", ev)  # attribute searches are case sensitive
    assert m("source:zoom*", ev)
    assert not m("service:zoom", {"tags": ["service:zoom"]})  # reserved: the attribute, not a tag
    assert not m("status:info", {"status": "warn", "tags": ["status:info"]})


def test_tags():
    ev = log(tags=["env:prod", "team:Sec", "bare", "role:a:b"])
    assert m("env:prod", ev)
    assert m("team:sec", ev)  # tags are lowercased at intake (TAG)
    assert m("team:SEC", ev)  # CHOICE: tag queries are lowercased too
    assert m("Team:sec", ev)
    assert m(r"role:a\:b", ev)  # the key ends at the first colon
    assert m("env:*", ev) and m("bare:*", ev) and not m("zone:*", ev)
    assert m("env:pr?d", ev)
    assert not m("env:prod", log(env="prod"))  # an attribute is not a tag
    assert not m("env:prod", {"message": "x"})  # no tags at all
    assert m("tags:bare", ev) and not m("tags:env", ev)
    assert m("tags:*", ev) and not m("tags:*", log())


def test_numeric_comparisons_and_ranges():
    ev = log(d=5, f=2.5, s="7", neg=-3, big=1e20)
    assert m("@d:>4", ev) and not m("@d:>5", ev)
    assert m("@d:>=5", ev) and not m("@d:>=6", ev)
    assert m("@d:<6", ev) and not m("@d:<5", ev)
    assert m("@d:<=5", ev) and not m("@d:<=4", ev)
    assert m("@f:[2 TO 3]", ev) and m("@f:>2.4", ev)
    assert m("@neg:<-2", ev) and m("@neg:[-5 TO 0]", ev)
    assert m("@big:>1e19", ev)
    assert m("@d:[5 TO *]", ev) and m("@d:[* TO 5]", ev) and not m("@d:{5 TO *}", ev)
    assert not m("@s:>1", ev)  # a string is not a measure (LS: numerical facets)
    assert not m("@missing:>1", ev)
    assert not m("@d:>1", log(d=True))  # booleans are not numbers
    assert m("@arr:>10", log(arr=[1, 20]))  # any array element
    assert m("@d:(>10 OR <6)", ev)


def test_escapes():
    assert m(r"@a:va\ lue", log(a="va lue"))
    assert m(r"@zoom.category:user\ group", log(zoom={"category": "user group"}))
    assert m(r"@a:va\*lue", log(a="va*lue"))
    assert not m(r"@a:va\*lue", log(a="vaXlue"))  # escaped star is literal
    assert m(r"@a:va\?lue", log(a="va?lue")) and not m(r"@a:va\?lue", log(a="vaXlue"))
    assert m(r"@a:say\"hi\"", log(a='say"hi"'))
    assert m(r"@a:back\\slash", log(a="back\\slash"))
    assert m(r"@a:\-5", log(a="-5"))
    assert m(r"@a:f\(x\)", log(a="f(x)"))
    assert m(r"@a:x\~y\^z\!\[\]\{\}\<\>\&\&\|\|\#", log(a="x~y^z![]{}<>&&||#"))
    assert m(r"@a:\/api\/", log(a="/api/"))  # escaped slashes: not a regex
    assert m('@a:"/api/"', log(a="/api/"))
    assert m(r'@a:"quoted \"inner\" \\ back"', log(a='quoted "inner" \\ back'))
    assert m("@a:\u201ccurly\u201d", log(a="curly"))  # curly quotes ignored
    assert m("@a:\\\u201ccurly\\\u201d", log(a="\u201ccurly\u201d"))  # escaped: literal
    assert m("@a:a-b+c=d#e/f@g!", log(a="a-b+c=d#e/f@g!"))  # plain inside a word


def test_value_groups():
    assert m("@zoom.category:(channels OR im)", log(zoom={"category": "im"}))
    assert not m("@zoom.category:(channels OR im)", log(zoom={"category": "user"}))
    assert m("@a:(x AND y)", log(a=["x", "y"]))
    assert not m("@a:(x AND y)", log(a="x"))
    assert m("@a:(x OR (y -z))", log(a=["y"]))
    assert not m("@a:(x OR (y -z))", log(a=["y", "z"]))
    assert m('@a:("two words" OR one*)', log(a="two words"))
    assert m("@a:(*)", log(a=1)) and not m("@a:(*)", log())
    q = (
        "@evt.name:(zoom.user.role_change OR zoom.user.delete) OR "
        "(@evt.name:zoom.setting.update @zoom.setting.new_value:Off)"
    )
    assert m(q, {"evt": {"name": "zoom.user.delete"}})
    assert m(q, {"evt": {"name": "zoom.setting.update"}, "zoom": {"setting": {"new_value": "Off"}}})
    assert not m(q, {"evt": {"name": "zoom.setting.update"}, "zoom": {"setting": {"new_value": "On"}}})


def test_negation_of_missing_attribute_matches():
    assert m("-@a:x", log())
    assert m("NOT @a:x", log(a="y"))
    assert not m("-*", log())


# --------------------------------------------------------------------------- malformed


@pytest.mark.parametrize(
    "query, message, position",
    [
        ("(a", "unbalanced '(': missing ')'", 0),
        ("a)", "unbalanced ')'", 1),
        ("@a:(x OR y", "unbalanced '(': missing ')'", 3),
        ("()", "empty parentheses", 0),
        ("a AND", "AND is not followed by a term", 2),
        ("a OR", "OR is not followed by a term", 2),
        ("OR a", "OR has no term before it", 0),
        ("a OR OR b", "OR is not followed by a term", 2),
        ("(AND a)", "AND has no term before it", 1),
        ("NOT", "NOT is not followed by a term", 0),
        ("a NOT", "NOT is not followed by a term", 2),
        ("-", "'-' is not followed by a term", 0),
        ("- a", "'-' is not followed by a term", 0),
        ("NOT -a", "double negation is not supported", 4),
        ("@attr:", "missing value after '@attr:'", 6),
        ("@attr: x", "missing value after '@attr:'", 6),
        ("env:", "missing value after 'env:'", 4),
        ("@attr:>", "missing number after '>'", 7),
        ("@attr:>= 5", "missing number after '>='", 8),
        ("@a:>abc", "'>' needs a number, not 'abc'", 4),
        ("@a:[a TO z]", "range bounds must be numbers, not 'a'", 4),
        ("@a:[1 5]", "expected 'TO' in range", 6),
        ("@a:[1 TO ]", "expected a range bound", 9),
        ("@a:[1 TO 5", "unterminated range: missing ']'", 3),
        ("@a:[1 TO 5}", "a range must use [..] (inclusive) or {..} (exclusive) on both ends", 10),
        ("env:>5", "numeric comparisons apply to @attributes only", 0),
        ("status:[1 TO 2]", "ranges apply to @attributes only", 0),
        (">5", "a comparison needs an @attribute", 0),
        ("[1 TO 2]", "a range needs an @attribute", 0),
        ("@a:/ab+c/", "regular expressions (/.../) are not supported", 3),
        ("/error.*/", "regular expressions (/.../) are not supported", 0),
        ("roam~", "fuzzy/proximity searches ('~') are not supported", 4),
        ("roam~2 x", "fuzzy/proximity searches ('~') are not supported", 4),
        ("@a:b^2", "boosting ('^') is not supported", 4),
        ('"abc', "unterminated quoted phrase", 0),
        ('x "abc\\"', "unterminated quoted phrase", 2),
        ('"a"b', "unexpected character after closing quote", 3),
        ('"a.b":c', "quoted field names are not supported", 0),
        ('ab"c"', "unexpected '\"' inside a term", 2),
        ("@a:hello:world", "unescaped ':' in a value", 8),
        ("@a:(b:c)", "a value group cannot contain another field", 5),
        ("a\\", "dangling '\\' at the end of the query", 1),
        ("@a:!b", "'!' is not supported; use NOT or '-'", 3),
        ("!a", "'!' is not supported; use NOT or '-'", 0),
        ("+a", "'+' (required clause) is not supported", 0),
        ("@a:-5", "'-' at the start of a value must be escaped", 3),
        ("#calc:1", "calculated fields (#) are not supported", 0),
        ("@:x", "missing attribute name after '@'", 0),
        ("@ x", "missing attribute name after '@'", 0),
        ("@attr", "attribute '@attr' needs ':' and a value", 0),
        (":x", "missing field name before ':'", 0),
        ("*x:y", "wildcards are not supported in field names", 0),
        ("f(x)", "unexpected '(' inside a term", 1),
        ("a[1]", "unexpected '['", 1),
        ("a&&b", "unexpected '&&' inside a term", 1),
        ("@a:b<c", "unexpected '<'", 4),
        ("CIDR(@ip)", "CIDR() needs at least one CIDR block", 8),
        ("CIDR(ip, 10.0.0.0/8)", "CIDR() needs an @attribute as its first argument", 5),
        ("CIDR(@ip, 10.0.0.300/8)", "invalid CIDR block '10.0.0.300/8'", 10),
        ("CIDR(@ip, 10.0.0.0/8", "unbalanced '(': missing ')'", 4),
    ],
)
def test_malformed_queries(query, message, position):
    with pytest.raises(SearchSyntaxError) as info:
        compile_query(query)
    err = info.value
    assert str(err).startswith(message), str(err)
    assert err.position == position
    assert err.query == query
    assert str(err).endswith(f"at position {position} in query {query!r}")
