"""Reports: the JSON a run leaves behind for a helper (model, schema, redaction, safe loading, rendering, replay)."""
from .load import load_report, parse_report
from .model import FORMAT, VERSION, build_report, flash_map_entries, to_json, write_report
from .redact import Identity, redact_report

__all__ = ["FORMAT", "VERSION", "Identity", "build_report", "flash_map_entries", "load_report", "parse_report",
           "redact_report", "to_json", "write_report"]
