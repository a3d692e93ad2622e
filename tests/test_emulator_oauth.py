"""The emulator's user-managed (General app) OAuth: authorize with PKCE, code exchange,
rotating refresh tokens, and the faults a collector must survive."""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from emulator import Emulator, EmulatorConfig

NOW = datetime(2026, 3, 18, 12, 0, 0, tzinfo=UTC)
REDIRECT = "http://127.0.0.1:9/oauth/callback"

INVALID_CODE = {"reason": "Invalid authorization code", "error": "invalid_grant"}
EXPIRED_CODE = {"reason": "Code is expired", "error": "invalid_grant"}
REDIRECT_MISMATCH = {"reason": "Redirect URI mismatch.", "error": "invalid_grant"}
INVALID_TOKEN = {"reason": "Invalid Token!", "error": "invalid_grant"}
INVALID_CLIENT = {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def make(**kw) -> Emulator:
    kw.setdefault("now", Clock())
    return Emulator(EmulatorConfig(**kw))


@pytest.fixture
def client():
    with httpx.Client(timeout=10) as c:  # redirects are not followed: the 302 is what we check
        yield c


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


def authorize(c, e, **overrides) -> httpx.Response:
    params = {"response_type": "code", "client_id": e.config.client_id, "redirect_uri": REDIRECT}
    params.update(overrides)
    return c.get(e.authorize_url, params={k: v for k, v in params.items() if v is not None})


def code_from(r: httpx.Response) -> dict:
    assert r.status_code == 302, r.text
    return {k: v[0] for k, v in parse_qs(urlsplit(r.headers["Location"]).query).items()}


def new_code(c, e, **overrides) -> tuple[str, str]:
    """(code, verifier) from an S256 authorization."""
    verifier, challenge = pkce()
    r = authorize(c, e, state="s", code_challenge=challenge, code_challenge_method="S256", **overrides)
    return code_from(r)["code"], verifier


def exchange(c, e, code, verifier=None, redirect_uri=REDIRECT, secret=None, in_query=False) -> httpx.Response:
    params = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if verifier is not None:
        params["code_verifier"] = verifier
    auth = (e.config.client_id, e.config.client_secret if secret is None else secret)
    if in_query:
        return c.post(e.token_url, params=params, auth=auth)
    return c.post(e.token_url, data=params, auth=auth)


def refresh(c, e, token, secret=None, in_query=False) -> httpx.Response:
    params = {"grant_type": "refresh_token", "refresh_token": token}
    auth = (e.config.client_id, e.config.client_secret if secret is None else secret)
    if in_query:
        return c.post(e.token_url, params=params, auth=auth)
    return c.post(e.token_url, data=params, auth=auth)


def login(c, e) -> dict:
    code, verifier = new_code(c, e)
    r = exchange(c, e, code, verifier)
    assert r.status_code == 200, r.text
    return r.json()


def report(c, e, access_token) -> httpx.Response:
    return c.get(f"{e.api_url}/report/activities", headers={"Authorization": f"Bearer {access_token}"})


def counts(e) -> dict:
    return {k: v for k, v in e.refresh_tokens().items() if k not in ("valid", "all")}


# ---- authorize -> exchange -> report ----------------------------------------------------


def test_full_pkce_flow(client):
    with make() as e:
        assert e.authorize_url == e.base_url + "/oauth/authorize"
        verifier, challenge = pkce()
        state = "opaque state/with spaces & = signs"
        r = authorize(client, e, state=state, code_challenge=challenge, code_challenge_method="S256")
        assert r.status_code == 302
        location = r.headers["Location"]
        assert location.startswith(REDIRECT + "?")
        got = code_from(r)
        assert set(got) == {"code", "state"} and got["state"] == state and got["code"]

        r = exchange(client, e, got["code"], verifier)
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body) == {"access_token", "token_type", "refresh_token", "expires_in", "scope", "api_url"}
        assert body["token_type"] == "bearer" and body["expires_in"] == 3599
        assert body["scope"] == "report:read:admin" and body["api_url"] == e.base_url
        assert body["access_token"] != body["refresh_token"]
        assert body["access_token"] in e.issued_tokens()
        assert e.refresh_tokens()["valid"] == [body["refresh_token"]]

        r = report(client, e, body["access_token"])
        assert r.status_code == 200 and "activity_logs" in r.json()

        stats = e.stats
        assert stats["authorize_requests"] == 1 and stats["token_requests"] == 1
        assert stats["oauth"]["codes_issued"] == 1 and stats["oauth"]["codes_exchanged"] == 1
        assert stats["status"] == {302: 1, 200: 2}


