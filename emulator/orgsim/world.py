"""The organisation's fixed facts: its networks (offices, proxy, VPN, carriers, homes, hotels)
and its people (where they live and work, devices, roles, hires, leavers, leave).

Drawn once from the seed; the records (benign.py, attacks.py) only read it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from ..account import _FIRST, _LAST
from .places import CITIES, AddressPlan, City, Net, km

DOMAIN = "example.com"
SCIM_OPERATOR = f"scim-okta@{DOMAIN}"

# (city, share of staff, NAT addresses): the brief's offices, HQ in New York.
OFFICES = [
    ("New York", 0.36, 3),
    ("London", 0.22, 3),
    ("Berlin", 0.10, 2),
    ("Singapore", 0.08, 2),
    ("São Paulo", 0.07, 2),
]
# Where fully remote staff live (weights).
REMOTE_HOMES = [
    ("Boston", 3),
    ("Austin", 3),
    ("Denver", 2),
    ("Seattle", 2),
    ("Philadelphia", 2),
    ("Manchester", 3),
    ("Bristol", 2),
    ("Hamburg", 2),
    ("Munich", 2),
    ("Utrecht", 2),
    ("Dublin", 2),
    ("Lisbon", 2),
    ("Curitiba", 1),
]
# Zscaler-like cloud security proxy: one hosting AS, egress nodes in a few cities.
PROXY_NODES = [
    "New York",
    "Ashburn",
    "Chicago",
    "Dallas",
    "San Jose",
    "London",
    "Amsterdam",
    "Frankfurt",
    "Singapore",
    "Tokyo",
    "São Paulo",
]
PROXY_AS = "Example Cloud Security Proxy (benchmark)"
PROXY_EGRESS_PER_NODE = 6
# Corporate VPN: concentrators in the US-East cloud region, where the company's systems run.
VPN_CITY = "New York"
VPN_AS = "Example Cloud Compute (benchmark)"
# Mobile carriers per country: (name, the city their CGNAT pool geolocates to).
CARRIERS = {
    "US": [("Example Wireless US", "Chicago"), ("Example Mobile US", "Dallas")],
    "GB": [("Example Mobile UK", "Glasgow"), ("Example Telecom UK", "Manchester")],
    "DE": [("Example Funk DE", "Frankfurt"), ("Example Mobil DE", "Munich")],
    "SG": [("Example Mobile SG", "Singapore"), ("Example Telco SG", "Johor Bahru")],  # geo DBs err
    "BR": [("Example Celular BR", "Brasília")],
    "NL": [("Example Mobiel NL", "Amsterdam")],
    "IE": [("Example Mobile IE", "Cork")],
    "PT": [("Example Móvel PT", "Porto")],
}
DEPARTMENTS = [
    ("Engineering", 28),
    ("Sales", 18),
    ("Customer Success", 12),
    ("Marketing", 8),
    ("Product", 7),
    ("Finance", 6),
    ("People", 4),
    ("Legal", 3),
    ("IT", 3),
]
TITLES = {
    "Engineering": ["Software Engineer", "Senior Software Engineer", "Staff Engineer", "Engineering Manager", "SRE"],
    "Sales": ["Account Executive", "Sales Development Rep", "Regional Sales Director", "Solutions Engineer"],
    "Customer Success": ["Customer Success Manager", "Support Engineer", "Onboarding Specialist"],
    "Marketing": ["Marketing Manager", "Content Strategist", "Demand Generation Lead"],
    "Product": ["Product Manager", "Product Designer", "UX Researcher"],
    "Finance": ["Accountant", "Financial Analyst", "Controller"],
    "People": ["HR Business Partner", "Recruiter", "People Operations"],
    "Legal": ["Counsel", "Paralegal"],
    "IT": ["IT Administrator", "Help Desk Technician", "IT Manager"],
}


@dataclass
class Person:
    index: int
    email: str
    first: str
    last: str
    department: str
    title: str
    role: str  # Zoom role: Owner, Admin, Billing Admin, Help Desk or Member
    home: City
    office: str | None  # office city, None for fully remote staff
    office_days: frozenset[int]  # weekdays in the office (hybrid)
    work_days: frozenset[int]  # weekdays worked (part-timers work fewer)
    work_start: float  # local hour of the first sign-in
    desktop: str  # mac | win | linux
    phone: str | None  # iPhone | android
    tablet: bool
    browser: bool  # also signs in through the web portal
    vpn: bool  # uses the corporate VPN for some desktop sessions
    home_isp: Net
    home_host: int
    home_v6: Net | None
    carrier: Net
    version_lag: int  # days behind the latest client release
    first_day: int  # day index of the first day in the account (0, or a hire's start)
    last_day: int | None  # last working day of a leaver
    contractor: bool = False
    leave: tuple[int, int] | None = None  # [first, last] day index of a long leave
    new_phone: tuple[int, str] | None = None  # (day index, new phone client type)
    traveller: float = 0.0  # relative chance of being sent on a trip
    idle_after: int | None = None  # stays in the account but stops signing in after this day

    def active(self, day: int) -> bool:
        if day < self.first_day or (self.last_day is not None and day > self.last_day):
            return False
        if self.idle_after is not None and day > self.idle_after:
            return False
        return self.leave is None or not self.leave[0] <= day <= self.leave[1]

    def phone_on(self, day: int) -> str | None:
        if self.new_phone is not None and day >= self.new_phone[0]:
            return self.new_phone[1]
        return self.phone


@dataclass
class Infrastructure:
    plan: AddressPlan
    offices: dict[str, Net]
    nat_hosts: dict[str, list[int]]
    nat_weights: dict[str, list[float]]
    proxy: dict[str, Net]
    vpn: Net
    carriers: dict[str, list[Net]]
    homes: dict[str, list[Net]]  # city -> broadband ISPs (v4)
    homes_v6: dict[str, Net]
    hospitality: dict[str, Net]  # city -> hotel / airport / venue Wi-Fi

    def proxy_nodes_near(self, city: City) -> list[Net]:
        """The user's usual proxy node first, then the nearby ones it may flip to."""
        ranked = sorted(self.proxy.values(), key=lambda n: km(city, n.city))
        near = [n for n in ranked[1:3] if km(ranked[0].city, n.city) < 900]
        return [ranked[0], *near]

    def proxy_address(self, node: Net, pick: float) -> str:
        return node.host(10 + int(pick * PROXY_EGRESS_PER_NODE))

    def nat_address(self, office: str, pick: float) -> str:
        hosts, weights = self.nat_hosts[office], self.nat_weights[office]
        acc = 0.0
        for host, w in zip(hosts, weights):
            acc += w
            if pick < acc:
                return self.offices[office].host(host)
        return self.offices[office].host(hosts[-1])


