"""The one way vescdoctor reads an input file: a regular file (after symlinks), its size capped before it is read.

A device (/dev/zero), a FIFO, a socket or a symlink to one is refused at once with a one-line InputError naming the
file (exit 2): read whole, /dev/zero eats memory without bound and a FIFO blocks forever (issue 12, item 4). The file
is opened non-blocking where the platform has it and checked again on the open descriptor, so one swapped for a FIFO
between the look and the open cannot hang the read. Every file read here is noted as an input of this run
(fileguard): no output of the same command may be written over it.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import InputError

_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)


def _kind(mode: int) -> str | None:
    """What a non-regular file is, in words ("is ..."), None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    what = ("a pipe" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else
            "a socket" if stat.S_ISSOCK(mode) else "something else")
    return f"not a regular file ({what})"


def _is(kind: str) -> str:
    return kind if kind.startswith("not ") else f"is {kind}"


def read_bounded(path: str | os.PathLike, limit: int, what: str = "a file") -> bytes:
    """The bytes of `path`, at most `limit` of them; InputError (FILE: reason) for anything else."""
    from .fileguard import note_input

    name = str(path)
    try:
        st = os.stat(path)
        kind = _kind(st.st_mode)
        if kind:
            raise InputError(f"{_is(kind)}, expected {what}", name)
        if st.st_size > limit:
            raise InputError(f"too large ({st.st_size} bytes, {what} is at most {limit})", name)
        fd = os.open(path, _FLAGS)
        try:
            kind = _kind(os.fstat(fd).st_mode)  # the file opened is the one looked at
            if kind:
                raise InputError(f"{_is(kind)}, expected {what}", name)
            with os.fdopen(fd, "rb", closefd=False) as f:
                raw = f.read(limit + 1)  # it may have grown since the stat
        finally:
            os.close(fd)
    except FileNotFoundError:
        raise InputError(f"no such file (expected {what})", name) from None
    except IsADirectoryError:
        raise InputError(f"is a directory, expected {what}", name) from None
    except PermissionError:
        raise InputError("cannot read: permission denied", name) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", name) from None
    if len(raw) > limit:
        raise InputError(f"too large (more than {limit} bytes, {what} is at most {limit})", name)
    note_input(Path(path))
    return raw


def read_text_bounded(path: str | os.PathLike, limit: int, what: str = "a text file") -> str:
    raw = read_bounded(path, limit, what)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", str(path)) from None
