"""The limiter itself, over the memory backend (one process) and the Redis backend (shared)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from app.errors import Conflict, TooManyRequests
from app.services.ratelimit import (
    Limit,
    Limiter,
    Limits,
    MemoryBackend,
    RedisBackend,
    client_address,
    parse_networks,
)
from tests.security.conftest import Clock

REDIS_URL = os.environ.get("TRIBUNE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def memory_limiter(clock: Clock, **limits: Limit | int) -> Limiter:
    return Limiter(MemoryBackend(clock=clock), secret="s3cret", limits=Limits(**limits))  # type: ignore[arg-type]


@pytest.fixture
def redis_client() -> Iterator[object]:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        if os.environ.get("CI"):
            raise  # CI starts Redis: its absence there is a failure, not a reason to skip
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    yield client
    client.close()


def test_login_is_refused_after_ten_failures_for_one_account(clock: Clock) -> None:
    limiter = memory_limiter(clock)
    for _ in range(10):
        limiter.check_login(account="user:1", address=None)
        limiter.login_failed(account="user:1", address=None)
    with pytest.raises(TooManyRequests) as caught:
        limiter.check_login(account="user:1", address=None)
    assert 0 < caught.value.retry_after <= 15 * 60


def test_login_refusal_lifts_when_the_fifteen_minutes_are_over(clock: Clock) -> None:
    limiter = memory_limiter(clock)
    for _ in range(10):
        limiter.login_failed(account="user:1", address=None)
    clock.advance(15 * 60 + 1)
    limiter.check_login(account="user:1", address=None)


def test_login_is_refused_after_thirty_failures_from_one_address(clock: Clock) -> None:
    limiter = memory_limiter(clock)
    for n in range(30):
        limiter.login_failed(account=f"name:victim{n}", address="203.0.113.9")
    with pytest.raises(TooManyRequests) as caught:
        limiter.check_login(account="name:someone-else", address="203.0.113.9")
    assert 15 * 60 < caught.value.retry_after <= 60 * 60
    limiter.check_login(account="name:someone-else", address="203.0.113.10")


def test_a_disabled_limiter_lets_everything_through(clock: Clock) -> None:
    limiter = Limiter(MemoryBackend(clock=clock), secret="s", enabled=False)
    for _ in range(50):
        limiter.login_failed(account="user:1", address="203.0.113.9")
        limiter.hit_comment(user_id=1, body="même texte")
    limiter.check_login(account="user:1", address="203.0.113.9")


def test_a_second_comment_within_five_seconds_is_refused(clock: Clock) -> None:
    limiter = memory_limiter(clock)
    limiter.hit_comment(user_id=1, body="un")
    clock.advance(4)
    with pytest.raises(TooManyRequests) as caught:
        limiter.hit_comment(user_id=1, body="deux")
    assert 1 <= caught.value.retry_after <= 5
    clock.advance(2)
    limiter.hit_comment(user_id=1, body="deux")


def test_an_eleventh_comment_within_ten_minutes_is_refused(clock: Clock) -> None:
    limiter = memory_limiter(clock)
    for n in range(10):
        limiter.hit_comment(user_id=1, body=f"message {n}")
        clock.advance(6)
    with pytest.raises(TooManyRequests):
        limiter.hit_comment(user_id=1, body="message 11")
    clock.advance(10 * 60)
    limiter.hit_comment(user_id=1, body="message 11")


def test_the_same_body_twice_within_five_minutes_is_refused(clock: Clock) -> None:
    limiter = memory_limiter(clock)
    limiter.hit_comment(user_id=1, body="Je  suis\nd’accord")
    clock.advance(60)
    with pytest.raises(Conflict):
        limiter.hit_comment(user_id=1, body="je suis d’accord")
    clock.advance(5 * 60)
    limiter.hit_comment(user_id=1, body="je suis d’accord")


def test_the_same_body_from_two_readers_is_allowed(clock: Clock) -> None:
    limiter = memory_limiter(clock)
    limiter.hit_comment(user_id=1, body="D’accord.")
    limiter.hit_comment(user_id=2, body="D’accord.")


def test_a_twenty_first_report_in_a_day_is_refused(clock: Clock) -> None:
    limiter = memory_limiter(clock)
    for _ in range(20):
        limiter.hit_report(user_id=1)
    with pytest.raises(TooManyRequests) as caught:
        limiter.hit_report(user_id=1)
    assert caught.value.retry_after <= 24 * 3600
    clock.advance(24 * 3600)
    limiter.hit_report(user_id=1)


def test_keys_are_keyed_hashes_that_never_contain_the_address(clock: Clock) -> None:
    backend = MemoryBackend(clock=clock)
    limiter = Limiter(backend, secret="s3cret")
    limiter.login_failed(account="name:alice", address="198.51.100.23")
    keys = list(backend._data)
    assert len(keys) == 2
    assert all("198.51.100.23" not in k and "alice" not in k for k in keys)
    other = Limiter(MemoryBackend(clock=clock), secret="another-secret")
    assert limiter.key("login-address", "198.51.100.23") != other.key("login-address", "198.51.100.23")


def test_counters_expire_with_their_window(clock: Clock) -> None:
    backend = MemoryBackend(clock=clock, max_keys=1)
    limiter = Limiter(backend, secret="s")
    limiter.login_failed(account="name:alice", address="198.51.100.23")
    clock.advance(3601)
    limiter.login_failed(account="name:bob", address=None)
    assert len(backend._data) == 1


def test_the_limits_are_shared_between_processes_through_redis(redis_client: object) -> None:
    prefix = f"tribune-test:{uuid.uuid4().hex}"
    first = Limiter(RedisBackend(redis_client), secret="s", prefix=prefix)
    second = Limiter(RedisBackend(redis_client), secret="s", prefix=prefix)
    for _ in range(5):
        first.login_failed(account="user:7", address="192.0.2.1")
        second.login_failed(account="user:7", address="192.0.2.1")
    with pytest.raises(TooManyRequests) as caught:
        second.check_login(account="user:7", address=None)
    assert 0 < caught.value.retry_after <= 900
    first.hit_comment(user_id=7, body="premier")
    with pytest.raises(TooManyRequests):
        second.hit_comment(user_id=7, body="second")


def test_redis_keys_expire_and_hide_what_they_count(redis_client: object) -> None:
    prefix = f"tribune-test:{uuid.uuid4().hex}"
    limiter = Limiter(RedisBackend(redis_client), secret="s", prefix=prefix)
    limiter.login_failed(account="name:alice", address="198.51.100.23")
    limiter.hit_comment(user_id=3, body="bonjour")
    keys = [k.decode() for k in redis_client.keys(f"{prefix}:*")]  # type: ignore[attr-defined]
    assert len(keys) == 5
    for key in keys:
        assert not any(secret in key for secret in ("198.51.100.23", "alice", "bonjour"))
        assert 0 < redis_client.ttl(key) <= 3600  # type: ignore[attr-defined]


def test_the_same_body_is_refused_across_processes_through_redis(redis_client: object) -> None:
    prefix = f"tribune-test:{uuid.uuid4().hex}"
    limits = Limits(comment_burst=Limit("comment-burst", 100, 5))
    first = Limiter(RedisBackend(redis_client), secret="s", prefix=prefix, limits=limits)
    second = Limiter(RedisBackend(redis_client), secret="s", prefix=prefix, limits=limits)
    first.hit_comment(user_id=3, body="bonjour")
    with pytest.raises(Conflict):
        second.hit_comment(user_id=3, body="bonjour")


def test_an_unreachable_redis_does_not_take_the_site_down() -> None:
    limiter = Limiter(RedisBackend.from_url("redis://127.0.0.1:1/0"), secret="s")
    limiter.login_failed(account="user:1", address="192.0.2.1")
    limiter.check_login(account="user:1", address="192.0.2.1")
    limiter.hit_comment(user_id=1, body="x")


TRUSTED = parse_networks(["10.0.0.0/8", "::1"])


def test_forwarding_headers_from_an_untrusted_peer_are_ignored() -> None:
    assert client_address("198.51.100.7", ["1.2.3.4"], TRUSTED) == "198.51.100.7"
    assert client_address("198.51.100.7", ["1.2.3.4"], ()) == "198.51.100.7"


def test_a_trusted_proxy_names_the_client_it_forwards_for() -> None:
    assert client_address("10.0.0.2", ["198.51.100.7"], TRUSTED) == "198.51.100.7"


def test_a_client_cannot_choose_its_address_by_prepending_to_the_header() -> None:
    # The client sent "X-Forwarded-For: 1.2.3.4"; the proxy appended the real peer.
    assert client_address("10.0.0.2", ["1.2.3.4, 198.51.100.7"], TRUSTED) == "198.51.100.7"
    assert client_address("10.0.0.2", ["1.2.3.4", "198.51.100.7, 10.0.0.3"], TRUSTED) == "198.51.100.7"


def test_a_malformed_forwarded_address_stops_at_the_last_trusted_hop() -> None:
    assert client_address("10.0.0.2", ["not-an-ip"], TRUSTED) == "10.0.0.2"
