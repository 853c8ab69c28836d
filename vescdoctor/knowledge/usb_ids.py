"""USB identities that matter to a VESC diagnosis (reference: vesc-stm32.md, USB identities)."""
from __future__ import annotations

from dataclasses import dataclass

VESC_CDC = (0x0483, 0x5740)  # VESC firmware's virtual COM port (ChibiOS)
STM32_DFU = (0x0483, 0xDF11)  # STM32 system bootloader (BOOT0 high)


@dataclass(frozen=True)
class DebugProbeId:
    vid: int
    pid: int
    kind: str  # stlink-v1 | stlink-v2 | stlink-v2-1 | stlink-v3 | cmsis-dap (board.yaml spells probes so)
    name: str  # what a user reads
    usable: bool = True  # False: on USB but not a probe pyOCD can drive (an ST-Link V1, a V3 in its own DFU mode)


# ST-Link PIDs as pyOCD 0.46 knows them (pyocd/probe/stlink/usb.py:56-70, USB_PID_EP_MAP): 3748 V2, 374A/374B/3752
# V2-1, 374E/374F/3753/3754/3755/3757 V3 (3757 also the V4); 3744 (V1) and 374D (the V3 in its own DFU mode, for
# its firmware upgrade) are on USB but not usable for SWD.
DEBUG_PROBES: dict[tuple[int, int], DebugProbeId] = {
    (p.vid, p.pid): p for p in (
        DebugProbeId(0x0483, 0x3744, "stlink-v1", "ST-Link/V1 (not supported by pyOCD)", usable=False),
        DebugProbeId(0x0483, 0x3748, "stlink-v2", "ST-Link/V2"),
        DebugProbeId(0x0483, 0x374A, "stlink-v2-1", "ST-Link/V2-1"),
        DebugProbeId(0x0483, 0x374B, "stlink-v2-1", "ST-Link/V2-1"),
        DebugProbeId(0x0483, 0x3752, "stlink-v2-1", "ST-Link/V2-1"),
        DebugProbeId(0x0483, 0x374D, "stlink-v3", "STLINK-V3 in its DFU mode (firmware upgrade)", usable=False),
        DebugProbeId(0x0483, 0x374E, "stlink-v3", "STLINK-V3"),
        DebugProbeId(0x0483, 0x374F, "stlink-v3", "STLINK-V3"),
        DebugProbeId(0x0483, 0x3753, "stlink-v3", "STLINK-V3"),
        # 3754/3755/3757 (V3 without MSD, V3PWR, V3/V4): pyocd 0.46.0 pyocd/probe/stlink/usb.py USB_PID_EP_MAP
        DebugProbeId(0x0483, 0x3754, "stlink-v3", "STLINK-V3"),
        DebugProbeId(0x0483, 0x3755, "stlink-v3", "STLINK-V3"),
        DebugProbeId(0x0483, 0x3757, "stlink-v3", "STLINK-V3 / V4"),
        DebugProbeId(0x0D28, 0x0204, "cmsis-dap", "DAPLink"),
        DebugProbeId(0x2E8A, 0x000C, "cmsis-dap", "Raspberry Pi Debug Probe"),
        DebugProbeId(0x0483, 0x572A, "cmsis-dap", "CMSIS-DAP probe"),
        DebugProbeId(0x1FC9, 0x0143, "cmsis-dap", "MCU-Link"),
    )
}


# pyOCD recognises a CMSIS-DAP probe by "CMSIS-DAP" in its USB product string, whatever its VID:PID
# (pyocd/probe/pydapaccess/interface/common.py:86-90, is_known_cmsis_dap_vid_pid is only for quirks).
CMSIS_DAP_PRODUCT = "CMSIS-DAP"


def debug_probe(vid: int, pid: int, product: str | None = None) -> DebugProbeId | None:
    """The debug probe a USB device is, from its VID:PID or (CMSIS-DAP) its product string; None: not a probe."""
    known = DEBUG_PROBES.get((vid, pid))
    if known:
        return known
    if product and CMSIS_DAP_PRODUCT.lower() in product.lower():
        return DebugProbeId(vid, pid, "cmsis-dap", product.strip()[:60])
    return None


def vid_pid(vid: int, pid: int) -> str:
    """As lsusb and the reference write it: 0483:5740."""
    return f"{vid:04x}:{pid:04x}"
