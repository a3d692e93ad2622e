"""Meeting activity records (`GET /report/meeting_activities`, docs/meeting-activity.md).

Meetings are planned per UTC start day, each day from its own RNG seeded by (seed, day), a
stream the sign-in and operation reports never touch, so adding meetings leaves their records
unchanged. A meeting's records can fall on other days than its start (created up to a week
before, running past 00:00 UTC), so one UTC day of records gathers the plans of the start
days that can reach it; a few recent plans are cached, since a backfill walks day by day.

Record times are milliseconds; the wordings of `activity_detail` are the contract's, which
the pipeline parses exactly.
"""

from __future__ import annotations

import random
import threading
from collections import OrderedDict
from datetime import date, timedelta

from .account import _FIRST as FIRST_NAMES
from .account import _LAST as LAST_NAMES
from .account import Account, User
from .timeutil import DAY, day_of, day_start, hms_table

KIND = "meeting_activity"
MS = 1000  # store units per second: these records are ordered to the millisecond

# The spec's category spellings; Elastic's samples capitalise "Meeting Started".
CREATED, STARTED, JOINED, LEFT = "Meeting created", "Meeting started", "User joined", "User left"
REMOTE, CHAT, ENDED = "Remote control", "In-meeting chat", "Meeting ended"
STARTED_VARIANT = "Meeting Started"

# A record's category, case-insensitively, -> the filter key `activity_type` selects.
CATEGORY_KEYS = {
    CREATED.lower(): "meeting_created",
    STARTED.lower(): "meeting_started",
    JOINED.lower(): "user_joined",
    LEFT.lower(): "user_left",
    REMOTE.lower(): "remote_control",
    CHAT.lower(): "chat",
    ENDED.lower(): "meeting_ended",
}
# `activity_type` as the spec's enum names (any case) and its numeric codes -> filter key
# (None: every category).
ACTIVITY_TYPES: dict[str, str | None] = {
    "all activities": None,
    "-1": None,
    "meeting created": "meeting_created",
    "0": "meeting_created",
    "meeting started": "meeting_started",
    "1": "meeting_started",
    "user join": "user_joined",
    "2": "user_joined",
    "user left": "user_left",
    "3": "user_left",
    "remote control": "remote_control",
    "4": "remote_control",
    "in-meeting chat": "chat",
    "5": "chat",
    "meeting ended": "meeting_ended",
    "9": "meeting_ended",
}


def category_key(record: dict) -> str:
    return CATEGORY_KEYS.get(record["activity_category"].lower(), "other")


# Other companies' guests (RFC 2606 names: no real company is implied) and consumer webmail.
PARTNER_DOMAINS = ("northwind.example", "fabrikam.example", "globex.example", "initech.example", "contoso.example")
WEBMAIL_DOMAINS = ("gmail.com", "outlook.com", "yahoo.com", "icloud.com", "hotmail.com", "proton.me")
# Display names of guests who did not sign in (no email).
_ANONYMOUS = ("Guest", "iPhone", "Galaxy S23", "Marta", "Tom's iPad", "J. Okoro", "Conference Room B", "Pixel 8")
_DIAL_CODES = (("+1", ("212", "415", "646", "917")), ("+44", ("207", "161")), ("+49", ("069",)), ("+81", ("3",)))

_MEETING_FACTOR = (1.3, 1.3, 1.3, 1.3, 1.2, 0.3, 0.3)  # weekdays busy; averages about 1 over a week
_LEAD_DAYS = 7  # meetings are created at most this many days before they start
_MAX_LENGTH = 4 * 3600  # seconds; a meeting never runs into a third UTC day
_PLANS_KEPT = 16  # start days cached: a day needs _LEAD_DAYS + 2 of them


def meeting_number(n: int) -> str:
    """Zoom's display form: 10 digits as 3-3-4, 11 digits as 3-4-4."""
    s = str(n)
    return f"{s[:3]} {s[3:6]} {s[6:]}" if len(s) == 10 else f"{s[:3]} {s[3:7]} {s[7:]}"


