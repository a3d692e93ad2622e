"""contentkit.geoip: the bundled documentation-range table, MaxMind .mmdb files, record mapping.

Datadog's geoip object: "Most elements contain a `name` and `iso_code` (or `code` for
continent) attribute. `subdivision` is the first level of subdivision"
(https://docs.datadoghq.com/logs/log_configuration/processors/geoip_parser/); the
standard attribute list is
https://docs.datadoghq.com/logs/log_configuration/attributes_naming_convention/#geolocation
"""

from __future__ import annotations

import ipaddress
import json
import struct
from importlib import resources
from pathlib import Path

import pytest

from contentkit.errors import ContentError
from contentkit.geoip import GeoIP, map_maxmind_record
from emulator.geo import GEO_BLOCKS

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def geo():
    return GeoIP.bundled()


# --------------------------------------------------------------------------- bundled table


def test_ipv4_documentation_address_gives_the_full_datadog_object(geo):
    assert geo.lookup("198.51.100.7") == {
        "ipAddress": "198.51.100.7",
        "country": {"iso_code": "FR", "name": "France"},
        "continent": {"code": "EU", "name": "Europe"},
        "subdivision": {"iso_code": "IDF", "name": "Île-de-France"},
        "city": {"name": "Paris"},
        "location": {"latitude": 48.8566, "longitude": 2.3522},
        "as": {
            "number": "AS64500",
            "name": "Example Broadband Paris (documentation)",
            "type": "isp",
            "route": "198.51.100.0/26",
        },
    }


@pytest.mark.parametrize(
    "ip,city,country,continent",
    [
        ("192.0.2.1", "New York", "US", "NA"),
        ("192.0.2.127", "San Francisco", "US", "NA"),
        ("198.51.100.200", "Mumbai", "IN", "AS"),
        ("203.0.113.42", "Sydney", "AU", "OC"),
        ("203.0.113.130", "Lagos", "NG", "AF"),
        ("203.0.113.255", "Toronto", "CA", "NA"),
        ("2001:db8:1::1", "New York", "US", "NA"),
        ("2001:DB8:A:0:0:0:0:1", "São Paulo", "BR", "SA"),
        ("2001:db8:d:ffff::1", "Moscow", "RU", "EU"),
        ("2001:db8:11::5", "Amsterdam", "NL", "EU"),
        ("::ffff:192.0.2.10", "New York", "US", "NA"),  # IPv4-mapped IPv6
        (" 192.0.2.1 ", "New York", "US", "NA"),  # surrounding spaces
    ],
)
def test_bundled_ipv4_and_ipv6_ranges(geo, ip, city, country, continent):
    found = geo.lookup(ip)
    assert found["city"]["name"] == city
    assert found["country"]["iso_code"] == country
    assert found["continent"]["code"] == continent
    assert found["ipAddress"] == ip.strip()


def test_hosting_block_is_typed_hosting(geo):
    assert geo.lookup("2001:db8:11::5")["as"] == {
        "number": "AS64496",
        "name": "Example Cloud Hosting Amsterdam (documentation)",
        "type": "hosting",
        "route": "2001:db8:11::/48",
    }


@pytest.mark.parametrize(
    "ip",
    [
        "8.8.8.8",
        "10.0.0.1",
        "127.0.0.1",
        "192.0.3.1",
        "198.51.101.1",
        "2001:db8:ff::1",
        "2001:db9::1",
        "fe80::1",
        "not-an-ip",
        "",
        "   ",
        "192.0.2.1/32",
        "192.0.2.256",
        None,
        12345,
        ["192.0.2.1"],
    ],
)
def test_unknown_private_and_malformed_addresses_give_none(geo, ip):
    assert geo.lookup(ip) is None


def test_singapore_has_no_subdivision_rather_than_an_empty_one(geo):
    found = geo.lookup("198.51.100.130")  # Singapore's block
    assert found["city"]["name"] == "Singapore" and "subdivision" not in found


