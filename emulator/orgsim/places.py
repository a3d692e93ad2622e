"""Where the organisation's addresses are: cities, networks and the GeoIP table they make.

Every address is benchmark or documentation space, never a real person's:
IPv4 from RFC 2544's 198.18.0.0/15 (benchmarking, never routed on the Internet), IPv6 from
RFC 3849's 2001:db8::/32 (only 2001:db8:8000::/33, so the emulator's and contentkit's bundled
table, which use 2001:db8:1::/48 to 2001:db8:11::/48 and RFC 5737, never overlap).
Each network is one /24 (IPv4) or /48 (IPv6) pinned to a plausible city and AS. AS numbers
are RFC 5398 documentation numbers first, then RFC 6996 private 32-bit numbers (never real).
`as.type` is what MaxMind's `user_type` maps to in Datadog: offices and hotels are
`business`, home broadband and mobile carriers `isp`, the security proxy, the corporate VPN's
cloud and rented servers `hosting`.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass

_CONTINENTS = {
    "NA": "North America",
    "SA": "South America",
    "EU": "Europe",
    "AS": "Asia",
    "OC": "Oceania",
    "AF": "Africa",
}


@dataclass(frozen=True)
class City:
    name: str
    country_code: str
    country: str
    continent: str  # code
    subdivision: tuple[str, str] | None  # (iso_code, name)
    latitude: float
    longitude: float
    utc_offset: float  # hours in September-October; DST changes within the span are ignored


def _c(name, cc, country, cont, sub, lat, lon, tz) -> City:
    return City(name, cc, country, cont, sub, lat, lon, tz)


CITIES: dict[str, City] = {
    c.name: c
    for c in [
        # offices
        _c("New York", "US", "United States", "NA", ("NY", "New York"), 40.7128, -74.0060, -4),
        _c("London", "GB", "United Kingdom", "EU", ("ENG", "England"), 51.5074, -0.1278, 1),
        _c("Berlin", "DE", "Germany", "EU", ("BE", "Land Berlin"), 52.5200, 13.4050, 2),
        _c("Singapore", "SG", "Singapore", "AS", None, 1.3521, 103.8198, 8),
        _c("São Paulo", "BR", "Brazil", "SA", ("SP", "São Paulo"), -23.5505, -46.6333, -3),
        # remote staff homes
        _c("Boston", "US", "United States", "NA", ("MA", "Massachusetts"), 42.3601, -71.0589, -4),
        _c("Austin", "US", "United States", "NA", ("TX", "Texas"), 30.2672, -97.7431, -5),
        _c("Denver", "US", "United States", "NA", ("CO", "Colorado"), 39.7392, -104.9903, -6),
        _c("Seattle", "US", "United States", "NA", ("WA", "Washington"), 47.6062, -122.3321, -7),
        _c("Philadelphia", "US", "United States", "NA", ("PA", "Pennsylvania"), 39.9526, -75.1652, -4),
        _c("Manchester", "GB", "United Kingdom", "EU", ("ENG", "England"), 53.4808, -2.2426, 1),
        _c("Bristol", "GB", "United Kingdom", "EU", ("ENG", "England"), 51.4545, -2.5879, 1),
        _c("Hamburg", "DE", "Germany", "EU", ("HH", "Hamburg"), 53.5511, 9.9937, 2),
        _c("Munich", "DE", "Germany", "EU", ("BY", "Bavaria"), 48.1351, 11.5820, 2),
        _c("Utrecht", "NL", "Netherlands", "EU", ("UT", "Utrecht"), 52.0907, 5.1214, 2),
        _c("Dublin", "IE", "Ireland", "EU", ("L", "Leinster"), 53.3498, -6.2603, 1),
        _c("Lisbon", "PT", "Portugal", "EU", ("11", "Lisbon"), 38.7223, -9.1393, 1),
        _c("Curitiba", "BR", "Brazil", "SA", ("PR", "Paraná"), -25.4284, -49.2733, -3),
        # security proxy nodes, VPN and carrier gateways
        _c("Ashburn", "US", "United States", "NA", ("VA", "Virginia"), 39.0438, -77.4874, -4),
        _c("Chicago", "US", "United States", "NA", ("IL", "Illinois"), 41.8781, -87.6298, -5),
        _c("Dallas", "US", "United States", "NA", ("TX", "Texas"), 32.7767, -96.7970, -5),
        _c("San Jose", "US", "United States", "NA", ("CA", "California"), 37.3382, -121.8863, -7),
        _c("Amsterdam", "NL", "Netherlands", "EU", ("NH", "North Holland"), 52.3676, 4.9041, 2),
        _c("Frankfurt", "DE", "Germany", "EU", ("HE", "Hesse"), 50.1109, 8.6821, 2),
        _c("Glasgow", "GB", "United Kingdom", "EU", ("SCT", "Scotland"), 55.8642, -4.2518, 1),
        _c("Brasília", "BR", "Brazil", "SA", ("DF", "Federal District"), -15.7975, -47.8919, -3),
        _c("Cork", "IE", "Ireland", "EU", ("M", "Munster"), 51.8985, -8.4756, 1),
        _c("Porto", "PT", "Portugal", "EU", ("13", "Porto"), 41.1579, -8.6291, 1),
        _c("Johor Bahru", "MY", "Malaysia", "AS", ("01", "Johor"), 1.4927, 103.7414, 8),
        # trip and conference destinations
        _c("Tokyo", "JP", "Japan", "AS", ("13", "Tokyo"), 35.6762, 139.6503, 9),
        _c("Paris", "FR", "France", "EU", ("IDF", "Île-de-France"), 48.8566, 2.3522, 2),
        _c("Madrid", "ES", "Spain", "EU", ("MD", "Madrid"), 40.4168, -3.7038, 2),
        _c("Barcelona", "ES", "Spain", "EU", ("CT", "Catalonia"), 41.3874, 2.1686, 2),
        _c("Dubai", "AE", "United Arab Emirates", "AS", ("DU", "Dubai"), 25.2048, 55.2708, 4),
        _c("Mumbai", "IN", "India", "AS", ("MH", "Maharashtra"), 19.0760, 72.8777, 5.5),
        _c("Sydney", "AU", "Australia", "OC", ("NSW", "New South Wales"), -33.8688, 151.2093, 10),
        _c("Toronto", "CA", "Canada", "NA", ("ON", "Ontario"), 43.6532, -79.3832, -4),
        _c("Mexico City", "MX", "Mexico", "NA", ("CMX", "Mexico City"), 19.4326, -99.1332, -6),
        _c("Seoul", "KR", "South Korea", "AS", ("11", "Seoul"), 37.5665, 126.9780, 9),
        _c("Stockholm", "SE", "Sweden", "EU", ("AB", "Stockholm County"), 59.3293, 18.0686, 2),
        _c("Zurich", "CH", "Switzerland", "EU", ("ZH", "Zurich"), 47.3769, 8.5417, 2),
        _c("Hong Kong", "HK", "Hong Kong", "AS", None, 22.3193, 114.1694, 8),
        _c("Las Vegas", "US", "United States", "NA", ("NV", "Nevada"), 36.1699, -115.1398, -7),
        _c("San Francisco", "US", "United States", "NA", ("CA", "California"), 37.7749, -122.4194, -7),
        _c("Warsaw", "PL", "Poland", "EU", ("14", "Mazovia"), 52.2297, 21.0122, 2),
        # where attackers rent servers
        _c("Bucharest", "RO", "Romania", "EU", ("B", "Bucharest"), 44.4268, 26.1025, 3),
        _c("Hanoi", "VN", "Vietnam", "AS", ("HN", "Hanoi"), 21.0278, 105.8342, 7),
        _c("Lagos", "NG", "Nigeria", "AF", ("LA", "Lagos"), 6.5244, 3.3792, 1),
    ]
}


def km(a: City, b: City) -> float:
    """Great-circle distance (haversine, mean Earth radius)."""
    la1, lo1, la2, lo2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


@dataclass(frozen=True)
class Net:
    """One network of the plan: a /24 (v4) or /48 (v6) in one city, on one AS."""

    cidr: str
    city: City
    asn: int
    as_name: str
    as_type: str  # isp | hosting | business | education
    purpose: str  # office | proxy | vpn | carrier | home | hotel | conference | attacker

    def host(self, n: int) -> str:
        net = ipaddress.ip_network(self.cidr)
        if net.version == 4:
            return str(net.network_address + 1 + n % 254)
        return str(ipaddress.IPv6Address(int(net.network_address) | (n & ((1 << 80) - 1))))

    def entry(self) -> dict:
        """This network in contentkit's table shape (GeoIP.from_networks)."""
        c = self.city
        out: dict = {
            "network": self.cidr,
            "country": {"iso_code": c.country_code, "name": c.country},
            "continent": {"code": c.continent, "name": _CONTINENTS[c.continent]},
        }
        if c.subdivision is not None:
            out["subdivision"] = {"iso_code": c.subdivision[0], "name": c.subdivision[1]}
        out["city"] = {"name": c.name}
        out["location"] = {"latitude": c.latitude, "longitude": c.longitude}
        out["as"] = {"number": f"AS{self.asn}", "name": self.as_name, "type": self.as_type}
        return out


