"""The ordinary company's records: sign-ins and sign-outs of every person, every day, and
the operation logs of its identity provider, IT team and help desk.

One RNG per (seed, part, day or person), so a part can change without shifting the others.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from ..dataset import client_version
from ..timeutil import day_start, format_ts
from .places import CITIES, City, km
from .world import (
    BILLING,
    DOMAIN,
    HELPDESK_LONDON,
    HELPDESK_NY,
    IT_LEAD,
    IT_LONDON,
    IT_REMOTE,
    OWNER,
    SCIM_OPERATOR,
    TITLES,
    Infrastructure,
    People,
    Person,
)

Entry = tuple[int, str, dict]  # (epoch seconds, log type, record)

AIRLINER_KMH = 830.0  # block speed of a long-haul flight
TRIP_CITIES = [
    "Tokyo",
    "Paris",
    "Madrid",
    "Dubai",
    "Mumbai",
    "Sydney",
    "Toronto",
    "Mexico City",
    "Seoul",
    "Stockholm",
    "Zurich",
    "Hong Kong",
    "Warsaw",
    "New York",
    "London",
    "Singapore",
    "São Paulo",
    "Berlin",
]
CONFERENCE_CITIES = ["Las Vegas", "Barcelona", "San Francisco"]


@dataclass(frozen=True)
class Trip:
    email: str
    depart: int  # day index
    back: int  # day index of the return flight
    dest: City
    conference: bool
    out_depart_ts: int = 0  # epoch seconds the outbound flight leaves
    out_arrive_ts: int = 0


def _ts(base: int, local_hour: float, city: City) -> int:
    return base + int((local_hour - city.utc_offset) * 3600)


def activity(ts: int, email: str, kind: str, ip: str, client: str, version: str) -> Entry:
    record = {
        "email": email,
        "time": format_ts(ts),
        "type": kind,
        "ip_address": ip,
        "client_type": client,
        "version": version,
    }
    return ts, "activity", record


def operation(ts: int, operator: str, category: str, action: str, detail: str) -> Entry:
    record = {
        "time": format_ts(ts),
        "operator": operator,
        "category_type": category,
        "action": action,
        "operation_detail": detail,
    }
    return ts, "operation", record


def version_of(p: Person, client: str, d: date) -> str:
    return client_version((d.toordinal() - p.version_lag) // 14, client)


class Benign:
    def __init__(self, seed: int, start: date, days: int, infra: Infrastructure, people: People) -> None:
        self.seed, self.start, self.days = seed, start, days
        self.infra, self.people = infra, people
        self.trips = self._plan_trips()
        self._trip_of: dict[tuple[str, int], Trip] = {}
        for t in self.trips:
            for day in range(t.depart, t.back + 1):
                self._trip_of[(t.email, day)] = t

    @property
    def trip_of(self) -> dict[tuple[str, int], Trip]:
        """(email, day index) -> the trip that person is on."""
        return self._trip_of

    def rng(self, *key) -> random.Random:
        return random.Random(":".join(["orgsim", str(self.seed), *map(str, key)]))

    def date(self, day: int) -> date:
        return self.start + timedelta(days=day)

    # ---- trips ------------------------------------------------------------------
    def _plan_trips(self) -> list[Trip]:
        rng = self.rng("trips")
        staff = [p for p in self.people.everyone if p.traveller > 0]
        visited = {p.email: {p.home.country_code} for p in staff}
        trips: list[Trip] = []
        busy: set[tuple[str, int]] = set()

        def free(p: Person, a: int, b: int) -> bool:
            return all(p.active(d) and (p.email, d) not in busy for d in range(a, b + 1))

        def add(p: Person, a: int, b: int, dest: City, conference: bool) -> None:
            depart_hour = rng.uniform(7.5, 17.0)
            base = day_start(self.date(a))
            leave = _ts(base, depart_hour, p.home)
            arrive = leave + int((km(p.home, dest) / AIRLINER_KMH + 0.5) * 3600)
            trips.append(Trip(p.email, a, b, dest, conference, leave, arrive))
            busy.update((p.email, d) for d in range(a, b + 1))
            visited[p.email].add(dest.country_code)

        weights = [p.traveller for p in staff]
        for week in range(0, self.days, 7):
            # A few business trips a week across the organisation, to somewhere new to the traveller.
            for _ in range(max(1, round(len(self.people.staff) / 100 * rng.uniform(0.6, 1.4)))):
                p = rng.choices(staff, weights)[0]
                a = week + rng.randint(0, 3)
                b = a + rng.randint(2, 4)
                if b >= self.days - 1 or not free(p, a, b):
                    continue
                options = [c for c in TRIP_CITIES if CITIES[c].country_code not in visited[p.email]]
                if options:
                    add(p, a, b, CITIES[rng.choice(options)], False)
        # Conferences: several staff to one city for the same days.
        for n, city in enumerate(CONFERENCE_CITIES):
            a = round(self.days * (0.2 + 0.3 * n)) + rng.randint(0, 2)
            b = a + 3
            if b >= self.days - 1:
                continue
            for p in rng.sample(staff, min(len(staff), rng.randint(4, 8))):
                if free(p, a, b):
                    add(p, a, b, CITIES[city], True)
        return trips

    # ---- sign-ins -------------------------------------------------------------------
    def activity(self) -> list[Entry]:
        out: list[Entry] = []
        for p in self.people.everyone:
            rng = self.rng("activity", p.index)
            home_ip = p.home_isp.host(p.home_host)
            for day in range(self.days):
                if rng.random() < 0.02:
                    home_ip = p.home_isp.host(rng.randint(1, 250))  # a new DHCP lease
                if p.active(day):
                    self._person_day(rng, p, day, home_ip, out)
        return out

    def _sessions(self, rng: random.Random, p: Person, day: int, weekday: int) -> list[tuple[str, float]]:
        """(client type, local hour) of the day's sign-ins."""
        phone = p.phone_on(day)
        if weekday not in p.work_days:
            s = []
            if phone and rng.random() < 0.07:
                s.append((phone, rng.uniform(9, 21)))
            if rng.random() < 0.02:
                s.append((p.desktop, rng.uniform(10, 20)))
            return s
        s = []
        start = p.work_start + rng.gauss(0, 0.4)
        if rng.random() < 0.82:
            s.append((p.desktop, start))
            if rng.random() < 0.22:
                s.append((p.desktop, start + rng.uniform(3, 7)))  # re-authentication after lunch
        if phone and rng.random() < 0.4:
            s.append((phone, rng.uniform(7, 21)))
        if p.tablet and rng.random() < 0.1:
            s.append(("iPad", rng.uniform(18, 22)))
        if p.browser and rng.random() < 0.15:
            s.append(("Browser", start + rng.uniform(0.5, 8)))
        if rng.random() < 0.04:
            s.append((p.desktop, rng.uniform(20, 23.5)))  # evening catch-up
        return s

    def _person_day(self, rng: random.Random, p: Person, day: int, home_ip: str, out: list[Entry]) -> None:
        d = self.date(day)
        base, weekday = day_start(d), d.weekday()
        infra = self.infra
        trip = self._trip_of.get((p.email, day))
        sessions = self._sessions(rng, p, day, weekday)
        if trip is not None:
            self._trip_day(rng, p, day, trip, out)
            return
        in_office = p.office is not None and weekday in p.office_days
        nodes = infra.proxy_nodes_near(p.home)
        for client, hour in sessions:
            mobile = client in ("iPhone", "android", "iPad")
            if in_office and (not mobile or rng.random() < 0.65):
                ip = infra.nat_address(p.office or "", rng.random())
            elif mobile:
                if client == "iPad" or rng.random() < 0.55:
                    ip = p.home_v6.host(p.index << 64 | rng.getrandbits(48)) if p.home_v6 else home_ip
                else:
                    ip = p.carrier.host(rng.randint(0, 253))  # CGNAT: any address of the pool
            elif p.vpn and rng.random() < 0.45:
                ip = infra.vpn.host(10 + rng.randint(0, 1))
                if rng.random() < 0.5:
                    # The laptop first signs in from home, then again once on the VPN.
                    ts = _ts(base, hour, p.home)
                    out.append(activity(ts, p.email, "Sign in", home_ip, client, version_of(p, client, d)))
                    hour += rng.uniform(0.05, 0.4)
            else:
                node = nodes[0] if len(nodes) == 1 or rng.random() < 0.8 else rng.choice(nodes[1:])
                ip = infra.proxy_address(node, rng.random())
            self._emit(rng, p, base, hour, p.home, ip, client, d, out)

    def _emit(self, rng, p: Person, base: int, hour: float, city: City, ip: str, client: str, d, out) -> None:
        ts = _ts(base, hour, city) + rng.randint(0, 59)
        version = version_of(p, client, d)
        out.append(activity(ts, p.email, "Sign in", ip, client, version))
        if rng.random() < 0.3:
            end = ts + int(rng.uniform(0.3, 9.0) * 3600)
            out.append(activity(end, p.email, "Sign out", ip, client, version))

    def _trip_day(self, rng: random.Random, p: Person, day: int, trip: Trip, out: list[Entry]) -> None:
        d = self.date(day)
        base, infra = day_start(d), self.infra
        phone = p.phone_on(day) or p.desktop
        dest = trip.dest
        if day == trip.depart:
            # Airport Wi-Fi before boarding, then again on landing.
            before = trip.out_depart_ts - rng.randint(1800, 5400)
            out.append(
                activity(
                    before,
                    p.email,
                    "Sign in",
                    infra.hospitality[p.home.name].host(rng.randint(0, 253)),
                    phone,
                    version_of(p, phone, d),
                )
            )
            after = trip.out_arrive_ts + rng.randint(900, 3600)
            out.append(
                activity(
                    after,
                    p.email,
                    "Sign in",
                    infra.hospitality[dest.name].host(rng.randint(0, 253)),
                    phone,
                    version_of(p, phone, d),
                )
            )
            return
        if day == trip.back:
            leave = _ts(base, rng.uniform(8, 16), dest)
            out.append(
                activity(
                    leave - rng.randint(1800, 5400),
                    p.email,
                    "Sign in",
                    infra.hospitality[dest.name].host(rng.randint(0, 253)),
                    phone,
                    version_of(p, phone, d),
                )
            )
            return
        office = dest.name if dest.name in infra.offices else None
        node = infra.proxy_nodes_near(dest)[0]
        for client, hour in self._sessions(rng, p, day, d.weekday() if not trip.conference else 0):
            mobile = client in ("iPhone", "android", "iPad")
            if office is not None and rng.random() < 0.8:
                ip = infra.nat_address(office, rng.random())  # visiting another office
            elif mobile and rng.random() < 0.35:
                ip = p.carrier.host(rng.randint(0, 253))  # roaming: data egresses at home
            elif mobile or client == "Browser":
                ip = infra.hospitality[dest.name].host(rng.randint(0, 253))
            else:
                ip = infra.proxy_address(node, rng.random())
            self._emit(rng, p, base, hour, dest, ip, client, d, out)

    # ---- operation logs ---------------------------------------------------------------
    def operations(self) -> list[Entry]:
        out: list[Entry] = []
        self._scim(out)
        self._it_team(out)
        self._helpdesk(out)
        self._owner(out)
        return out

    def _scim(self, out: list[Entry]) -> None:
        """Nightly sync by the identity provider: tens of profile updates within minutes,
        plus the day's onboarding (Add User) and offboarding (Deactivate User)."""
        people = self.people
        staff = [p for p in people.everyone if not p.contractor]
        for day in range(self.days):
            rng = self.rng("scim", day)
            d = self.date(day)
            ts = day_start(d) + 2 * 3600 + rng.randint(0, 240)  # 02:00 UTC job
            weekend = d.weekday() >= 5
            active = [p for p in staff if p.first_day <= day and (p.last_day is None or p.last_day >= day)]
            for p in people.hires:
                if p.first_day == day + 1 or (day == 0 and p.first_day == 0):
                    ts += rng.randint(1, 6)
                    detail = f"Add User {p.email}  - User Type: Licensed - Department: {p.department}"
                    out.append(operation(ts, SCIM_OPERATOR, "User", "SCIM API - Add", detail))
            for p in staff:
                if p.last_day is not None and p.last_day + 1 == day:
                    ts += rng.randint(1, 6)
                    out.append(operation(ts, SCIM_OPERATOR, "User", "SCIM API - Update", f"Deactivate User {p.email} "))
            for _ in range(rng.randint(3, 12) if weekend else rng.randint(15, 60)):
                p = rng.choice(active)
                ts += rng.randint(1, 9)
                out.append(
                    operation(ts, SCIM_OPERATOR, "User", "SCIM API - Update", self._profile_change(rng, p, active))
                )

    def _profile_change(self, rng: random.Random, p: Person, active: list[Person]) -> str:
        r = rng.random()
        if r < 0.35:
            return f"Edit User {p.email}  - Job Title: set to {rng.choice(TITLES[p.department])}"
        if r < 0.55:
            return f"Edit User {p.email}  - Manager: set to {rng.choice(active).email}"
        if r < 0.7:
            return f"Edit User {p.email}  - Department: from {p.department} to {p.department}"
        if r < 0.85:
            return f"Edit User {p.email}  - Cost Center: set to {rng.choice([4100, 4200, 5100, 6100, 7300])}"
        a, b = ("Basic", "Licensed") if rng.random() < 0.8 else ("Licensed", "Basic")
        return f"Edit User {p.email}  - Change Type: from {a} to {b}"

    def _work_ts(self, rng: random.Random, who: Person, day: int, lo: float = 9.5, hi: float = 17.0) -> int:
        return _ts(day_start(self.date(day)), rng.uniform(lo, hi), who.home) + rng.randint(0, 59)

    def _it_team(self, out: list[Entry]) -> None:
        staff = self.people.staff
        admins = [staff[IT_LEAD], staff[IT_LONDON], staff[IT_REMOTE]]
        everyone = self.people.everyone
        deactivated: list[Person] = []
        demoted = False
        tightened = list(_STRICTER)
        self.rng("stricter").shuffle(tightened)
        for day in range(self.days):
            rng = self.rng("it", day)
            d = self.date(day)
            if d.weekday() >= 5:
                continue
            on_duty = [a for a in admins if a.active(day) and self._trip_of.get((a.email, day)) is None] or admins[:1]
            # Onboarding: the hire's groups and recording settings on their first morning.
            for p in self.people.hires:
                if p.first_day == day:
                    a = rng.choice(on_duty)
                    ts = self._work_ts(rng, a, day, 9.0, 11.0)
                    out.append(operation(ts, a.email, "User Group", "Update", f"Edit Group {p.department} "))
                    if rng.random() < 0.5:
                        detail = f"Edit User Settings {p.email}  - Recording  - Cloud recording: from Off to On"
                        out.append(operation(ts + rng.randint(30, 300), a.email, "User Settings", "Update", detail))
            # Contractors leave outside the identity provider: IT deactivates them by hand, together.
            gone = [p for p in everyone if p.contractor and p.last_day is not None and p.last_day + 1 == day]
            if gone:
                a = on_duty[0]
                ts = self._work_ts(rng, a, day)
                for p in gone:
                    ts += rng.randint(20, 90)
                    out.append(operation(ts, a.email, "User", "Update", f"Deactivate User {p.email} "))
            deactivated += [p for p in everyone if p.last_day is not None and p.last_day + 1 == day]
            # Friday clean-up: delete the accounts deactivated at least a week ago.
            if d.weekday() == 4:
                due = [p for p in deactivated if p.last_day is not None and p.last_day + 8 <= day]
                if due:
                    a = rng.choice(on_duty)
                    ts = self._work_ts(rng, a, day, 14.0, 16.5)
                    for p in due:
                        ts += rng.randint(15, 70)
                        out.append(operation(ts, a.email, "User", "Delete", f"Delete User {p.email} "))
                    deactivated = [p for p in deactivated if p not in due]
            # Settings made stricter, a couple a week.
            if tightened and rng.random() < 0.35:
                a = rng.choice(on_duty)
                category, detail = tightened.pop()
                out.append(operation(self._work_ts(rng, a, day), a.email, category, "Update", detail))
            # Routine edits: groups, rooms, roles, user settings on request.
            for _ in range(rng.choice([0, 1, 1, 2, 3])):
                a = rng.choice(on_duty)
                category, action, detail = self._routine(rng, everyone)
                out.append(operation(self._work_ts(rng, a, day), a.email, category, action, detail))
            if not demoted and day >= self.days // 2 and rng.random() < 0.2:
                # A temporary admin right taken back (an event organiser's).
                demoted = True
                who = rng.choice(everyone[len(admins) + 8 :] or everyone)
                a = on_duty[0]
                ts = self._work_ts(rng, a, day)
                out.append(
                    operation(ts, a.email, "User", "Batch Update", f"Change Role  - {who.email}: from Admin to Member")
                )

    def _routine(self, rng: random.Random, everyone: list[Person]) -> tuple[str, str, str]:
        p = rng.choice(everyone)
        r = rng.random()
        if r < 0.3:
            return "User Group", "Update", f"Edit Group {rng.choice(_GROUPS)} "
        if r < 0.4:
            return "User Group", "Add", f"Add Group {rng.choice(_NEW_GROUPS)}"
        if r < 0.55:
            a, b = rng.choice([("Off", "On"), ("On", "Off")])
            room = rng.choice(_ROOMS)
            return "Zoom Rooms", "Update", f"Edit Room {room}  - Auto Accept Meeting Invites: from {a} to {b}"
        if r < 0.65:
            return "Role", "Update", "Edit Role Help Desk  - Recording Management: from View to Edit"
        if r < 0.85:
            setting = rng.choice(["Cloud recording", "Local recording", "Automatic recording"])
            detail = f"Edit User Settings {p.email}  - Recording  - {setting}: from Off to On"
            return "User Settings", "Update", detail
        lo, hi = rng.sample([20, 40, 64, 128, 200], 2)
        detail = f"Quality Settings - Audio  - Receive Bitrate: from {lo} to {hi} - Send Bitrate: from {lo} to {hi}"
        return "Account", "Update", detail

    def _helpdesk(self, out: list[Entry]) -> None:
        """Recordings deleted on request: a few a week, sometimes three or four in an hour."""
        desk = [self.people.staff[HELPDESK_NY], self.people.staff[HELPDESK_LONDON]]
        for day in range(self.days):
            rng = self.rng("helpdesk", day)
            if self.date(day).weekday() >= 5 or rng.random() > 0.55:
                continue
            h = rng.choice(desk)
            if not h.active(day):
                continue
            ts = self._work_ts(rng, h, day)
            for _ in range(rng.choice([1, 1, 1, 2, 3, 4])):
                meeting = rng.randint(81_000_000_000, 89_999_999_999)
                detail = f"Delete Recording  - Topic: {rng.choice(_TOPICS)} - Meeting ID: {meeting}"
                out.append(operation(ts, h.email, "Recording", "Delete", detail))
                ts += rng.randint(60, 1200)

    def _owner(self, out: list[Entry]) -> None:
        """The long-standing admin: something every few weeks (plan, billing contact)."""
        owner, billing = self.people.staff[OWNER], self.people.staff[BILLING]
        rng = self.rng("owner")
        day = rng.randint(3, 12)
        while day < self.days:
            if self.date(day).weekday() < 5 and owner.active(day):
                plan = rng.choice(["Large Meetings 1000", "Cloud Recording 3TB", "Zoom Webinars 500"])
                old = rng.randint(1, 3)
                detail = f"Update Plan  - {plan}: from {old} to {old + 1}"
                out.append(operation(self._work_ts(rng, owner, day), owner.email, "Billing", "Update", detail))
                day += rng.randint(14, 24)
            else:
                day += 1
        day = rng.randint(5, max(5, self.days - 1))
        if day < self.days and billing.active(day):
            detail = f"Billing Contact  - Email: from ap@{DOMAIN} to accounts.payable@{DOMAIN}"
            out.append(operation(self._work_ts(rng, billing, day), billing.email, "Billing", "Update", detail))


