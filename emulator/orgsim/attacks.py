"""The attack set: eight scenarios hidden in the ordinary weeks, each step a ground truth.

Subtler than the demo's story: low and slow, over days, security changes buried in
multi-change records, and the account's own infrastructure (its proxy egress, its VPN, its
SCIM service account, a home ISP its staff use) turned against it. Every step is records a
log shows: a sign-in (entity: the user signing in), an operation (entity: the operator), or
records inside one meeting (entity: the meeting ID without spaces, zoom.meeting.id), or a
user's meeting creations (entity: the user).
Scenarios are placed at fixed fractions of the span, on weekdays unless the story says
otherwise, so they fall after any detection's learning period and among ordinary work.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from ..meetings import CREATED, ENDED, STARTED, WEBMAIL_DOMAINS, meeting_number
from ..timeutil import day_start
from .benign import Entry, _ts, activity, operation, version_of
from .meetings import MeetingEntry, chat, host_event, joined, left, remote
from .places import AddressPlan
from .world import (
    BILLING,
    DOMAIN,
    HELPDESK_LONDON,
    IT_CONTRACTOR,
    IT_LEAD,
    IT_LONDON,
    IT_REMOTE,
    OWNER,
    SCIM_OPERATOR,
    Infrastructure,
    People,
    Person,
)

MIN_DAYS = 28  # the dormant-account story needs four quiet weeks


@dataclass(frozen=True)
class Step:
    scenario: str
    step: int
    description: str
    entity: str
    entries: tuple[Entry, ...]
    meetings: tuple[MeetingEntry, ...] = ()  # meeting activity records (epoch ms)


class Attacks:
    def __init__(self, seed: int, start: date, days: int, infra: Infrastructure, people: People, plan: AddressPlan):
        if days < MIN_DAYS:
            raise ValueError(f"attacks need at least {MIN_DAYS} days (the dormant-account story), not {days}")
        self.rng = random.Random(f"orgsim:{seed}:attacks")
        # The meeting scenarios draw from their own stream: the others are the same without them.
        self.mrng = random.Random(f"orgsim:{seed}:attacks:meetings")
        self.start, self.days, self.infra, self.people = start, days, infra, people
        # Rented servers (after every benign network, so benign addresses never move).
        self.vps_ro = plan.v4("Bucharest", "Example VPS Hosting RO (benchmark)", "hosting", "attacker")
        self.vps_vn = plan.v4("Hanoi", "Example Cloud Asia VN (benchmark)", "hosting", "attacker")

    def date(self, day: int) -> date:
        return self.start + timedelta(days=day)

    def weekday(self, fraction: float, at_least: int = 8) -> int:
        day = min(self.days - 2, max(at_least, round(self.days * fraction)))
        while self.date(day).weekday() >= 5 and day < self.days - 1:
            day += 1
        return day

    def at(self, day: int, hour: float, who: Person) -> int:
        return _ts(day_start(self.date(day)), hour, who.home) + self.rng.randint(0, 59)

    def member(self, day: int, exclude: set[str]) -> Person:
        """An ordinary member active that day (a puppet account or a victim)."""
        pool = [p for p in self.people.staff[10:] if p.active(day) and p.role == "Member" and p.email not in exclude]
        return self.rng.choice(pool or self.people.staff[10:])

    def residential(self, victim: Person) -> str:
        """A residential proxy exit in the victim's own city, on a broadband ISP staff use."""
        isps = self.infra.homes[victim.home.name]
        other = [n for n in isps if n != victim.home_isp] or isps
        return self.rng.choice(other).host(self.rng.randint(1, 250))

    def steps(self, meetings: bool = True) -> list[Step]:
        out: list[Step] = []
        for scenario in (
            self.residential_admin,
            self.buried_weakening,
            self.recording_trickle,
            self.scim_promotion,
            self.remote_control_then_new_country,
            self.proxy_owner_transfer,
            self.dormant_contractor_sso,
            self.vpn_billing,
        ):
            out += scenario()
        if meetings:
            for scenario in (
                self.elusive_comet,
                self.fake_it_support,
                self.meeting_burst,
                self.remote_control_enabled_then_outsider,
            ):
                out += scenario()
        return out

    # ---- scenarios ------------------------------------------------------------------
    def residential_admin(self) -> list[Step]:
        name = "residential-proxy-admin-session"
        admin = self.people.staff[IT_LONDON]
        a = self.weekday(0.30)
        b = self.weekday((a + 3) / self.days)
        c = min(self.days - 1, b + 1)
        ip1, ip2 = self.residential(admin), self.residential(admin)
        t1 = self.at(a, 10.6, admin)
        s1 = (activity(t1, admin.email, "Sign in", ip1, "Browser", "-"),)
        t2 = self.at(b, 14.1, admin)
        puppet = self.member(b, {admin.email})
        s2 = (
            activity(t2, admin.email, "Sign in", ip2, "Browser", "-"),
            operation(
                t2 + 380, admin.email, "User", "Batch Update", f"Change Role  - {puppet.email}: from Member to Admin"
            ),
        )
        t3 = self.at(c, 15.0, puppet)
        detail = "Sign-in Methods  - Allow users to sign in with Google: from Off to On"
        s3 = (
            activity(t3, puppet.email, "Sign in", ip2, "Browser", "-"),
            operation(t3 + 540, puppet.email, "Account", "Update", detail),
        )
        return [
            Step(
                name, 1, "stolen admin session used from a residential proxy in the admin's own city", admin.email, s1
            ),
            Step(name, 2, "days later, same proxy ISP: a member is granted Admin", admin.email, s2),
            Step(name, 3, "the new admin enables Google sign-in (a second way in)", puppet.email, s3),
        ]

    def buried_weakening(self) -> list[Step]:
        name = "weakening-buried-in-multi-change"
        admin = self.people.staff[IT_REMOTE]
        a = self.weekday(0.40)
        b = self.weekday((a + 2) / self.days)
        c = self.weekday((a + 5) / self.days)
        s1 = operation(
            self.at(a, 11.2, admin),
            admin.email,
            "Account",
            "Update",
            "Sign-In Password Requirement  - Include at least 1 special character: from Off to On"
            " - Have at least specified length of characters: from 12 to 8"
            " - Cannot contain consecutive characters: from Off to On",
        )
        s2 = operation(
            self.at(b, 15.4, admin),
            admin.email,
            "Account",
            "Update",
            "Security  - Waiting Room: from Off to On - Sign in with Two-Factor Authentication: from On to Off"
            " - Only authenticated users can join meetings: from Off to On",
        )
        s3 = operation(
            self.at(c, 10.3, admin),
            admin.email,
            "Account",
            "Update",
            "Security  - Allow users to change their name: from On to Off"
            " - Automatically sign users out after a specified time: from On to Off",
        )
        return [
            Step(name, 1, "minimum password length 12 -> 8 among two stricter password rules", admin.email, (s1,)),
            Step(name, 2, "two-factor sign-in turned off between two stricter meeting settings", admin.email, (s2,)),
            Step(name, 3, "automatic sign-out turned off next to a stricter setting", admin.email, (s3,)),
        ]

    def recording_trickle(self) -> list[Step]:
        name = "help-desk-recording-trickle"
        desk = self.people.staff[HELPDESK_LONDON]
        first = self.weekday(0.52)
        steps, day, n = [], first, 1
        topics = [
            "Board Meeting Prep",
            "Legal - Litigation Hold Review",
            "Q3 Forecast - CFO",
            "Project Falcon - Diligence",
            "Exec Staff",
            "Comp Committee",
        ]
        while n <= 3 and day < self.days:
            if self.date(day).weekday() < 5:
                ts = self.at(day, 9.4, desk)
                entries = []
                while True:
                    meeting = self.rng.randint(81_000_000_000, 89_999_999_999)
                    detail = f"Delete Recording  - Topic: {self.rng.choice(topics)} - Meeting ID: {meeting}"
                    entries.append(operation(ts, desk.email, "Recording", "Delete", detail))
                    ts += self.rng.randint(95 * 60, 150 * 60)
                    if ts > self.at(day, 17.6, desk):
                        break
                steps.append(
                    Step(
                        name,
                        n,
                        "recordings of executive meetings deleted one every couple of hours",
                        desk.email,
                        tuple(entries),
                    )
                )
                n += 1
            day += 1
        return steps

    def scim_promotion(self) -> list[Step]:
        name = "scim-token-promotes-admin"
        day = self.weekday(0.62)
        puppet = self.member(day, set())
        burst = day_start(self.date(day)) + 2 * 3600 + 150  # inside the nightly sync's minutes
        s1 = operation(
            burst,
            SCIM_OPERATOR,
            "User",
            "SCIM API - Update",
            f"Edit User {puppet.email}  - User Role: from Member to Admin",
        )
        t2 = self.at(day, 9.7, puppet)
        s2 = activity(t2, puppet.email, "Sign in", self.vps_ro.host(self.rng.randint(1, 250)), "Browser", "-")
        backdoor = f"it-support@{DOMAIN}"
        s3 = (
            operation(
                t2 + 1500, puppet.email, "User", "Add", f"Add User {backdoor}  - User Type: Licensed - Department: IT"
            ),
            operation(
                t2 + 1620, puppet.email, "User", "Batch Update", f"Change Role  - {backdoor}: from Member to Admin"
            ),
        )
        return [
            Step(
                name,
                1,
                "the identity provider's SCIM token makes a member Admin inside the nightly sync",
                SCIM_OPERATOR,
                (s1,),
            ),
            Step(name, 2, "the promoted member signs in from a rented server abroad", puppet.email, (s2,)),
            Step(name, 3, "a backdoor user is added and made Admin", puppet.email, s3),
        ]

    def remote_control_then_new_country(self) -> list[Step]:
        name = "remote-control-then-new-country"
        lead = self.people.staff[IT_LEAD]
        a = self.weekday(0.70)
        b = self.weekday((a + 1) / self.days)
        victim = self.member(b, set())
        detail = (
            "In Meeting (Basic)  - Remote control: from Off to On"
            " - Allow remote controlling user to share clipboard: from Off to On"
        )
        s1 = operation(self.at(a, 16.8, lead), lead.email, "Account", "Update", detail)
        t2 = self.at(b, 10.2, victim)
        ip = self.vps_vn.host(self.rng.randint(1, 250))
        client = victim.desktop
        s2 = (
            activity(t2, victim.email, "Sign in", ip, client, version_of(victim, client, self.date(b))),
            activity(t2 + 2900, victim.email, "Sign out", ip, client, version_of(victim, client, self.date(b))),
        )
        return [
            Step(name, 1, "remote control enabled account-wide (ELUSIVE COMET's precondition)", lead.email, (s1,)),
            Step(name, 2, "a day later a targeted user signs in from a new country, hosting", victim.email, s2),
        ]

    def proxy_owner_transfer(self) -> list[Step]:
        name = "proxy-egress-owner-transfer"
        owner = self.people.staff[OWNER]
        day = self.weekday(0.78)
        node = self.infra.proxy["New York"]
        ip = self.infra.proxy_address(node, self.rng.random())  # the company's own, known egress
        t1 = self.at(day, 21.2, owner)
        s1 = activity(t1, owner.email, "Sign in", ip, "Browser", "-")
        heir = self.member(day, {owner.email})
        s2 = operation(
            t1 + 840, owner.email, "User", "Batch Update", f"Change Role  - {heir.email}: from Member to Owner"
        )
        return [
            Step(
                name,
                1,
                "the owner signs in through the company's own proxy egress, in a browser for the first time",
                owner.email,
                (s1,),
            ),
            Step(name, 2, "account ownership handed to an ordinary member", owner.email, (s2,)),
        ]

    def dormant_contractor_sso(self) -> list[Step]:
        name = "dormant-admin-changes-sso"
        contractor = self.people.staff[IT_CONTRACTOR]
        quiet_from = (contractor.idle_after or 0) + 1
        day = self.weekday(0.86, at_least=min(self.days - 2, quiet_from + 28))
        t1 = self.at(day, 11.0, contractor)
        s1 = activity(t1, contractor.email, "Sign in", self.residential(contractor), "Browser", "-")
        detail = (
            "Single Sign-On  - Sign-in page URL: from https://example.okta.com/app/zoom/sso/saml"
            " to https://example-okta.sso-login.example.net/saml - Identity provider certificate: from 7d41 to 0c9e"
        )
        s2 = operation(t1 + 1320, contractor.email, "Account", "Update", detail)
        return [
            Step(
                name,
                1,
                "a contractor's admin account, silent for weeks, signs in from its home country",
                contractor.email,
                (s1,),
            ),
            Step(name, 2, "single sign-on pointed at another identity provider", contractor.email, (s2,)),
        ]

    def vpn_billing(self) -> list[Step]:
        name = "corporate-vpn-billing-contact"
        billing = self.people.staff[BILLING]
        day = min(self.days - 1, round(self.days * 0.92))
        while self.date(day).weekday() != 5 and day > 0:  # a Saturday night
            day -= 1
        ip = self.infra.vpn.host(10 + self.rng.randint(0, 1))
        t1 = self.at(day, 3.25, billing)
        s1 = activity(t1, billing.email, "Sign in", ip, "win", version_of(billing, "win", self.date(day)))
        detail = f"Billing Contact  - Email: from accounts.payable@{DOMAIN} to accounts.payable@examp1e-billing.com"
        s2 = operation(t1 + 540, billing.email, "Billing", "Update", detail)
        return [
            Step(
                name,
                1,
                "the billing admin signs in over the corporate VPN at 3 a.m. on a Saturday, new client type",
                billing.email,
                (s1,),
            ),
            Step(name, 2, "the billing contact moved to a look-alike domain", billing.email, (s2,)),
        ]

    # ---- inside meetings ---------------------------------------------------------------
    def victim(self, day: int, departments: tuple[str, ...]) -> Person:
        """A member of these departments at work that day (from the meeting stream)."""
        pool = [
            p
            for p in self.people.staff[10:]
            if p.active(day) and p.role == "Member" and p.department in departments and self.date(day).weekday() < 5
        ]
        return self.mrng.choice(pool or self.people.staff[10:])

    def local_ms(self, day: int, hour: float, who: Person) -> int:
        return (day_start(self.date(day)) + int((hour - who.home.utc_offset) * 3600)) * 1000 + self.mrng.randint(
            0, 59_999
        )

    def number(self) -> str:
        return meeting_number(self.mrng.randint(2_000_000_000, 9_999_999_999))

    def control_session(
        self, number: str, t: int, name: str, email: str, target: str
    ) -> tuple[list[MeetingEntry], int]:
        """The outsider asks for control, the victim grants it, minutes later it stops."""
        rng = self.mrng
        out = [remote(number, t, name, email, "requested", target)]
        t += rng.randint(4_000, 25_000)
        out.append(remote(number, t, name, email, "started", target))
        t += rng.randint(4 * 60_000, 14 * 60_000)
        out.append(remote(number, t, name, email, "stopped", target))
        return out, t

    def elusive_comet(self) -> list[Step]:
        """A fake podcast invitation: the victim schedules the "interview" on the company's
        Zoom (the report lists the account's meetings, so this is the variant it can show);
        the interviewer joins as "Zoom" without signing in, alone with the victim, and asks
        for control of the screen the victim shares."""
        name = "elusive-comet-fake-interview"
        rng = self.mrng
        day = self.weekday(0.36)
        victim = self.victim(day, ("Finance", "Product", "Marketing"))
        vname = f"{victim.first} {victim.last}"
        number = self.number()
        start = self.local_ms(day, 15.5, victim)
        created = start - rng.randint(2, 4) * 86_400_000 + rng.randint(-3, 3) * 3_600_000
        s1 = [
            host_event(number, created, vname, victim.email, CREATED),
            host_event(number, start, vname, victim.email, STARTED),
            joined(number, start + rng.randint(500, 3000), vname, victim.email),
        ]
        t = start + rng.randint(40_000, 180_000)
        s1.append(joined(number, t, "Zoom", ""))
        t += rng.randint(5 * 60_000, 12 * 60_000)
        s2, t = self.control_session(number, t, "Zoom", "", vname)
        t += rng.randint(20_000, 90_000)
        s2 += [left(number, t, "Zoom", ""), left(number, t + rng.randint(2_000, 30_000), vname, victim.email)]
        s2.append(host_event(number, t + rng.randint(31_000, 40_000), vname, victim.email, ENDED))
        entity = number.replace(" ", "")
        return [
            Step(
                name,
                1,
                'the fake interviewer joins as "Zoom" without signing in, alone with the victim',
                entity,
                (),
                tuple(s1),
            ),
            Step(
                name,
                2,
                "the interviewer requests and gets remote control of the victim's screen",
                entity,
                (),
                tuple(s2),
            ),
        ]

    def fake_it_support(self) -> list[Step]:
        """A call from "IT": the victim starts a meeting and shares the link; the caller joins
        as "IT Support" from a webmail address and takes control of the screen."""
        name = "fake-it-support-remote-control"
        rng = self.mrng
        day = self.weekday(0.56)
        victim = self.victim(day, ("Sales", "Customer Success", "Marketing", "People"))
        vname = f"{victim.first} {victim.last}"
        number = meeting_number(rng.randint(2_000_000_000, 9_999_999_999))
        start = self.local_ms(day, 11.2, victim)
        email = f"it.support.helpdesk{rng.randint(10, 99)}@{rng.choice(WEBMAIL_DOMAINS)}"
        s1 = [
            host_event(number, start - rng.randint(3_000, 20_000), vname, victim.email, CREATED),
            host_event(number, start, vname, victim.email, STARTED),
            joined(number, start + rng.randint(500, 3000), vname, victim.email),
        ]
        t = start + rng.randint(30_000, 120_000)
        s1.append(joined(number, t, "IT Support", email))
        t += rng.randint(60_000, 240_000)
        s2 = [chat(number, t, "IT Support", email)]
        more, t = self.control_session(number, t + rng.randint(20_000, 60_000), "IT Support", email, vname)
        s2 += more
        t += rng.randint(10_000, 60_000)
        s2 += [left(number, t, "IT Support", email), left(number, t + rng.randint(2_000, 20_000), vname, victim.email)]
        s2.append(host_event(number, t + rng.randint(21_000, 30_000), vname, victim.email, ENDED))
        entity = number.replace(" ", "")
        return [
            Step(
                name,
                1,
                '"IT Support" on webmail joins a meeting the victim just started, alone with them',
                entity,
                (),
                tuple(s1),
            ),
            Step(
                name,
                2,
                "the fake IT support requests and gets remote control of the victim's screen",
                entity,
                (),
                tuple(s2),
            ),
        ]

    def meeting_burst(self) -> list[Step]:
        """A compromised account creates a burst of meetings at 3 a.m. its own time: their
        links go out in phishing mail (the meetings never start)."""
        name = "compromised-account-meeting-burst"
        rng = self.mrng
        day = self.weekday(0.66)
        victim = self.victim(day, ("Sales",))
        vname = f"{victim.first} {victim.last}"
        t = self.local_ms(day, 3.1, victim)
        out = []
        for _ in range(rng.randint(18, 28)):
            t += rng.randint(4_000, 25_000)
            out.append(host_event(self.number(), t, vname, victim.email, CREATED))
        return [
            Step(
                name,
                1,
                "a member's account creates two dozen meetings at 3 a.m. local time",
                victim.email,
                (),
                tuple(out),
            )
        ]

    def remote_control_enabled_then_outsider(self) -> list[Step]:
        """An admin turns remote control on for the whole account; within hours an outsider
        who did not sign in is given control of a member's screen in a one-to-one meeting."""
        name = "remote-control-enabled-then-outsider"
        rng = self.mrng
        admin = self.people.staff[IT_REMOTE]
        day = self.weekday(0.46)
        t1 = _ts(day_start(self.date(day)), 9.8, admin.home) + rng.randint(0, 59)
        detail = "In Meeting (Basic)  - Remote control: from Off to On"
        s1 = operation(t1, admin.email, "Account", "Update", detail)
        victim = self.victim(day, ("Finance", "Legal", "Product"))
        vname = f"{victim.first} {victim.last}"
        number = self.number()
        start = t1 * 1000 + rng.randint(90, 180) * 60_000
        guest = rng.choice(["Jordan", "Support Desk", "Alex M"])
        s2 = [
            host_event(number, start - rng.randint(5_000, 40_000), vname, victim.email, CREATED),
            host_event(number, start, vname, victim.email, STARTED),
            joined(number, start + rng.randint(500, 3000), vname, victim.email),
        ]
        t = start + rng.randint(30_000, 200_000)
        s2.append(joined(number, t, guest, ""))
        more, t = self.control_session(number, t + rng.randint(120_000, 400_000), guest, "", vname)
        s2 += more
        t += rng.randint(10_000, 60_000)
        s2 += [left(number, t, guest, ""), left(number, t + rng.randint(2_000, 20_000), vname, victim.email)]
        s2.append(host_event(number, t + rng.randint(21_000, 30_000), vname, victim.email, ENDED))
        return [
            Step(name, 1, "remote control turned on for the whole account", admin.email, (s1,)),
            Step(
                name,
                2,
                "hours later its first use by an outsider: a guest without email controls a member's screen",
                number.replace(" ", ""),
                (),
                tuple(s2),
            ),
        ]
