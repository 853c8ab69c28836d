"""`vescdoctor inspect FILE [--json]`: what an image file is, and what writing it would do.

A file that is no image (a picture, a report, erased flash, random bytes) or an image cut short is bad input: exit 2,
one line on stderr saying what the file looks like; with --json the document is printed too (kind "unknown",
`looks_like`, and `truncated` when the vector table points past the end of the file).
"""
from __future__ import annotations

import json
import sys

from ..images import identify, load_image
from ..images.identify import ImageInfo
from ..images.sniff import looks_like, truncation

EXIT_OK, EXIT_INPUT = 0, 2


def run(args) -> int:
    image = load_image(args.file)  # InputError -> exit 2 with one line
    info = identify(image.data, image.base, image.ranges)
    cut = truncation(image.data, image.base)
    looks = None if info.kind != "unknown" or cut else looks_like(image.data)
    if cut:
        info.problems.insert(0, cut)
    if args.json:
        doc = info.to_json()
        doc["format"], doc["file"] = image.format, str(image.path)
        doc["truncated"], doc["looks_like"] = bool(cut), looks
        json.dump(doc, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render(info, image.format, str(image.path)))
    # images/completeness.py: code that refers past the file's end, or a release short of its CRC words
    incomplete = next((p for p in info.problems if p.startswith("incomplete: ")), None)
    if cut or looks or incomplete:
        what = ("a firmware image cut short (" + cut + ")" if cut else
                incomplete.removeprefix("incomplete: ") if incomplete else looks)
        print(f"vescdoctor: {image.path}: not a usable firmware or bootloader image: {what}", file=sys.stderr)
        return EXIT_INPUT
    return EXIT_OK


def render(info: ImageInfo, fmt: str, path: str) -> str:
    """The readable summary."""
    def hexaddr(addr):
        return "unknown" if addr is None else f"0x{addr:08X}"

    lines = [f"{path} ({fmt})", f"  kind:     {info.kind}" + (" (synthetic test image)" if info.synthetic else "")
             + (" (TRUNCATED)" if info.problems and info.problems[0].startswith("truncated") else "")]
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