def test_lookup_returns_a_fresh_object_each_time(geo):
    first = geo.lookup("192.0.2.1")
    first["country"]["name"] = "changed"
    first["city"] = None
    again = geo.lookup("192.0.2.1")
    assert again["country"]["name"] == "United States" and again["city"] == {"name": "New York"}


def test_bundled_table_agrees_with_the_emulators_geo_table(geo):
    """Same blocks, cities and coordinates as collector/emulator/geo.py (copied, not imported)."""
    assert len(GEO_BLOCKS) == 29
    for block in GEO_BLOCKS:
        net = ipaddress.ip_network(block.network)
        for addr in (net.network_address, net.broadcast_address):
            found = geo.lookup(str(addr))
            assert found is not None, block.network
            assert found["country"] == {"iso_code": block.country_code, "name": block.country}
            assert found["city"] == {"name": block.city}
            assert found["location"] == {"latitude": block.latitude, "longitude": block.longitude}
            assert found["as"]["number"] == f"AS{block.asn}" and found["as"]["route"] == block.network
            assert found["as"]["type"] == ("hosting" if block.hosting else "isp")


def test_bundled_table_covers_only_documentation_space():
    data = json.loads(resources.files("contentkit").joinpath("data/geoip_test_networks.json").read_text("utf-8"))
    doc_space = [
        ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
    ]
    for entry in data["networks"]:
        net = ipaddress.ip_network(entry["network"])
        assert any(net.version == d.version and net.subnet_of(d) for d in doc_space), net
        assert set(entry) <= {"network", "country", "continent", "subdivision", "city", "location", "as"}


def test_contentkit_does_not_import_collector():
    for name in ("geoip.py", "processors.py"):
        text = (ROOT / "contentkit" / name).read_text("utf-8")
        assert "import collector" not in text and "from collector" not in text


def test_table_is_declared_package_data():
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    assert "data/*.json" in config["tool"]["setuptools"]["package-data"]["contentkit"]


def test_from_networks_most_specific_network_wins_and_bad_entries_fail():
    geo = GeoIP.from_networks(
        [
            {"network": "192.0.2.0/24", "city": {"name": "Wide"}},
            {"network": "192.0.2.128/25", "city": {"name": "Narrow"}},
        ]
    )
    assert geo.lookup("192.0.2.1")["city"]["name"] == "Wide"
    assert geo.lookup("192.0.2.200")["city"]["name"] == "Narrow"
    with pytest.raises(ContentError, match=r"networks\[0\]"):
        GeoIP.from_networks([{"network": "192.0.2.0/33"}])
    with pytest.raises(ContentError, match="unknown keys"):
        GeoIP.from_networks([{"network": "192.0.2.0/24", "town": {}}])
    with pytest.raises(ContentError, match="CIDR"):
        GeoIP.from_networks([{"city": {"name": "x"}}])


# --------------------------------------------------------------------------- MaxMind records

GEOLITE2_CITY_RECORD = {  # the shape of a GeoLite2-City record (maxminddb.Reader.get)
    "city": {"geoname_id": 2988507, "names": {"de": "Paris", "en": "Paris", "ja": "パリ"}},
    "continent": {"code": "EU", "geoname_id": 6255148, "names": {"en": "Europe", "fr": "Europe"}},
    "country": {
        "geoname_id": 3017382,
        "is_in_european_union": True,
        "iso_code": "FR",
        "names": {"en": "France", "de": "Frankreich"},
    },
    "location": {"accuracy_radius": 20, "latitude": 48.8534, "longitude": 2.3488, "time_zone": "Europe/Paris"},
    "postal": {"code": "75001"},
    "registered_country": {"geoname_id": 3017382, "iso_code": "FR", "names": {"en": "France"}},
    "subdivisions": [
        {"geoname_id": 3012874, "iso_code": "IDF", "names": {"en": "Île-de-France"}},
        {"geoname_id": 2968815, "iso_code": "75", "names": {"en": "Paris"}},
    ],
}


