"""Find the HW name a VESC firmware was built for, inside its bytes."""
from __future__ import annotations


def find_hw_name(data: bytes) -> str | None:
    return None  # stub, filled next
