"""CFSR/HFSR in words (ARMv7-M ARM B3.2.15, B3.2.16): every bit at its architectural position, and what the set
bits mean for the rider."""
from __future__ import annotations

import pytest

from vescdoctor.knowledge import fault_status as fs

# ARMv7-M ARM DDI 0403E: MMFSR 7:0, BFSR 15:8, UFSR 31:16 of CFSR; HFSR VECTTBL 1, FORCED 30, DEBUGEVT 31.
CFSR_POSITIONS = {"IACCVIOL": 0, "DACCVIOL": 1, "MUNSTKERR": 3, "MSTKERR": 4, "MLSPERR": 5, "MMARVALID": 7,
                  "IBUSERR": 8, "PRECISERR": 9, "IMPRECISERR": 10, "UNSTKERR": 11, "STKERR": 12, "LSPERR": 13,
                  "BFARVALID": 15, "UNDEFINSTR": 16, "INVSTATE": 17, "INVPC": 18, "NOCP": 19, "UNALIGNED": 24,
                  "DIVBYZERO": 25}


@pytest.mark.parametrize("name,bit", sorted(CFSR_POSITIONS.items()))
def test_each_cfsr_bit_is_named_at_its_place(name, bit):
    assert fs.names(1 << bit, 0) == [name]


def test_hfsr_bits_come_first_and_the_words_name_both_registers():
    assert fs.names(1 << 9 | 1 << 15, 1 << 30) == ["FORCED", "PRECISERR", "BFARVALID"]
    assert fs.names(0, 1 << 1) == ["VECTTBL"]
    words = fs.describe(1 << 17, 1 << 30)
    assert words.startswith("HFSR FORCED (") and "; CFSR INVSTATE (" in words and "Thumb" in words
    assert fs.describe(0, 0).startswith("no fault recorded")


@pytest.mark.parametrize("cfsr,hfsr,family,needle", [
    (1 << 17, 1 << 30, "image", "write an official firmware"),  # INVSTATE at start: wrong toolchain/address
    (1 << 0, 1 << 30, "image", "another start address"),  # IACCVIOL
    (1 << 19, 1 << 30, "image", "wrong toolchain"),  # NOCP: FPU code, FPU off
    (0, 1 << 1, "image", "write an official firmware"),  # VECTTBL
    (1 << 9 | 1 << 15, 1 << 30, "data", "LispBM script"),  # PRECISERR: reads where nothing is
    (1 << 12, 1 << 30, "stack", "ran out of stack"),  # STKERR
    (1 << 25, 1 << 30, "arith", "configuration value of 0"),  # DIVBYZERO
    (1 << 17 | 1 << 9, 1 << 30, "image", "cannot run on this chip"),  # the image wins over a data fault
    (0, 0, None, "name no cause"),  # a watchdog loop or a hang
])
def test_the_meaning_for_the_rider(cfsr, hfsr, family, needle):
    assert fs.family(cfsr, hfsr) == family
    assert needle in fs.meaning(cfsr, hfsr)
