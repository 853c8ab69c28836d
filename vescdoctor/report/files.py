"""Writing a file atomically: a temporary file beside it, fsync, rename. A reader never sees half a report."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..errors import InputError


def write_text_atomic(path: str | os.PathLike, content: str, *, force: bool = False) -> Path:
    """Write `content` (UTF-8) to `path`; an unwritable place is the user's input: InputError naming it. An existing
    file this run did not write is replaced only with `force`, and never when protected (fileguard)."""
    from ..fileguard import claim_output, note_created

    target = claim_output(path, force=force)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(content)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}", str(target)) from None
    note_created(target)
    return target


def check_writable(path: str | os.PathLike, *, force: bool = False) -> Path:
    """Refuse (InputError naming it) a place `write_text_atomic` could not write, before any work is done: a
    directory, a missing parent directory, a directory this user may not write in, a file it may not replace
    (fileguard). Leaves nothing behind."""
    from ..fileguard import claim_output

    target = Path(path)
    if target.is_dir():
        raise InputError("cannot write: it is a directory", str(target))
    parent = target.parent
    if not parent.is_dir():
        raise InputError(f"cannot write: no such directory {parent}" if not parent.exists() else
                         f"cannot write: {parent} is not a directory", str(target))
    try:  # what the atomic write itself does first: a temporary file beside the target
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent)
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror or exc}", str(target)) from None
    os.close(fd)
    Path(tmp).unlink(missing_ok=True)
    return claim_output(target, force=force)
