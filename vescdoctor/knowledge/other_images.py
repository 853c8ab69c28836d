"""Images that are not a VESC motor controller's own: bootloaders and firmware of other VESC chips, and third-party
VESC firmware whose update path differs (docs/knowledge.md, "Other chips and third-party firmware").

- vesc_tool ships bootloaders for other chips: res/bootloaders_bms/generic.bin (the VESC BMS; linked at 0x0803E000,
  vesc_tool 6b23d31a) and res/bootloaders_custom_module/stm32g431/stm32g431.bin (custom modules on an STM32G431,
  linked at 0x0801E000, the last 8 KiB of its 128 KiB; vesc_tool 9ef31fbd), and VESC BMS firmware in
  res/firmwares_bms/<hw>/vesc_default.bin. A VESC motor controller's firmware always starts its code at 0x0800C000
  (after the config sectors 1-2); BMS firmware runs its code straight after the vector table.
- Third-party firmware: Enertion's Unity firmware reports 23.46, Ackmaniac's 3.102 (3.1xx); updating either to 6.x
  from VESC Tool "does not stick" (the bootloader times out, the old firmware comes back) until official 5.03 is
  installed first, then the bootloader and 6.x (vedderb/bldc issue 615).
"""
from __future__ import annotations

from dataclasses import dataclass

# sha256 -> what it is (every version vesc_tool's history holds, at 426a4f8e)
OTHER_CHIP_IMAGES: dict[str, str] = {
    "8508721b4c34699188655ebd268a6ea5e2b8443a4010e68c281bab1fe24129d5":
        "the VESC BMS bootloader (vesc_tool res/bootloaders_bms/generic.bin)",
    "baf7809687a2d6e74a0cad0baedf603abe4c97c8aae67987958f21b6bd431ea2":
        "the STM32G431 custom-module bootloader (vesc_tool res/bootloaders_custom_module/stm32g431/stm32g431.bin)",
}
# Where other chips' bootloaders are linked (the reset vector's 8 KiB window) -> what lives there.
OTHER_BOOTLOADER_PLACES: dict[int, str] = {
    0x0803E000: "a VESC BMS bootloader (linked at 0x0803E000)",
    0x0801E000: "an STM32G431 custom-module bootloader (linked at 0x0801E000)",
}
OTHER_BOOTLOADER_MAX = 0x2000
# VESC BMS hardware (vesc_tool res/firmwares_bms/ folders)
BMS_HW_NAMES = frozenset({"12s7p", "18s_light", "18s_light_lmp", "18s_light_mk2"})


def other_bootloader_place(reset: int, size: int) -> str | None:
    """What a small image whose reset vector lies in another chip's bootloader window is."""
    pc = reset & ~1
    for base, what in OTHER_BOOTLOADER_PLACES.items():
        if base <= pc < base + OTHER_BOOTLOADER_MAX and size <= OTHER_BOOTLOADER_MAX:
            return what
    return None


@dataclass(frozen=True)
class ThirdParty:
    name: str
    version: str

    def note(self) -> str:
        return (f"third-party firmware: {self.name} {self.version}. Its bootloader handling differs from VESC's: an "
                "update to 6.x from VESC Tool does not stick (the bootloader times out, the old firmware comes back); "
                "install the official 5.03 first (VESC Tool's archive), then the bootloader and 6.x "
                "(vedderb/bldc issue 615)")


def third_party(version: str | None, hw: str | None = None) -> ThirdParty | None:
    """Enertion Unity (23.46) or Ackmaniac (3.1xx) firmware, from the version it reports or its code holds."""
    if not version or "." not in version:
        return None
    major, _, minor = version.partition(".")
    if not (major.isdigit() and minor.isdigit()):
        return None
    if (int(major), int(minor)) == (23, 46) or (int(major) >= 20 and (hw or "").upper().startswith("UNITY")):
        return ThirdParty("Enertion Unity firmware", version)
    if int(major) == 3 and len(minor) == 3 and int(minor) >= 100:
        return ThirdParty("Ackmaniac firmware", version)
    return None
