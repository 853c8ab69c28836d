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


DEBUG_PROBES: dict[tuple[int, int], DebugProbeId] = {
    (p.vid, p.pid): p for p in (
        DebugProbeId(0x0483, 0x3744, "stlink-v1", "ST-Link/V1"),
        DebugProbeId(0x0483, 0x3748, "stlink-v2", "ST-Link/V2"),
        DebugProbeId(0x0483, 0x374A, "stlink-v2-1", "ST-Link/V2-1"),
        DebugProbeId(0x0483, 0x374B, "stlink-v2-1", "ST-Link/V2-1"),
        DebugProbeId(0x0483, 0x3752, "stlink-v2-1", "ST-Link/V2-1"),
        DebugProbeId(0x0483, 0x374D, "stlink-v3", "STLINK-V3"),
        DebugProbeId(0x0483, 0x374E, "stlink-v3", "STLINK-V3"),
        DebugProbeId(0x0483, 0x374F, "stlink-v3", "STLINK-V3"),
        DebugProbeId(0x0483, 0x3753, "stlink-v3", "STLINK-V3"),
        # 3754/3755/3757 (V3 without MSD, V3PWR, V3/V4): pyocd 0.46.0 pyocd/probe/stlink/usb.py USB_PID_EP_MAP
        DebugProbeId(0x0483, 0x3754, "stlink-v3", "STLINK-V3"),
        DebugProbeId(0x0483, 0x3755, "stlink-v3", "STLINK-V3"),
        DebugProbeId(0x0483, 0x3757, "stlink-v3", "STLINK-V3"),
        DebugProbeId(0x0D28, 0x0204, "cmsis-dap", "DAPLink"),
        DebugProbeId(0x2E8A, 0x000C, "cmsis-dap", "Raspberry Pi Debug Probe"),
        DebugProbeId(0x0483, 0x572A, "cmsis-dap", "CMSIS-DAP probe"),
        DebugProbeId(0x1FC9, 0x0143, "cmsis-dap", "MCU-Link"),
    )
}


def vid_pid(vid: int, pid: int) -> str:
    """As lsusb and the reference write it: 0483:5740."""
    return f"{vid:04x}:{pid:04x}"
