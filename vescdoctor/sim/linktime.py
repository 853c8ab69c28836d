"""How long each probe transfer would take on the real probe: USB framing and round trips, the SWD clock the
host asked for, the probe firmware's own gaps. The emulators report what crosses USB and the wire; a `LinkTimer`
turns that into seconds on the bench's timeline (clock.Timeline). Sources and the fit to published figures:
docs/bench.md, "Time".

USB (USB 2.0 spec 5.8.4 / table 5-10): a full-speed bus runs 1 ms frames and carries at most 19 bulk packets of
64 bytes per frame; a high-speed bus runs 125 us microframes and carries at most 13 bulk packets of 512 bytes each.
A transfer that the host issues and waits for (libusb synchronous, as pyOCD's ST-Link and CMSIS-DAP drivers do)
costs a scheduling latency on top of its packets: `latency_s` per transfer.

SWD (ARM ADIv5 B4.1): one transfer is 8 request bits, 1 turnaround, 3 ACK bits, 32 data bits, 1 parity bit and a
turnaround on reads: 46 clocks. The probe adds its own gap between transfers (`gap_bits`, in clocks of its SWD
clock), which is what separates a bit-banging STM32F103 (ST-Link/V2) from the raw wire rate.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .clock import Timeline

SWD_TRANSFER_BITS = 46


@dataclass(frozen=True)
class UsbBus:
    name: str
    frame_s: float  # 1 ms frame (full speed) or 125 us microframe (high speed)
    max_packet: int  # bulk max packet size
    packets_per_frame: int  # bulk packets a frame can carry at most
    latency_s: float  # host scheduling latency of one synchronous transfer

    def data_s(self, nbytes: int) -> float:
        packets = max(1, math.ceil(nbytes / self.max_packet))
        return packets / self.packets_per_frame * self.frame_s


FULL_SPEED = UsbBus("full-speed", 1e-3, 64, 19, 0.25e-3)
HIGH_SPEED = UsbBus("high-speed", 125e-6, 512, 13, 62.5e-6)


@dataclass(frozen=True)
class ProbeTiming:
    usb: UsbBus
    gap_bits: int  # the probe's idle clocks between SWD transfers
    streams_reads: bool  # read data goes out on USB while later words are still read on SWD
    in_flight: int = 1  # commands the host keeps in flight (CMSIS-DAP packet count): one latency per that many


TIMINGS = {
    "stlink-v2": ProbeTiming(FULL_SPEED, gap_bits=8, streams_reads=True),
    "stlink-v2-1": ProbeTiming(FULL_SPEED, gap_bits=8, streams_reads=True),
    "stlink-v3": ProbeTiming(HIGH_SPEED, gap_bits=2, streams_reads=True),
    "cmsis-dap": ProbeTiming(FULL_SPEED, gap_bits=2, streams_reads=True, in_flight=4),
}


class LinkTimer:
    """Counts one probe's USB transfers, bytes and SWD clocks and charges their time to the timeline.

    The SWD work of a command is pending until the USB transfer that carries its answer: a reply IN transfer takes
    max(SWD, USB data) when the probe streams reads, else their sum; an OUT transfer first settles pending work."""

    def __init__(self, probe: str, timeline: Timeline, swd_hz: int):
        self.probe = probe
        self.timing = TIMINGS[probe]
        self.timeline = timeline
        self.swd_hz = swd_hz
        self.seconds = 0.0
        self.transfers = 0
        self.bytes_read = 0  # target memory read over SWD
        self.bytes_written = 0  # target memory written over SWD
        self._pending_swd = 0.0

    def _charge(self, seconds: float) -> None:
        self.seconds += seconds
        self.timeline.link(seconds)

    def _latency(self) -> float:
        # pyOCD keeps up to packet-count commands in flight on CMSIS-DAP, so their scheduling latencies overlap
        return self.timing.usb.latency_s / self.timing.in_flight

    def usb_out(self, nbytes: int) -> None:
        self.transfers += 1
        self._charge(self._pending_swd + self._latency() + self.timing.usb.data_s(nbytes))
        self._pending_swd = 0.0

    def usb_in(self, nbytes: int) -> None:
        self.transfers += 1
        data = self.timing.usb.data_s(nbytes)
        body = max(data, self._pending_swd) if self.timing.streams_reads else data + self._pending_swd
        self._charge(self._latency() + body)
        self._pending_swd = 0.0

    def swd(self, transfers: int = 1, extra_bits: int = 0) -> None:
        """`transfers` SWD transfers (and `extra_bits` clocks of line sequences) at the current SWD clock."""
        bits = transfers * (SWD_TRANSFER_BITS + self.timing.gap_bits) + extra_bits
        self._pending_swd += bits / self.swd_hz

    def count_memory(self, nbytes: int, *, write: bool) -> None:
        if write:
            self.bytes_written += nbytes
        else:
            self.bytes_read += nbytes

    def memory(self, nbytes: int, size: int, *, write: bool) -> None:
        """A memory access of `nbytes` in units of `size` bytes through the AHB-AP (TAR auto-increment)."""
        self.count_memory(nbytes, write=write)
        units = max(1, math.ceil(nbytes / size))
        self.swd(units + nbytes // 1024)  # + the TAR write a probe makes at each 1 KiB auto-increment wrap

    def settle(self) -> None:
        """Charge SWD work no USB transfer has carried yet (end of a run)."""
        if self._pending_swd:
            self._charge(self._pending_swd)
            self._pending_swd = 0.0
