"""`vescdoctor backup [--sim BOARD] OUT`: the whole flash (1 MiB .bin) and a .json sidecar; never overwrites.

OUT is a file name (`.bin` added when missing) or an existing folder, where the backup gets the name a fix's backup
gets. The folder is checked writable before the board is touched."""
from __future__ import annotations

import sys


def run(args) -> int:
    from ..fixes.backup import backup_destination, read_backup
    from .common import open_environment, progress, quiet_pyocd

    quiet_pyocd(args)
    backup_destination(args.out)  # a bad OUT is refused before the board is touched
    with open_environment(args) as env:
        shown = progress(args)
        try:
            info = read_backup(env, args.out, on_event=shown)
        finally:
            shown.close()
    print(f"backup: {info['file']} (sha256 {info['sha256']}), sidecar {info['sidecar']}", file=sys.stderr)
    print(info["file"])
    return 0