# Settings the IT team tightens over the weeks (category, detail).
_STRICTER = [
    ("Account", "Security  - Waiting Room: from Off to On"),
    ("Account", "Schedule Meeting  - Require a passcode when scheduling new meetings: from Off to On"),
    ("Account", "Security  - Sign in with Two-Factor Authentication: from Off to On"),
    ("Account", "In Meeting (Basic)  - Remote control: from On to Off"),
    ("Account", "In Meeting (Basic)  - File transfer: from On to Off"),
    ("Account", "Recording  - Automatic recording: from Off to On"),
    ("Account", "Security  - Only authenticated users can join meetings: from Off to On"),
    (
        "Account",
        "Sign-In Password Requirement  - Have at least specified length of characters: from 8 to 12"
        " - Include at least 1 special character: from Off to On",
    ),
    ("Account", "Security  - Automatically sign users out after a specified time: from Off to On"),
    ("User Group", "Edit Group Sales  - Personal Meeting ID (PMI) Passcode: from Off to On"),
    (
        "User Group",
        "Edit Group Engineering  - Waiting room: from Off to On - Mute participants upon entry: from Off to On",
    ),
    ("Account", "Zoom App Marketplace  - Require admin pre-approval: from Off to On"),
]
_GROUPS = ["Engineering", "Sales", "Customer Success", "Marketing", "Product", "Finance", "People", "Legal", "IT"]
_NEW_GROUPS = ["Project Atlas", "Interns 2026", "EMEA Sales", "Incident Bridge", "Board Observers"]
_ROOMS = ["NYC-12F Boardroom", "LON Huddle 3", "BER Focus 2", "SIN Training", "SAO All-Hands"]
_TOPICS = [
    "Weekly Sync",
    "1:1",
    "Customer Call - Contoso",
    "Interview Loop",
    "All-Hands",
    "Sprint Review",
    "Vendor Demo",
    "Team Offsite Planning",
]