def build_infrastructure() -> Infrastructure:
    plan = AddressPlan()
    offices, nat_hosts, nat_weights = {}, {}, {}
    office_isp = {
        "US": "Example Metro Fibre (benchmark)",
        "GB": "Example Business Broadband UK (benchmark)",
        "DE": "Example Glasfaser Business DE (benchmark)",
        "SG": "Example Enterprise Net SG (benchmark)",
        "BR": "Example Fibra Empresas BR (benchmark)",
    }
    for city, _share, nats in OFFICES:
        offices[city] = plan.v4(city, office_isp[CITIES[city].country_code], "business", "office")
        nat_hosts[city] = [10 + i for i in range(nats)]
        # A NAT pool is not used evenly: the first address takes most translations.
        raw = [0.55, 0.3, 0.1, 0.05][:nats]
        nat_weights[city] = [w / sum(raw) for w in raw]
    proxy = {city: plan.v4(city, PROXY_AS, "hosting", "proxy") for city in PROXY_NODES}
    vpn = plan.v4(VPN_CITY, VPN_AS, "hosting", "vpn")
    carriers = {
        cc: [plan.v4(city, f"{name} (benchmark)", "isp", "carrier") for name, city in entries]
        for cc, entries in CARRIERS.items()
    }
    homes, homes_v6 = {}, {}
    home_cities = [c for c, _, _ in OFFICES] + [c for c, _ in REMOTE_HOMES]
    for city in home_cities:
        cc = CITIES[city].country_code
        homes[city] = [
            plan.v4(city, f"Example Broadband {cc} (benchmark)", "isp", "home"),
            plan.v4(city, f"Example Cable {cc} (benchmark)", "isp", "home"),
        ]
        homes_v6[city] = plan.v6(city, f"Example Broadband {cc} (benchmark)", "isp", "home")
    hospitality = {
        name: plan.v4(name, "Example Hospitality Wi-Fi (benchmark)", "business", "hotel")
        for name in CITIES
        if name not in ("Bucharest", "Hanoi", "Lagos")
    }
    return Infrastructure(plan, offices, nat_hosts, nat_weights, proxy, vpn, carriers, homes, homes_v6, hospitality)


# The IT/admin team and a few named roles, carved out of the first people: (department,
# title, role, office or None, remote home or None).
TEAM = [
    ("Finance", "Chief Operating Officer", "Owner", "New York", None),  # long-standing, acts rarely
    ("IT", "IT Manager", "Admin", "New York", None),
    ("IT", "IT Administrator", "Admin", "London", None),
    ("IT", "IT Administrator", "Admin", None, "Denver"),
    ("IT", "Help Desk Technician", "Help Desk", "New York", None),
    ("IT", "Help Desk Technician", "Help Desk", "London", None),
    ("Finance", "Controller", "Billing Admin", "New York", None),
    ("IT", "IT Consultant", "Admin", None, "Lisbon"),  # contractor, goes quiet after the first week
]
OWNER, IT_LEAD, IT_LONDON, IT_REMOTE, HELPDESK_NY, HELPDESK_LONDON, BILLING, IT_CONTRACTOR = range(len(TEAM))


@dataclass
class People:
    staff: list[Person]
    hires: list[Person] = field(default_factory=list)  # join during the span

    @property
    def everyone(self) -> list[Person]:
        return self.staff + self.hires


