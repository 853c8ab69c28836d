"""`vescdoctor firmware list|get`: the catalog of official images, and the right one for a board, checked."""
from __future__ import annotations

import json
import sys
from pathlib import Path


def run(args) -> int:
    return {"list": run_list, "get": run_get}[args.firmware_command](args)


def run_list(args) -> int:
    from ..catalog.releases import releases_for

    releases = releases_for(args.hw)
    if args.hw and not any(r.kind == "firmware" for r in releases):
        from ..catalog.releases import firmware_for

        firmware_for(args.hw)  # InputError naming the HW names the catalog knows
    if args.json:
        json.dump({"images": [r.to_json() for r in releases]}, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return 0
    out = sys.stdout
    print(f"{'kind':<10} {'version':<8} {'hw':<28} {'file':<28} {'bytes':>7}  sha256 (first 16)  url", file=out)
    for r in releases:
        mark = "" if r.current else " (replaced)"
        print(f"{r.kind:<10} {r.version or r.date:<10} {_short(r.hw_dir, 28):<28} {_short(r.file, 28):<28} "
              f"{r.size:>7}  {r.sha256[:16]}  {r.url}{mark}", file=out)
    print(f"{len(releases)} images" + (f" for HW {args.hw}" if args.hw else ""), file=sys.stderr)
    return 0


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 3] + "..."


def run_get(args) -> int:
    from ..catalog.fetch import copy_to, dest_name, get
    from ..catalog.releases import bootloader_for, firmware_for

    if args.bootloader and args.version:
        from ..errors import InputError

        raise InputError("--version is for firmware; the bootloader is the one VESC Tool ships for the HW")
    release = bootloader_for(args.hw) if args.bootloader else firmware_for(args.hw, args.version)
    fetched = get(release, from_dir=args.from_dir, mirror=args.mirror, offline=args.offline,
                  progress=not args.json)
    path = copy_to(fetched, Path(args.dest), dest_name(release)) if args.dest else fetched.path
    if args.json:
        doc = {"release": release.to_json(), "path": str(path), "source": fetched.source, "sha256_checked": True}
        json.dump(doc, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        print(f"{release.describe()}: sha256 checked ({release.sha256[:16]}..., {release.size} bytes), "
              f"from {fetched.source}", file=sys.stderr)
        print(path)
    return 0