def format_ms(ms: int) -> str:
    """`yyyy-MM-dd HH:mm:ss:SSS`, UTC, as Zoom writes `activity_time`."""
    sec = ms // MS
    return f"{day_of(sec).isoformat()} {hms_table()[sec % DAY]}:{ms % MS:03d}"


def parse_ms(text: str) -> int:
    """Epoch milliseconds of an `activity_time` (strict: the one documented shape)."""
    if len(text) != 23 or text[10] != " " or text[19] != ":":
        raise ValueError(f"activity_time {text!r} is not yyyy-MM-dd HH:mm:ss:SSS")
    d = date.fromisoformat(text[:10])
    h, m, s, ms = int(text[11:13]), int(text[14:16]), int(text[17:19]), int(text[20:23])
    if text[13] != ":" or text[16] != ":" or h > 23 or m > 59 or s > 59:
        raise ValueError(f"activity_time {text!r} is not yyyy-MM-dd HH:mm:ss:SSS")
    return (day_start(d) + h * 3600 + m * 60 + s) * MS + ms


def record_ms(record: dict) -> int:
    return parse_ms(record["activity_time"])


def _record(number: str, ms: int, name: str, email: str, category: str, detail: str) -> dict:
    return {
        "meeting_number": number,
        "activity_time": format_ms(ms),
        "operator": name,
        "operator_email": email,
        "activity_category": category,
        "activity_detail": detail,
    }


