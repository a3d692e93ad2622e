"""The shipping examples (examples/vector, fluent-bit, datadog-agent, systemd) parse,
and say what docs/shipping.md relies on: the collector command each one runs is valid
for the collector's own parser, stderr stays out of the JSON stream, the source is
zoom_activity_logs, line limits fit the largest record with margin, paths agree with
the systemd unit, and no secret is written anywhere. Offline: no shipper binary runs."""

from __future__ import annotations

import fnmatch
import json
import queue
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath

import pytest
import yaml
from helpers import clean_env

from collector.output import render
from collector.records import LOG_TYPES
from collector.runner import default_state_path
from collector.tokenstore import default_token_path
from collector.windows import utc_today
from emulator import Emulator, EmulatorConfig
from zoom_activity_logs.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SHIPPING_DIRS = ("vector", "fluent-bit", "datadog-agent", "systemd")
VECTOR = EXAMPLES / "vector" / "vector.yaml"
VECTOR_FILE = EXAMPLES / "vector" / "vector-file.yaml"
FLUENT_BIT = EXAMPLES / "fluent-bit" / "fluent-bit.yaml"
FLUENT_BIT_TAIL = EXAMPLES / "fluent-bit" / "fluent-bit-tail.yaml"
AGENT = EXAMPLES / "datadog-agent" / "conf.yaml"
UNIT = EXAMPLES / "systemd" / "zoom-activity-logs.service"
LOGROTATE = EXAMPLES / "systemd" / "zoom-activity-logs.logrotate"
SHIPPING_DOC = ROOT / "docs" / "shipping.md"

SOURCE = "zoom_activity_logs"
CONFIG_PATH = "/etc/zoom-activity-logs/accounts.yaml"
# A Zoom operation record can be a few KB while the emulator's largest is ~0.5 KB:
# every line limit must hold this many times the largest emulated line.
MARGIN = 8
# The one line-length limit every example sets (docs/shipping.md): 256 KiB.
LINE_LIMIT = 262144
# systemd specifiers of a system unit used by the example
SPECIFIERS = {"%S": "/var/lib", "%L": "/var/log", "%%": "%"}


def shipping_examples() -> list[Path]:
    return sorted(p for d in SHIPPING_DIRS for p in (EXAMPLES / d).rglob("*") if p.is_file())


