"""IP -> Datadog geoip object, offline, for the simulator's `geo-ip-parser`.

    geo = GeoIP.bundled()                     # documentation ranges only (tests, samples)
    geo = GeoIP.from_mmdb("GeoLite2-City.mmdb", asn_path="GeoLite2-ASN.mmdb")
    geo.lookup("198.51.100.7") -> {...} | None

The object has the shape Datadog's GeoIP parser writes under its target
(`network.client.geoip` by default):

    {
      "ipAddress":   "198.51.100.7",
      "country":     {"iso_code": "FR", "name": "France"},
      "continent":   {"code": "EU", "name": "Europe"},
      "subdivision": {"iso_code": "IDF", "name": "Île-de-France"},
      "city":        {"name": "Paris"},
      "location":    {"latitude": 48.8566, "longitude": 2.3522},
      "as":          {"number": "AS64500", "name": "...", "route": "198.51.100.0/26", "type": "isp"}
    }

Sources:
[GEO]  GeoIP Parser, https://docs.datadoghq.com/logs/log_configuration/processors/geoip_parser/
       "extracts continent, country, subdivision, or city information (if available) ...
       Most elements contain a `name` and `iso_code` (or `code` for continent) attribute.
       `subdivision` is the first level of subdivision that the country uses".
[STD]  Standard attributes, Geolocation,
       https://docs.datadoghq.com/logs/log_configuration/attributes_naming_convention/#geolocation
       (country.name, country.iso_code, continent.code, continent.name, subdivision.name,
       subdivision.iso_code such as `CA`, city.name).
CHOICE: `location.latitude`/`location.longitude`, `ipAddress` and `as.{number,name,domain,
route,type}` follow what Datadog writes on real logs (the public pages do not list them;
the [GEO] page's hand-written example even shows `location.lat/lon`). Parts a record does
not have are left out rather than written empty ("if available" [GEO]).

`lookup` returns a fresh dict each call: callers may put it into an event and mutate it.
Unknown, private or malformed addresses give None.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable, Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from contentkit.errors import ContentError

__all__ = ["GeoIP", "map_maxmind_record", "BUNDLED_TABLE"]

BUNDLED_TABLE = "data/geoip_test_networks.json"
_PARTS = ("country", "continent", "subdivision", "city", "location", "as")
_CACHE_LIMIT = 65536
_MISS = object()

# MaxMind GeoIP2 `traits.user_type` -> the `as.type` values Datadog shows
# (isp / hosting / business / education). Anything else is left out.
_USER_TYPE = {
    "hosting": "hosting",
    "content_delivery_network": "hosting",
    "residential": "isp",
    "cellular": "isp",
    "dialup": "isp",
    "business": "business",
    "government": "business",
    "military": "business",
    "college": "education",
    "school": "education",
    "library": "education",
}


def _copy(record: dict) -> dict:
    """Two-level copy: every part of a geoip object is a flat dict."""
    return {k: (dict(v) if isinstance(v, dict) else v) for k, v in record.items()}


def _address(ip: str):
    """Parsed address (IPv4-mapped IPv6 unwrapped) or None."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return None
    if addr.version == 6 and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


class GeoIP:
    """IP address -> Datadog geoip object (see the module docstring)."""

    def __init__(
        self, resolve: Callable[[str], dict | None], description: str, close: Callable[[], None] | None = None
    ):
        self._resolve = resolve
        self._close = close
        self._cache: dict[str, Any] = {}
        self.description = description

    # ------------------------------------------------------------------ constructors

    @classmethod
    def bundled(cls) -> GeoIP:
        """The bundled table of documentation networks (contentkit/data/geoip_test_networks.json)."""
        return cls.from_networks(_bundled_networks(), description=f"bundled {BUNDLED_TABLE}")

    @classmethod
    def from_networks(cls, entries: Iterable[dict], description: str = "network table") -> GeoIP:
        """A table of `{"network": CIDR, "country": {...}, ...}` entries (the bundled file's shape).

        The most specific network holding an address wins. A bad entry raises ContentError.
        """
        parsed = []
        for i, entry in enumerate(entries):
            if not isinstance(entry, dict) or not isinstance(entry.get("network"), str):
                raise ContentError(f"{description}: networks[{i}]: needs a `network` CIDR string")
            try:
                net = ipaddress.ip_network(entry["network"])
            except ValueError as exc:
                raise ContentError(f"{description}: networks[{i}]: {exc}") from None
            unknown = set(entry) - {"network", *_PARTS}
            if unknown:
                raise ContentError(f"{description}: networks[{i}]: unknown keys {sorted(unknown)}")
            parts = {k: dict(entry[k]) for k in _PARTS if isinstance(entry.get(k), dict) and entry[k]}
            if "as" in parts:
                parts["as"].setdefault("route", str(net))
            parsed.append((net, parts))
        parsed.sort(key=lambda item: item[0].prefixlen, reverse=True)
        v4 = [(n, p) for n, p in parsed if n.version == 4]
        v6 = [(n, p) for n, p in parsed if n.version == 6]

        def resolve(ip: str) -> dict | None:
            addr = _address(ip)
            if addr is None:
                return None
            for net, parts in v4 if addr.version == 4 else v6:
                if addr in net:
                    return {"ipAddress": ip, **parts}
            return None

        return cls(resolve, description)

    @classmethod
    def from_mmdb(cls, path: str | Path, asn_path: str | Path | None = None) -> GeoIP:
        """A MaxMind GeoIP2/GeoLite2 City (or Country) `.mmdb`, optionally with a GeoLite2 ASN one.

        A missing, unreadable or malformed file raises ContentError with one clear message.
        """
        import maxminddb  # imported here: the bundled table needs no third-party code

        city = _open_mmdb(maxminddb, path)
        asn = _open_mmdb(maxminddb, asn_path) if asn_path is not None else None

        def get(reader, ip: str):
            try:
                record, prefix = reader.get_with_prefix_len(ip)
            except ValueError:  # not an address, or IPv6 in an IPv4-only database
                return None, None
            if not isinstance(record, dict):
                return None, None
            try:
                route = str(ipaddress.ip_network(f"{_address(ip)}/{prefix}", strict=False))
            except ValueError:
                route = None
            return record, route

        def resolve(ip: str) -> dict | None:
            if _address(ip) is None:
                return None
            record, route = get(city, ip)
            asn_record, asn_route = get(asn, ip) if asn is not None else (None, None)
            return map_maxmind_record(record or {}, ip, route=asn_route or route, asn_record=asn_record)

        def close() -> None:
            city.close()
            if asn is not None:
                asn.close()

        where = str(path) if asn_path is None else f"{path} + {asn_path}"
        return cls(resolve, f"MaxMind DB {where}", close)

    # ------------------------------------------------------------------ use

    def lookup(self, ip: str) -> dict | None:
        """The geoip object for `ip` (a fresh dict), or None when the address is unknown/invalid."""
        if not isinstance(ip, str):
            return None
        key = ip.strip()
        found = self._cache.get(key, _MISS)
        if found is _MISS:
            found = self._resolve(key) if key else None
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[key] = found
        return _copy(found) if found is not None else None

    def close(self) -> None:
        if self._close is not None:
            self._close()

    def __enter__(self) -> GeoIP:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"GeoIP({self.description})"


