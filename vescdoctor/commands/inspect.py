"""`vescdoctor inspect FILE [--json]`: what an image file is, and what writing it would do."""
from __future__ import annotations

import json
import sys

from ..images import identify, load_image
from ..images.identify import ImageInfo


def run(args) -> int:
    image = load_image(args.file)  # InputError -> exit 2 with one line
    info = identify(image.data, image.base, image.ranges)
    if args.json:
        doc = info.to_json()
        doc["format"], doc["file"] = image.format, str(image.path)
        json.dump(doc, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render(info, image.format, str(image.path)))
    return 0


def render(info: ImageInfo, fmt: str, path: str) -> str:
    """The readable summary."""
    def hexaddr(addr):
        return "unknown" if addr is None else f"0x{addr:08X}"

    lines = [f"{path} ({fmt})", f"  kind:     {info.kind}" + (" (synthetic test image)" if info.synthetic else "")]
    if info.kind == "firmware":
        lines.append(f"  hw:       {info.hw or 'unknown'}")
        lines.append(f"  version:  {info.version or 'unknown (a .bin does not store it)'}")
    elif info.kind == "bootloader":
        comp = {True: "yes (firmware >= 6.00 can be updated)", False: "no", None: "unknown"}[info.compression]
        lines.append(f"  name:     {info.name}" + (f", first shipped {info.date}" if info.date else ""))
        lines.append(f"  compressed updates: {comp}")
    if info.kind in ("firmware", "bootloader"):
        lines.append("  release:  " + (info.release.describe() if info.release else
                                       "none: not an official image (sha256 not in the catalog)"))
    lines.append(f"  base:     {hexaddr(info.base)}" + ("  (write it here)" if info.base is not None else ""))
    lines.append(f"  size:     {info.size} bytes")
    lines.append(f"  sha256:   {info.sha256}")
    if info.crc_words:
        flag, crc = info.crc_words
        lines.append(f"  CRC words: flag 0x{flag:08X}, crc 0x{crc:08X} (app area {info.app_max_size} bytes)")
    if info.problems:
        lines.append("  problems:")
        lines += [f"    - {p}" for p in info.problems]
    else:
        lines.append("  problems: none")
    if info.notes:
        lines.append("  notes:")
        lines += [f"    - {n}" for n in info.notes]
    return "\n".join(lines) + "\n"