class MeetingGenerator:
    def __init__(
        self, seed: int, account: Account, per_day: float, repeat_rate: float, remote_control: bool = True
    ) -> None:
        self.seed = seed
        self.remote_control = remote_control
        self.account = account
        self.per_day = per_day
        self.repeat_rate = repeat_rate
        rng = random.Random(f"zoom-emulator:{seed}:meeting-people")
        # Personal meeting IDs: a host's recurring number.
        self.pmi = [rng.randint(2_000_000_000, 9_999_999_999) for _ in account.users]
        # The internal IT help desk: the only people who take remote control in this account.
        self.helpdesk = rng.sample(account.users, k=max(1, len(account.users) // 20))
        people = []
        for _ in range(60):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            people.append((f"{first} {last}", f"{first}.{last}@{rng.choice(PARTNER_DOMAINS)}".lower()))
        self.partners = people
        webmail = []
        for _ in range(30):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            local = rng.choice((f"{first}.{last}", f"{first}{last[0]}{rng.randint(1, 99)}", f"{last}.{first[0]}"))
            webmail.append((f"{first} {last}", f"{local.lower()}@{rng.choice(WEBMAIL_DOMAINS)}"))
        self.webmail = webmail
        self._plans: OrderedDict[int, list[tuple[int, dict]]] = OrderedDict()
        self._lock = threading.Lock()

    # ---- one UTC day ------------------------------------------------------------
    def day(self, d: date) -> list[tuple[int, dict]]:
        """(epoch ms, record) of every meeting record on UTC day `d`: meetings that started
        the day before (past midnight), that day, or up to a week later (created early)."""
        lo = day_start(d) * MS
        hi = lo + DAY * MS
        out = []
        for offset in range(-1, _LEAD_DAYS + 1):
            for ms, rec in self._plan(d + timedelta(days=offset)):
                if lo <= ms < hi:
                    out.append((ms, dict(rec)))
        return out

    def _plan(self, d: date) -> list[tuple[int, dict]]:
        key = d.toordinal()
        with self._lock:
            plan = self._plans.get(key)
            if plan is not None:
                self._plans.move_to_end(key)
                return plan
        plan = self._make_plan(d)
        with self._lock:
            self._plans[key] = plan
            while len(self._plans) > _PLANS_KEPT:
                self._plans.popitem(last=False)
        return plan

    def _make_plan(self, d: date) -> list[tuple[int, dict]]:
        """Every record of the meetings that start on `d`, whatever day each record falls on."""
        rng = random.Random(f"zoom-emulator:{self.seed}:meeting:{d.isoformat()}")
        rand = rng.random
        acct = self.account
        base = day_start(d)
        mean = self.per_day * _MEETING_FACTOR[d.weekday()]
        count = max(0, round(rng.gauss(mean, mean**0.5))) if mean > 0 else 0
        out: list[tuple[int, dict]] = []
        for host in rng.choices(acct.users, cum_weights=acct.cum_user_weights, k=count):
            hour = host.work_hour + rand() * 9
            start = int((hour - host.home.utc_offset) * 3600) % DAY
            self._meeting(rng, host, base + start, out)
        if count and rand() < 0.5:
            # A late meeting of the day runs past 00:00 UTC into the next.
            host = rng.choices(acct.users, cum_weights=acct.cum_user_weights)[0]
            self._meeting(rng, host, base + DAY - 300 - int(rand() * 2400), out, length=900 + int(rand() * 3600))
        if count and d.weekday() < 5 and self.remote_control:
            for _ in range(int(rand() * 3)):
                self._helpdesk_session(rng, base, out)
        return self._with_repeats(rng, out)

    # ---- one meeting ------------------------------------------------------------
    def _number(self, rng: random.Random, host: User) -> str:
        r = rng.random()
        if r < 0.3:
            return meeting_number(self.pmi[host.index])
        if r < 0.85:
            return meeting_number(rng.randint(2_000_000_000, 9_999_999_999))
        return meeting_number(rng.randint(10_000_000_000, 99_999_999_999))

    def _guests(self, rng: random.Random, host: User) -> list[tuple[str, str, bool]]:
        """(display name, email, dial-in) of everyone but the host."""
        rand = rng.random
        users = self.account.users
        guests: list[tuple[str, str, bool]] = []
        for u in rng.sample(users, k=min(len(users), int(rand() * 6))):
            if u is not host:
                guests.append((f"{u.first} {u.last}", u.email, False))
        if rand() < 0.35:
            company = rng.choice(PARTNER_DOMAINS)
            same = [p for p in self.partners if p[1].endswith("@" + company)] or self.partners
            guests.extend(
                (name, email, False) for name, email in rng.sample(same, k=min(len(same), 1 + int(rand() * 3)))
            )
        if rand() < 0.15:
            name, email = rng.choice(self.webmail)
            guests.append((name, email, False))
        if rand() < 0.1:
            guests.append((rng.choice(_ANONYMOUS), "", False))
        if rand() < 0.15:
            if rand() < 0.6:
                cc, areas = rng.choice(_DIAL_CODES)
                caller = f"{cc} {rng.choice(areas)}***{rng.randint(0, 9999):04d}"
            else:
                caller = f"Call-in user {1 + int(rand() * 4)}"
            guests.append((caller, "", True))
        return guests

    def _meeting(self, rng: random.Random, host: User, start_sec: int, out: list, length: int | None = None) -> None:
        rand = rng.random
        number = self._number(rng, host)
        host_name = f"{host.first} {host.last}"
        start = start_sec * MS + int(rand() * MS)
        if length is None:
            length = 600 + int(rng.expovariate(1 / 2400))
        end = start + min(length, _MAX_LENGTH) * MS
        if rand() < 0.4:  # an instant meeting: created the moment before it starts
            created = start - int((1 + rand() * 30) * MS)
        else:  # scheduled, up to a week ahead
            created = start - int((600 + rand() * (_LEAD_DAYS * DAY - 600)) * MS)
        out.append((created, _record(number, created, host_name, host.email, CREATED, "Meeting created")))
        category = STARTED_VARIANT if rand() < 0.15 else STARTED
        out.append((start, _record(number, start, host_name, host.email, category, "Meeting started")))
        people = [(host_name, host.email, False, start + 40 + int(rand() * 900))]
        for name, email, phone in self._guests(rng, host):
            people.append((name, email, phone, start + int(rng.expovariate(1 / 120_000))))
        for name, email, phone, joined in people:
            if joined >= end:
                continue
            # Most stay to the end; some leave early.
            last = end + int(rand() * 900) if rand() < 0.8 else joined + int(rand() * (end - joined))
            spans = [(joined, last)]
            if rand() < 0.08:  # dropped and came back
                left = joined + int(rand() * (last - joined))
                back = left + 5_000 + int(rand() * 55_000)
                spans = [(joined, left)] + ([(back, last)] if back < last else [])
            how = " by phone" if phone else ""
            for a, b in spans:
                out.append((a, _record(number, a, name, email, JOINED, f"{name} joined the meeting{how}")))
                out.append((b, _record(number, b, name, email, LEFT, f"{name} left the meeting")))
                if not phone:
                    for _ in range(int(rng.expovariate(1 / 1.5))):
                        t = a + int(rand() * (b - a))
                        out.append((t, _record(number, t, name, email, CHAT, f"{name} sent a chat message")))
        out.append((end, _record(number, end, host_name, host.email, ENDED, "Meeting ended")))

    def _helpdesk_session(self, rng: random.Random, base: int, out: list) -> None:
        """An IT help desk call: the desk hosts, a colleague joins, the desk takes remote
        control of their screen (sometimes the request is not granted)."""
        rand = rng.random
        desk = rng.choice(self.helpdesk)
        users = [u for u in self.account.users if u is not desk]
        if not users:
            return
        who = rng.choice(users)
        desk_name, who_name = f"{desk.first} {desk.last}", f"{who.first} {who.last}"
        hour = desk.work_hour + rand() * 8
        start = (base + int((hour - desk.home.utc_offset) * 3600) % DAY) * MS + int(rand() * MS)
        number = meeting_number(self.pmi[desk.index])
        rec = _record
        out.append((start - 2_000, rec(number, start - 2_000, desk_name, desk.email, CREATED, "Meeting created")))
        out.append((start, rec(number, start, desk_name, desk.email, STARTED, "Meeting started")))
        t = start + 500
        out.append((t, rec(number, t, desk_name, desk.email, JOINED, f"{desk_name} joined the meeting")))
        t += 20_000 + int(rand() * 100_000)
        out.append((t, rec(number, t, who_name, who.email, JOINED, f"{who_name} joined the meeting")))
        t += 30_000 + int(rand() * 120_000)
        screen = f"{who_name}'s screen"
        out.append(
            (t, rec(number, t, desk_name, desk.email, REMOTE, f"{desk_name} requested remote control of {screen}"))
        )
        if rand() < 0.85:
            t += 2_000 + int(rand() * 15_000)
            out.append(
                (t, rec(number, t, desk_name, desk.email, REMOTE, f"{desk_name} started remote control of {screen}"))
            )
            t += 120_000 + int(rand() * 1_100_000)
            out.append(
                (t, rec(number, t, desk_name, desk.email, REMOTE, f"{desk_name} stopped remote control of {screen}"))
            )
        t += 10_000 + int(rand() * 60_000)
        out.append((t, rec(number, t, who_name, who.email, LEFT, f"{who_name} left the meeting")))
        t += 1_000 + int(rand() * 5_000)
        out.append((t, rec(number, t, desk_name, desk.email, LEFT, f"{desk_name} left the meeting")))
        out.append((t + 40, rec(number, t + 40, desk_name, desk.email, ENDED, "Meeting ended")))

    def _with_repeats(self, rng: random.Random, entries: list) -> list:
        """Exact true repeats (same millisecond, same fields), each right after its twin:
        a chat line sent twice is the common case."""
        rate = self.repeat_rate
        if rate <= 0:
            return entries
        out = []
        rand = rng.random
        for ms, rec in entries:
            out.append((ms, rec))
            if rand() < (rate * 5 if rec["activity_category"] == CHAT else rate):
                out.append((ms, dict(rec)))
        return out

    # ---- arrivals while a client pages ---------------------------------------------
    def arrival(self, ms: int, serial: int) -> dict:
        """One fresh record at epoch millisecond `ms`: someone joins or chats in a live meeting."""
        rng = random.Random(f"zoom-emulator:{self.seed}:arrival:{KIND}:{serial}")
        acct = self.account
        user = rng.choices(acct.users, cum_weights=acct.cum_user_weights)[0]
        host = rng.choice(acct.users)
        name = f"{user.first} {user.last}"
        number = meeting_number(self.pmi[host.index])
        if rng.random() < 0.5:
            return _record(number, ms, name, user.email, JOINED, f"{name} joined the meeting")
        return _record(number, ms, name, user.email, CHAT, f"{name} sent a chat message")