@lru_cache(maxsize=1)
def _bundled_networks() -> tuple:
    text = resources.files("contentkit").joinpath(BUNDLED_TABLE).read_text("utf-8")
    return tuple(json.loads(text)["networks"])


def _open_mmdb(maxminddb, path):
    if Path(path).is_dir():
        raise ContentError(f"GeoIP database {path}: is a directory, not a .mmdb file")
    if not Path(path).exists():
        raise ContentError(f"GeoIP database {path}: no such file")
    try:
        return maxminddb.open_database(str(path))
    except FileNotFoundError:
        raise ContentError(f"GeoIP database {path}: no such file") from None
    except IsADirectoryError:
        raise ContentError(f"GeoIP database {path}: is a directory, not a .mmdb file") from None
    except OSError as exc:
        raise ContentError(f"GeoIP database {path}: cannot read: {exc.strerror or exc}") from None
    except (maxminddb.InvalidDatabaseError, ValueError, TypeError, RuntimeError) as exc:
        raise ContentError(f"GeoIP database {path}: not a valid MaxMind DB (.mmdb) file: {exc}") from None


def _name(node: dict) -> str | None:
    names = node.get("names")
    if not isinstance(names, dict) or not names:
        return None
    value = names.get("en") or next(iter(names.values()))
    return value if isinstance(value, str) else None


def _put(out: dict, part: str, key: str, value: Any) -> None:
    if value is not None and value != "":
        out.setdefault(part, {})[key] = value


def map_maxmind_record(record: dict, ip: str, route: str | None = None, asn_record: dict | None = None) -> dict | None:
    """Map a MaxMind GeoIP2/GeoLite2 City record (and an optional GeoLite2 ASN record) to
    Datadog's geoip object. English names are used (first available otherwise); the first
    subdivision is the one Datadog keeps [GEO]. None when the records hold no location at all.
    """
    out: dict = {}
    country = record.get("country") or {}
    if isinstance(country, dict):
        _put(out, "country", "iso_code", country.get("iso_code"))
        _put(out, "country", "name", _name(country))
    continent = record.get("continent") or {}
    if isinstance(continent, dict):
        _put(out, "continent", "code", continent.get("code"))
        _put(out, "continent", "name", _name(continent))
    subdivisions = record.get("subdivisions") or []
    if isinstance(subdivisions, list) and subdivisions and isinstance(subdivisions[0], dict):
        _put(out, "subdivision", "iso_code", subdivisions[0].get("iso_code"))
        _put(out, "subdivision", "name", _name(subdivisions[0]))
    city = record.get("city") or {}
    if isinstance(city, dict):
        _put(out, "city", "name", _name(city))
    location = record.get("location") or {}
    if isinstance(location, dict):
        lat, lon = location.get("latitude"), location.get("longitude")
        if isinstance(lat, (int, float)) and isinstance(lon, (int, float)):
            out["location"] = {"latitude": lat, "longitude": lon}
    # AS: a GeoLite2 ASN record, or the `traits` of GeoIP2 Enterprise/ISP records.
    raw_traits = record.get("traits")
    traits: dict = raw_traits if isinstance(raw_traits, dict) else {}
    source: dict = asn_record if isinstance(asn_record, dict) and asn_record else traits
    number = source.get("autonomous_system_number")
    if isinstance(number, int) and not isinstance(number, bool):
        _put(out, "as", "number", f"AS{number}")
        _put(out, "as", "name", source.get("autonomous_system_organization"))
        _put(out, "as", "domain", traits.get("domain"))
        _put(out, "as", "route", route)
        _put(out, "as", "type", _USER_TYPE.get(str(traits.get("user_type"))))
    if not out:
        return None
    ordered = {"ipAddress": ip}
    ordered.update((k, out[k]) for k in _PARTS if k in out)
    return ordered
