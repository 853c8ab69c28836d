"""USB descriptors as bytes (what GET_DESCRIPTOR returns) and parsed back into the attribute objects pyusb's
backend interface hands out. The bench's devices are described once, as real devices describe themselves.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from types import SimpleNamespace

DEVICE, CONFIGURATION, STRING, INTERFACE, ENDPOINT = 1, 2, 3, 4, 5
BULK, INTERRUPT = 2, 3


@dataclass
class Endpoint:
    address: int
    kind: int = BULK
    max_packet: int = 64
    interval: int = 0

    def to_bytes(self) -> bytes:
        return struct.pack("<BBBBHB", 7, ENDPOINT, self.address, self.kind, self.max_packet, self.interval)


@dataclass
class Interface:
    number: int
    cls: int
    subclass: int = 0
    protocol: int = 0
    name: str | None = None
    endpoints: list[Endpoint] = field(default_factory=list)
    extra: bytes = b""  # class-specific descriptors (CDC functional, DFU functional)


@dataclass
class UsbDeviceSpec:
    """A device as the bench shows it: identity, strings, interfaces, and who answers its bulk endpoints."""

    vid: int
    pid: int
    manufacturer: str
    product: str
    serial: str
    interfaces: list[Interface]
    device_class: int = 0
    bcd_device: int = 0x0100
    max_packet0: int = 64
    speed: int = 2  # libusb: 2 full speed, 3 high speed
    bulk_handler: object | None = None  # has bulk_out(ep, data) -> int and bulk_in(ep, size) -> bytes
    kind: str = ""  # "stlink", "cmsis-dap", "vesc-cdc", "dfu"

    def strings(self) -> list[str]:
        """String table: index 1.. (0 is the language list)."""
        out = [self.manufacturer, self.product, self.serial]
        out += [i.name for i in self.interfaces if i.name]
        return out

    def string_index(self, text: str | None) -> int:
        return self.strings().index(text) + 1 if text else 0

    def device_descriptor(self) -> bytes:
        return struct.pack("<BBHBBBBHHHBBBB", 18, DEVICE, 0x0200, self.device_class, 0, 0, self.max_packet0,
                           self.vid, self.pid, self.bcd_device, 1, 2, 3, 1)

    def configuration_descriptor(self) -> bytes:
        body = b""
        for intf in self.interfaces:
            body += struct.pack("<BBBBBBBBB", 9, INTERFACE, intf.number, 0, len(intf.endpoints), intf.cls,
                                intf.subclass, intf.protocol, self.string_index(intf.name))
            body += intf.extra + b"".join(ep.to_bytes() for ep in intf.endpoints)
        return struct.pack("<BBHBBBBB", 9, CONFIGURATION, 9 + len(body), len(self.interfaces), 1, 0, 0x80, 50) + body

    def string_descriptor(self, index: int) -> bytes:
        if index == 0:
            return struct.pack("<BBH", 4, STRING, 0x0409)
        text = self.strings()[index - 1].encode("utf-16-le")
        return struct.pack("<BB", 2 + len(text), STRING) + text


def parse_device(raw: bytes, *, bus: int, address: int, speed: int) -> SimpleNamespace:
    names = ("bLength", "bDescriptorType", "bcdUSB", "bDeviceClass", "bDeviceSubClass", "bDeviceProtocol",
             "bMaxPacketSize0", "idVendor", "idProduct", "bcdDevice", "iManufacturer", "iProduct",
             "iSerialNumber", "bNumConfigurations")
    desc = SimpleNamespace(**dict(zip(names, struct.unpack("<BBHBBBBHHHBBBB", raw))))
    desc.bus, desc.address, desc.speed = bus, address, speed
    desc.port_number, desc.port_numbers = address, (address,)
    return desc


def parse_configuration(raw: bytes) -> tuple[SimpleNamespace, list[tuple[SimpleNamespace, list[SimpleNamespace]]]]:
    """The configuration descriptor, and each interface with its endpoints (extra bytes kept as pyusb does)."""
    names = ("bLength", "bDescriptorType", "wTotalLength", "bNumInterfaces", "bConfigurationValue",
             "iConfiguration", "bmAttributes", "bMaxPower")
    config = SimpleNamespace(**dict(zip(names, struct.unpack_from("<BBHBBBBB", raw))), extra_descriptors=[])
    interfaces: list[tuple[SimpleNamespace, list[SimpleNamespace]]] = []
    pos = 9
    while pos < len(raw):
        length, kind = raw[pos], raw[pos + 1]
        chunk = raw[pos:pos + length]
        if kind == INTERFACE:
            names_i = ("bLength", "bDescriptorType", "bInterfaceNumber", "bAlternateSetting", "bNumEndpoints",
                       "bInterfaceClass", "bInterfaceSubClass", "bInterfaceProtocol", "iInterface")
            interfaces.append((SimpleNamespace(**dict(zip(names_i, struct.unpack("<BBBBBBBBB", chunk))),
                                               extra_descriptors=[]), []))
        elif kind == ENDPOINT:
            names_e = ("bLength", "bDescriptorType", "bEndpointAddress", "bmAttributes", "wMaxPacketSize",
                       "bInterval")
            ep = SimpleNamespace(**dict(zip(names_e, struct.unpack("<BBBBHB", chunk))), bRefresh=0,
                                 bSynchAddress=0, extra_descriptors=[])
            interfaces[-1][1].append(ep)
        elif interfaces:
            interfaces[-1][0].extra_descriptors += list(chunk)
        pos += length
    return config, interfaces


# -- the devices a VESC bench can show ------------------------------------------------------------------------------

def stlink_device(model, serial: str, handler) -> UsbDeviceSpec:
    out, inp, swv = model.endpoints
    eps = [Endpoint(inp, max_packet=model.max_packet), Endpoint(out, max_packet=model.max_packet),
           Endpoint(swv, max_packet=model.max_packet)]
    return UsbDeviceSpec(0x0483, model.pid, "STMicroelectronics", model.product, serial,
                         [Interface(0, 0xFF, 0xFF, 0xFF, "ST-Link Debug", eps)],
                         speed=3 if model.max_packet == 512 else 2, bulk_handler=handler, kind="stlink")


def cmsis_dap_device(serial: str, handler=None) -> UsbDeviceSpec:
    """A DAPLink (0d28:0204) with its CMSIS-DAP v2 interface (bulk OUT, bulk IN); `handler` answers the endpoints."""
    return UsbDeviceSpec(0x0D28, 0x0204, "ARM", "DAPLink CMSIS-DAP", serial,
                         [Interface(0, 0xFF, 0, 0, "CMSIS-DAP v2", [Endpoint(0x01), Endpoint(0x82)])],
                         device_class=0xEF, bcd_device=0x1000, bulk_handler=handler, kind="cmsis-dap")


def cdc_acm_functional() -> bytes:
    header = struct.pack("<BBBH", 5, 0x24, 0x00, 0x0110)
    call_mgmt = struct.pack("<BBBBB", 5, 0x24, 0x01, 0x00, 0x01)
    acm = struct.pack("<BBBB", 4, 0x24, 0x02, 0x02)
    union = struct.pack("<BBBBB", 5, 0x24, 0x06, 0x00, 0x01)
    return header + call_mgmt + acm + union


def vesc_cdc_device(vid: int, pid: int, manufacturer: str, product: str, serial: str) -> UsbDeviceSpec:
    """The VESC firmware's virtual COM port (ChibiOS CDC-ACM: a communication and a data interface)."""
    return UsbDeviceSpec(vid, pid, manufacturer, product, serial,
                         [Interface(0, 0x02, 0x02, 0x01, None, [Endpoint(0x82, INTERRUPT, 16, 0xFF)],
                                    cdc_acm_functional()),
                          Interface(1, 0x0A, 0, 0, None, [Endpoint(0x01), Endpoint(0x81)])],
                         device_class=0x02, bcd_device=0x0200, kind="vesc-cdc")


def dfu_device(vid: int, pid: int, manufacturer: str, product: str, serial: str) -> UsbDeviceSpec:
    """The STM32 system bootloader's DFU interface (alt 0: internal flash)."""
    functional = struct.pack("<BBBHHH", 9, 0x21, 0x0B, 255, 2048, 0x011A)
    return UsbDeviceSpec(vid, pid, manufacturer, product, serial,
                         [Interface(0, 0xFE, 0x01, 0x02, "@Internal Flash  /0x08000000/04*016Kg,01*064Kg,07*128Kg",
                                    [], functional)],
                         bcd_device=0x2200, kind="dfu")
