"""A pyusb backend over the bench's simulated USB devices: `usb.core.find(backend=bench.usb_backend)`.

Descriptors are served from real descriptor bytes (also through GET_DESCRIPTOR control transfers); bulk endpoints
of a device with a handler (the ST-Link, the CMSIS-DAP probe) reach it; a handler with `bulk_in_wait` (CMSIS-DAP,
read from pyOCD's receive thread) makes a bulk read wait for its answer up to the timeout pyusb passes. The device
list is asked for on every enumeration, so it follows the board: the probe vanishes when unplugged, the VESC port
appears when the firmware runs. Transfers are counted.
"""
from __future__ import annotations

import array
import errno
import threading
from collections import Counter
from collections.abc import Callable

import usb.backend
import usb.core

from .stlink import ProbeGone
from .usb_descriptors import UsbDeviceSpec, parse_configuration, parse_device

GET_STATUS, GET_DESCRIPTOR, GET_CONFIGURATION, SET_CONFIGURATION = 0x00, 0x06, 0x08, 0x09
LIBUSB_ERROR_TIMEOUT, LIBUSB_ERROR_NO_DEVICE = -7, -4


def _gone() -> usb.core.USBError:
    return usb.core.USBError("No such device (it may have been disconnected)", errno.ENODEV, LIBUSB_ERROR_NO_DEVICE)


class SimUsbBackend(usb.backend.IBackend):
    def __init__(self, list_devices: Callable[[], list[UsbDeviceSpec]], bus: int = 9,
                 is_present: Callable[[UsbDeviceSpec], bool] | None = None):
        self._list_devices = list_devices
        # Asked on every transfer: a cheap answer matters (the probe's thousands of bulk transfers per write).
        self._is_present = is_present or (lambda dev: any(d is dev for d in list_devices()))
        self.bus = bus
        self.transfers: Counter[str] = Counter()  # "bulk_out", "bulk_in", "control"
        self._count_lock = threading.Lock()

    @property
    def bulk_transfers(self) -> int:
        return self.transfers["bulk_out"] + self.transfers["bulk_in"]

    def devices(self) -> list[UsbDeviceSpec]:
        return list(self._list_devices())

    def _count(self, kind: str) -> None:
        with self._count_lock:  # pyOCD's CMSIS-DAP backend reads from its own thread
            self.transfers[kind] += 1

    def _present(self, dev: UsbDeviceSpec) -> None:
        if not self._is_present(dev):
            raise _gone()

    # -- enumeration and descriptors -------------------------------------------------------------------------------
    def enumerate_devices(self):
        yield from self.devices()

    def get_parent(self, dev):
        return None

    def get_device_descriptor(self, dev: UsbDeviceSpec):
        address = next((i + 1 for i, d in enumerate(self.devices()) if d is dev), 0)
        return parse_device(dev.device_descriptor(), bus=self.bus, address=address, speed=dev.speed)

    def get_configuration_descriptor(self, dev: UsbDeviceSpec, config: int):
        if config != 0:
            raise IndexError(f"configuration {config} does not exist")
        return parse_configuration(dev.configuration_descriptor())[0]

    def get_interface_descriptor(self, dev: UsbDeviceSpec, intf: int, alt: int, config: int):
        _, interfaces = parse_configuration(dev.configuration_descriptor())
        if config != 0 or alt != 0 or intf >= len(interfaces):
            raise IndexError(f"interface {intf} alt {alt} does not exist")
        return interfaces[intf][0]

    def get_endpoint_descriptor(self, dev: UsbDeviceSpec, ep: int, intf: int, alt: int, config: int):
        _, interfaces = parse_configuration(dev.configuration_descriptor())
        if config != 0 or alt != 0 or intf >= len(interfaces) or ep >= len(interfaces[intf][1]):
            raise IndexError(f"endpoint {ep} does not exist")
        return interfaces[intf][1][ep]

    # -- handles ----------------------------------------------------------------------------------------------------
    def open_device(self, dev: UsbDeviceSpec):
        self._present(dev)
        return dev

    def close_device(self, dev_handle) -> None:
        pass

    def set_configuration(self, dev_handle, config_value) -> None:
        self._present(dev_handle)

    def get_configuration(self, dev_handle) -> int:
        self._present(dev_handle)
        return 1

    def set_interface_altsetting(self, dev_handle, intf, altsetting) -> None:
        self._present(dev_handle)

    def claim_interface(self, dev_handle, intf) -> None:
        self._present(dev_handle)

    def release_interface(self, dev_handle, intf) -> None:
        pass

    def is_kernel_driver_active(self, dev_handle, intf) -> bool:
        return False

    def detach_kernel_driver(self, dev_handle, intf) -> None:
        pass

    def attach_kernel_driver(self, dev_handle, intf) -> None:
        pass

    def clear_halt(self, dev_handle, ep) -> None:
        pass

    def reset_device(self, dev_handle) -> None:
        self._present(dev_handle)

    # -- transfers ---------------------------------------------------------------------------------------------------
    def bulk_write(self, dev_handle: UsbDeviceSpec, ep, intf, data, timeout) -> int:
        self._present(dev_handle)
        self._count("bulk_out")
        if dev_handle.bulk_handler is None:
            raise usb.core.USBTimeoutError("Operation timed out", errno.ETIMEDOUT, LIBUSB_ERROR_TIMEOUT)
        try:
            return dev_handle.bulk_handler.bulk_out(ep, bytes(data))
        except ProbeGone:
            raise _gone() from None

    def bulk_read(self, dev_handle: UsbDeviceSpec, ep, intf, buff, timeout) -> int:
        self._present(dev_handle)
        self._count("bulk_in")
        handler = dev_handle.bulk_handler
        try:
            if handler is None:
                data = b""
            elif hasattr(handler, "bulk_in_wait"):  # answers later (CMSIS-DAP): wait as libusb would
                data = handler.bulk_in_wait(ep, len(buff), timeout)
            else:
                data = handler.bulk_in(ep, len(buff))
        except ProbeGone:
            raise _gone() from None
        if not data:
            raise usb.core.USBTimeoutError("Operation timed out", errno.ETIMEDOUT, LIBUSB_ERROR_TIMEOUT)
        buff[:len(data)] = array.array("B", data)
        return len(data)

    def ctrl_transfer(self, dev_handle: UsbDeviceSpec, bmRequestType, bRequest, wValue, wIndex, data, timeout):
        self._present(dev_handle)
        self._count("control")
        device_to_host = bool(bmRequestType & 0x80)
        standard = (bmRequestType >> 5) & 3 == 0
        if standard and bRequest == GET_DESCRIPTOR:
            kind, index = wValue >> 8, wValue & 0xFF
            if kind == 1:
                raw = dev_handle.device_descriptor()
            elif kind == 2:
                raw = dev_handle.configuration_descriptor()
            elif kind == 3 and index <= len(dev_handle.strings()):
                raw = dev_handle.string_descriptor(index)
            else:
                raise usb.core.USBError("Pipe error", errno.EPIPE, -9)
            return self._fill(data, raw)
        if standard and bRequest == GET_CONFIGURATION:
            return self._fill(data, b"\x01")
        if standard and bRequest == GET_STATUS:
            return self._fill(data, b"\x00\x00")
        # SET_CONFIGURATION, CDC SET_LINE_CODING / SET_CONTROL_LINE_STATE, ...: accepted
        return len(data) if not device_to_host else self._fill(data, b"")

    @staticmethod
    def _fill(buff, raw: bytes) -> int:
        n = min(len(buff), len(raw))
        buff[:n] = array.array("B", raw[:n])
        return n
