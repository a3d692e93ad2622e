"""Fixed offline geo table for the documentation address ranges the emulator uses.

Only RFC 5737 (IPv4) and RFC 3849 (IPv6) documentation space appears in emulated
records, so no real person's address is ever produced. Each block is pinned to one
city so tests and later offline geo-ip enrichment get stable, plausible answers.
AS numbers come from the RFC 5398 documentation range for the same reason.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass


@dataclass(frozen=True)
class GeoBlock:
    network: str  # CIDR
    country_code: str  # ISO 3166-1 alpha-2
    country: str
    city: str
    latitude: float
    longitude: float
    utc_offset: float  # standard-time offset in hours; DST is ignored on purpose
    asn: int  # documentation AS number (RFC 5398)
    as_org: str
    hosting: bool = False  # data-centre / VPN space rather than an access network


# One IPv4 /26 and one IPv6 /48 per city; a few cities exist only in IPv6 space.
_CITIES = [
    # code, country, city, lat, lon, utc offset
    ("US", "United States", "New York", 40.7128, -74.0060, -5),
    ("US", "United States", "San Francisco", 37.7749, -122.4194, -8),
    ("GB", "United Kingdom", "London", 51.5074, -0.1278, 0),
    ("DE", "Germany", "Frankfurt", 50.1109, 8.6821, 1),
    ("FR", "France", "Paris", 48.8566, 2.3522, 1),
    ("JP", "Japan", "Tokyo", 35.6762, 139.6503, 9),
    ("SG", "Singapore", "Singapore", 1.3521, 103.8198, 8),
    ("IN", "India", "Mumbai", 19.0760, 72.8777, 5.5),
    ("AU", "Australia", "Sydney", -33.8688, 151.2093, 10),
    ("BR", "Brazil", "São Paulo", -23.5505, -46.6333, -3),
    ("NG", "Nigeria", "Lagos", 6.5244, 3.3792, 1),
    ("CA", "Canada", "Toronto", 43.6532, -79.3832, -5),
    # IPv6-only places: rarer origins that detections care about.
    ("RU", "Russia", "Moscow", 55.7558, 37.6173, 3),
    ("ZA", "South Africa", "Johannesburg", -26.2041, 28.0473, 2),
    ("MX", "Mexico", "Mexico City", 19.4326, -99.1332, -6),
    ("KR", "South Korea", "Seoul", 37.5665, 126.9780, 9),
    ("NL", "Netherlands", "Amsterdam", 52.3676, 4.9041, 1),
]

_V4_BLOCKS = [
    f"{prefix}.{start}/26" for prefix in ("192.0.2", "198.51.100", "203.0.113") for start in (0, 64, 128, 192)
]


def _build() -> list[GeoBlock]:
    blocks: list[GeoBlock] = []
    for i, (cc, country, city, lat, lon, tz) in enumerate(_CITIES):
        hosting = city == "Amsterdam"
        asn = 64496 + (i % 16)
        org = f"Example {'Cloud Hosting' if hosting else 'Broadband'} {city} (documentation)"
        if i < len(_V4_BLOCKS):
            blocks.append(GeoBlock(_V4_BLOCKS[i], cc, country, city, lat, lon, tz, asn, org, hosting))
        blocks.append(GeoBlock(f"2001:db8:{i + 1:x}::/48", cc, country, city, lat, lon, tz, asn, org, hosting))
    return blocks


GEO_BLOCKS: tuple[GeoBlock, ...] = tuple(_build())

# Parsed networks kept beside the table so lookups do not re-parse CIDRs.
_PARSED = [(ipaddress.ip_network(b.network), b) for b in GEO_BLOCKS]


def lookup(ip: str) -> GeoBlock | None:
    """Return the block holding `ip`, or None for anything outside the table."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return None
    for net, block in _PARSED:
        if addr.version == net.version and addr in net:
            return block
    return None


def blocks_for_city(city: str) -> list[GeoBlock]:
    return [b for b in GEO_BLOCKS if b.city == city]
