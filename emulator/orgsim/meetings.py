"""The organisation's meetings, as Zoom's meeting activity report shows them.

Teams with daily stand-ups or weekly syncs, managers' weekly 1:1s, ad-hoc meetings across
offices, a fortnightly all-hands with hundreds of joins; sales calls, customer check-ins,
support calls, recruiters' phone screens and interviews with candidates on webmail,
freelancers, vendors; guests who did not sign in, dial-in callers; the IT help desk taking
remote control of colleagues' screens, support engineers of customers' screens, now and then
a customer given control of a CSM's screen; executive assistants and recruiting coordinators
scheduling a batch in one sitting; the Singapore office's calendar integration creating the
week's meetings at night UTC. Each person's meetings are in their own local working hours
(at their destination when travelling), so UTC hours differ by office and some meetings run
past 00:00 UTC.

Everything is drawn from its own RNG streams ("orgsim:<seed>:meetings:..."), which the
sign-in and operation records never touch, so leaving meetings out changes nothing else.
Record shapes and `activity_detail` wordings are the contract's (docs/meeting-activity.md),
with the category spellings of emulator/meetings.py.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta

from ..account import _FIRST, _LAST
from ..meetings import (
    CHAT,
    CREATED,
    ENDED,
    JOINED,
    LEFT,
    MS,
    REMOTE,
    STARTED,
    STARTED_VARIANT,
    WEBMAIL_DOMAINS,
    meeting_number,
)
from ..timeutil import day_of, day_start, hms_table
from .benign import Entry, Trip, operation
from .world import HELPDESK_LONDON, HELPDESK_NY, IT_LEAD, IT_LONDON, OWNER, People, Person

MeetingEntry = tuple[int, dict]  # (epoch ms, meeting activity record)

HOUR_MS = 3_600_000
DAY_MS = 86_400_000
# The London help desk technician's Zoom profile name: shared-desk naming many IT teams use.
SERVICE_DESK_NAME = "IT Service Desk"
# When IT turns remote control off account-wide, it keeps it on for the groups that need it
# (benign operation records; see Meetings.operations).
ACCOUNT_REMOTE_OFF = "In Meeting (Basic)  - Remote control: from On to Off"
GROUPS_KEEPING_REMOTE = ("IT", "Customer Success")


def group_remote_on(group: str) -> str:
    return f"Edit Group {group}  - Remote control: from Off to On"


# Customers, vendors and partners: RFC 2606 names, so no real company is implied.
CUSTOMER_DOMAINS = tuple(
    f"{n}.example"
    for n in (
        "northwind",
        "fabrikam",
        "globex",
        "initech",
        "contoso",
        "tailspin",
        "wingtip",
        "adventure-works",
        "litware",
        "proseware",
        "lucerne",
        "margie-travel",
        "woodgrove",
        "alpine-ski",
        "coho-winery",
        "blue-yonder",
        "trey-research",
        "humongous",
    )
)
VENDOR_DOMAINS = ("payroll-vendor.example", "cloudhost.example", "auditfirm.example", "legal-partners.example")
# What guests who did not sign in type as their name, when it is not their own.
_DEVICE_NAMES = ("iPhone", "Galaxy S23", "Pixel 8", "iPad", "Conference Room B", "Boardroom", "Guest", "MacBook Pro")
_DIAL = {  # country calling code -> area codes
    "+1": ("212", "415", "646", "917", "312", "512"),
    "+44": ("20", "161"),
    "+49": ("30", "69"),
    "+65": ("6",),
    "+55": ("11",),
}
_SALES_TITLES = {"Account Executive", "Sales Development Rep", "Regional Sales Director", "Solutions Engineer"}
_STANDUP_DEPTS = {"Engineering", "Product", "Customer Success"}
_INTERVIEWERS = {"Engineering", "Product"}
REPEAT_RATE = 0.0008  # exact repeats of a record (a chat line five times as often)
GIVE_CONTROL_RATE = 0.03  # of small customers' CSM calls: the customer is given control


_DAYS: dict[int, str] = {}


def activity_time(ms: int) -> str:
    """emulator.meetings.format_ms with the day's text cached (the tests compare them)."""
    sec = ms // MS
    day = _DAYS.get(sec // 86400)
    if day is None:
        day = _DAYS[sec // 86400] = day_of(sec).isoformat()
    return f"{day} {hms_table()[sec % 86400]}:{ms % MS:03d}"


def record(number: str, ms: int, name: str, email: str, category: str, detail: str) -> dict:
    """One record, the six fields of the contract."""
    return {
        "meeting_number": number,
        "activity_time": activity_time(ms),
        "operator": name,
        "operator_email": email,
        "activity_category": category,
        "activity_detail": detail,
    }


def joined(number: str, ms: int, name: str, email: str, phone: bool = False) -> MeetingEntry:
    how = " by phone" if phone else ""
    return ms, record(number, ms, name, email, JOINED, f"{name} joined the meeting{how}")


def left(number: str, ms: int, name: str, email: str) -> MeetingEntry:
    return ms, record(number, ms, name, email, LEFT, f"{name} left the meeting")


def chat(number: str, ms: int, name: str, email: str) -> MeetingEntry:
    return ms, record(number, ms, name, email, CHAT, f"{name} sent a chat message")


def remote(number: str, ms: int, name: str, email: str, action: str, target: str) -> MeetingEntry:
    """`action` requested | started | stopped; `name` the controller, `target` whose screen."""
    return ms, record(number, ms, name, email, REMOTE, f"{name} {action} remote control of {target}'s screen")


_HOST_DETAIL = {CREATED: "Meeting created", STARTED: "Meeting started", STARTED_VARIANT: "Meeting started"}
_HOST_DETAIL[ENDED] = "Meeting ended"


def host_event(number: str, ms: int, name: str, email: str, category: str) -> MeetingEntry:
    return ms, record(number, ms, name, email, category, _HOST_DETAIL[category])


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson count (Knuth's method: the means here are small)."""
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def display_name(p: Person) -> str:
    return f"{p.first} {p.last}"


@dataclass
class Attendee:
    name: str
    email: str  # "" for a guest who did not sign in and for dial-in callers
    phone: bool = False


@dataclass
class Control:
    """A remote-control session in a meeting: `controller` gets control of `target`'s screen."""

    controller: Attendee
    target: Attendee
    requested: bool = True  # False when the sharer gives control (Zoom: no request)
    granted: bool = True


class Meetings:
    def __init__(self, seed: int, start: date, days: int, people: People, trip_of: dict[tuple[str, int], Trip]):
        self.seed, self.start, self.days = seed, start, days
        self.people, self.trip_of = people, trip_of
        rng = self.rng("setup")
        everyone = people.everyone
        self.pmi = {p.email: rng.randint(2_000_000_000, 9_999_999_999) for p in everyone}
        self.names = {p.email: display_name(p) for p in everyone}
        self.names[people.staff[HELPDESK_LONDON].email] = SERVICE_DESK_NAME
        self.teams = self._teams(rng, everyone)
        # Contacts at customers and vendors, freelancers on webmail.
        self.contacts = {d: [self._outsider(rng, d) for _ in range(rng.randint(3, 7))] for d in CUSTOMER_DOMAINS}
        self.vendors = {d: [self._outsider(rng, d) for _ in range(rng.randint(2, 4))] for d in VENDOR_DOMAINS}
        self.freelancers = [self._outsider(rng, rng.choice(WEBMAIL_DOMAINS)) for _ in range(8)]
        # Small customers (one-person shops) whose owners use webmail.
        self.webmail_customers = [self._outsider(rng, rng.choice(WEBMAIL_DOMAINS)) for _ in range(12)]
        ordinary = people.staff[10:]
        people_dept = [p for p in ordinary if p.department == "People"] or ordinary
        self.recruiters = [p for p in people_dept if p.title == "Recruiter"] or people_dept[:1]
        self.coordinators = rng.sample(people_dept, min(2, len(people_dept)))
        ny = [p for p in ordinary if p.office == "New York" and p.department in ("Finance", "People", "Legal")]
        self.assistants = rng.sample(ny or ordinary, min(2, len(ny or ordinary)))
        managers = [p for p in ordinary if p.office == "New York" and "Manager" in p.title]
        self.apac_lead = managers[0] if managers else people.staff[IT_LEAD]
        self.sg_office = [p for p in ordinary if p.office == "Singapore"]
        self.sg_scheduler = rng.choice(self.sg_office) if self.sg_office else None
        self.execs = [people.staff[OWNER], people.staff[IT_LEAD]]
        # Each meeting number's (start, end) so far: a number hosts one meeting at a time.
        self._in_use: dict[str, list[tuple[int, int]]] = {}

    def rng(self, *key) -> random.Random:
        return random.Random(":".join(["orgsim", str(self.seed), "meetings", *map(str, key)]))

    def date(self, day: int) -> date:
        return self.start + timedelta(days=day)

    # ---- the fixed facts ---------------------------------------------------------
    @staticmethod
    def _outsider(rng: random.Random, domain: str) -> tuple[str, str]:
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        if domain in WEBMAIL_DOMAINS:
            local = rng.choice((f"{first}.{last}", f"{first}{last[0]}{rng.randint(1, 99)}", f"{last}.{first[0]}"))
        else:
            local = rng.choice((f"{first}.{last}", f"{first[0]}{last}"))
        return f"{first} {last}", f"{local.lower()}@{domain}"

    @staticmethod
    def _teams(rng: random.Random, everyone: list[Person]) -> list[list[Person]]:
        """Teams of 4-9 by department and place; the first member is the manager."""
        by: dict[tuple[str, str], list[Person]] = {}
        for p in everyone:
            where = p.office or ("remote-us" if p.home.country_code == "US" else "remote")
            by.setdefault((p.department, where), []).append(p)
        teams: list[list[Person]] = []
        for key in sorted(by):
            members = by[key]
            rng.shuffle(members)
            while members:
                size = rng.randint(4, 9)
                team, members = members[:size], members[size:]
                if len(team) < 3 and teams and teams[-1][0].department == key[0]:
                    teams[-1].extend(team)
                else:
                    teams.append(team)
        return teams

    # ---- who is where ------------------------------------------------------------
    def offset(self, p: Person, day: int) -> float | None:
        """The person's UTC offset that day; None when not in meetings (away, flying)."""
        if not p.active(day):
            return None
        trip = self.trip_of.get((p.email, day))
        if trip is None:
            return p.home.utc_offset
        if day in (trip.depart, trip.back):
            return None
        return trip.dest.utc_offset

    def working(self, p: Person, day: int) -> bool:
        return self.offset(p, day) is not None and self.date(day).weekday() in p.work_days

    def at(self, day: int, local_hour: float, offset: float) -> int:
        return day_start(self.date(day)) * MS + int((local_hour - offset) * HOUR_MS)

    def attendee(self, p: Person) -> Attendee:
        return Attendee(self.names[p.email], p.email)

    def internal(self, rng: random.Random, p: Person) -> Attendee:
        """An employee joining: signed in, now and then by phone (commuting, bad Wi-Fi)."""
        if rng.random() < 0.03:
            return Attendee(self._caller(rng, "+1" if p.home.country_code == "US" else "+44"), "", True)
        return self.attendee(p)

    def guest(self, rng: random.Random, name: str, email: str, signed_in: float = 0.55) -> Attendee:
        """An outsider: signed in to their own Zoom (their email), a guest who did not sign in
        (their typed name, no email), or a dial-in caller."""
        r = rng.random()
        if r < signed_in:
            return Attendee(name, email)
        if r < 0.9:
            shown = name if rng.random() < 0.85 else rng.choice(_DEVICE_NAMES)
            return Attendee(shown, "")
        return Attendee(self._caller(rng), "", True)

    @staticmethod
    def _caller(rng: random.Random, code: str | None = None) -> str:
        if rng.random() < 0.35:
            return f"Call-in user {rng.randint(1, 6)}"
        code = code or rng.choice(list(_DIAL))
        return f"{code} {rng.choice(_DIAL[code])}***{rng.randint(0, 9999):04d}"

    # ---- the records -------------------------------------------------------------
    def records(self) -> list[MeetingEntry]:
        out: list[MeetingEntry] = []
        for day in range(self.days):
            rng = self.rng("day", day)
            weekday = self.date(day).weekday()
            if weekday < 5:
                self._team_meetings(rng, day, weekday, out)
                self._one_on_ones(rng, day, weekday, out)
                self._ad_hoc(rng, day, out)
                self._external(rng, day, out)
                self._helpdesk(rng, day, out)
                if weekday == 3 and (day // 7) % 2 == 1:
                    self._all_hands(rng, day, out)
                if weekday == 0:
                    self._sittings(rng, day, out)
            elif rng.random() < 0.3:
                self._weekend(rng, day, out)
        return self._with_repeats(self.rng("repeats"), out)

    def meeting(
        self,
        rng: random.Random,
        number: str,
        host: Attendee,
        start: int,
        minutes: float,
        guests: list[Attendee],
        out: list[MeetingEntry],
        created: int | None = None,
        creator: Attendee | None = None,
        controls: tuple[Control, ...] = (),
        chattiness: float = 0.25,
        punctual: float = 90_000,
    ) -> None:
        """Every record of one meeting. `created` None: a recurring series created before
        the span (no record)."""
        rand = rng.random
        start += int(rand() * 60_000)
        end = start + int(minutes * 60_000 * rng.uniform(0.8, 1.15))
        # A personal meeting ID or a series already in a meeting then: the host schedules a
        # new meeting instead (one number, one meeting at a time).
        busy = self._in_use.setdefault(number, [])
        if any(a < end + 120_000 and start < b + 120_000 for a, b in busy):
            number = self.new_number(rng)
            busy = self._in_use.setdefault(number, [])
        busy.append((start, end))
        if created is not None:
            by = creator or host
            out.append(host_event(number, created, by.name, by.email, CREATED))
        category = STARTED_VARIANT if rand() < 0.15 else STARTED
        out.append(host_event(number, start, host.name, host.email, category))
        people = [(host, start + 300 + int(rand() * 2500))]
        for g in guests:
            people.append((g, start + int(rng.expovariate(1 / punctual))))
        spans: dict[str, tuple[int, int]] = {}
        for a, t_join in people:
            if t_join >= end - 30_000:
                continue
            t_left = end + int(rand() * 1500) if rand() < 0.85 else t_join + int(rand() * (end - t_join))
            pieces = [(t_join, t_left)]
            if rand() < 0.05 and t_left - t_join > 120_000:  # dropped connection, rejoined
                gap = t_join + int(rand() * (t_left - t_join - 60_000))
                back = gap + 4_000 + int(rand() * 50_000)
                pieces = [(t_join, gap), (back, t_left)]
            for a_ms, b_ms in pieces:
                out.append(joined(number, a_ms, a.name, a.email, a.phone))
                out.append(left(number, b_ms, a.name, a.email))
                if not a.phone:
                    for _ in range(poisson(rng, chattiness)):
                        out.append(chat(number, a_ms + int(rand() * (b_ms - a_ms)), a.name, a.email))
            spans[a.name] = (t_join, t_left)
        for c in controls:
            if c.controller.name not in spans or c.target.name not in spans:
                continue
            lo = max(spans[c.controller.name][0], spans[c.target.name][0]) + 60_000
            hi = min(spans[c.controller.name][1], spans[c.target.name][1]) - 60_000
            if hi <= lo:
                continue
            t = lo + int(rand() * (hi - lo) * 0.5)
            who, target = c.controller, c.target.name
            if c.requested:
                out.append(remote(number, t, who.name, who.email, "requested", target))
                t += 2_000 + int(rand() * 15_000)
            if c.granted:
                out.append(remote(number, t, who.name, who.email, "started", target))
                t = min(hi, t + 60_000 + int(rand() * 900_000))
                out.append(remote(number, t, who.name, who.email, "stopped", target))
        out.append(host_event(number, end, host.name, host.email, ENDED))

    @staticmethod
    def new_number(rng: random.Random) -> str:
        if rng.random() < 0.8:
            return meeting_number(rng.randint(2_000_000_000, 9_999_999_999))
        return meeting_number(rng.randint(10_000_000_000, 99_999_999_999))

    @staticmethod
    def scheduled(rng: random.Random, creator: Person, start: int, lead_days: tuple[int, int]) -> int:
        """When a scheduled meeting was created: during the creator's working hours, days
        before (generate() drops the records before the span)."""
        days_before = rng.randint(*lead_days)
        t = start - days_before * DAY_MS
        local = ((t // MS) / 3600 + creator.home.utc_offset) % 24
        t += int((rng.uniform(9, 17.5) - local) * HOUR_MS)
        return min(t, start - 600_000)

    # ---- internal meetings -------------------------------------------------------
    def _team_meetings(self, rng: random.Random, day: int, weekday: int, out: list[MeetingEntry]) -> None:
        for i, team in enumerate(self.teams):
            lead = team[0]
            daily = lead.department in _STANDUP_DEPTS
            if not daily and weekday != (i % 3):  # weekly sync on Monday, Tuesday or Wednesday
                continue
            host = lead if self.working(lead, day) else next((m for m in team if self.working(m, day)), None)
            if host is None:
                continue
            off = self.offset(host, day)
            assert off is not None
            number = meeting_number(self.rng("series", i).randint(2_000_000_000, 9_999_999_999))
            hour = 9.5 + (i % 4) * 0.25 if daily else 10.0 + (i % 5) * 0.5
            members = [self.internal(rng, m) for m in team if m is not host and self.working(m, day)]
            members = [a for a in members if rng.random() < 0.92]
            minutes = 15 if daily else 45
            self.meeting(
                rng, number, self.attendee(host), self.at(day, hour, off), minutes, members, out, punctual=50_000
            )
        # The Singapore office's weekly sync with its New York manager: New York's evening,
        # Singapore's next morning, over 00:00 UTC.
        sg = [p for p in self.sg_office if self.working(p, day)]
        lead = self.apac_lead
        if weekday == 1 and sg and self.working(lead, day):
            number = meeting_number(self.rng("series", "apac").randint(2_000_000_000, 9_999_999_999))
            guests = [self.internal(rng, p) for p in sg[:8]]
            self.meeting(rng, number, self.attendee(lead), self.at(day, 19.75, lead.home.utc_offset), 45, guests, out)

    def _one_on_ones(self, rng: random.Random, day: int, weekday: int, out: list[MeetingEntry]) -> None:
        for team in self.teams:
            lead = team[0]
            if not self.working(lead, day):
                continue
            off = self.offset(lead, day)
            assert off is not None
            slot = 0
            for m in team[1:]:
                if m.index % 5 != weekday or not self.working(m, day) or rng.random() < 0.15:
                    continue
                number = meeting_number(self.pmi[lead.email])
                hour = 11.0 + slot * 0.6 if slot < 4 else 14.0 + slot * 0.5
                slot += 1
                self.meeting(
                    rng, number, self.attendee(lead), self.at(day, hour, off), 30, [self.internal(rng, m)], out
                )

    def _ad_hoc(self, rng: random.Random, day: int, out: list[MeetingEntry]) -> None:
        everyone = [p for p in self.people.everyone if self.working(p, day)]
        by_dept: dict[str, list[Person]] = {}
        for p in everyone:
            by_dept.setdefault(p.department, []).append(p)
        for host in everyone:
            rate = 1.0 if "Manager" in host.title or host.department == "Product" else 0.45
            for _ in range(poisson(rng, rate)):
                off = self.offset(host, day)
                assert off is not None
                hour = rng.uniform(8.5, 17.5)
                start = self.at(day, hour, off)
                same = by_dept[host.department]
                pool = rng.sample(same, min(len(same), rng.randint(1, 5)))
                pool += rng.sample(everyone, min(len(everyone), rng.randint(0, 3)))
                guests, seen = [], {host.email}
                for p in pool:
                    o = self.offset(p, day)
                    if p.email in seen or o is None or not 7.5 <= (hour - off + o) % 24 <= 20.5:
                        continue  # outside their working day: they decline
                    seen.add(p.email)
                    guests.append(self.internal(rng, p))
                if not guests:
                    continue
                instant = rng.random() < 0.35
                if instant:
                    created = start - int(rng.uniform(5_000, 60_000))
                else:
                    created = self.scheduled(rng, host, start, (0, 9))
                pmi = instant and rng.random() < 0.5
                number = meeting_number(self.pmi[host.email]) if pmi else self.new_number(rng)
                minutes = rng.choice([15, 25, 30, 30, 45, 50, 60])
                self.meeting(rng, number, self.attendee(host), start, minutes, guests, out, created=created)

    def _all_hands(self, rng: random.Random, day: int, out: list[MeetingEntry]) -> None:
        """Fortnightly at 15:00 UTC: New York's morning, London's afternoon, Singapore's night
        (fewer join from there)."""
        host = self.people.staff[OWNER]
        if not host.active(day):
            return
        start = day_start(self.date(day)) * MS + 15 * HOUR_MS
        number = meeting_number(self.rng("series", "all-hands").randint(10_000_000_000, 99_999_999_999))
        guests = []
        for p in self.people.everyone:
            o = self.offset(p, day)
            if p is host or o is None or not self.working(p, day):
                continue
            chance = 0.85 if 7 <= 15 + o <= 19 else 0.3
            if rng.random() < chance:
                guests.append(self.internal(rng, p) if rng.random() < 0.93 else self._phone(rng, p))
        ea = self.assistants[0] if self.assistants else host
        created = self.scheduled(rng, ea, start, (6, 13))
        self.meeting(
            rng, number, self.attendee(host), start, 55, guests, out, created, self.attendee(ea), chattiness=0.45
        )

    def _phone(self, rng: random.Random, p: Person) -> Attendee:
        return Attendee(self._caller(rng, "+1" if p.home.country_code == "US" else "+44"), "", True)

    def _sittings(self, rng: random.Random, day: int, out: list[MeetingEntry]) -> None:
        """Monday sittings: executive assistants and recruiting coordinators schedule 10-30
        meetings one after another; the Singapore office's calendar integration creates the
        week's meetings in its morning (night UTC)."""
        for ea, boss in zip(self.assistants, self.execs):
            if not self.working(ea, day):
                continue
            t = self.at(day, rng.uniform(9.0, 10.5), ea.home.utc_offset)
            for _ in range(rng.randint(10, 30)):
                t += rng.randint(20_000, 90_000)
                start_day = day + rng.randint(1, 11)
                invited = [p for p in rng.sample(self.people.staff, 4) if self.working(p, start_day)]
                guests = [self.internal(rng, p) for p in invited if p is not boss]
                start = self.at(start_day, rng.uniform(9, 17), boss.home.utc_offset)
                self._maybe_held(rng, boss, start_day, start, guests, t, ea, out)
        interviewers = [p for p in self.people.staff if p.department in _INTERVIEWERS]
        for coordinator in self.coordinators:
            if not self.working(coordinator, day) or rng.random() < 0.4:
                continue
            t = self.at(day, rng.uniform(13.0, 16.0), coordinator.home.utc_offset)
            for _ in range(rng.randint(10, 24)):
                t += rng.randint(15_000, 70_000)
                start_day = day + rng.randint(1, 9)
                who = rng.choice(interviewers)
                candidate = self._outsider(rng, rng.choice(WEBMAIL_DOMAINS))
                guests = [self.guest(rng, *candidate, signed_in=0.7)]
                start = self.at(start_day, rng.uniform(9.5, 16.5), who.home.utc_offset)
                self._maybe_held(rng, who, start_day, start, guests, t, coordinator, out)
        p = self.sg_scheduler
        if p is not None and self.working(p, day):
            # The calendar integration's sync: the week's meetings, within a couple of minutes.
            t = self.at(day, rng.uniform(8.3, 9.0), p.home.utc_offset)
            for _ in range(rng.randint(8, 18)):
                t += rng.randint(3_000, 12_000)
                start_day = day + rng.randint(0, 4)
                start = max(t + 1_800_000, self.at(start_day, rng.uniform(9, 17), p.home.utc_offset))
                guests = [self.internal(rng, q) for q in self.sg_office if q is not p and rng.random() < 0.4]
                self._maybe_held(rng, p, start_day, start, guests, t, None, out)

    def _maybe_held(
        self,
        rng: random.Random,
        host: Person,
        start_day: int,
        start: int,
        guests: list[Attendee],
        created: int,
        creator: Person | None,
        out: list[MeetingEntry],
    ) -> None:
        number = self.new_number(rng)
        c = self.attendee(creator if creator is not None else host)
        if start_day >= self.days or not self.working(host, start_day) or not guests or rng.random() < 0.1:
            out.append(host_event(number, created, c.name, c.email, CREATED))  # cancelled, or after the span
            return
        self.meeting(rng, number, self.attendee(host), start, rng.choice([30, 45, 60]), guests, out, created, c)

    def _weekend(self, rng: random.Random, day: int, out: list[MeetingEntry]) -> None:
        """A weekend call or two: an incident bridge, a chat in a personal meeting room."""
        everyone = [p for p in self.people.everyone if self.offset(p, day) is not None]
        for _ in range(rng.randint(1, 3)):
            host = rng.choice(everyone)
            start = self.at(day, rng.uniform(9, 21), host.home.utc_offset)
            guests = [self.internal(rng, p) for p in rng.sample(everyone, rng.randint(1, 4)) if p is not host]
            number = meeting_number(self.pmi[host.email])
            self.meeting(rng, number, self.attendee(host), start, rng.choice([20, 40, 75]), guests, out)

    # ---- with outsiders ----------------------------------------------------------
    def _external(self, rng: random.Random, day: int, out: list[MeetingEntry]) -> None:
        for p in self.people.everyone:
            if not self.working(p, day):
                continue
            off = self.offset(p, day)
            assert off is not None
            me = self.attendee(p)
            if p.title in _SALES_TITLES:
                self._sales(rng, p, me, day, off, out)
            elif p.title == "Support Engineer":
                # Troubleshooting calls: the engineer takes control of the customer's screen.
                for _ in range(rng.choice([0, 1, 1, 2, 3])):
                    domain = rng.choice(CUSTOMER_DOMAINS)
                    customer = self.guest(rng, *rng.choice(self.contacts[domain]), signed_in=0.5)
                    if customer.phone or customer.name in _DEVICE_NAMES:
                        # A screen to control needs the desktop app, signed in or not.
                        customer = Attendee(rng.choice(self.contacts[domain])[0], "")
                    controls = (Control(me, customer, granted=rng.random() < 0.9),) if rng.random() < 0.45 else ()
                    start = self.at(day, rng.uniform(8.5, 17.5), off)
                    if rng.random() < 0.6:
                        created = start - int(rng.uniform(10_000, 120_000))
                    else:
                        created = self.scheduled(rng, p, start, (0, 3))
                    number = meeting_number(self.pmi[p.email])
                    minutes = rng.choice([20, 30, 45])
                    self.meeting(rng, number, me, start, minutes, [customer], out, created, controls=controls)
            elif p.title in ("Customer Success Manager", "Onboarding Specialist"):
                self._customer_success(rng, p, me, day, off, out)
            elif p in self.recruiters:
                # Phone screens: the recruiter alone with a candidate on webmail (or by phone).
                for _ in range(rng.randint(1, 4)):
                    cand = self.guest(rng, *self._outsider(rng, rng.choice(WEBMAIL_DOMAINS)), signed_in=0.65)
                    start = self.at(day, rng.uniform(9, 17), off)
                    created = self.scheduled(rng, p, start, (1, 6))
                    self.meeting(rng, self.new_number(rng), me, start, 30, [cand], out, created, chattiness=0.1)
            elif p.department == "Marketing" and rng.random() < 0.25:
                freelancer = self.guest(rng, *rng.choice(self.freelancers), signed_in=0.9)
                start = self.at(day, rng.uniform(10, 17), off)
                created = self.scheduled(rng, p, start, (1, 7))
                self.meeting(rng, self.new_number(rng), me, start, 30, [freelancer], out, created)
            elif p.department in ("Finance", "Legal", "IT") and rng.random() < 0.12:
                domain = rng.choice(VENDOR_DOMAINS)
                them = [self.guest(rng, *c) for c in rng.sample(self.vendors[domain], rng.randint(1, 2))]
                start = self.at(day, rng.uniform(9.5, 16.5), off)
                created = self.scheduled(rng, p, start, (2, 10))
                self.meeting(rng, self.new_number(rng), me, start, 45, them, out, created)

    def _sales(self, rng: random.Random, p: Person, me: Attendee, day: int, off: float, out: list) -> None:
        """Prospect and customer calls: SDRs alone with one prospect, AEs with a colleague."""
        for _ in range(rng.choice([0, 1, 1, 2, 2, 3])):
            domain = rng.choice(CUSTOMER_DOMAINS)
            k = 1 if p.title == "Sales Development Rep" or rng.random() < 0.4 else rng.randint(2, 4)
            them = [self.guest(rng, *c) for c in rng.sample(self.contacts[domain], min(k, 3))]
            colleagues = [] if k == 1 else [self.internal(rng, q) for q in self._colleagues(rng, p, day, 1)]
            start = self.at(day, rng.uniform(9, 17), off)
            created = self.scheduled(rng, p, start, (1, 10))
            minutes = rng.choice([20, 30, 45])
            self.meeting(rng, self.new_number(rng), me, start, minutes, them + colleagues, out, created)

    def _customer_success(self, rng: random.Random, p: Person, me: Attendee, day: int, off: float, out: list) -> None:
        """Check-ins and onboarding. Now and then, walking a small customer through the
        product, the CSM gives them control of the shared screen (given, so no request)."""
        for _ in range(rng.choice([0, 1, 1, 2])):
            small = rng.random() < 0.2
            if small:
                them = [self.guest(rng, *rng.choice(self.webmail_customers), signed_in=0.8)]
            else:
                domain = rng.choice(CUSTOMER_DOMAINS)
                them = [self.guest(rng, *c) for c in rng.sample(self.contacts[domain], rng.randint(1, 3))]
            controls: tuple[Control, ...] = ()
            if small and not them[0].phone and rng.random() < GIVE_CONTROL_RATE:
                controls = (Control(them[0], me, requested=False),)
            start = self.at(day, rng.uniform(9, 17), off)
            created = self.scheduled(rng, p, start, (1, 14))
            minutes = rng.choice([30, 45, 60])
            self.meeting(rng, self.new_number(rng), me, start, minutes, them, out, created, controls=controls)

    def _colleagues(self, rng: random.Random, p: Person, day: int, k: int) -> list[Person]:
        team = next((t for t in self.teams if p in t), [p])
        pool = [q for q in team if q is not p and self.working(q, day)]
        return rng.sample(pool, min(k, len(pool)))

    # ---- the IT help desk --------------------------------------------------------
    def _helpdesk(self, rng: random.Random, day: int, out: list[MeetingEntry]) -> None:
        """Sessions on request: the desk hosts, the colleague joins, the desk requests and
        (usually) gets control of their screen."""
        staff = self.people.staff
        desk = [p for p in (staff[HELPDESK_NY], staff[HELPDESK_LONDON], staff[IT_LONDON]) if self.working(p, day)]
        users = [p for p in self.people.everyone if self.working(p, day)]
        for d in desk:
            me = self.attendee(d)
            off = self.offset(d, day)
            assert off is not None
            for _ in range(rng.randint(0, 4) if d.role == "Help Desk" else rng.randint(0, 1)):
                who = rng.choice(users)
                if who is d:
                    continue
                them = self.attendee(who)
                start = self.at(day, rng.uniform(8.5, 17.5), off)
                created = start - int(rng.uniform(3_000, 40_000))
                control = Control(me, them, granted=rng.random() < 0.9)
                number = meeting_number(self.pmi[d.email])
                minutes = rng.choice([10, 15, 20, 30])
                self.meeting(
                    rng, number, me, start, minutes, [them], out, created, controls=(control,), punctual=40_000
                )

    def operations(self, benign_ops: list[Entry]) -> list[Entry]:
        """IT keeps remote control on for the help desk's and Customer Success's groups:
        minutes after the account-wide setting is turned off, or on the third weekday when
        that is not in the span."""
        lead = self.people.staff[IT_LEAD]
        ts, operator = None, lead.email
        for t, _, rec in benign_ops:
            if rec["operation_detail"] == ACCOUNT_REMOTE_OFF:
                ts, operator = t, rec["operator"]
        rng = self.rng("operations")
        if ts is None:
            weekdays = [d for d in range(self.days) if self.date(d).weekday() < 5] or [0]
            day = weekdays[min(2, len(weekdays) - 1)]
            ts = day_start(self.date(day)) + int((11.0 - lead.home.utc_offset) * 3600)
        out = []
        for group in GROUPS_KEEPING_REMOTE:
            ts += rng.randint(40, 400)
            out.append(operation(ts, operator, "User Group", "Update", group_remote_on(group)))
        return out

    # ---- true repeats --------------------------------------------------------------
    @staticmethod
    def _with_repeats(rng: random.Random, entries: list[MeetingEntry]) -> list[MeetingEntry]:
        """Identical records at the same millisecond, now and then (a chat line more often)."""
        out = []
        rand = rng.random
        for ms, rec in entries:
            out.append((ms, rec))
            if rand() < (REPEAT_RATE * 5 if rec["activity_category"] == CHAT else REPEAT_RATE):
                out.append((ms, dict(rec)))
        return out
