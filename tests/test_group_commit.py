"""The waves of group commit: the groups of a wave claim in the same turn of the event loop (one
command) however many turns each took to get there; a group that ends before its claim does not
hold the others back; the next wave starts once the one before has finished; each request is
answered with its own outcome."""
from __future__ import annotations

import asyncio
from typing import Any

import pytest

from backend.appointments.booking import GroupCommit, _Request, _Seat
from backend.core.access import Resident
from tests.support import run_apart


def _resident(i: int) -> Resident:
    return Resident(id=f"u{i}", openid=f"o{i}", realname_verified=True)


async def _until(check: Any) -> None:
    while not check():
        await asyncio.sleep(0.001)


class _Claims:
    """Claims asked for in one loop turn are one command, as the store's batches are."""

    def __init__(self) -> None:
        self.commands: list[list[str]] = []
        self._waiting: list[str] = []

    def claim(self, key: str) -> None:
        if not self._waiting:
            asyncio.get_running_loop().call_soon(self._send)
        self._waiting.append(key)

    def _send(self) -> None:
        self.commands.append(sorted(self._waiting))
        self._waiting = []


def test_the_groups_of_a_wave_claim_together_whatever_turns_they_took() -> None:
    async def main() -> None:
        claims = _Claims()

        async def commit(key: str, group: list[_Request], seat: _Seat) -> None:
            for _ in range(int(key[1:]) * 3):          # reads and checks: some groups take longer
                await asyncio.sleep(0)
            if key == "s3":
                raise ValueError("refused before its claim")
            await seat.arrive()
            claims.claim(key)
            seat.done()
            await asyncio.sleep(0)
            for r in group:
                r.reply(result=f"{key}:{r.resident.id}")  # type: ignore[arg-type]

        groups = GroupCommit(commit)
        answers = await asyncio.gather(*[groups.submit(f"s{i % 5}", _resident(i)) for i in range(20)],
                                       return_exceptions=True)
        assert claims.commands == [["s0", "s1", "s2", "s4"]]
        for i, a in enumerate(answers):
            if i % 5 == 3:
                assert isinstance(a, ValueError)
            else:
                assert a == f"s{i % 5}:u{i}"
    run_apart(main())


def test_the_next_wave_starts_once_the_one_before_has_finished() -> None:
    """A place the wave before gives back (a refusal's) is free again before the next wave claims."""
    async def main() -> None:
        events: list[str] = []
        release = asyncio.Event()

        async def commit(key: str, group: list[_Request], seat: _Seat) -> None:
            events.append(f"start {key}")
            await seat.arrive()
            seat.done()
            if key == "first":
                await release.wait()                   # its insert takes a while
            events.append(f"done {key}")
            for r in group:
                r.reply(result=key)  # type: ignore[arg-type]

        groups = GroupCommit(commit)
        first = asyncio.ensure_future(groups.submit("first", _resident(1)))
        await asyncio.wait_for(_until(lambda: "start first" in events), 5)
        second = asyncio.ensure_future(groups.submit("second", _resident(2)))
        for _ in range(20):
            await asyncio.sleep(0)
        assert "start second" not in events, "the second wave started while the first was still writing"
        release.set()
        assert await first == "first" and await second == "second"
        assert events.index("done first") < events.index("start second")
        # nothing left running: a later request starts a wave of its own
        assert await groups.submit("third", _resident(3)) == "third"
    run_apart(main())


@pytest.mark.parametrize("fail_at", ["before", "after"])
def test_a_group_that_fails_lets_the_wave_and_the_next_go_on(fail_at: str) -> None:
    async def main() -> None:
        async def commit(key: str, group: list[_Request], seat: _Seat) -> Any:
            if key == "bad" and fail_at == "before":
                raise RuntimeError("no claim")
            await seat.arrive()
            seat.done()
            if key == "bad":
                raise RuntimeError("after the claim")
            for r in group:
                r.reply(result=key)  # type: ignore[arg-type]

        groups = GroupCommit(commit)
        done = await asyncio.wait_for(asyncio.gather(groups.submit("bad", _resident(1)),
                                                     groups.submit("good", _resident(2)),
                                                     return_exceptions=True), 5)
        assert isinstance(done[0], RuntimeError) and done[1] == "good"
        assert await asyncio.wait_for(groups.submit("later", _resident(3)), 5) == "later"
    run_apart(main())