_V4_BASE = int(ipaddress.IPv4Address("198.18.0.0"))
_V4_COUNT = 512  # /24s in 198.18.0.0/15
_V6_BASE = int(ipaddress.IPv6Address("2001:db8:8000::"))
_V6_COUNT = 1 << 15  # /48s in 2001:db8:8000::/33
_ASNS = [*range(64496, 64512), *range(65536, 65552)]  # RFC 5398


class AddressPlan:
    """Hands out networks in order; one AS number per (operator name)."""

    def __init__(self) -> None:
        self.nets: list[Net] = []
        self._v4 = 0
        self._v6 = 0
        self._asn: dict[str, int] = {}

    def asn(self, name: str) -> int:
        number = self._asn.get(name)
        if number is None:
            i = len(self._asn)
            number = _ASNS[i] if i < len(_ASNS) else 4_200_000_000 + i  # RFC 6996 private beyond
            self._asn[name] = number
        return number

    def v4(self, city: str, as_name: str, as_type: str, purpose: str) -> Net:
        if self._v4 >= _V4_COUNT:
            raise ValueError("the address plan ran out of 198.18.0.0/15")
        base = ipaddress.IPv4Address(_V4_BASE + 256 * self._v4)
        self._v4 += 1
        net = Net(f"{base}/24", CITIES[city], self.asn(as_name), as_name, as_type, purpose)
        self.nets.append(net)
        return net

    def v6(self, city: str, as_name: str, as_type: str, purpose: str) -> Net:
        if self._v6 >= _V6_COUNT:
            raise ValueError("the address plan ran out of 2001:db8:8000::/33")
        base = ipaddress.IPv6Address(_V6_BASE + (self._v6 << 80))
        self._v6 += 1
        net = Net(f"{base}/48", CITIES[city], self.asn(as_name), as_name, as_type, purpose)
        self.nets.append(net)
        return net

    def table(self) -> list[dict]:
        return [n.entry() for n in self.nets]
