"""Get an official image: from the cache, a local checkout (--from DIR), a mirror (--mirror BASE) or its public URL.

Every file is checked against the catalog's size and sha256 before it is kept: a download goes to a `.part` file in
the cache, is checked, then renamed into place (atomic on every OS). A file that is longer or shorter than the
catalog says, an HTML page, or bytes with another sha256 are deleted: nothing half-downloaded or foreign is ever
used. A download cut off by the network keeps its `.part` and resumes with an HTTP Range request next time.

Errors: SourceUnavailable (exit 1: no server, HTTP error, --offline), InputError (exit 2: the file is not the
catalog's, a bad --from/--dest).
"""
from __future__ import annotations

import hashlib
import os
import shutil
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from .. import __version__
from ..errors import InputError, VescDoctorError
from .releases import RAW_PREFIX, Release

CACHE_ENV = "VESCDOCTOR_CACHE_DIR"
MIRROR_ENV = "VESCDOCTOR_MIRROR"
OFFLINE_ENV = "VESCDOCTOR_OFFLINE"  # set (not "0"): as --offline everywhere (the test suite sets it)
TIMEOUT = 30.0  # seconds without a byte before a download is given up (urllib's socket timeout)
CHUNK = 64 * 1024


class SourceUnavailable(VescDoctorError):
    """The image could not be had from the source (no server, HTTP error, not in a folder, --offline): exit 1."""

    exit_code = 1


@dataclass(frozen=True)
class Fetched:
    release: Release
    path: Path  # the checked file (in the cache, or in the --from folder)
    source: str  # where it came from, in words: "the cache", "DIR", the URL


def cache_dir() -> Path:
    """Where checked images are kept: VESCDOCTOR_CACHE_DIR, else the user's cache directory (platformdirs)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("vescdoctor")) / "images"


def cached_path(release: Release) -> Path:
    return cache_dir() / release.sha256 / release.file


def source_url(release: Release, mirror: str | None) -> str:
    """The URL or folder path to fetch: the catalog's URL, its https://raw.githubusercontent.com/ replaced by
    `mirror` (an http(s) URL or a folder) when given."""
    if not mirror:
        return release.url
    rest = release.url.removeprefix(RAW_PREFIX)
    if mirror.startswith(("http://", "https://")):
        return mirror.rstrip("/") + "/" + rest
    if mirror.startswith("file:"):  # file:///srv/mirror: a folder written as a URL
        from urllib.request import url2pathname

        mirror = url2pathname(mirror.removeprefix("file:").removeprefix("//"))
    return str(Path(mirror) / unquote(rest))


def check_file(path: Path, release: Release) -> str | None:
    """None when `path` holds exactly the catalog's image, else why not (one phrase)."""
    try:
        size = path.stat().st_size
        if size != release.size:
            return f"{size} bytes where the catalog says {release.size}"
        digest = hashlib.sha256()
        with path.open("rb") as f:
            for chunk in iter(lambda: f.read(CHUNK), b""):
                digest.update(chunk)
    except OSError as exc:
        return f"cannot read it: {exc.strerror or exc}"
    if digest.hexdigest() != release.sha256:
        return f"sha256 {digest.hexdigest()[:16]}... is not the catalog's {release.sha256[:16]}..."
    return None


def offline_default() -> bool:
    return os.environ.get(OFFLINE_ENV, "") not in ("", "0")


def get(release: Release, *, from_dir: str | None = None, mirror: str | None = None, offline: bool = False,
        progress: bool = True, ask=None) -> Fetched:
    """The checked image. `ask(release, url) -> bool` is called before a download (False: Declined, exit 1)."""
    offline = offline or offline_default()
    if from_dir:
        return _from_folder(release, Path(from_dir))
    cached = cached_path(release)
    if cached.is_file():
        if check_file(cached, release) is None:
            return Fetched(release, cached, "the cache")
        cached.unlink()  # damaged since it was checked: fetch it again
    mirror = mirror if mirror is not None else os.environ.get(MIRROR_ENV) or None
    where = source_url(release, mirror)
    if not where.startswith(("http://", "https://")):
        return _from_mirror_folder(release, Path(where), cached)
    if offline:
        raise SourceUnavailable(f"{release.describe()} is not in the cache ({cache_dir()}) and --offline forbids "
                                f"a download (it is at {where})")
    if ask is not None and not ask(release, where):
        from ..errors import Declined

        raise Declined(f"not downloaded: {release.describe()}; nothing was changed")
    download(where, release, cached, progress=progress)
    return Fetched(release, cached, where)


