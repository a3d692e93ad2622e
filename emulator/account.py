"""The emulated Zoom account: its users, their devices, homes, offices and trips.

Everything is derived from the seed alone, so any day of records can be generated
on its own, in any order, and come out the same.
"""

from __future__ import annotations

import ipaddress
import random
from dataclasses import dataclass, field

from . import geo

DOMAIN = "example.com"

_FIRST = [
    "Ada",
    "Ahmed",
    "Aiko",
    "Alejandro",
    "Amara",
    "Ana",
    "Anders",
    "Arjun",
    "Beatriz",
    "Chen",
    "Chiamaka",
    "Chloe",
    "Daniel",
    "Dmitri",
    "Elena",
    "Emeka",
    "Emma",
    "Fatima",
    "Felix",
    "Grace",
    "Hana",
    "Hiroshi",
    "Ibrahim",
    "Isabel",
    "James",
    "Jia",
    "Johan",
    "Kwame",
    "Laura",
    "Leila",
    "Liam",
    "Lucas",
    "Mai",
    "Marco",
    "Maria",
    "Mei",
    "Mohammed",
    "Nadia",
    "Noah",
    "Olivia",
    "Omar",
    "Priya",
    "Rafael",
    "Rahul",
    "Sakura",
    "Samuel",
    "Sofia",
    "Tariq",
    "Thomas",
    "Valentina",
    "Wei",
    "Yuki",
    "Zara",
    "Zoe",
]
_LAST = [
    "Adeyemi",
    "Andersson",
    "Baker",
    "Bauer",
    "Chen",
    "Costa",
    "Dubois",
    "Evans",
    "Fischer",
    "Garcia",
    "Gupta",
    "Haddad",
    "Hughes",
    "Ito",
    "Johnson",
    "Kim",
    "Kowalski",
    "Kumar",
    "Lee",
    "Lopez",
    "Martin",
    "Miller",
    "Moreau",
    "Murphy",
    "Nakamura",
    "Nguyen",
    "Novak",
    "Okafor",
    "Oliveira",
    "Patel",
    "Petrov",
    "Rossi",
    "Santos",
    "Schmidt",
    "Silva",
    "Singh",
    "Smith",
    "Suzuki",
    "Tanaka",
    "Taylor",
    "Walker",
    "Wang",
    "Williams",
    "Wright",
    "Yamamoto",
    "Zhang",
]

# Where staff live (city, weight); the company is headquartered in New York.
_HOMES = [
    ("New York", 30),
    ("San Francisco", 14),
    ("London", 14),
    ("Frankfurt", 6),
    ("Paris", 5),
    ("Tokyo", 6),
    ("Singapore", 4),
    ("Mumbai", 6),
    ("Sydney", 4),
    ("São Paulo", 4),
    ("Lagos", 3),
    ("Toronto", 4),
]
# Cities with an office: staff there sign in from a few shared NAT addresses.
_OFFICES = {"New York", "London", "Tokyo", "San Francisco"}

_DESKTOPS = ["win", "mac", "linux"]
_DESKTOP_WEIGHTS = [50, 42, 8]
_MOBILES = ["iPhone", "android", "iPad"]
_MOBILE_WEIGHTS = [50, 38, 12]


@dataclass(frozen=True)
class Place:
    city: str
    utc_offset: float
    v4_base: int  # first address of the /26
    v6_base: int  # first address of the /48


def _places() -> dict[str, Place]:
    out: dict[str, Place] = {}
    for block in geo.GEO_BLOCKS:
        net = ipaddress.ip_network(block.network)
        prev = out.get(block.city)
        v4 = int(net.network_address) if net.version == 4 else (prev.v4_base if prev else 0)
        v6 = int(net.network_address) if net.version == 6 else (prev.v6_base if prev else 0)
        out[block.city] = Place(block.city, block.utc_offset, v4, v6)
    return out


PLACES = _places()
V4_CITIES = [c for c, p in PLACES.items() if p.v4_base]


_V4_TEXT: dict[int, str] = {}


def v4_host(place: Place, host: int) -> str:
    # Memoised: only 12 x 64 addresses exist, and formatting via ipaddress is slow.
    n = place.v4_base + host
    text = _V4_TEXT.get(n)
    if text is None:
        text = _V4_TEXT[n] = str(ipaddress.IPv4Address(n))
    return text


def v6_host(place: Place, rng: random.Random) -> str:
    # A /64 inside the city's /48 and a random interface id, printed canonically.
    return ipaddress.IPv6Address(place.v6_base | rng.getrandbits(16) << 64 | rng.getrandbits(64)).compressed


