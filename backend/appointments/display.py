"""The hall's public board (叫号屏): the tickets being called and at which window, and the next
few, for the screen on the hall's wall. No personal data: ticket numbers, windows, services.

Every app process keeps, per hall with a board open on it, the board's last state and pushes a
new one to its subscribers (``/api/v1/halls/{id}/display/events``, server-sent events) when it
changes: at once when this process called or finished a ticket (``poke``), and within
``POLL_SECONDS`` when another process did (it reads the hall's day of tickets, one query, only
while someone watches).
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from backend.appointments.lanes import in_call_order, ms
from backend.appointments.store import AppointmentStore
from backend.appointments.values import TicketStatus
from backend.catalogue.service import CatalogueService
from backend.core.clock import TZ, Clock

log = logging.getLogger("zjb.appointments.display")
POLL_SECONDS = 0.5
CALLED_SHOWN = 6
NEXT_SHOWN = 6


class HallBoards:
    def __init__(self, *, store: AppointmentStore, catalogue: CatalogueService, clock: Clock):
        self.store = store
        self.catalogue = catalogue
        self.clock = clock
        self._watchers: dict[str, set[asyncio.Queue[dict[str, Any]]]] = {}
        self._last: dict[str, dict[str, Any]] = {}
        self._pollers: dict[str, asyncio.Task[None]] = {}
        self._wake: dict[str, asyncio.Event] = {}

    async def board(self, hall_id: str) -> dict[str, Any]:
        """The board as it is now (404 for a hall that does not exist)."""
        hall = await self.catalogue.hall(hall_id)
        now = self.clock.now()
        tickets = await self.store.hall_day_tickets(hall_id, now.astimezone(TZ).date().isoformat())
        windows = {w["id"]: w for w in hall.get("windows", [])}
        called = sorted((t for t in tickets if t.status == TicketStatus.CALLED),
                        key=lambda t: (t.called_at or now), reverse=True)[:CALLED_SHOWN]
        waiting = in_call_order((t for t in tickets if t.status == TicketStatus.WAITING), ms(now))
        return {
            "hall_id": hall_id, "hall_name": hall.get("name", ""),
            "called": [{"ticket_number": t.number, "window_number": t.window_number or "",
                        "window_name": windows.get(t.window_id or "", {}).get("name", ""),
                        "service_name": t.service_name, "recalls": t.recalls,
                        "called_at": t.called_at} for t in called],
            "next": [{"ticket_number": t.number, "service_name": t.service_name} for t in waiting[:NEXT_SHOWN]],
            "waiting": len(waiting),
        }

    def subscribe(self, hall_id: str) -> asyncio.Queue[dict[str, Any]]:
        q: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=8)
        self._watchers.setdefault(hall_id, set()).add(q)
        if hall_id not in self._pollers:
            self._wake[hall_id] = asyncio.Event()
            self._pollers[hall_id] = asyncio.get_running_loop().create_task(self._poll(hall_id))
        return q

    def unsubscribe(self, hall_id: str, q: asyncio.Queue[dict[str, Any]]) -> None:
        watchers = self._watchers.get(hall_id, set())
        watchers.discard(q)
        if not watchers:
            self._watchers.pop(hall_id, None)
            self._pollers.pop(hall_id, None)  # it ends by itself at its next turn (a read is never cancelled)
            wake = self._wake.pop(hall_id, None)
            if wake is not None:
                wake.set()
            self._last.pop(hall_id, None)

    def close(self) -> None:
        """The app is stopping: every board's poller ends at its next turn; the open streams end
        with their connections."""
        for hall_id, watchers in list(self._watchers.items()):
            for q in list(watchers):
                self.unsubscribe(hall_id, q)

    def poke(self, hall_id: str) -> None:
        """This process changed the hall's queue: boards open on it are refreshed now."""
        wake = self._wake.get(hall_id)
        if wake is not None:
            wake.set()

    async def _poll(self, hall_id: str) -> None:
        wake = self._wake[hall_id]
        while self._wake.get(hall_id) is wake:
            try:
                board = await self.board(hall_id)
            except Exception:  # a bad read must not end the board; it tries again
                if self._wake.get(hall_id) is not wake:
                    return  # nobody watches any more (the app is stopping)
                log.exception("hall board failed", extra={"hall_id": hall_id})
            else:
                if self._wake.get(hall_id) is not wake:
                    return  # nobody watches any more
                if board != self._last.get(hall_id):
                    self._last[hall_id] = board
                    for q in list(self._watchers.get(hall_id, ())):
                        if q.full():  # a watcher that stopped reading gets the newest only
                            with contextlib.suppress(asyncio.QueueEmpty):
                                q.get_nowait()
                        q.put_nowait(board)
            wake.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(wake.wait(), POLL_SECONDS)
