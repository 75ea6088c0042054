"""The cases store's query of the supervision trend (a part of ``CaseStore``, which mixes it in;
its collections and the indexes this query walks are declared in ``store.py``).

One aggregation answers a whole period: four branches, each starting with a range on its own
indexed time (``created_at``, ``completed_at`` and ``deadline`` of cases, ``created_at`` of
ratings), joined by ``$unionWith`` and counted per day of China time by the database.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from backend.cases.values import CaseStatus, DayFigures

_TZ = "Asia/Shanghai"  # the days people count in (backend.core.clock.TZ)
# A case that passed its deadline unfinished: not withdrawn, its clock not stopped for a 补正, and
# not completed (or refused) by its deadline.
_NOT_COUNTED = [str(CaseStatus.WITHDRAWN), str(CaseStatus.CORRECTION_REQUESTED)]
_FINISHED_AT = {"$cond": [{"$eq": ["$status", str(CaseStatus.COMPLETED)]}, "$completed_at",
                          {"$cond": [{"$eq": ["$status", str(CaseStatus.REJECTED)]}, "$decided_at", None]}]}
_LATE = {"$or": [{"$eq": [{"$ifNull": [_FINISHED_AT, None]}, None]}, {"$gt": [_FINISHED_AT, "$deadline"]}]}


def _branch(kind: str, field: str, start: dt.datetime, end: dt.datetime, departments: Collection[str],
            *more: dict[str, Any]) -> list[dict[str, Any]]:
    """Documents whose ``field`` falls in [start, end) (of these departments, when any are given), as
    ``{k: kind, day, score}``."""
    only = {"department_id": {"$in": sorted(departments)}} if departments else {}
    return [{"$match": {field: {"$gte": start, "$lt": end}, **only}}, *more,
            {"$project": {"_id": 0, "k": {"$literal": kind}, "score": {"$ifNull": ["$score", 0]},
                          "day": {"$dateToString": {"date": f"${field}", "format": "%Y-%m-%d", "timezone": _TZ}}}}]


class TrendQueries:
    _cases: AsyncCollection[Any]
    _ratings: AsyncCollection[Any]

    async def day_figures(self, start: dt.datetime, end: dt.datetime, now: dt.datetime,
                          departments: Collection[str] = ()) -> list[DayFigures]:
        """The figures of each day in [start, end) that had any, in day order, of every department or
        these. A deadline counts as passed only once ``now`` is beyond it."""
        deps = departments
        pipeline = [
            *_branch("received", "created_at", start, end, deps),
            {"$unionWith": {"coll": self._cases.name,
                            "pipeline": _branch("completed", "completed_at", start, end, deps)}},
            {"$unionWith": {"coll": self._cases.name, "pipeline": _branch(
                "overdue", "deadline", start, min(end, now), deps,
                {"$match": {"status": {"$nin": _NOT_COUNTED}, "$expr": _LATE}})}},
            {"$unionWith": {"coll": self._ratings.name,
                            "pipeline": _branch("ratings", "created_at", start, end, deps)}},
            {"$group": {"_id": {"day": "$day", "k": "$k"}, "n": {"$sum": 1}, "stars": {"$sum": "$score"}}},
        ]
        days: dict[str, dict[str, int]] = {}
        async for row in await self._cases.aggregate(pipeline):
            figures = days.setdefault(row["_id"]["day"], {})
            figures[row["_id"]["k"]] = int(row["n"])
            if row["_id"]["k"] == "ratings":
                figures["stars"] = int(row["stars"])
        return [DayFigures(day=dt.date.fromisoformat(day), **figures) for day, figures in sorted(days.items())]