def _from_folder(release: Release, folder: Path) -> Fetched:
    """--from DIR: a vesc_fw_archive or vesc_tool checkout; the file at its path in the repository."""
    if not folder.is_dir():
        raise InputError("not a folder (expected a vesc_fw_archive or vesc_tool checkout)", str(folder))
    candidates = [folder / release.path, folder / release.path.split("/", 1)[-1]]
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        raise SourceUnavailable(f"{release.describe()} is not in {folder} (looked for {release.path})")
    why = check_file(path, release)
    if why:
        raise InputError(f"not the official file: {why}; not used", str(path))
    return Fetched(release, path, str(folder))


def _from_mirror_folder(release: Release, path: Path, cached: Path) -> Fetched:
    """A --mirror that is a folder: the file is checked, then copied into the cache like a download."""
    if not path.is_file():
        raise SourceUnavailable(f"{release.describe()} is not in the mirror folder (no {path})")
    why = check_file(path, release)
    if why:
        raise InputError(f"not the official file: {why}; nothing kept", str(path))
    _keep(path, cached, release, copy=True)
    return Fetched(release, cached, str(path))


def _keep(src: Path, dest: Path, release: Release, *, copy: bool) -> None:
    """Put a checked file into the cache: copy/rename to a .part beside it, check again, atomic rename."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    if copy:
        shutil.copyfile(src, part)
    elif src != part:
        os.replace(src, part)
    why = check_file(part, release)
    if why:
        part.unlink(missing_ok=True)
        raise InputError(f"not the official file: {why}; nothing kept", str(src))
    os.replace(part, dest)


LOCK_STALE = 15 * 60  # seconds: a lock older than this was left by a process that died


def download(url: str, release: Release, dest: Path, *, progress: bool = True) -> None:
    """Download `url` into `dest` (the cache), checked; see the module doc for what is kept when. One process at a
    time per image: a `.lock` beside it (created exclusively, removed after) keeps two from sharing a `.part`."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    lock = dest.with_name(dest.name + ".lock")
    _take_lock(lock, release)
    try:
        _download(url, release, dest, progress)
    finally:
        lock.unlink(missing_ok=True)


