"""`zoom-activity-logs demo`: the whole chain on a laptop, in seconds.

The emulator plays an ordinary month of an account (people signing in from their
usual cities, routine admin work, meetings) and, in the last two and a half hours, an
intrusion that starts the way the 2025 ELUSIVE COMET campaign did: the admin, asked for
a "podcast interview", turns remote control on for the account and hosts the call; a
guest without a Zoom sign-in, renamed "Zoom", takes control of her screen. Her session
is then used from another continent, a contractor is promoted, two-factor
authentication is turned off, recordings are deleted in bulk and a third-party sign-in
method is enabled. The collector reads it exactly as it reads
Zoom; the Datadog pipeline and every detection rule run locally (contentkit); the
terminal shows the signals and where the files are.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from collector.output import Sink
from collector.runner import AccountRunner, Job
from collector.windows import utc_today

from .emulated import account_for_emulator

VICTIM = "dana.reyes@example.com"
CONTRACTOR = "sam.okafor@example.com"
HOME_IP, FOREIGN_IP = "192.0.2.10", "198.51.100.70"  # New York; Tokyo (bundled geo-ip table)
COLLEAGUES = ["lee.chen@example.com", "ana.silva@example.com", "omar.haddad@example.com"]
VICTIM_NAME, ATTACKER_NAME = "Dana Reyes", "Zoom"  # the guest renamed themself "Zoom"
INTERVIEW = "982 610 0285"  # the "podcast interview" meeting, as Zoom displays its number
INTERVIEW_ID = INTERVIEW.replace(" ", "")  # zoom.meeting.id, what the meeting rules group by
ACCOUNT = "demo"  # the collector's account name in the demo

# The detections the story must raise, and who they are about.
EXPECTED = {
    "zoom-impossible-travel": VICTIM,
    "zoom-sign-in-from-new-country": VICTIM,
    "zoom-sign-in-new-client-type": VICTIM,  # the attacker's browser; she always uses the desktop app
    "zoom-user-promoted-to-privileged-role": VICTIM,
    "zoom-two-factor-authentication-disabled": VICTIM,
    "zoom-privilege-grant-then-security-weakened": VICTIM,
    "zoom-recording-deletion-burst": VICTIM,
    "zoom-third-party-sign-in-method-enabled": VICTIM,
    "zoom-recording-deletion-trickle": VICTIM,
    # context (info) and the correlation rules that escalate it (issue 14)
    "zoom-sign-in-first-web-client": VICTIM,
    "zoom-sign-in-from-new-network": VICTIM,
    "zoom-first-seen-operator-admin-change": VICTIM,
    "zoom-risk-web-sign-in-from-new-network": VICTIM,
    "zoom-risk-unusual-sign-in-then-admin-change": VICTIM,
    "zoom-risk-new-operator-weakens-security": VICTIM,
    # the remote-control session that opened the intrusion (issue 15)
    "zoom-meeting-remote-control-by-outsider": INTERVIEW_ID,
    "zoom-meeting-outsider-one-on-one-remote-control": INTERVIEW_ID,
    "zoom-meeting-outsider-poses-as-zoom-or-it": INTERVIEW_ID,
    "zoom-meeting-remote-control-first-use": ACCOUNT,  # the account's first session ever: context (info)
    "zoom-remote-control-enabled": VICTIM,
    "zoom-risk-remote-control-enabled-then-used": ACCOUNT,
}
# The host's first meeting activity in a UTC band is context (info); which band depends on
# the time of day the demo runs, so these rules may or may not be about the story.
BY_TIME_OF_DAY = "zoom-meeting-activity-in-new-utc-hours-"
STORY = frozenset(EXPECTED.values())  # a signal grouped by one of these belongs to the story


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _sign_in(email: str, ip: str, t: datetime, client: str = "mac") -> dict:
    return {
        "email": email,
        "time": _iso(t),
        "type": "Sign in",
        "ip_address": ip,
        "client_type": client,
        "version": "6.2.5.45581",
    }


def _op(operator: str, t: datetime, category: str, action: str, detail: str) -> dict:
    return {
        "time": _iso(t),
        "operator": operator,
        "category_type": category,
        "action": action,
        "operation_detail": detail,
    }


def _meeting(t: datetime, operator: str, email: str, category: str, detail: str) -> dict:
    return {
        "meeting_number": INTERVIEW,
        "activity_time": t.strftime("%Y-%m-%d %H:%M:%S:") + f"{t.microsecond // 1000:03d}",
        "operator": operator,
        "operator_email": email,
        "activity_category": category,
        "activity_detail": detail,
    }


def interview(now: datetime) -> tuple[list[dict], list[dict]]:
    """(operation, meeting activity) records of the fake interview, before the session is stolen."""
    t = now - timedelta(minutes=150)
    enable = _op(VICTIM, t, "Account", "Update", "In Meeting (Basic)  - Remote control: from Off to On")
    screen = f"{VICTIM_NAME}'s screen"
    steps = [
        (0, VICTIM_NAME, VICTIM, "Meeting created", "Meeting created"),
        (5 * 60, VICTIM_NAME, VICTIM, "Meeting started", "Meeting started"),
        (5 * 60 + 4, VICTIM_NAME, VICTIM, "User joined", f"{VICTIM_NAME} joined the meeting"),
        (7 * 60, ATTACKER_NAME, "", "User joined", f"{ATTACKER_NAME} joined the meeting"),
        (19 * 60, ATTACKER_NAME, "", "Remote control", f"{ATTACKER_NAME} requested remote control of {screen}"),
        (19 * 60 + 9, ATTACKER_NAME, "", "Remote control", f"{ATTACKER_NAME} started remote control of {screen}"),
        (26 * 60, ATTACKER_NAME, "", "Remote control", f"{ATTACKER_NAME} stopped remote control of {screen}"),
        (27 * 60, ATTACKER_NAME, "", "User left", f"{ATTACKER_NAME} left the meeting"),
        (29 * 60, VICTIM_NAME, VICTIM, "User left", f"{VICTIM_NAME} left the meeting"),
        (29 * 60 + 1, VICTIM_NAME, VICTIM, "Meeting ended", "Meeting ended"),
    ]
    start = t + timedelta(minutes=3)
    return [enable], [
        _meeting(start + timedelta(seconds=s, milliseconds=37 * i), *rest) for i, (s, *rest) in enumerate(steps)
    ]


def scripted_account(now: datetime) -> tuple[list[dict], list[dict]]:
    """(activity, operation) records: a month of routine, then the intrusion."""
    activity, operation = [], []
    for days in range(28, 0, -1):
        morning = now.replace(hour=13, minute=5, second=0, microsecond=0) - timedelta(days=days)
        activity.append(_sign_in(VICTIM, HOME_IP, morning))
        for k, colleague in enumerate(COLLEAGUES):
            activity.append(_sign_in(colleague, f"192.0.2.{20 + k}", morning + timedelta(minutes=7 + k)))
        if days % 3 == 0:  # routine admin work by the victim: she is a known operator
            operation.append(
                _op(
                    VICTIM,
                    morning + timedelta(hours=2),
                    "User",
                    "Update",
                    f"Update User {COLLEAGUES[days % 3]}  - Department: from Sales to Marketing",
                )
            )
    start = now - timedelta(minutes=95)
    activity.append(_sign_in(VICTIM, HOME_IP, start))  # her own session
    activity.append(_sign_in(VICTIM, FOREIGN_IP, start + timedelta(minutes=40), "Browser"))  # taken over
    t = start + timedelta(minutes=45)
    operation.append(_op(VICTIM, t, "User", "Update", f"Change Role  - {CONTRACTOR}: from Member to Admin"))
    operation.append(
        _op(
            VICTIM,
            t + timedelta(minutes=4),
            "Account",
            "Update",
            "Security  - Sign in with Two-Factor Authentication: from On to Off",
        )
    )
    for k in range(24):
        operation.append(
            _op(
                VICTIM,
                t + timedelta(minutes=10, seconds=30 * k),
                "Recording",
                "Delete",
                f"Delete Recording Board meeting {k + 1:02d}",
            )
        )
    operation.append(
        _op(
            VICTIM,
            t + timedelta(minutes=30),
            "Account",
            "Update",
            "Sign-in Methods  - Allow users to sign in with Google: from Off to On",
        )
    )
    return activity, operation


@dataclass
class DemoResult:
    out_dir: Path
    raw: Path
    normalized: Path
    signals: Path
    findings: list
    records: int
    expected_fired: dict


def run_demo(out_dir: Path, stop: threading.Event | None = None) -> DemoResult:
    from emulator import Emulator, EmulatorConfig

    from .hunting import hunt_files

    stop = stop or threading.Event()
    out_dir.mkdir(parents=True, exist_ok=True)
    raw = out_dir / "zoom.ndjson"
    for leftover in (raw, out_dir / "state.sqlite3"):
        leftover.unlink(missing_ok=True)  # a demo starts from nothing each time
    now = datetime.now(UTC)
    # background: ordinary sign-ins of 30 people in their usual places, no random admin work
    cfg = EmulatorConfig(
        seed=2026,
        users=30,
        activity_per_day=40,
        operation_per_day=0,
        meetings_per_day=8,
        remote_control=False,  # off until the admin is talked into turning it on
        history_days=31,
        repeat_rate=0.0,
    )
    with Emulator(cfg) as emu:
        activity, operation = scripted_account(now)
        enable, meetings = interview(now)
        emu.add_records("activity", activity)
        emu.add_records("operation", operation + enable)
        emu.add_records("meeting_activity", meetings)
        acct = account_for_emulator(ACCOUNT, emu, max_rps=0, state=out_dir / "state.sqlite3")
        sink = Sink.file(str(raw))
        try:
            since = utc_today() - timedelta(days=29)
            AccountRunner(acct, sink, Job(since=since, until=utc_today()), stop, utc_today()).run()
        finally:
            sink.close()
    normalized = out_dir / "normalized.ndjson"
    findings, stats, _ = hunt_files([str(raw)], events_path=str(normalized))
    signals = out_dir / "signals.ndjson"
    signals.write_bytes(b"".join(orjson.dumps(f.as_json(), option=orjson.OPT_APPEND_NEWLINE) for f in findings))
    fired = {
        rule: any(f.rule_id == rule and who in map(str, f.signal.group.values()) for f in findings)
        for rule, who in EXPECTED.items()
    }
    return DemoResult(out_dir, raw, normalized, signals, findings, stats.records, fired)
