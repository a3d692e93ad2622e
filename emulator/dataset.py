"""Record generation: one UTC day of sign-in/out, operation or meeting records at a time.

Each day draws from its own RNG seeded by (seed, kind, day), so days can be made
lazily, in any order, in any process, and always come out identical. Meetings are
in meetings.py.
"""

from __future__ import annotations

import random
from datetime import date

from . import opdetails
from .account import PLACES, Account, User, v4_host, v6_host
from .config import EmulatorConfig
from .meetings import KIND as MEETING_KIND
from .meetings import MeetingGenerator
from .timeutil import DAY, day_of, day_start, hms_table

Entry = tuple[int, dict]  # (epoch seconds, record)

# Busier on weekdays; the factors average to 1 over a week so the configured
# per-day means hold.
_ACTIVITY_FACTOR = (1.2, 1.2, 1.2, 1.2, 1.2, 0.5, 0.5)
_OPERATION_FACTOR = (1.3, 1.3, 1.3, 1.3, 1.3, 0.25, 0.25)
_ANOMALY_PLACES = list(PLACES.values())
_POOL_SIZE = 4000


def _volume(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    return max(0, round(rng.gauss(mean, mean**0.5)))


_VERSIONS: dict[tuple[int, str], str] = {}
_RELEASE_6_0 = date(2024, 1, 1).toordinal() // 14


def client_version(release: int, client: str) -> str:
    """Zoom-like client version (e.g. 5.17.5.31030) for a fortnightly release index."""
    if client == "Browser":
        return "-"
    key = (release, client)
    text = _VERSIONS.get(key)
    if text is None:
        # Monotonic: a client never appears to downgrade as days pass; 6.0 in early 2024,
        # a new major every two years, a minor every eight weeks.
        n = release - _RELEASE_6_0
        major = 6 + n // 52
        minor = (n % 52) // 4
        patch = (n % 4) * 5
        build = 10000 + (release * 7919 + len(client) * 131) % 30000
        text = _VERSIONS[key] = f"{major}.{minor}.{patch}.{build}"
    return text


class Generator:
    def __init__(self, cfg: EmulatorConfig) -> None:
        self.cfg = cfg
        self.seed = cfg.seed
        self.account = Account(cfg.seed, cfg.users)
        self._op_pool = None
        self.meetings = MeetingGenerator(
            cfg.seed, self.account, cfg.meetings_per_day, cfg.repeat_rate, cfg.remote_control
        )

    # ---- sign-in / sign-out -------------------------------------------------
    def _day_context(self, user: User, ordinal: int, weekday: int):
        """Per (user, day) facts that do not change between that day's sessions."""
        trip = self.account.trip(user, ordinal)
        release = (ordinal - user.version_lag) // 14
        versions = [client_version(release, c) for c in user.devices]
        office = weekday < 5 and user.in_office and trip is None
        return trip, versions, office

    def _session(self, rng: random.Random, user: User, ctx) -> tuple[str, float, str, str]:
        """IP address, local UTC offset, client type and version for one session."""
        trip, versions, office = ctx
        rand = rng.random
        r = rand()
        if r < 0.002:
            # Rare sign-in from somewhere the user never goes: what detections look for.
            place = _ANOMALY_PLACES[int(rand() * len(_ANOMALY_PLACES))]
            ip, offset = v6_host(place, rng), place.utc_offset
        elif trip is not None:
            ip = trip.hotel_ip if r < 0.8 else v4_host(trip.place, 1 + int(rand() * 62))
            offset = trip.place.utc_offset
        elif office and r < 0.65:
            ip, offset = self.account.office_ip(user.home, rand()), user.home.utc_offset
        elif user.home_ip6 is not None and r > 0.6:
            ip, offset = user.home_ip6, user.home.utc_offset
        else:
            ip, offset = user.home_ip, user.home.utc_offset
        i = int(rand() * len(versions))
        return ip, offset, user.devices[i], versions[i]

    def activity_day(self, d: date) -> list[Entry]:
        rng = random.Random(f"zoom-emulator:{self.seed}:activity:{d.isoformat()}")
        rand = rng.random
        acct = self.account
        base, prefix, hms = day_start(d), d.isoformat() + "T", hms_table()
        ordinal, weekday = d.toordinal(), d.weekday()
        target = _volume(rng, self.cfg.activity_per_day * _ACTIVITY_FACTOR[weekday])
        contexts: dict = {}
        out: list[Entry] = []
        append = out.append
        session = self._session
        while len(out) < target:
            for user in rng.choices(acct.users, cum_weights=acct.cum_user_weights, k=target // 2 + 2):
                if len(out) >= target:
                    break
                ctx = contexts.get(user.index)
                if ctx is None:
                    ctx = contexts[user.index] = self._day_context(user, ordinal, weekday)
                ip, offset, client, version = session(rng, user, ctx)
                hour = user.work_hour + rand() * 9.5
                if rand() < 0.12:
                    hour += 4 + rand() * 6  # evening catch-up
                sec = int((hour - offset) * 3600) % DAY
                email = user.email
                append(
                    (
                        base + sec,
                        {
                            "email": email,
                            "time": prefix + hms[sec] + "Z",
                            "type": "Sign in",
                            "ip_address": ip,
                            "client_type": client,
                            "version": version,
                        },
                    )
                )
                if rand() < 0.8:
                    end = sec + 60 + int(rng.expovariate(1 / 7200))
                    if end < DAY:
                        append(
                            (
                                base + end,
                                {
                                    "email": email,
                                    "time": prefix + hms[end] + "Z",
                                    "type": "Sign out",
                                    "ip_address": ip,
                                    "client_type": client,
                                    "version": version,
                                },
                            )
                        )
        # Records on the day boundary: 23:59:59 and 00:00:00 belong to different days.
        for sec, kind in ((0, "Sign out"), (DAY - 1, "Sign in")):
            if target and rand() < 0.6:
                user = rng.choice(acct.users)
                ip, _, client, version = session(rng, user, self._day_context(user, ordinal, weekday))
                append(
                    (
                        base + sec,
                        {
                            "email": user.email,
                            "time": prefix + hms[sec] + "Z",
                            "type": kind,
                            "ip_address": ip,
                            "client_type": client,
                            "version": version,
                        },
                    )
                )
        return self._with_repeats(rng, out)

    # ---- operation logs -----------------------------------------------------
    def _pool(self):
        """Operation wordings drawn once per seed; days pick from it.

        Building a detail string costs several microseconds; a million-record
        backfill would spend seconds on it. A few thousand seeded variants keep
        the variety while days stay cheap.
        """
        if self._op_pool is None:
            rng = random.Random(f"zoom-emulator:{self.seed}:operation-pool")
            funcs = opdetails.TEMPLATE_FUNCS
            pool, by_template = [], {}
            # Every template at least a few times, the rest by weight.
            drawn = funcs * 4 + rng.choices(funcs, cum_weights=opdetails.CUM_WEIGHTS, k=_POOL_SIZE)
            rng.shuffle(drawn)
            for template in drawn:
                category, action, detail, scim = template(rng, self.account)
                by_template.setdefault(template, []).append(len(pool))
                pool.append((category, action, detail, scim, template))
            self._op_pool = (pool, by_template)
        return self._op_pool

    def _operation(self, rng: random.Random, sec: int, prefix: str, hms: list[str]) -> dict:
        pool, _ = self._pool()
        category, action, detail, scim, _t = pool[int(rng.random() * len(pool))]
        acct = self.account
        operator = acct.scim_operator.email if scim else rng.choices(acct.admins, acct.admin_weights)[0].email
        return {
            "time": prefix + hms[sec] + "Z",
            "operator": operator,
            "category_type": category,
            "action": action,
            "operation_detail": detail,
        }

    def operation_day(self, d: date) -> list[Entry]:
        rng = random.Random(f"zoom-emulator:{self.seed}:operation:{d.isoformat()}")
        rand = rng.random
        acct = self.account
        pool, by_template = self._pool()
        npool = len(pool)
        base, prefix, hms = day_start(d), d.isoformat() + "T", hms_table()
        target = _volume(rng, self.cfg.operation_per_day * _OPERATION_FACTOR[d.weekday()])
        out: list[Entry] = []
        append = out.append
        scim_email = acct.scim_operator.email
        # A nightly identity-provider sync lands exactly at midnight, several records in one second.
        if target and rand() < 0.4:
            scim = by_template[opdetails.scim_update]
            for _ in range(rng.randint(2, 5)):
                category, action, detail, _s, _t = pool[scim[int(rand() * len(scim))]]
                append(
                    (
                        base,
                        {
                            "time": prefix + hms[0] + "Z",
                            "operator": scim_email,
                            "category_type": category,
                            "action": action,
                            "operation_detail": detail,
                        },
                    )
                )
        while len(out) < target:
            for admin in rng.choices(acct.admins, acct.admin_weights, k=target + 1):
                if len(out) >= target:
                    break
                category, action, detail, scim, template = pool[int(rand() * npool)]
                if scim:
                    operator, sec = scim_email, int(rand() * DAY)
                else:
                    operator = admin.email
                    hour = 8 + rand() * 10 + (rand() < 0.05) * 8  # some out-of-hours work
                    sec = int((hour - admin.home.utc_offset) * 3600) % DAY
                time = prefix + hms[sec] + "Z"
                append(
                    (
                        base + sec,
                        {
                            "time": time,
                            "operator": operator,
                            "category_type": category,
                            "action": action,
                            "operation_detail": detail,
                        },
                    )
                )
                if rand() < 0.06:
                    # Bulk actions: the same admin, the same kind of change, the same second.
                    same = by_template[template]
                    for _ in range(1 + int(rand() * 3)):
                        category, action, detail, _s, _t = pool[same[int(rand() * len(same))]]
                        append(
                            (
                                base + sec,
                                {
                                    "time": time,
                                    "operator": operator,
                                    "category_type": category,
                                    "action": action,
                                    "operation_detail": detail,
                                },
                            )
                        )
        if target and rand() < 0.3:
            append((base + DAY - 1, self._operation(rng, DAY - 1, prefix, hms)))
        return self._with_repeats(rng, out)

    # ---- shared -------------------------------------------------------------
    def _with_repeats(self, rng: random.Random, entries: list[Entry]) -> list[Entry]:
        """Add exact true repeats (same second, same fields), each right after its twin."""
        rate = self.cfg.repeat_rate
        if rate <= 0:
            return entries
        out: list[Entry] = []
        append = out.append
        rand = rng.random
        for ts, rec in entries:
            append((ts, rec))
            if rand() < rate:
                append((ts, dict(rec)))
        return out

    def day(self, kind: str, d: date) -> list[Entry]:
        """(time, record) of one UTC day: epoch seconds, or milliseconds for meetings."""
        if kind == MEETING_KIND:
            return self.meetings.day(d)
        return self.activity_day(d) if kind == "activity" else self.operation_day(d)

    def arrival(self, kind: str, ts: int, serial: int) -> dict:
        """One fresh record at `ts` (records arriving while a client pages): epoch seconds,
        or milliseconds for meetings."""
        if kind == MEETING_KIND:
            return self.meetings.arrival(ts, serial)
        rng = random.Random(f"zoom-emulator:{self.seed}:arrival:{kind}:{serial}")
        d = day_of(ts)
        sec, prefix, hms = ts % DAY, d.isoformat() + "T", hms_table()
        if kind == "activity":
            user = rng.choices(self.account.users, cum_weights=self.account.cum_user_weights)[0]
            ctx = self._day_context(user, d.toordinal(), d.weekday())
            ip, _, client, version = self._session(rng, user, ctx)
            return {
                "email": user.email,
                "time": prefix + hms[sec] + "Z",
                "type": rng.choice(("Sign in", "Sign out")),
                "ip_address": ip,
                "client_type": client,
                "version": version,
            }
        return self._operation(rng, sec, prefix, hms)