def _take_lock(lock: Path, release: Release) -> None:
    import time

    for _ in range(2):
        try:
            os.close(os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            return
        except FileExistsError:
            try:
                if time.time() - lock.stat().st_mtime < LOCK_STALE:
                    break
                lock.unlink()  # stale: its process died mid-download
            except FileNotFoundError:
                continue  # released meanwhile: try again
    raise SourceUnavailable(f"another vescdoctor is downloading the {release.describe()} now ({lock}); try again "
                            "when it has finished")


def _download(url: str, release: Release, dest: Path, progress: bool) -> None:
    part = dest.with_name(dest.name + ".part")
    have = part.stat().st_size if part.is_file() else 0
    if have >= release.size:  # a .part as long as the file would be and still here: it failed its check
        part.unlink()
        have = 0
    response = _open(url, have)
    if have and response.status != 206:  # the server ignored the Range: start again
        have = 0
    if _is_html(response):
        response.close()
        part.unlink(missing_ok=True)
        raise InputError(f"the server sent a web page (Content-Type {response.headers.get('Content-Type')}), not "
                         f"the image; nothing kept", url)
    try:
        _stream(response, part, have, release, url, progress)
    finally:
        response.close()
    _keep(part, dest, release, copy=False)


def _open(url: str, have: int):
    headers = {"User-Agent": f"vescdoctor/{__version__}"}
    if have:
        headers["Range"] = f"bytes={have}-"
    try:
        return urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=TIMEOUT)
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code == 416 and have:  # asked past the end: the .part is no good
            return _open(url, 0)
        raise SourceUnavailable(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise SourceUnavailable(f"cannot reach {url}: {getattr(reason, 'strerror', None) or reason}") from None


def _is_html(response) -> bool:
    ctype = (response.headers.get("Content-Type") or "").lower()
    return ctype.startswith(("text/html", "application/xhtml"))


def _stream(response, part: Path, have: int, release: Release, url: str, progress: bool) -> None:
    """Copy the body into `part` (appending after `have` bytes), never more than the catalog's size."""
    bar = _Bar(release, have) if progress else None
    length = response.headers.get("Content-Length")
    announced = have + int(length) if length and length.isdigit() else None
    try:
        with part.open("ab" if have else "wb") as out:
            total = have
            while True:
                try:
                    chunk = response.read(min(CHUNK, release.size + 1 - total))
                except (OSError, ValueError) as exc:  # timeout, reset, IncompleteRead (http.client)
                    raise SourceUnavailable(f"download of {url} interrupted at {total} of {release.size} bytes "
                                            f"({exc.__class__.__name__}); run again to resume") from None
                if not chunk:
                    break
                total += len(chunk)
                if total > release.size:
                    out.close()
                    part.unlink()
                    raise InputError(f"longer than the catalog's {release.size} bytes: not the official file; "
                                     "nothing kept", url)
                out.write(chunk)
                if bar:
                    bar.update(total)
    finally:
        if bar:
            bar.close()
    if announced is not None and total < announced:  # the connection ended before what the server announced
        raise SourceUnavailable(f"download of {url} interrupted at {total} of {release.size} bytes; run again to "
                                "resume")
    if total < release.size:  # the server sent all it meant to: a truncated copy, not a network hiccup
        part.unlink()
        raise InputError(f"the server sent {total} bytes where the catalog says {release.size}: a truncated file; "
                         "nothing kept", url)


class _Bar:
    """A Rich progress bar on stderr (Rich comes with Textual); plain text when stderr is not a terminal."""

    def __init__(self, release: Release, done: int):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        console = Console(file=sys.stderr)
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                                 TransferSpeedColumn(), TimeRemainingColumn(), console=console,
                                 disable=not console.is_terminal)
        self.task = self.progress.add_task(f"{release.file} {release.version or ''}".strip(), total=release.size,
                                           completed=done)
        self.progress.start()

    def update(self, done: int) -> None:
        self.progress.update(self.task, completed=done)

    def close(self) -> None:
        self.progress.stop()


def copy_to(fetched: Fetched, dest_dir: Path, name: str) -> Path:
    """Copy a checked image into the user's folder under `name`. A file there with other content is never
    overwritten (InputError); the same content is left as it is."""
    if not dest_dir.is_dir():
        raise InputError("not a folder (--dest takes an existing folder)", str(dest_dir))
    target = dest_dir / name
    if target.exists():
        if target.is_file() and check_file(target, fetched.release) is None:
            return target
        raise InputError("exists with other content: not overwritten (move it away or choose another --dest)",
                         str(target))
    part = dest_dir / f".{name}.part"
    shutil.copyfile(fetched.path, part)
    why = check_file(part, fetched.release)
    if why or target.exists():
        part.unlink(missing_ok=True)
        raise InputError(f"copy failed its check ({why})" if why else "appeared meanwhile: not overwritten",
                         str(target))
    os.replace(part, target)
    return target


def dest_name(release: Release) -> str:
    """A name that says what the file is: VESC_default-7.00-410_o_411_o_412.bin, generic-2022-12-08.bin."""
    stem = release.file.removesuffix(".bin")
    if release.kind == "firmware":
        return f"{stem}-{release.version}-{release.hw_dir.replace(' ', '_')}.bin"
    return f"{stem}-{release.date}.bin"