def test_maps_a_geolite2_city_record_to_datadogs_object():
    assert map_maxmind_record(GEOLITE2_CITY_RECORD, "203.0.113.9", route="203.0.113.0/24") == {
        "ipAddress": "203.0.113.9",
        "country": {"iso_code": "FR", "name": "France"},
        "continent": {"code": "EU", "name": "Europe"},
        "subdivision": {"iso_code": "IDF", "name": "Île-de-France"},  # the first level only
        "city": {"name": "Paris"},
        "location": {"latitude": 48.8534, "longitude": 2.3488},
    }


def test_maps_asn_from_an_asn_record_or_enterprise_traits():
    asn = {"autonomous_system_number": 64496, "autonomous_system_organization": "Example Org"}
    out = map_maxmind_record(
        {"country": {"iso_code": "US", "names": {"en": "United States"}}},
        "192.0.2.1",
        route="192.0.2.0/24",
        asn_record=asn,
    )
    assert out["as"] == {"number": "AS64496", "name": "Example Org", "route": "192.0.2.0/24"}
    traits = {
        "traits": {
            "autonomous_system_number": 64497,
            "autonomous_system_organization": "Cloud",
            "domain": "example.com",
            "user_type": "hosting",
        }
    }
    assert map_maxmind_record(traits, "192.0.2.2")["as"] == {
        "number": "AS64497",
        "name": "Cloud",
        "domain": "example.com",
        "type": "hosting",
    }


def test_country_only_record_and_names_without_english():
    out = map_maxmind_record(
        {"country": {"iso_code": "JP", "names": {"ja": "日本"}}, "continent": {"code": "AS"}}, "192.0.2.3"
    )
    assert out == {"ipAddress": "192.0.2.3", "country": {"iso_code": "JP", "name": "日本"}, "continent": {"code": "AS"}}


def test_record_without_location_data_maps_to_none():
    assert map_maxmind_record({}, "192.0.2.4") is None
    assert (
        map_maxmind_record(
            {"registered_country": {"iso_code": "FR"}, "location": {"accuracy_radius": 1000}}, "192.0.2.4"
        )
        is None
    )


# --------------------------------------------------------------------------- .mmdb files


def test_missing_file_is_one_clear_error(tmp_path):
    with pytest.raises(ContentError, match=r"GeoIP database .*nope\.mmdb: no such file"):
        GeoIP.from_mmdb(tmp_path / "nope.mmdb")


def test_directory_is_one_clear_error(tmp_path):
    with pytest.raises(ContentError, match="is a directory"):
        GeoIP.from_mmdb(tmp_path)


@pytest.mark.parametrize("content", [b"", b"not a maxmind database at all\n" * 10, b"\xab\xcd\xefMaxMind.com"])
def test_bad_file_is_one_clear_error(tmp_path, content):
    path = tmp_path / "bad.mmdb"
    path.write_bytes(content)
    with pytest.raises(ContentError, match=r"bad\.mmdb: not a valid MaxMind DB \(\.mmdb\) file"):
        GeoIP.from_mmdb(path)


def test_bad_asn_file_is_named(tmp_path):
    city = tmp_path / "city.mmdb"
    city.write_bytes(_mmdb([("192.0.2.0/24", GEOLITE2_CITY_RECORD)]))
    with pytest.raises(ContentError, match="asn.mmdb: no such file"):
        GeoIP.from_mmdb(city, asn_path=tmp_path / "asn.mmdb")


def test_reads_a_real_mmdb_file(tmp_path):
    """A tiny MaxMind DB written by _mmdb below (maxminddb itself only reads)."""
    path = tmp_path / "city.mmdb"
    path.write_bytes(
        _mmdb(
            [
                ("203.0.113.0/24", GEOLITE2_CITY_RECORD),
                ("2001:db8:5::/48", {"country": {"iso_code": "DE", "names": {"en": "Germany"}}}),
            ]
        )
    )
    with GeoIP.from_mmdb(path) as geo:
        out = geo.lookup("203.0.113.9")
        assert out == map_maxmind_record(GEOLITE2_CITY_RECORD, "203.0.113.9")
        assert geo.lookup("2001:db8:5::77") == {
            "ipAddress": "2001:db8:5::77",
            "country": {"iso_code": "DE", "name": "Germany"},
        }
        assert geo.lookup("198.51.100.1") is None
        assert geo.lookup("nonsense") is None
        out["city"]["name"] = "changed"
        assert geo.lookup("203.0.113.9")["city"]["name"] == "Paris"


