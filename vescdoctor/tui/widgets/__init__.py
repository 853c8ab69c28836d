"""Widgets: the flash map, the evidence panel, a log that wraps again on resize."""