def test_params_in_query_string_redirect_with_query_and_no_state(client):
    with make() as e:
        base = REDIRECT + "?tenant=a"
        verifier, challenge = pkce()
        r = authorize(client, e, redirect_uri=base, code_challenge=challenge, code_challenge_method="S256")
        got = code_from(r)
        assert set(got) == {"tenant", "code"} and got["tenant"] == "a"  # no state sent, none echoed
        r = exchange(client, e, got["code"], verifier, redirect_uri=base, in_query=True)
        assert r.status_code == 200, r.text
        r = refresh(client, e, r.json()["refresh_token"], in_query=True)
        assert r.status_code == 200, r.text


def test_plain_and_absent_challenge_method_and_no_pkce(client):
    with make() as e:
        for method in ("plain", None):
            verifier = secrets.token_urlsafe(40)
            code = code_from(authorize(client, e, code_challenge=verifier, code_challenge_method=method))["code"]
            assert exchange(client, e, code, verifier + "x").json() == INVALID_CODE
            assert exchange(client, e, code, verifier).status_code == 200
        # With S256, sending the challenge itself as the verifier is refused.
        verifier, challenge = pkce()
        code = code_from(authorize(client, e, code_challenge=challenge, code_challenge_method="S256"))["code"]
        assert exchange(client, e, code, challenge).json() == INVALID_CODE
        # A confidential client may skip PKCE altogether.
        code = code_from(authorize(client, e))["code"]
        assert exchange(client, e, code).status_code == 200


def test_authorize_errors(client):
    with make(redirect_uris=(REDIRECT,)) as e:
        cases = [
            ({"client_id": "someone-else"}, {"reason": "Invalid client_id", "error": "invalid_client"}),
            ({"client_id": None}, {"reason": "Invalid client_id", "error": "invalid_client"}),
            ({"redirect_uri": None}, {"reason": "Redirect URI mismatch.", "error": "invalid_request"}),
            (
                {"redirect_uri": "http://127.0.0.1:9/elsewhere"},
                {"reason": "Redirect URI mismatch.", "error": "invalid_request"},
            ),
            ({"response_type": "token"}, {"reason": "Unsupported response type", "error": "unsupported_response_type"}),
            ({"response_type": None}, {"reason": "Unsupported response type", "error": "unsupported_response_type"}),
            (
                {"code_challenge": "abc", "code_challenge_method": "S512"},
                {"reason": "Invalid code_challenge_method", "error": "invalid_request"},
            ),
        ]
        for overrides, body in cases:
            r = authorize(client, e, state="s", **overrides)
            assert (r.status_code, r.json()) == (400, body), overrides
            assert "location" not in r.headers
        assert client.post(e.authorize_url).status_code == 405
        assert e.stats["oauth"]["authorize_rejected"] == len(cases)
        assert e.stats["oauth"]["codes_issued"] == 0
        assert authorize(client, e).status_code == 302  # the allow-listed URI is accepted


def test_authorize_deny(client):
    with make(authorize_deny=True) as e:
        r = authorize(client, e, state="xyz")
        assert r.status_code == 302
        assert code_from(r) == {"error": "access_denied", "state": "xyz"}
        assert e.stats["oauth"]["authorize_denied"] == 1 and e.stats["oauth"]["codes_issued"] == 0
        e.config.authorize_deny = False  # read live
        assert "code" in code_from(authorize(client, e, state="xyz"))


# ---- code exchange refusals ----------------------------------------------------------------