def test_reads_city_and_asn_files_together(tmp_path):
    city, asn = tmp_path / "city.mmdb", tmp_path / "asn.mmdb"
    city.write_bytes(_mmdb([("203.0.113.0/24", GEOLITE2_CITY_RECORD)]))
    asn.write_bytes(
        _mmdb(
            [("203.0.113.0/25", {"autonomous_system_number": 64511, "autonomous_system_organization": "Doc Net"})],
            database_type="GeoLite2-ASN",
        )
    )
    with GeoIP.from_mmdb(city, asn_path=asn) as geo:
        assert geo.lookup("203.0.113.9")["as"] == {"number": "AS64511", "name": "Doc Net", "route": "203.0.113.0/25"}
        assert "as" not in geo.lookup("203.0.113.200")


# A minimal MaxMind DB writer (format: https://maxmind.github.io/MaxMind-DB/), IPv6 tree with
# IPv4 networks under ::/96, 24-bit records. Enough for the reader to accept the file.


class _U16(int):
    pass


class _U64(int):
    pass


def _ctrl(type_: int, size: int) -> bytes:
    if size < 29:
        bits, extra = size, b""
    elif size < 285:
        bits, extra = 29, bytes([size - 29])
    else:
        bits, extra = 30, (size - 285).to_bytes(2, "big")
    head = bytes([(type_ << 5) | bits]) if type_ <= 7 else bytes([bits, type_ - 7])
    return head + extra


def _encode(value) -> bytes:
    if isinstance(value, (_U16, _U64)):
        raw = int(value).to_bytes((int(value).bit_length() + 7) // 8, "big")
        return _ctrl(5 if isinstance(value, _U16) else 9, len(raw)) + raw
    if isinstance(value, str):
        raw = value.encode()
        return _ctrl(2, len(raw)) + raw
    if isinstance(value, bool):
        return _ctrl(14, int(value))
    if isinstance(value, float):
        return _ctrl(3, 8) + struct.pack(">d", value)
    if isinstance(value, int):
        raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
        return _ctrl(6, len(raw)) + raw
    if isinstance(value, dict):
        return _ctrl(7, len(value)) + b"".join(_encode(k) + _encode(v) for k, v in value.items())
    if isinstance(value, list):
        return _ctrl(11, len(value)) + b"".join(_encode(v) for v in value)
    raise TypeError(value)


def _mmdb(networks, database_type="GeoLite2-City") -> bytes:
    nodes: list[list] = [[None, None]]
    data = bytearray()
    for cidr, record in networks:
        net = ipaddress.ip_network(cidr)
        bits = int(net.network_address)
        depth_total = net.prefixlen + (96 if net.version == 4 else 0)
        offset = len(data)
        data += _encode(record)
        node = 0
        for depth in range(depth_total):
            bit = (bits >> (127 - depth)) & 1
            if depth == depth_total - 1:
                nodes[node][bit] = ("data", offset)
            else:
                if nodes[node][bit] is None:
                    nodes.append([None, None])
                    nodes[node][bit] = ("node", len(nodes) - 1)
                node = nodes[node][bit][1]
    count = len(nodes)

    def record(r) -> int:
        if r is None:
            return count
        return r[1] if r[0] == "node" else count + 16 + r[1]

    tree = b"".join(record(a).to_bytes(3, "big") + record(b).to_bytes(3, "big") for a, b in nodes)
    meta = {
        "binary_format_major_version": _U16(2),
        "binary_format_minor_version": _U16(0),
        "build_epoch": _U64(1700000000),
        "database_type": database_type,
        "description": {"en": "contentkit test"},
        "ip_version": _U16(6),
        "languages": ["en"],
        "node_count": count,
        "record_size": _U16(24),
    }
    return tree + bytes(16) + bytes(data) + b"\xab\xcd\xefMaxMind.com" + _encode(meta)
