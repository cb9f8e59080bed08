"""Pod log lines: timestamps with nanoseconds, carriage returns, long lines, filters."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx2
import pytest

from kapstan.services import podlogs
from kapstan.services.podlogs import LogQuery, Stamp, parse_line

EPOCH = Stamp(datetime(1, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("text", "nano"),
    [
        ("2024-01-02T03:04:05.123456789Z", "2024-01-02T03:04:05.123456789Z"),
        ("2024-01-02T03:04:05.500000000Z", "2024-01-02T03:04:05.5Z"),
        ("2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z"),
        ("2024-01-02T05:04:05.1+02:00", "2024-01-02T03:04:05.1Z"),
    ],
)
def test_stamps_keep_nanoseconds_as_go_prints_them(text: str, nano: str) -> None:
    stamp = Stamp.parse(text)
    assert stamp is not None
    assert stamp.rfc3339_nano() == nano
    assert stamp.rfc3339() == "2024-01-02T03:04:05Z"


def test_stamps_order_by_nanoseconds() -> None:
    a = Stamp.parse("2024-01-02T03:04:05.000000001Z")
    b = Stamp.parse("2024-01-02T03:04:05.000000002Z")
    assert a is not None
    assert b is not None
    assert a < b


def test_a_line_splits_at_carriage_returns_and_keeps_its_time() -> None:
    entries = parse_line(b"2024-01-02T03:04:05Z progress 10%\rprogress 20%\n", "p", EPOCH)
    assert [e.content for e in entries] == ["progress 10%", "progress 20%"]
    assert {e.stamp.rfc3339() for e in entries} == {"2024-01-02T03:04:05Z"}


def test_a_line_without_a_time_keeps_the_previous_one() -> None:
    before = Stamp.parse("2024-01-02T03:04:05Z")
    assert before is not None
    (entry,) = parse_line(b"no stamp here", "p", before)
    assert (entry.content, entry.stamp) == ("no stamp here", before)


def test_long_lines_are_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(podlogs, "MAX_LINE", 8)

    async def body() -> list[bytes]:
        resp = httpx2.Response(200, content=b"short\n" + b"x" * 30 + b"\nafter\n")
        return [line async for line in podlogs._lines(resp)]

    assert asyncio.run(body()) == [b"short", b"x" * 8, b"after"]


@pytest.mark.parametrize(
    ("filter_", "match_case", "kept"),
    [("err", False, ["ERR a", "err b"]), ("err", True, ["err b"]), ("!err", False, ["ok"])],
)
def test_filters(filter_: str, match_case: bool, kept: list[str]) -> None:
    query = LogQuery(filter=filter_, match_case=match_case)
    assert [line for line in ["ERR a", "err b", "ok"] if query.keeps(line)] == kept


def test_the_api_query() -> None:
    assert LogQuery().params() == {"timestamps": "true", "limitBytes": podlogs.LIMIT_BYTES}
    followed = LogQuery(container="c", tail_lines=5, follow=True, previous=True).params()
    assert followed == {
        "timestamps": "true",
        "container": "c",
        "tailLines": 5,
        "follow": "true",
        "previous": "true",
    }
