"""Widgets: the flash map, the evidence panel."""
