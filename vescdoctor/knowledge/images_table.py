"""Facts about VESC images as data: the known bootloaders and release firmware files, and the HW names.

Sources: ../shared/reference/vesc-stm32.md (Known official bootloader images), ../shared/firmware/MANIFEST.md (release
files and the VESC Tool release each belongs to: a .bin does not store its version as text) and
../shared/reference/hw-names.txt (HW_NAME values of vedderb/bldc hwconf/).
"""
from __future__ import annotations

from dataclasses import dataclass

from .hw_names import HW_ALIASES, resolve_hw  # noqa: F401  (HW_ALIASES: where callers found it before)
from .hw_names import HW_NAMES as _ALL_HW_NAMES


@dataclass(frozen=True)
class KnownBootloader:
    date: str  # first shipped by VESC Tool
    file: str  # name in vesc_tool res/bootloaders/
    size: int  # bytes of the image; a sector-11 readback has 0xFF after them
    compression: bool  # supports heatshrink-compressed updates (needed for FW >= 6.00)
    sha256: str


def bootloader_hardware(file: str) -> tuple[tuple[str, ...], bool] | None:
    """The HW names a bootloader file is for, as VESC Tool names it (`410_o_411_o_412.bin`: HW 410, 411, 412), and
    whether that list is complete (a name abbreviated with `...` is not). None: `generic.bin`, for every board."""
    stem = file.split(" ")[0].removesuffix(".bin")
    if stem == "generic":
        return None
    parts = [p.strip(".") for p in stem.split("_o_")]
    return tuple(p for p in parts if p), "..." not in stem


KNOWN_BOOTLOADERS: tuple[KnownBootloader, ...] = (
    KnownBootloader("2017-09-04", "40_o_47_o_48_o_410_o_411_o_412_o_DAS_RS.bin", 4272, False,
                    "b458df386b4ad508e809f1c7898953905606001afe57e66271838a76597eaf53"),
    KnownBootloader("2017-09-04", "60.bin", 4256, False,
                    "805b3dd5fd03d660c6b8039e5a1ea6bcee7df1993c1e9d8925633aad199e89f6"),
    KnownBootloader("2018-04-15", "generic.bin", 3808, False,
                    "c94b9dad2542096d3348b765f2d9681837b2eaa259e10fc40a9099b9224acc12"),
    KnownBootloader("2019-03-31", "generic.bin", 3792, False,
                    "a91de2014f55f9a73d046017968d1e28039fe143b02688a9b74950be3fd04181"),
    KnownBootloader("2019-09-03", "60_o_75_300_o_HD_o_UAVC_OMEGA.bin", 4288, False,
                    "8e96dc848a9e3c28cfe28eb6660d1b12564b5decfb8aebce1d9d682eab978d60"),
    KnownBootloader("2022-01-18", "40_o_47_o_48_o_410_o_411_o_412_o_DAS_RS.bin", 5728, True,
                    "cf2ba3b83216013055b4a30ce80b42e7996ec0161b6991f3e1269477e99a33e9"),
    KnownBootloader("2022-01-18", "60_o_75_300_o_HD60_o_..._HD75.bin", 5744, True,
                    "8b12527372826819302cb1378d06f382db025454b77c86073b716294a491852f"),
    KnownBootloader("2022-01-18", "generic.bin", 5248, True,
                    "0d1a533446020ddec704ffefcf7cfd3149f1707acf6d91e9c64ffedfb8cee15d"),
    KnownBootloader("2022-12-08", "40_o_47_o_48_o_410_o_411_o_412_o_DAS_RS.bin", 5776, True,
                    "339a9976176af14cc23389b0fdb64eab24654211ed5b523966cf35b8e0d4a1a5"),
    KnownBootloader("2022-12-08", "60_o_75_300_o_HD60_o_..._HD75.bin", 5776, True,
                    "d2c014d3b5faf843279d2b77325e128cace6d59ffa294fc0a7d68d96a57b0b33"),
    KnownBootloader("2022-12-08", "generic.bin", 5280, True,
                    "91d4e2e09594b422ec5e1aa976adc75fdfcaac455b59efa31aa304571242df06"),
)

# The sizes to try on a readback, largest first (a longer match is the better evidence).
BOOTLOADER_SIZES: tuple[int, ...] = tuple(sorted({b.size for b in KNOWN_BOOTLOADERS}, reverse=True))


@dataclass(frozen=True)
class KnownFirmware:
    version: str
    hw: str
    source: str  # vesc_tool commit and path


KNOWN_FIRMWARE: dict[str, KnownFirmware] = {
    "161bc03eb202492547847b5c741045cd8c2387fbe87fde5251ee72e6243c0246":
        KnownFirmware("3.40", "410", "vesc_tool 9e3de2a5 res/firmwares/410_o_411_o_412/VESC_default.bin"),
    "3e21cb8792b1c1bcf6b423244c9a22e971ff699b24e0025425a03bbc3e389905":
        KnownFirmware("5.03", "410", "vesc_tool ee934f9f res/firmwares/410_o_411_o_412/VESC_default.bin"),
    "a9e8a7ca7d4901d5253b3d7d47e3605c284cf176586271b9133e67ecf26fa263":
        KnownFirmware("5.03", "60", "vesc_tool ee934f9f res/firmwares/60/VESC_default.bin"),
}

# Every HW_NAME any release defines (knowledge/hw_names.py, with sources), plus older names vesc_tool's res/
# folders spell.
HW_NAMES: frozenset[str] = _ALL_HW_NAMES | {"UAVC_OMEGA", "HD"}


def hw_answer(text: str) -> str:
    """The HW name for a rider's answer to `hw` (a HW name or firmware folder name in any case, a common spelling of
    one, or `unsure`); ValueError with close matches for anything else (knowledge.hw_names.resolve_hw)."""
    return resolve_hw(text).name
