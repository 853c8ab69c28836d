"""`vescdoctor restore [--sim BOARD] BACKUP [--config-only] [--backup-dir DIR] [--yes]`: write a backup back,
verified.

The flash as it is now is backed up first (into --backup-dir, default the user data directory). Needs --yes or a
confirmation on a TTY. A file without its valid .json sidecar is refused.
"""
from __future__ import annotations

import sys

from ..errors import Declined, InputError


def run(args) -> int:
    from pathlib import Path

    from ..fixes.backup import check_backup_dir, default_backup_dir, load_backup, restore_backup
    from .common import on_a_terminal, open_environment, progress, quiet_pyocd

    quiet_pyocd(args)

    load_backup(args.backup)  # a bad file is refused before the board is touched
    backup_dir = getattr(args, "backup_dir", None)  # --backup-dir: where the safety backup goes
    backup_dir = check_backup_dir(Path(backup_dir) if backup_dir else default_backup_dir())
    what = "the config sectors 1-2 (0x08004000..0x0800BFFF)" if args.config_only else "the whole flash (sectors 0-11)"
    if not args.yes:
        if not on_a_terminal():
            raise InputError(f"restoring erases and rewrites {what}: pass --yes; nothing was changed")
        print(f"This erases and rewrites {what} from {args.backup} (the flash is backed up first). "
              "Type 'yes' to go ahead: ", end="", file=sys.stderr, flush=True)
        if sys.stdin.readline().strip().lower() not in ("yes", "y"):
            raise Declined("not confirmed; nothing was changed")
    with open_environment(args) as env:
        shown = progress(args)
        try:
            info = restore_backup(env, args.backup, config_only=args.config_only, on_event=shown,
                                  backup_dir=backup_dir)
        finally:
            shown.close()
    print(f"restored {info['restored']} from {info['from']}; the flash before is in "
          f"{info['safety_backup']['file']}", file=sys.stderr)
    return 0
