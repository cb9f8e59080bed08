"""AppQueue behaviour: deduplication, levels, lanes, busy apps, timers, forget and close.

Every test drives its own event loop with :func:`asyncio.run` and uses delays of a few
hundredths of a second, so the whole module runs well under a second per test.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import pytest

from kapstan.controller.queue import LIVE_BURST, AppQueue, Level

SHORT = 0.05  # "nothing arrives" window and the usual timer delay


def run(body: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(body(), timeout=2.0))


async def get_soon(queue: AppQueue, timeout: float = 0.5) -> tuple[str, Level]:
    return await asyncio.wait_for(queue.get(), timeout)


async def assert_empty(queue: AppQueue, timeout: float = SHORT) -> None:
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(queue.get(), timeout)


def test_duplicate_adds_are_queued_once() -> None:
    async def body() -> None:
        queue = AppQueue()
        queue.add("a")
        queue.add("a")
        queue.add("b")
        queue.add("a")
        assert len(queue) == 2
        assert await get_soon(queue) == ("a", Level.LIVE)
        assert await get_soon(queue) == ("b", Level.LIVE)
        await assert_empty(queue)

    run(body)


def test_level_is_raised_never_lowered() -> None:
    async def body() -> None:
        queue = AppQueue()
        queue.add("hard", Level.HARD)
        queue.add("hard", Level.LIVE)
        queue.add("hard", Level.NORMAL)
        queue.add("up", Level.LIVE)
        queue.add("up", Level.NORMAL)
        got = {await get_soon(queue), await get_soon(queue)}  # (lanes: order not checked)
        assert got == {("hard", Level.HARD), ("up", Level.NORMAL)}
        await assert_empty(queue)

    run(body)


def test_live_re_compares_go_before_git_refreshes_but_never_starve_them() -> None:
    # A start queues every app for Git; the syncs they start finish and queue LIVE re-compares,
    # whose results must not wait behind all the first refreshes.
    async def body() -> None:
        queue = AppQueue()
        for i in range(8):
            queue.add(f"git-{i}", Level.NORMAL)
        for i in range(LIVE_BURST + 2):
            queue.add(f"live-{i}", Level.LIVE)
        order = []
        for _ in range(8 + LIVE_BURST + 2):
            name, _level = await get_soon(queue)
            order.append(name)
            queue.done(name)
        live = [f"live-{i}" for i in range(LIVE_BURST + 2)]
        git = [f"git-{i}" for i in range(8)]
        assert order == [*live[:LIVE_BURST], git[0], *live[LIVE_BURST:], *git[1:]]
        await assert_empty(queue)

    run(body)


def test_default_level_is_live() -> None:
    async def body() -> None:
        queue = AppQueue()
        queue.add("a")
        assert await get_soon(queue) == ("a", Level.LIVE)

    run(body)


def test_busy_app_is_requeued_only_after_done() -> None:
    async def body() -> None:
        queue = AppQueue()
        queue.add("a", Level.LIVE)
        assert await get_soon(queue) == ("a", Level.LIVE)
        queue.add("a", Level.NORMAL)
        queue.add("a", Level.LIVE)  # deferred level is raised, not lowered
        assert len(queue) == 1
        await assert_empty(queue)  # never handed to a second worker while busy
        queue.done("a")
        assert await get_soon(queue) == ("a", Level.NORMAL)
        queue.done("a")
        await assert_empty(queue)  # nothing was added meanwhile: not requeued
        assert len(queue) == 0

    run(body)


def test_other_apps_flow_while_one_is_busy() -> None:
    async def body() -> None:
        queue = AppQueue()
        queue.add("a")
        assert (await get_soon(queue))[0] == "a"
        queue.add("a", Level.HARD)
        queue.add("b")
        assert await get_soon(queue) == ("b", Level.LIVE)
        queue.done("b")
        queue.done("a")
        assert await get_soon(queue) == ("a", Level.HARD)

    run(body)


def test_two_workers_never_hold_the_same_app() -> None:
    async def body() -> None:
        queue = AppQueue()
        holding: set[str] = set()
        seen: list[str] = []

        async def worker() -> None:
            while True:
                name, _ = await queue.get()
                assert name not in holding
                holding.add(name)
                seen.append(name)
                await asyncio.sleep(0.005)
                holding.discard(name)
                queue.done(name)

        workers = [asyncio.create_task(worker()) for _ in range(2)]
        for _ in range(5):
            queue.add("a")
            queue.add("b")
            await asyncio.sleep(0.002)
        await asyncio.sleep(SHORT)
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        assert set(seen) == {"a", "b"}
        assert len(queue) == 0

    run(body)


def test_delayed_add_arrives_after_the_delay() -> None:
    async def body() -> None:
        queue = AppQueue()
        start = time.monotonic()
        queue.add("a", Level.NORMAL, delay=SHORT)
        assert len(queue) == 0  # timers are not queued apps yet
        assert await get_soon(queue) == ("a", Level.NORMAL)
        assert time.monotonic() - start >= SHORT * 0.9

    run(body)


def test_delayed_add_keeps_the_earliest_timer() -> None:
    async def body() -> None:
        queue = AppQueue()
        start = time.monotonic()
        queue.add("a", delay=0.4)
        queue.add("a", delay=SHORT)  # earlier: replaces the later timer
        assert (await get_soon(queue))[0] == "a"
        assert time.monotonic() - start < 0.3
        queue.done("a")
        await assert_empty(queue, timeout=0.45)  # the 0.4 s timer was cancelled

    run(body)


def test_a_short_live_wait_does_not_swallow_the_pending_poll() -> None:
    async def body() -> None:
        queue = AppQueue()
        queue.add("a", Level.NORMAL, delay=0.3)  # the next Git poll
        queue.add("a", Level.LIVE, delay=SHORT)  # a live re-compare, sooner
        assert await get_soon(queue) == ("a", Level.LIVE)
        queue.done("a")
        assert await get_soon(queue) == ("a", Level.NORMAL)  # the poll still comes

    run(body)


def test_later_delayed_add_is_ignored() -> None:
    async def body() -> None:
        queue = AppQueue()
        queue.add("a", delay=SHORT)
        queue.add("a", delay=0.2)  # later than the pending timer: dropped
        assert (await get_soon(queue))[0] == "a"
        queue.done("a")
        await assert_empty(queue, timeout=0.3)

    run(body)


def test_timers_of_different_apps_are_independent() -> None:
    async def body() -> None:
        queue = AppQueue()
        queue.add("slow", delay=0.1)
        queue.add("fast", delay=0.02)
        assert (await get_soon(queue))[0] == "fast"
        assert (await get_soon(queue))[0] == "slow"

    run(body)


def test_delayed_add_of_a_waiting_app_raises_its_level() -> None:
    async def body() -> None:
        queue = AppQueue()
        queue.add("a", Level.LIVE)
        queue.add("a", Level.HARD, delay=0.02)
        await asyncio.sleep(SHORT)
        assert await get_soon(queue) == ("a", Level.HARD)
        await assert_empty(queue)

    run(body)


def test_forget_drops_a_queued_app_and_get_skips_it() -> None:
    async def body() -> None:
        queue = AppQueue()
        queue.add("a")
        queue.add("b")
        queue.forget("a")
        assert len(queue) == 1
        assert await get_soon(queue) == ("b", Level.LIVE)
        await assert_empty(queue)

    run(body)


def test_forget_cancels_the_timer() -> None:
    async def body() -> None:
        queue = AppQueue()
        queue.add("a", delay=0.02)
        queue.forget("a")
        await assert_empty(queue, timeout=0.1)

    run(body)


def test_forget_drops_a_deferred_add() -> None:
    async def body() -> None:
        queue = AppQueue()
        queue.add("a")
        assert (await get_soon(queue))[0] == "a"
        queue.add("a", Level.HARD)
        queue.forget("a")
        assert len(queue) == 0
        queue.done("a")
        await assert_empty(queue)

    run(body)


def test_forget_unknown_app_is_harmless() -> None:
    async def body() -> None:
        queue = AppQueue()
        queue.forget("nobody")
        queue.add("a")
        assert (await get_soon(queue))[0] == "a"

    run(body)


def test_app_added_again_after_forget_is_handed_out_once() -> None:
    async def body() -> None:
        queue = AppQueue()
        queue.add("a", Level.LIVE)
        queue.forget("a")
        queue.add("a", Level.NORMAL)
        assert await get_soon(queue) == ("a", Level.NORMAL)
        await assert_empty(queue)  # the stale entry is skipped while "a" is busy
        queue.done("a")
        await assert_empty(queue)

    run(body)


def test_close_cancels_every_timer() -> None:
    async def body() -> None:
        queue = AppQueue()
        queue.add("a", delay=0.02)
        queue.add("b", Level.HARD, delay=0.03)
        queue.close()
        await assert_empty(queue, timeout=0.1)
        assert len(queue) == 0
        queue.close()  # idempotent

    run(body)


def test_close_keeps_apps_already_queued() -> None:
    async def body() -> None:
        queue = AppQueue()
        queue.add("a")
        queue.add("b", delay=0.02)
        queue.close()
        assert await get_soon(queue) == ("a", Level.LIVE)
        await assert_empty(queue, timeout=0.1)

    run(body)


def test_many_apps_come_out_in_order() -> None:
    async def body() -> None:
        queue = AppQueue()
        names = [f"app-{i:03d}" for i in range(200)]
        for name in names:
            queue.add(name)
        for name in reversed(names):  # re-adding a waiting app keeps its place
            queue.add(name, Level.NORMAL)
        assert len(queue) == len(names)
        got = [await get_soon(queue) for _ in names]
        assert [name for name, _ in got] == names
        assert {level for _, level in got} == {Level.NORMAL}
        await assert_empty(queue)

    run(body)


def test_add_from_a_synchronous_callback() -> None:
    async def body() -> None:
        queue = AppQueue()
        loop = asyncio.get_running_loop()
        loop.call_soon(queue.add, "a", Level.NORMAL)
        assert await get_soon(queue) == ("a", Level.NORMAL)

    run(body)


def test_waiting_get_wakes_on_add() -> None:
    async def body() -> None:
        queue = AppQueue()
        waiter = asyncio.create_task(queue.get())
        await asyncio.sleep(0.01)
        assert not waiter.done()
        queue.add("a", Level.HARD)
        assert await asyncio.wait_for(waiter, 0.5) == ("a", Level.HARD)

    run(body)