def test_wrong_verifier_and_redirect_are_refused(client):
    with make() as e:
        code, verifier = new_code(client, e)
        r = exchange(client, e, code, pkce()[0])
        assert (r.status_code, r.json()) == (400, INVALID_CODE)
        r = exchange(client, e, code, None)  # challenge sent, verifier missing
        assert (r.status_code, r.json()) == (400, INVALID_CODE)
        r = exchange(client, e, code, verifier, redirect_uri=REDIRECT + "/other")
        assert (r.status_code, r.json()) == (400, REDIRECT_MISMATCH)
        r = exchange(client, e, code, verifier, redirect_uri="")
        assert (r.status_code, r.json()) == (400, REDIRECT_MISMATCH)
        r = exchange(client, e, code, verifier, secret="wrong")
        assert (r.status_code, r.json()) == (401, INVALID_CLIENT)
        assert e.refresh_tokens()["issued"] == 0
        # Failed attempts do not use the code up.
        assert exchange(client, e, code, verifier).status_code == 200
        assert e.stats["oauth"]["codes_rejected"] == 4


def test_reused_and_unknown_codes_are_refused(client):
    with make() as e:
        code, verifier = new_code(client, e)
        first = exchange(client, e, code, verifier)
        assert first.status_code == 200
        r = exchange(client, e, code, verifier)
        assert (r.status_code, r.json()) == (400, INVALID_CODE)
        r = exchange(client, e, "never-issued", verifier)
        assert (r.status_code, r.json()) == (400, INVALID_CODE)
        # The refusal does not touch what the first exchange issued.
        assert e.refresh_tokens()["valid"] == [first.json()["refresh_token"]]
        assert report(client, e, first.json()["access_token"]).status_code == 200


def test_code_expires_after_five_minutes(client):
    clock = Clock()
    with make(now=clock) as e:
        code, verifier = new_code(client, e)
        clock.advance(300)
        assert exchange(client, e, code, verifier).status_code == 200  # exactly 5 minutes: still good
        code, verifier = new_code(client, e)
        clock.advance(301)
        r = exchange(client, e, code, verifier)
        assert (r.status_code, r.json()) == (400, EXPIRED_CODE)


# ---- refresh rotation -----------------------------------------------------------------------


def test_refresh_rotates_and_old_token_is_refused(client):
    with make() as e:
        first = login(client, e)
        r = refresh(client, e, first["refresh_token"])
        assert r.status_code == 200, r.text
        second = r.json()
        assert set(second) == {"access_token", "token_type", "refresh_token", "expires_in", "scope", "api_url"}
        assert second["refresh_token"] != first["refresh_token"]
        assert second["access_token"] != first["access_token"]
        assert e.refresh_tokens()["valid"] == [second["refresh_token"]]

        r = refresh(client, e, first["refresh_token"])
        assert (r.status_code, r.json()) == (400, INVALID_TOKEN)
        assert report(client, e, second["access_token"]).status_code == 200

        r = refresh(client, e, second["refresh_token"])
        assert r.status_code == 200
        third = r.json()
        assert report(client, e, third["access_token"]).status_code == 200
        r = refresh(client, e, "never-issued")
        assert (r.status_code, r.json()) == (400, INVALID_TOKEN)

        snap = e.refresh_tokens()
        assert snap["valid"] == [third["refresh_token"]]
        assert snap["all"] == [first["refresh_token"], second["refresh_token"], third["refresh_token"]]
        assert counts(e) == {
            "issued": 3,
            "rotated": 2,
            "rejected_superseded": 1,
            "rejected_unknown": 1,
            "rejected_expired": 0,
            "rejected_revoked": 0,
        }


