"""Factories for tests of how staff see and find people: unique names, and how they are masked."""
from __future__ import annotations

import random

from tests.support import Api, ResidentHandle, make_id_number, new_resident

HAN = "安柏晨德枫冠海泓嘉景俊凯朗霖铭沐楠鹏谦清锐树涛伟煦轩雅逸哲梓"


def unique_name() -> str:
    """A Chinese name no other test uses (names are matched exactly)."""
    return "欧阳" + "".join(random.choice(HAN) for _ in range(3))


def masked(name: str) -> str:
    return name[0] + "*" * (len(name) - 1)


def id_masked(n: str) -> str:
    return n[:4] + "*" * 10 + n[-4:]


def verified(api: Api, *, name: str | None = None) -> ResidentHandle:
    """A resident with a verified real name of their own (or the given one)."""
    return new_resident(api, verified=True, name=name or unique_name(), id_number=make_id_number())
