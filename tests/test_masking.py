"""Phone numbers as staff lists show them before anyone looks: masked, and only mobile numbers."""
from __future__ import annotations

from backend.core.masking import mask_phone


def test_a_mobile_number_is_masked_and_anything_else_shows_nothing() -> None:
    assert mask_phone("13800138000") == "138****8000"
    assert mask_phone(" 13900139000 ") == "139****9000"
    assert mask_phone("12345") is None and mask_phone("0451-1234567") is None
    assert mask_phone("") is None and mask_phone(None) is None