def load_yaml(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- small parsers


def parse_unit(text: str) -> dict[str, dict[str, list[str]]]:
    """systemd unit file: sections of key -> every value given (Environment= may repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        assert not line.endswith("\\"), f"line {number}: continuation lines are not used in the example"
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        key, sep, value = line.partition("=")
        assert sep and current is not None and key.strip(), f"line {number} is not KEY=VALUE in a section: {raw!r}"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def parse_logrotate(text: str) -> dict[str, dict]:
    """logrotate file: path -> {"directives": [...], "<script>": [lines]}."""
    blocks: dict[str, dict] = {}
    block = script = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if block is None:
            assert line.endswith("{"), f"expected 'path {{', got {raw!r}"
            block = blocks.setdefault(line[:-1].strip(), {"directives": []})
        elif script is not None:
            if line == "endscript":
                script = None
            else:
                block[script].append(line)
        elif line in ("prerotate", "postrotate", "firstaction", "lastaction", "preremove"):
            script = line
            block[script] = []
        elif line == "}":
            block = None
        else:
            block["directives"].append(line)
    assert block is None and script is None, "unterminated block or script"
    return blocks


def fluent_bit_size(value) -> int:
    """Fluent Bit unit sizes: no suffix = bytes, k/K/KB = 1,000, M = 1,000,000, G = 10**9."""
    m = re.fullmatch(r"\s*(\d+)\s*([kKmMgG][bB]?)?\s*", str(value))
    assert m, f"not a Fluent Bit size: {value!r}"
    return int(m.group(1)) * {None: 1, "k": 10**3, "m": 10**6, "g": 10**9}[m.group(2) and m.group(2)[0].lower()]


def expand(value: str) -> str:
    for spec, real in SPECIFIERS.items():
        value = value.replace(spec, real)
    assert "%" not in value, f"unknown systemd specifier in {value!r}"
    return value


def collector_invocation(argv: list[str]):
    """(what runs before the collector, the collector's parsed arguments)."""
    at = [i for i, token in enumerate(argv) if PurePosixPath(token).name == "zoom-activity-logs"]
    assert len(at) == 1, f"no single zoom-activity-logs program in {argv}"
    return argv[: at[0]], build_parser().parse_args(argv[at[0] + 1 :])


def fgets_pieces(stream: bytes, buf_size: int) -> list[bytes]:
    """What fgets(buf, buf_size, f) returns call after call (Fluent Bit's exec input):
    at most buf_size - 1 bytes, up to and including a newline."""
    pieces, i = [], 0
    while i < len(stream):
        newline = stream.find(b"\n", i, i + buf_size - 1)
        end = newline + 1 if newline >= 0 else min(len(stream), i + buf_size - 1)
        pieces.append(stream[i:end])
        i = end
    return pieces


def exec_input_records(stream: bytes, buf_size: int) -> tuple[list[dict], int]:
    """Records the exec input makes of `stream` with its JSON parser, and how many pieces failed."""
    records, failed = [], 0
    for piece in fgets_pieces(stream, buf_size):
        piece = piece[:-1] if piece.endswith(b"\n") else piece  # the plugin's chomp
        try:
            value = json.loads(piece)
        except ValueError:
            failed += 1
            continue
        if isinstance(value, dict):
            records.append(value)
        else:
            failed += 1
    return records, failed


# --------------------------------------------------------------------------- shared facts


@pytest.fixture(scope="module")
def unit():
    return parse_unit(UNIT.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def unit_args(unit):
    (exec_start,) = unit["Service"]["ExecStart"]
    assert not exec_start.startswith(("-", "@", "+", "!", ":")), "no ExecStart prefixes in the example"
    prefix, args = collector_invocation(shlex.split(exec_start))
    assert prefix == [], "the unit runs the collector itself"
    return args


@pytest.fixture(scope="module")
def output_path(unit_args) -> str:
    assert unit_args.output, "the unit writes --output for the file-tailing shippers"
    return unit_args.output


@pytest.fixture(scope="module")
def largest_line() -> int:
    """The longest line the collector writes for the emulator's records (the default
    account, all of its history), with the longest account name the schema allows."""
    emu = Emulator(EmulatorConfig())
    today = utc_today()
    since = today - timedelta(days=emu.config.history_days - 1)
    account, rid = "a" * 63, "f" * 32
    return max(
        len(render(r, kind, account, rid)) for kind in ("activity", "operation") for r in emu.truth(kind, since, today)
    )


def vector_exec_commands() -> list[list[str]]:
    return [s["command"] for s in load_yaml(VECTOR)["sources"].values() if s["type"] == "exec"]


def fluent_bit_exec_inputs() -> list[dict]:
    return [i for i in load_yaml(FLUENT_BIT)["pipeline"]["inputs"] if i["name"] == "exec"]


def example_commands(unit) -> dict[str, list[str]]:
    commands = {"systemd ExecStart": shlex.split(unit["Service"]["ExecStart"][0])}
    for n, argv in enumerate(vector_exec_commands()):
        commands[f"vector exec {n}"] = argv
    for n, inp in enumerate(fluent_bit_exec_inputs()):
        commands[f"fluent-bit exec {n}"] = shlex.split(inp["command"])
    return commands


# --------------------------------------------------------------------------- every example


@pytest.mark.parametrize("path", shipping_examples(), ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_every_example_parses(path):
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".yaml":
        assert isinstance(yaml.safe_load(text), dict)
    elif path.suffix == ".service":
        assert {"Unit", "Service", "Install"} <= set(parse_unit(text))
    elif path.suffix == ".logrotate":
        assert parse_logrotate(text)
    else:
        pytest.fail(f"no parser for {path.name}: add one here before adding the example")


def test_every_example_is_in_the_shipping_doc():
    doc = SHIPPING_DOC.read_text(encoding="utf-8")
    missing = [str(p.relative_to(ROOT)) for p in shipping_examples() if str(p.relative_to(ROOT)) not in doc]
    assert not missing, f"docs/shipping.md does not mention {missing}"


def test_the_expected_examples_exist():
    for path in (VECTOR, VECTOR_FILE, FLUENT_BIT, FLUENT_BIT_TAIL, AGENT, UNIT, LOGROTATE):
        assert path.is_file(), path


# --------------------------------------------------------------------------- the collector command


def test_each_command_is_valid_for_the_collector_and_follows(unit):
    commands = example_commands(unit)
    assert len(commands) >= 3, commands
    for where, argv in commands.items():
        prefix, args = collector_invocation(argv)
        assert args.command == "collect", where
        assert args.follow, f"{where}: a shipper expects a collector that keeps running (--follow)"
        assert args.health, f"{where}: the monitors need the health lines (--health)"
        assert args.config == CONFIG_PATH, where
        assert not args.emulated and args.since is None, where
        # --state names one account's file: refused with a config of several accounts
        assert args.state is None, f"{where}: use XDG_STATE_HOME for per-account state with --config"
        # only `exec`, `env` and VAR=value may run before the program
        for token in prefix:
            assert token in ("exec", "env") or re.fullmatch(r"[A-Z_][A-Z0-9_]*=\S+", token), (where, token)


def test_exec_commands_keep_stderr_out_of_the_json_stream():
    for argv in vector_exec_commands():
        assert isinstance(argv, list) and argv[0].startswith("/"), "an argv list, not a shell line"
        assert not any(t in ("sh", "bash", "-c") or PurePosixPath(t).name in ("sh", "bash") for t in argv)
    for inp in fluent_bit_exec_inputs():
        # popen() runs a shell line: no redirection (2>&1 would mix diagnostics into
        # the records), pipe or command list
        tokens = shlex.split(inp["command"])
        assert not [t for t in tokens if re.search(r"[<>|&;`]|\$\(", t)], inp["command"]
    for name, source in load_yaml(VECTOR)["sources"].items():
        if source["type"] == "exec":
            # Vector's default is true: it must be set, and false
            assert source.get("include_stderr") is False, name


# --------------------------------------------------------------------------- Vector


def vector_upstream(config: dict, name: str) -> set[str]:
    """Every source and transform whose events reach component `name`."""
    transforms = config.get("transforms", {})
    seen, todo = set(), [name]
    while todo:
        component = todo.pop()
        inputs = transforms.get(component, config.get("sinks", {}).get(component, {})).get("inputs", [])
        for inp in inputs:
            base = inp[: -len(".dropped")] if inp.endswith(".dropped") else inp
            if base not in seen:
                seen.add(base)
                todo.append(base)
    return seen


@pytest.mark.parametrize("path", [VECTOR, VECTOR_FILE], ids=lambda p: p.name)
def test_vector_graph_is_wired(path):
    config = load_yaml(path)
    sources, transforms, sinks = config["sources"], config.get("transforms", {}), config["sinks"]
    names = set(sources) | set(transforms)
    for component, body in {**transforms, **sinks}.items():
        assert body.get("inputs"), component
        for inp in body["inputs"]:
            if inp.endswith(".dropped"):
                base = inp[: -len(".dropped")]
                assert transforms.get(base, {}).get("reroute_dropped") is True, (component, inp)
            else:
                assert inp in names, (component, inp)


@pytest.mark.parametrize("path", [VECTOR, VECTOR_FILE], ids=lambda p: p.name)
def test_vector_datadog_route_sets_the_source_and_takes_the_key_from_the_environment(path):
    config = load_yaml(path)
    transforms = config.get("transforms", {})
    datadog = {n: s for n, s in config["sinks"].items() if s["type"] == "datadog_logs"}
    assert datadog, "a datadog_logs sink"
    collector_sources = {n for n, s in config["sources"].items() if s["type"] in ("exec", "file")}
    for name, sink in datadog.items():
        assert sink["default_api_key"] == "${DD_API_KEY}", name
        assert re.fullmatch(r"\$\{DD_SITE(:-[a-z0-9.]+)?\}", sink["site"]), name
        upstream = vector_upstream(config, name)
        assert upstream & collector_sources, f"{name} is not fed by the collector's lines"
        remaps = [
            transforms[t]["source"]
            for t in upstream
            if transforms.get(t, {}).get("type") == "remap" and "source" in transforms[t]
        ]
        sets = [re.findall(r"^\s*\.(ddsource|source)\s*=\s*(.+?)\s*$", vrl, re.M) for vrl in remaps]
        assignments = [a for s in sets for a in s]
        assert ("ddsource", f'"{SOURCE}"') in assignments, f'{name}: no remap sets .ddsource = "{SOURCE}"'
        assert all(a == ("ddsource", f'"{SOURCE}"') for a in assignments), assignments


@pytest.mark.parametrize("path", [VECTOR, VECTOR_FILE], ids=lambda p: p.name)
def test_vector_interpolates_only_the_datadog_variables(path):
    # Vector expands $VAR and ${VAR...} over the whole file text, comments included
    # (src/config/vars.rs); $$ is a literal dollar.
    text = path.read_text(encoding="utf-8").replace("$$", "")
    names = re.findall(r"\$\{?([A-Za-z0-9_.]+)", text)
    assert names and set(names) <= {"DD_API_KEY", "DD_SITE"}, names


def test_vector_exec_source_streams_json():
    sources = load_yaml(VECTOR)["sources"]
    (source,) = [s for s in sources.values() if s["type"] == "exec"]
    assert source["mode"] == "streaming"
    assert source["streaming"]["respawn_on_exit"] is True
    assert source["streaming"]["respawn_interval_secs"] >= 30, "not Zoom's token endpoint every 5 s"
    assert source["decoding"]["codec"] == "json"
    assert source["framing"]["method"] == "newline_delimited"
    assert "XDG_STATE_HOME" in source.get("environment", {}), "where the per-account state files go"


def test_vector_file_source_is_the_strict_variant(output_path):
    config = load_yaml(VECTOR_FILE)
    (source,) = [s for s in config["sources"].values() if s["type"] == "file"]

    def matches(path):
        return any(fnmatch.fnmatch(path, p) for p in source["include"]) and not any(
            fnmatch.fnmatch(path, p) for p in source.get("exclude", [])
        )

    assert matches(output_path), "reads the unit's --output"
    assert matches(output_path + ".1"), "finishes a renamed generation"
    assert not matches(output_path + ".2.gz"), "never re-reads a compressed generation"
    assert source["read_from"] == "beginning"
    # checkpoints advance only after delivery: global or on every sink
    global_acks = (config.get("acknowledgements") or {}).get("enabled") is True
    assert global_acks or all(
        (s.get("acknowledgements") or {}).get("enabled") is True for s in config["sinks"].values()
    )


def test_vector_archive_sinks_write_ndjson():
    for path in (VECTOR, VECTOR_FILE):
        archives = [s for s in load_yaml(path)["sinks"].values() if s["type"] in ("aws_s3", "file")]
        assert archives, path.name
        for sink in archives:
            assert sink["encoding"]["codec"] in ("json", "text"), (path.name, sink)
            if sink["type"] == "aws_s3":
                assert sink["framing"]["method"] == "newline_delimited", (path.name, sink)
                assert "access_key_id" not in sink.get("auth", {}), "AWS credentials from the instance role"


# --------------------------------------------------------------------------- Fluent Bit


@pytest.mark.parametrize("path", [FLUENT_BIT, FLUENT_BIT_TAIL], ids=lambda p: p.name)
def test_fluent_bit_parses_json_and_sends_the_source_to_datadog(path):
    config = load_yaml(path)
    parsers = {p["name"]: p for p in config["parsers"]}
    inputs, outputs = config["pipeline"]["inputs"], config["pipeline"]["outputs"]
    for inp in inputs:
        assert parsers[inp["parser"]]["format"] == "json", inp["name"]
        assert inp["storage.type"] == "filesystem", inp["name"]
    assert config["service"]["storage.path"]
    datadog = [o for o in outputs if o["name"] == "datadog"]
    assert datadog, path.name
    for out in datadog:
        assert out["dd_source"] == SOURCE
        assert out["apikey"] == "${DD_API_KEY}"
        assert out["host"] == "http-intake.logs.${DD_SITE}"
        assert str(out["retry_limit"]).lower() in ("no_limits", "false"), "the default drops after 1 retry"
        tags = {i["tag"] for i in inputs}
        assert any(fnmatch.fnmatch(t, out["match"]) for t in tags)


def test_fluent_bit_exec_runs_the_collector_once_in_its_own_thread():
    (inp,) = fluent_bit_exec_inputs()
    assert inp["oneshot"] is True and inp["threaded"] is True
    assert inp["exit_after_oneshot"] is True and inp["propagate_exit_code"] is True
    files = [o for o in load_yaml(FLUENT_BIT)["pipeline"]["outputs"] if o["name"] == "file"]
    assert files and all(o["format"] == "plain" for o in files), "one JSON object per line"


def test_fluent_bit_tail_reads_the_units_output(output_path):
    (inp,) = load_yaml(FLUENT_BIT_TAIL)["pipeline"]["inputs"]
    assert inp["name"] == "tail"
    assert inp["path"] == output_path
    assert inp["db"] and inp["read_from_head"] is True
    assert inp["skip_long_lines"] is False, "a too-long line must stop the file (visible lag), not vanish"


def test_fluent_bit_sizes_parse_like_fluent_bit():
    assert fluent_bit_size(262144) == 262144
    assert fluent_bit_size("32k") == 32000 and fluent_bit_size("1M") == 1000000 and fluent_bit_size("2KB") == 2000
    with pytest.raises(AssertionError):
        fluent_bit_size("lots")


# --------------------------------------------------------------------------- line sizes


def line_limits() -> dict[str, int]:
    """Every line-length setting of the examples, in bytes, as configured."""
    limits = {}
    for name, s in load_yaml(VECTOR)["sources"].items():
        if s["type"] == "exec":
            limits[f"vector {name} framing max_length"] = s["framing"]["newline_delimited"]["max_length"]
    for name, s in load_yaml(VECTOR_FILE)["sources"].items():
        if s["type"] == "file":
            limits[f"vector {name} max_line_bytes"] = s["max_line_bytes"]
    for inp in fluent_bit_exec_inputs():
        limits["fluent-bit exec buf_size"] = fluent_bit_size(inp["buf_size"])
    for inp in load_yaml(FLUENT_BIT_TAIL)["pipeline"]["inputs"]:
        limits["fluent-bit tail buffer_max_size"] = fluent_bit_size(inp["buffer_max_size"])
    return limits


def test_every_line_limit_is_the_documented_one_and_holds_the_largest_record(largest_line):
    assert 300 < largest_line < 4096, largest_line  # the emulator's truth, rendered as the collector does
    limits = line_limits()
    assert len(limits) == 4, limits
    assert {k: v for k, v in limits.items() if v != LINE_LIMIT} == {}, f"docs/shipping.md promises {LINE_LIMIT}"
    assert f"{LINE_LIMIT:,}" in SHIPPING_DOC.read_text(encoding="utf-8")
    # fgets keeps room for the newline and the terminating NUL
    assert LINE_LIMIT - 2 >= MARGIN * largest_line, (LINE_LIMIT, largest_line)


# --------------------------------------------------------------------------- the exec command, run


LONG_DETAIL = "Sign-In Password Requirement  - " + " - ".join(
    f"Custom rule {i:03d} for the whole account: from On to Off" for i in range(120)
)


@pytest.fixture(scope="module")
def exec_run(tmp_path_factory):
    """The Vector example's exec command, run as written except for the config path
    (a config naming the emulator) and XDG_STATE_HOME (a temporary directory), until
    its first health line; then SIGTERM, as Vector sends on shutdown."""
    tmp = tmp_path_factory.mktemp("exec")
    (argv,) = vector_exec_commands()
    (source,) = [s for s in load_yaml(VECTOR)["sources"].values() if s["type"] == "exec"]
    args = list(argv[1:])
    args[args.index("--config") + 1] = str(tmp / "accounts.yaml")

    emu = Emulator(EmulatorConfig(users=8, activity_per_day=40, operation_per_day=15, history_days=3))
    with emu:
        when = (datetime.now(UTC) - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
        emu.add_records(
            "operation",
            [
                {
                    "time": when,
                    "operator": "admin@example.com",
                    "category_type": "Account",
                    "action": "Update",
                    "operation_detail": LONG_DETAIL,
                }
            ],
        )
        (tmp / "accounts.yaml").write_text(
            "version: 1\ndefaults: {max_rps: 0}\naccounts:\n"
            "  - name: corp\n    auth: server_to_server\n"
            "    account_id: {env: T_ACCOUNT}\n    client_id: {env: T_CLIENT}\n    client_secret: {env: T_SECRET}\n"
            f"    api_url: {emu.api_url}\n    oauth_url: {emu.base_url}\n"
        )
        env = {
            **clean_env(),
            **{k: str(tmp / "state") for k in source["environment"]},
            "T_ACCOUNT": emu.config.account_id,
            "T_CLIENT": emu.config.client_id,
            "T_SECRET": emu.config.client_secret,
        }
        with subprocess.Popen(
            [sys.executable, "-m", "zoom_activity_logs", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=tmp,
        ) as proc:
            lines: queue.Queue = queue.Queue()
            reader = threading.Thread(
                target=lambda: [lines.put(l) for l in iter(proc.stdout.readline, b"")], daemon=True
            )
            reader.start()
            stdout, deadline = [], time.monotonic() + 60
            try:
                while time.monotonic() < deadline:
                    try:
                        line = lines.get(timeout=0.5)
                    except queue.Empty:
                        if proc.poll() is not None:
                            break
                        continue
                    stdout.append(line)
                    if b'"log_type":"health"' in line:
                        break
                proc.send_signal(signal.SIGTERM)
                code = proc.wait(timeout=30)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            reader.join(timeout=5)
            while not lines.empty():
                stdout.append(lines.get())
            stderr = proc.stderr.read()
    return {"code": code, "stdout": b"".join(stdout), "stderr": stderr}


def test_exec_command_writes_only_json_objects_on_stdout(exec_run):
    assert exec_run["code"] == 130, exec_run["stderr"]  # SIGTERM: a clean stop
    lines = exec_run["stdout"].splitlines()
    parsed = [json.loads(line) for line in lines]
    assert all(isinstance(p, dict) and p.get("log_type") in (*LOG_TYPES, "health") for p in parsed)
    assert any(p["log_type"] == "health" and p["account"] == "corp" for p in parsed)
    assert any(p.get("operation_detail") == LONG_DETAIL for p in parsed)
    for line in exec_run["stderr"].decode().splitlines():
        assert line.startswith("zoom-activity-logs: "), line


def test_fluent_bit_exec_buffer_keeps_every_real_line_whole(exec_run):
    stream = exec_run["stdout"]
    longest = max(len(line) for line in stream.splitlines())
    assert longest > 4096, "the long operation record is in the output"
    (inp,) = fluent_bit_exec_inputs()
    records, failed = exec_input_records(stream, fluent_bit_size(inp["buf_size"]))
    assert failed == 0 and len(records) == len(stream.splitlines())
    # Fluent Bit's default, 4096 bytes, cuts the long record into unparsable pieces
    records, failed = exec_input_records(stream, 4096)
    assert failed > 0 and not any(r.get("operation_detail") == LONG_DETAIL for r in records)


# --------------------------------------------------------------------------- the remaps, run in VRL

VRL_FILE = ROOT / "pipelines" / "vector" / "zoom_activity_logs.vrl"
COLLECTOR_LINE = {
    "time": "2026-11-26T18:20:35Z",
    "operator": "admin@example.com",
    "category_type": "Account",
    "action": "Update",
    "operation_detail": "Security  - Waiting Room: from On to Off",
    "log_type": "operation",
    "account": "corp",
    "record_id": "91ce" + "0" * 28,
}
# what Vector's exec source adds to a decoded line (legacy namespace)
EXEC_FIELDS = {
    "host": "collector-host",
    "pid": 4242,
    "command": ["zoom-activity-logs", "collect"],
    "stream": "stdout",
    "source_type": "exec",
    "timestamp": "2026-11-26T18:21:00Z",
}


def remap(path: Path, name: str):
    pyvrl = pytest.importorskip("pyvrl")
    transform = load_yaml(path)["transforms"][name]
    assert transform["type"] == "remap"
    # pyvrl returns the program's last value; Vector keeps the event
    return pyvrl.Transform(transform["source"] + "\n.\n"), transform


def test_vector_exec_remaps_set_the_source_and_restore_the_line():
    datadog, _ = remap(VECTOR, "zoom_datadog")
    out = datadog.remap({**COLLECTOR_LINE, **EXEC_FIELDS})
    assert out["ddsource"] == SOURCE and out["service"] == "zoom-activity-logs"
    assert not {"command", "pid", "stream"} & set(out)
    assert {k: out[k] for k in COLLECTOR_LINE} == COLLECTOR_LINE

    archive, _ = remap(VECTOR, "zoom_archive")
    out = archive.remap({**COLLECTOR_LINE, **EXEC_FIELDS})
    (sink,) = [s for s in load_yaml(VECTOR)["sinks"].values() if s["inputs"] == ["zoom_archive"]]
    for field in sink["encoding"].get("except_fields", []):
        out.pop(field, None)
    assert out == COLLECTOR_LINE, "the archive holds the lines as the collector wrote them"


def test_vector_file_remap_parses_lines_and_reroutes_the_rest():
    parse, transform = remap(VECTOR_FILE, "zoom_parsed")
    line = json.dumps(COLLECTOR_LINE)
    out = parse.remap(
        {
            "message": line,
            "file": "/var/log/zoom-activity-logs/zoom.ndjson",
            "host": "h",
            "source_type": "file",
            "timestamp": "2026-11-26T18:21:00Z",
        }
    )
    assert out["ddsource"] == SOURCE
    assert {k: out[k] for k in COLLECTOR_LINE} == COLLECTOR_LINE and "message" not in out and "file" not in out
    for bad in ("zoom-activity-logs: ERROR: not a record", "[1, 2]", '{"cut": "in the midd'):
        with pytest.raises(ValueError, match="abort"):
            parse.remap({"message": bad})
    assert transform["drop_on_abort"] is True and transform["reroute_dropped"] is True


def test_the_optional_vrl_transform_names_the_repository_program():
    text = VECTOR.read_text(encoding="utf-8")
    assert "pipelines/vector/zoom_activity_logs.vrl" in text
    assert VRL_FILE.is_file(), "the program the example points to"
    # the commented-out transform, uncommented, is a remap of the exec source's lines
    block = text[text.index("  # zoom_normalized:") : text.index("\nsinks:")]
    body = yaml.safe_load("\n".join(l.replace("  # ", "  ", 1) for l in block.splitlines() if l.strip()))
    ((name, transform),) = body.items()
    assert transform["type"] == "remap" and PurePosixPath(transform["file"]).name == VRL_FILE.name
    assert set(transform["inputs"]) <= set(load_yaml(VECTOR)["sources"])
    pyvrl = pytest.importorskip("pyvrl")
    pyvrl.Transform(VRL_FILE.read_text(encoding="utf-8"))  # compiles as the remap would load it


# --------------------------------------------------------------------------- Datadog Agent


def test_agent_tails_the_units_output_with_the_source(output_path):
    config = load_yaml(AGENT)
    (entry,) = config["logs"]
    assert entry["type"] == "file"
    assert entry["source"] == SOURCE
    assert entry["service"]
    assert entry["path"] == output_path, "the Agent must tail the file the unit writes"
    assert not any(c in entry["path"] for c in "*?["), "start_position beginning does not take wildcards"
    assert entry["start_position"] == "beginning"
    assert "logs_enabled: true" in AGENT.read_text(encoding="utf-8"), "the note on datadog.yaml"


# --------------------------------------------------------------------------- systemd


def test_unit_state_and_output_live_in_its_directories(unit, unit_args, output_path, monkeypatch):
    service = unit["Service"]
    (state_dir_name,) = service["StateDirectory"]
    (logs_dir_name,) = service["LogsDirectory"]
    state_dir = PurePosixPath("/var/lib") / state_dir_name
    logs_dir = PurePosixPath("/var/log") / logs_dir_name
    writable = [PurePosixPath(p) for v in service["ReadWritePaths"] for p in v.split()]

    assert PurePosixPath(output_path).parent == logs_dir
    if unit_args.state:
        state_files = [PurePosixPath(unit_args.state)]
    else:
        env = dict(e.split("=", 1) for v in service.get("Environment", []) for e in shlex.split(v))
        assert "XDG_STATE_HOME" in env, "without --state the state path comes from XDG_STATE_HOME"
        monkeypatch.setenv("XDG_STATE_HOME", expand(env["XDG_STATE_HOME"]))
        state_files = [PurePosixPath(default_state_path("corp")), PurePosixPath(default_token_path("agency"))]
    for path in state_files + [PurePosixPath(output_path)]:
        assert path.is_relative_to(state_dir) or path.is_relative_to(logs_dir), path
        assert any(path.is_relative_to(w) for w in writable), f"{path} is not in ReadWritePaths"
    for path in state_files:
        assert path.is_relative_to(state_dir), path


def test_unit_is_hardened_and_stops_cleanly(unit):
    service = unit["Service"]
    one = {k: v[-1] for k, v in service.items()}
    assert one["User"] and one["User"] != "root"
    assert one["ProtectSystem"] == "strict"
    for flag in ("NoNewPrivileges", "ProtectHome", "PrivateTmp"):
        assert one[flag] == "yes", flag
    (env_file,) = service["EnvironmentFile"]
    assert env_file.lstrip("-") == "/etc/zoom-activity-logs/env"
    assert one["Restart"] == "always" and int(one["RestartSec"]) > 0
    assert one["KillSignal"] == "SIGTERM"
    assert "130" in one["SuccessExitStatus"].split(), "SIGTERM ends with exit 130: a clean stop"
    assert int(one["TimeoutStopSec"]) >= 60, "a request in flight may take the 60 s read timeout"
    assert "2" in one["RestartPreventExitStatus"].split()
    assert int(one["UMask"], 8) & 0o007 == 0o007, "the output is not world-readable"
    assert unit["Install"]["WantedBy"] == ["multi-user.target"]


def test_logrotate_never_truncates_under_the_collector(output_path):
    blocks = parse_logrotate(LOGROTATE.read_text(encoding="utf-8"))
    (path,) = blocks
    assert path == output_path
    block = blocks[path]
    words = {d.split()[0] for d in block["directives"]}
    assert "copytruncate" not in words and "nocopytruncate" in words
    unit_name = UNIT.name
    assert any(re.fullmatch(rf"systemctl stop {re.escape(unit_name)}", l) for l in block["prerotate"])
    assert any(re.fullmatch(rf"systemctl (start|restart) {re.escape(unit_name)}", l) for l in block["postrotate"])
    assert "delaycompress" in words or "nocompress" in words or "compress" not in words


# --------------------------------------------------------------------------- secrets

SECRET_PATTERNS = [
    (re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{32,}(?![A-Za-z0-9])"), "a long token (API key, client secret)"),
    (re.compile(r"AKIA[0-9A-Z]{16}"), "an AWS access key id"),
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"), "a private key"),
    (re.compile(r"https?://[^/\s:@]+:[^/\s@]+@"), "credentials in a URL"),
]
ASSIGNMENT = re.compile(r"""(?i)\b[\w.]*(api_?key|apikey|secret|password|passwd|token)["']?\s*[:=]\s*(\S*)""")
ENV_REFERENCE = re.compile(r"""^["']?(\$\{[A-Z_][A-Z0-9_]*(:-[^}]*)?\}["']?|\{env:)""")


def secrets_in(text: str) -> list[str]:
    found = [f"{why}: {m.group(0)[:12]}..." for pattern, why in SECRET_PATTERNS for m in pattern.finditer(text)]
    for m in ASSIGNMENT.finditer(text):
        if m.group(2) and not ENV_REFERENCE.match(m.group(2)):
            found.append(f"{m.group(1)} given inline")
    return found


def test_the_secret_scanner_finds_secrets():
    assert secrets_in('default_api_key: "0123456789abcdef0123456789abcdef"')
    assert secrets_in("apikey: abc123")
    assert secrets_in("client_secret: hunter2")
    assert secrets_in("aws: AKIAABCDEFGHIJKLMNOP")
    assert secrets_in("endpoint: https://user:pw@example.com/")
    assert not secrets_in('default_api_key: "${DD_API_KEY}"\napikey: ${DD_API_KEY}\nsite: "${DD_SITE:-datadoghq.com}"')
    assert not secrets_in("client_secret: {env: ZOOM_CORP_CLIENT_SECRET}")


def test_no_example_contains_a_secret():
    files = sorted(p for p in EXAMPLES.rglob("*") if p.is_file())
    assert len(files) >= len(shipping_examples()) + 1
    found = {str(p.relative_to(ROOT)): s for p in files if (s := secrets_in(p.read_text(encoding="utf-8")))}
    assert not found, found