def test_refresh_with_bad_client_is_401_and_does_not_rotate(client):
    with make() as e:
        tokens = login(client, e)
        r = refresh(client, e, tokens["refresh_token"], secret="wrong")
        assert (r.status_code, r.json()) == (401, INVALID_CLIENT)
        r = client.post(e.token_url, data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
        assert (r.status_code, r.json()) == (401, INVALID_CLIENT)  # no Authorization header at all
        assert e.refresh_tokens()["valid"] == [tokens["refresh_token"]]
        assert refresh(client, e, tokens["refresh_token"]).status_code == 200


@pytest.mark.slow
def test_concurrent_refreshes_with_one_token_rotate_once(client):
    with make() as e:
        tokens = login(client, e)
        # Widen the check-then-rotate window so that only the server's lock keeps two
        # simultaneous refreshes from both succeeding.
        grant = e._api.oauth._refresh[tokens["refresh_token"]]

        class SlowState(type(grant)):
            def __getattribute__(self, name):
                value = super().__getattribute__(name)
                if name == "state":
                    time.sleep(0.05)  # hand back what was read 50 ms ago
                return value

        grant.__class__ = SlowState
        results: list[httpx.Response] = []
        lock = threading.Lock()
        start = threading.Barrier(8)

        def worker():
            with httpx.Client(timeout=10) as c:
                start.wait()
                r = refresh(c, e, tokens["refresh_token"])
            with lock:
                results.append(r)

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        ok = [r for r in results if r.status_code == 200]
        assert len(ok) == 1
        assert all(r.json() == INVALID_TOKEN for r in results if r.status_code != 200)
        assert e.refresh_tokens()["valid"] == [ok[0].json()["refresh_token"]]
        assert counts(e)["rejected_superseded"] == 7


def test_refresh_token_lifetime(client):
    clock = Clock()
    with make(now=clock, refresh_token_ttl=3600) as e:
        tokens = login(client, e)
        clock.advance(3600)
        assert e.refresh_tokens()["valid"] == []
        r = refresh(client, e, tokens["refresh_token"])
        assert (r.status_code, r.json()) == (400, INVALID_TOKEN)
        assert counts(e)["rejected_expired"] == 1


def test_user_access_tokens_expire_like_the_others(client):
    clock = Clock()
    with make(now=clock, token_ttl=60) as e:
        tokens = login(client, e)
        assert tokens["expires_in"] == 60
        clock.advance(61)
        r = report(client, e, tokens["access_token"])
        assert (r.status_code, r.json()["message"]) == (401, "Access token is expired.")
        fresh = refresh(client, e, tokens["refresh_token"]).json()
        assert report(client, e, fresh["access_token"]).status_code == 200
        e.inject("expire_access_token")
        r = report(client, e, fresh["access_token"])
        assert (r.status_code, r.json()["message"]) == (401, "Access token is expired.")


# ---- faults on the token endpoint ---------------------------------------------------------


@pytest.mark.parametrize("kind", ["500", "503", "429_qps", "reset"])
def test_failed_refresh_does_not_rotate(client, kind):
    with make() as e:
        tokens = login(client, e)
        e.inject(kind, target="token")
        if kind == "reset":
            with pytest.raises(httpx.TransportError):
                refresh(client, e, tokens["refresh_token"])
        else:
            assert refresh(client, e, tokens["refresh_token"]).status_code == int(kind[:3])
        # Zoom never did the refresh: the same refresh token is still the valid one.
        assert e.refresh_tokens()["valid"] == [tokens["refresh_token"]]
        assert counts(e)["rotated"] == 0
        assert refresh(client, e, tokens["refresh_token"]).status_code == 200


def test_slow_and_truncated_refreshes_still_rotate(client):
    with make() as e:
        tokens = login(client, e)
        e.inject("slow", delay=0.2, target="token")
        r = refresh(client, e, tokens["refresh_token"])
        assert r.status_code == 200
        current = r.json()["refresh_token"]
        e.inject("truncated", target="token")
        with pytest.raises(httpx.RemoteProtocolError):
            refresh(client, e, current)
        # The answer was cut short, but the server rotated anyway.
        assert refresh(client, e, current).json() == INVALID_TOKEN
        assert len(e.refresh_tokens()["valid"]) == 1 and e.refresh_tokens()["valid"][0] != current


def test_lose_token_response(client):
    with make() as e:
        tokens = login(client, e)
        old = tokens["refresh_token"]
        issued_before = set(e.issued_tokens())
        e.inject("lose_token_response")  # target defaults to the token endpoint
        with pytest.raises(httpx.TransportError):
            refresh(client, e, old)

        # Exact server state: the old token is dead, one new pair exists that the client never saw.
        snap = e.refresh_tokens()
        assert len(snap["valid"]) == 1
        lost = snap["valid"][0]
        assert lost != old and snap["all"] == [old, lost]
        assert counts(e) == {
            "issued": 2,
            "rotated": 1,
            "rejected_superseded": 0,
            "rejected_unknown": 0,
            "rejected_expired": 0,
            "rejected_revoked": 0,
        }
        new_access = set(e.issued_tokens()) - issued_before
        assert len(new_access) == 1
        stats = e.stats
        assert stats["lost_token_responses"] == 1 and stats["resets"] == 1 and stats["faults"] == 1

        # The client retries with the only token it has, and is refused.
        r = refresh(client, e, old)
        assert (r.status_code, r.json()) == (400, INVALID_TOKEN)
        assert counts(e)["rejected_superseded"] == 1
        # The lost pair is real: whoever held it could have gone on.
        assert report(client, e, new_access.pop()).status_code == 200
        assert refresh(client, e, lost).status_code == 200
        # The fault was used up: the next refresh answers normally.
        assert e.stats["faults"] == 1


def test_lose_token_response_only_targets_the_token_endpoint():
    e = make()
    with pytest.raises(ValueError):
        e.inject("lose_token_response", target="report")
    with pytest.raises(ValueError):
        e.inject("lose_token_response", target="any")
    e.inject("lose_token_response", target="token")


def test_lose_token_response_on_code_exchange_uses_the_code(client):
    with make() as e:
        code, verifier = new_code(client, e)
        e.inject("lose_token_response")
        with pytest.raises(httpx.TransportError):
            exchange(client, e, code, verifier)
        assert exchange(client, e, code, verifier).json() == INVALID_CODE
        assert len(e.refresh_tokens()["valid"]) == 1


def test_revoke_makes_refresh_fail_for_good(client):
    with make() as e:
        tokens = login(client, e)
        code, verifier = new_code(client, e)  # outstanding when the app is removed
        e.inject("revoke")
        r = refresh(client, e, tokens["refresh_token"])
        assert (r.status_code, r.json()) == (400, INVALID_TOKEN)
        assert report(client, e, tokens["access_token"]).status_code == 401
        assert e.refresh_tokens()["valid"] == []
        assert counts(e)["rejected_revoked"] == 1
        # While the app stays removed, a fresh authorization gets nowhere either.
        fresh_code, fresh_verifier = new_code(client, e)
        r = exchange(client, e, fresh_code, fresh_verifier)
        assert (r.status_code, r.json()) == (400, INVALID_CODE)

        e.clear_faults()
        # Uninstalling is not undone: old tokens and codes stay dead, re-authorization works.
        r = refresh(client, e, tokens["refresh_token"])
        assert (r.status_code, r.json()) == (400, INVALID_TOKEN)
        r = report(client, e, tokens["access_token"])
        assert (r.status_code, r.json()["message"]) == (401, "Invalid access token.")
        assert exchange(client, e, code, verifier).json() == INVALID_CODE
        again = login(client, e)
        assert report(client, e, again["access_token"]).status_code == 200
        assert refresh(client, e, again["refresh_token"]).status_code == 200


# ---- server-to-server unchanged, secrets kept out -------------------------------------------


def test_account_credentials_unchanged_alongside(client):
    with make() as e:
        r = client.post(
            e.token_url,
            params={"grant_type": "account_credentials", "account_id": e.config.account_id},
            auth=(e.config.client_id, e.config.client_secret),
        )
        assert r.status_code == 200 and "refresh_token" not in r.json()
        e.inject("revoke")
        r = client.post(
            e.token_url,
            params={"grant_type": "account_credentials", "account_id": e.config.account_id},
            auth=(e.config.client_id, e.config.client_secret),
        )
        assert (r.status_code, r.json()) == (401, INVALID_CLIENT)
        r = client.post(e.token_url, data={"grant_type": "password"}, auth=(e.config.client_id, e.config.client_secret))
        assert r.status_code == 401  # revoked S2S apps fail client authentication first, as before


def test_no_secret_in_stats_or_output(client, capfd):
    with make() as e:
        tokens = login(client, e)
        refresh(client, e, tokens["refresh_token"])
        e.inject("lose_token_response")
        with pytest.raises(httpx.TransportError):
            refresh(client, e, e.refresh_tokens()["valid"][0])
        r = client.get(e.base_url + "/emulator/stats")
        assert r.status_code == 200 and r.json()["oauth"]["refresh_rotated"] == 2
        served = r.text
        secrets_seen = e.refresh_tokens()["all"] + e.issued_tokens() + [e.config.client_secret]
        assert all(s not in served for s in secrets_seen)
        assert all(s not in repr(e.config) for s in secrets_seen)
        out, err = capfd.readouterr()
        assert out == "" and err == ""
