"""Probe `flash.map`: what the chip's flash holds, per sector (see vescdoctor.flash_analysis), read through pyOCD.

Runs on the connection `swd.connect` opened. While firmware is there, it only reads (no halt: a spinning motor's
PWM is never frozen by a diagnosis, and the core is left where it was); when nothing can run (erased vector table),
it halts the core and lets pyOCD's on-chip CRC analyzer tell blank sectors from used ones, so a blank 128 KB sector
costs a few bytes over SWD, not 128 KB (vescdoctor.target.flash_reader).
Facts: vescdoctor.flash_analysis.FLASH_FACTS (flash.readable false with the rest null when the chip refuses reads).
"""
from __future__ import annotations

from ..flash_analysis import FLASH_FACTS, Reported, analyze
from ..target.flash_reader import ChipReader
from ..target.proven_flash import ProvenReader, remember_seen, take
from .base import ProbeContext, ProbeResult, probe


def bootloader_hardware_note(fmap) -> str | None:
    """A known bootloader made for other hardware than the firmware beside it: worth a line (it may drive other
    LED pins; VESC Tool ships one per hardware family, or generic.bin for all)."""
    from ..knowledge.images_table import bootloader_hardware

    boot, app = fmap.bootloader, fmap.app
    if boot.state != "known" or not boot.name or not app.hw:
        return None
    serves = bootloader_hardware(boot.name)
    if serves is None or app.hw in serves[0] or not serves[1]:
        return None
    return (f"Flash: note: the bootloader ({boot.name}) is made for HW {', '.join(serves[0])}, the firmware beside "
            f"it for HW {app.hw}; generic.bin or the bootloader for HW {app.hw} fits")


def generation_lines(fmap) -> list[str]:
    """The generation's flash map in words, and what sector 11 shares on 6.06+ (knowledge.generations)."""
    gen = fmap.generation
    if gen is None:
        return []
    lines = [f"Flash: flash map of firmware {gen.key}" + (": " + "; ".join(
        f"sector {n} {what}" for n, what in gen.data_sectors().items()) if gen.notes else "")]
    if fmap.lispbm_image:
        lines.append("Flash: sector 8 holds a LispBM image (6.06+ keeps it there), not a stale update")
    if fmap.bootloader.packages == "after-bootloader":
        lines.append("Flash: sector 11 holds the bootloader followed by package data (6.06+ package storage); "
                     "the bootloader is intact")
    elif fmap.bootloader.packages == "alone":
        lines.append("Flash: sector 11 holds package data and no bootloader: on 6.06+ packages store data in the "
                     "bootloader's sector and wiping that storage erases the bootloader; write the bootloader again")
    return lines


UPDATE_SYMPTOM = "old-firmware-after-update"
# bldc checks its app CRC at start-up (before USB) from 3.55 on (../shared/reference/vesc-stm32.md, App CRC words)
CRC_CHECKED_FROM = (3, 55)


def reported_firmware(facts) -> Reported | None:
    """What the firmware running in this chip said of itself over USB, when it speaks for the flash: it answered
    COMM_FW_VERSION with a HW name, its UID is the one SWD read (the same chip, not another board on USB), it is
    VESC's own firmware (third-party builds differ) and of a version that checks its CRC before it starts USB."""
    from ..knowledge.generations import parse_version
    from ..knowledge.other_images import third_party

    hw, version = facts.get("vesc.hw_name"), facts.get("vesc.fw_version")
    uuid, uid = facts.get("vesc.uuid"), facts.get("swd.uid")
    if not (facts.get("vesc.answered") and hw and version and uuid and uid) or str(uuid).lower() != str(uid).lower():
        return None
    if (parse_version(version) or (0, 0)) < CRC_CHECKED_FROM or third_party(version, hw):
        return None
    return Reported(str(hw), str(version))


@probe("flash.map", FLASH_FACTS, "Reading what the flash holds")
def flash_map(ctx: ProbeContext) -> ProbeResult:
    from pyocd.core import exceptions

    link = ctx.env.swd
    facts = dict.fromkeys(FLASH_FACTS)
    facts["flash.readable"] = False
    if not link.connected:
        return ProbeResult(facts, ["Flash: not connected"], ok=False, error="not connected")
    target = link.target
    reader = ChipReader(target)
    proven = take(ctx.env)  # a fix that just proved what the flash holds (target.proven_flash)
    ctx.emit("Flash: reading the vector table, config pages, update buffer and bootloader")
    reported = reported_firmware(ctx.facts)
    # "The old firmware came back": the route after the flash map reasons on the buffer's CRC (triage.yaml update-look)
    update_route = ctx.answers.get("symptom") == UPDATE_SYMPTOM
    try:
        vectors = reader.read(0x08000000, 8)
        if proven is not None and proven[:8] == vectors:
            ctx.emit("Flash: the rest as the fix proved it (on-chip CRCs), config pages and CRC words read again")
            fmap = analyze(ProvenReader(proven, reader), ctx.facts.get("vesc.fw_version"), reported, exact=False,
                           update_route=update_route)
        elif vectors == b"\xff" * 8:
            # No firmware can run: halting is harmless, and the chip may then check sectors itself (its CRC).
            # A chip with firmware is only read: running the analyzer would leave its core in pyOCD's code.
            target.halt()
            reader.may_run_code = True
            fmap = analyze(reader, ctx.facts.get("vesc.fw_version"))
        else:  # firmware may run: only read, and sectors no verdict needs are not read whole
            fmap = analyze(reader, ctx.facts.get("vesc.fw_version"), reported, exact=False,
                           update_route=update_route)
        remember_seen(ctx.env, reader.seen)
    except exceptions.TransferError as exc:
        return ProbeResult(facts, [f"Flash: the chip refused the read ({exc})"], ok=False, error=str(exc))
    facts = fmap.facts()
    facts["flash.bytes_read"] = reader.bytes_read
    lines = [f"Flash: sector {s.number:2d} 0x{s.address:08X} {s.size // 1024:4d}K {s.role:<10} {s.state:<6} {s.detail}"
             .rstrip() for s in fmap.sectors]
    app = fmap.app
    if app.runnable:
        lines.append(f"Flash: application runs from 0x{app.reset:08X}: "
                     + (f"VESC firmware for HW {app.hw}" if app.kind == "vesc" else "not VESC firmware")
                     + f", CRC words: {app.crc_state}"
                     + (" (it checks them itself before it starts USB, and it answered)" if app.crc_state == "ok"
                        and reported is not None and not fmap.app_image else ""))
    else:
        lines.append("Flash: no runnable application at 0x08000000 ("
                     + ("vector table erased" if app.sp == 0xFFFFFFFF else
                        "invalid vector table" if not app.vector_valid else "code behind the reset vector erased")
                     + ")")
    lines.extend(generation_lines(fmap))
    mismatch = bootloader_hardware_note(fmap)
    if mismatch:
        lines.append(mismatch)
    lines.append(f"Flash: {reader.bytes_read} bytes read over SWD")
    return ProbeResult(facts, lines)