@dataclass
class User:
    index: int
    email: str
    first: str
    last: str
    role: str  # Owner, Admin or Member
    home: Place
    in_office: bool  # has an office in the home city
    home_ip: str
    home_ip6: str | None  # some home ISPs hand out IPv6
    devices: list[str]
    weight: float  # how much this person uses Zoom
    version_lag: int  # days behind the latest client release
    traveller: bool
    work_hour: float  # usual local hour of the first sign-in
    trips: dict = field(default_factory=dict, repr=False)  # iso week -> trip or None (cache)


@dataclass(frozen=True)
class Trip:
    first_weekday: int
    last_weekday: int
    place: Place
    hotel_ip: str


class Account:
    def __init__(self, seed: int, users: int) -> None:
        self.seed = seed
        self.domain = DOMAIN
        rng = random.Random(f"zoom-emulator:{seed}:account")
        self.users: list[User] = []
        taken: set[str] = set()
        cities = [c for c, _ in _HOMES]
        weights = [w for _, w in _HOMES]
        for i in range(users):
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            local = f"{first}.{last}".lower()
            email, n = f"{local}@{DOMAIN}", 2
            while email in taken:
                email, n = f"{local}{n}@{DOMAIN}", n + 1
            taken.add(email)
            role = "Owner" if i == 0 else ("Admin" if i <= max(2, users // 15) else "Member")
            home = PLACES[rng.choices(cities, weights)[0]]
            devices = ["Browser"] if rng.random() < 0.5 else []
            devices.append(rng.choices(_DESKTOPS, _DESKTOP_WEIGHTS)[0])
            if rng.random() < 0.7:
                devices.append(rng.choices(_MOBILES, _MOBILE_WEIGHTS)[0])
            self.users.append(
                User(
                    index=i,
                    email=email,
                    first=first,
                    last=last,
                    role=role,
                    home=home,
                    in_office=home.city in _OFFICES and rng.random() < 0.8,
                    home_ip=v4_host(home, rng.randint(8, 62)),
                    home_ip6=v6_host(home, rng) if rng.random() < 0.25 else None,
                    devices=devices,
                    weight=rng.lognormvariate(0, 0.6),
                    version_lag=rng.randint(0, 45),
                    traveller=rng.random() < 0.3,
                    work_hour=min(12.0, max(6.0, rng.gauss(8.8, 1.0))),
                )
            )
        # A provisioning admin whose address needs careful parsing ('+' in the local part);
        # it performs the SCIM changes, as an identity provider's token owner would.
        scim_index = len(self.users)
        hq = PLACES["New York"]
        self.scim_operator = User(
            index=scim_index,
            email=f"it-admin+scim@{DOMAIN}",
            first="IT",
            last="Admin",
            role="Admin",
            home=hq,
            in_office=True,
            home_ip=v4_host(hq, 40),
            home_ip6=None,
            devices=["Browser"],
            weight=0.3,
            version_lag=0,
            traveller=False,
            work_hour=8.0,
        )
        self.admins = [u for u in self.users if u.role in ("Owner", "Admin")]
        self.admin_weights = [3.0 if u.role == "Owner" else 1.0 for u in self.admins]
        self.cum_user_weights = []
        total = 0.0
        for u in self.users:
            total += u.weight
            self.cum_user_weights.append(total)
        self.roles_by_email = {u.email: u.role for u in self.users}

    def office_ip(self, place: Place, pick: float) -> str:
        # Hosts .1-.4 of each office city's /26 are the office's NAT pool.
        return v4_host(place, 1 + int(pick * 4))

    def trip(self, user: User, day_ordinal: int) -> Trip | None:
        """The trip `user` is on during the given day, if any (decided per ISO week)."""
        if not user.traveller:
            return None
        week, weekday = divmod(day_ordinal - 1, 7)  # ordinal 1 (0001-01-01) is a Monday
        cached = user.trips.get(week, False)
        if cached is False:
            rng = random.Random(f"zoom-emulator:{self.seed}:trip:{user.index}:{week}")
            cached = None
            if rng.random() < 0.18:
                first = rng.randint(0, 3)
                last = min(4, first + rng.randint(1, 3))
                dest = PLACES[rng.choice([c for c in V4_CITIES if c != user.home.city])]
                cached = Trip(first, last, dest, v4_host(dest, rng.randint(8, 62)))
            user.trips[week] = cached
        if cached is not None and cached.first_weekday <= weekday <= cached.last_weekday:
            return cached
        return None
