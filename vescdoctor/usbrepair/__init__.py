"""Repair over USB, without a debug probe: the VESC protocol's update path (docs/usb-repair.md)."""