def _pick(rng: random.Random, pairs):
    return rng.choices([p for p, _ in pairs], [w for _, w in pairs])[0]


def build_people(rng: random.Random, infra: Infrastructure, people: int, days: int, weekday0: int) -> People:
    """`weekday0` is the weekday (Monday 0) of day index 0."""
    taken: set[str] = set()

    def email_for(first: str, last: str) -> str:
        local = f"{first}.{last}".lower()
        email, n = f"{local}@{DOMAIN}", 2
        while email in taken:
            email, n = f"{local}{n}@{DOMAIN}", n + 1
        taken.add(email)
        return email

    office_cities = [(c, share) for c, share, _ in OFFICES]
    remote_share = 1.0 - sum(s for _, s in office_cities)

    def make(index: int, first_day: int, team=None) -> Person:
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        if team is not None:
            department, title, role, office, remote = team
        else:
            department = _pick(rng, DEPARTMENTS)
            title, role = rng.choice(TITLES[department]), "Member"
            if rng.random() < remote_share:
                office, remote = None, _pick(rng, REMOTE_HOMES)
            else:
                office, remote = _pick(rng, office_cities), None
        home = CITIES[remote or office]
        cc = home.country_code
        isps = infra.homes[home.name]
        part_time = team is None and rng.random() < 0.08
        work_days = frozenset(rng.sample(range(5), 3)) if part_time else frozenset(range(5))
        office_days: frozenset[int] = frozenset()
        if office is not None:
            # Most office staff are hybrid: two to four office days a week.
            k = rng.choice([2, 3, 3, 4, 4, 5]) if rng.random() < 0.85 else 5
            office_days = frozenset(rng.sample(sorted(work_days), min(k, len(work_days))))
        phone = rng.choices(["iPhone", "android", None], [52, 36, 12])[0]
        p = Person(
            index=index,
            email=email_for(first, last),
            first=first,
            last=last,
            department=department,
            title=title,
            role=role,
            home=home,
            office=office,
            office_days=office_days,
            work_days=work_days,
            work_start=min(10.5, max(7.0, rng.gauss(8.7, 0.7))),
            desktop=rng.choices(["mac", "win", "linux"], [55, 40, 5])[0],
            phone=phone,
            tablet=rng.random() < 0.12,
            browser=rng.random() < 0.18,
            vpn=department in ("Engineering", "IT", "Finance") and rng.random() < 0.3,
            home_isp=rng.choice(isps),
            home_host=rng.randint(1, 250),
            home_v6=infra.homes_v6[home.name] if rng.random() < 0.3 else None,
            carrier=rng.choice(infra.carriers[cc]),
            version_lag=rng.choice([0, 0, 1, 3, 7, 10, 14, 21, 30, 45]),
            first_day=first_day,
            last_day=None,
            traveller=rng.choice([0.0, 0.0, 0.3, 1.0, 1.0, 3.0]) if department != "IT" else 0.3,
        )
        return p

    staff = [make(i, 0, TEAM[i] if i < len(TEAM) else None) for i in range(people)]
    owner = staff[OWNER]
    owner.browser, owner.tablet, owner.vpn, owner.desktop, owner.phone = False, False, False, "mac", "iPhone"
    billing = staff[BILLING]
    billing.browser, billing.desktop = False, "mac"
    contractor = staff[IT_CONTRACTOR]
    contractor.contractor, contractor.idle_after, contractor.traveller = True, min(5, days - 1), 0.0
    for p in staff[len(TEAM) :]:
        # Contractors in the ordinary population: their engagements end together (a batch).
        p.contractor = rng.random() < 0.05
    # Leavers: a few a week; contractors leave on one shared date when their project ends.
    weeks = days / 7
    ordinary = staff[len(TEAM) :]
    for p in rng.sample(ordinary, min(len(ordinary), round(people * 0.006 * weeks))):
        p.last_day = rng.randint(2, max(2, days - 2))
    project_end = rng.randint(days // 3, max(days // 3, days - 3))
    for p in ordinary:
        if p.contractor and p.last_day is None and rng.random() < 0.6:
            p.last_day = project_end
    # Long leave: two to four weeks silent, then back.
    for p in rng.sample(ordinary, min(len(ordinary), round(people * 0.06))):
        if p.last_day is None and days >= 21:
            start = rng.randint(1, max(1, days - 15))
            p.leave = (start, min(days - 2, start + rng.randint(14, 28)))
    # A new phone now and then: a client type the person never used before.
    for p in rng.sample(ordinary, min(len(ordinary), max(1, round(people * 0.03)))):
        new = {"iPhone": "android", "android": "iPhone", None: "iPhone"}[p.phone]
        p.new_phone = (rng.randint(1, max(1, days - 1)), new)
    hires = []
    for n in range(round(people * 0.008 * weeks)):
        start = rng.randint(1, max(1, days - 1))
        while (weekday0 + start) % 7 >= 5 and start < days - 1:  # people start on a weekday
            start += 1
        hires.append(make(people + n, start))
    return People(staff, hires)
