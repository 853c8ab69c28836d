"""A mirror of the catalog's URLs for the download tests: a folder laid out as raw.githubusercontent.com is
(vedderb/<repo>/<commit>/<path>), a test catalog of generated images pointing at it, and an HTTP server on
127.0.0.1 that serves it, with faults on chosen files. No test touches the internet.
"""
from __future__ import annotations

import hashlib
import http.server
import json
import shutil
import threading
from pathlib import Path
from urllib.parse import quote, unquote

from vescdoctor.catalog.releases import RAW_PREFIX
from vescdoctor.sim import imagegen

from testdata import FIRMWARE_DIR

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def _record(kind, data, version, hw_dir, file, repo, path, current=True, date="2026-01-01"):
    size = len(data)
    crc = {"app_size": size, "flag_offset": size - 8, "crc_offset": size - 4} if size in (393208, 524280) else None
    return {"kind": kind, "sha256": hashlib.sha256(data).hexdigest(), "size": size, "version": version,
            "hw_dir": hw_dir, "hw": [] if hw_dir == "generic" else hw_dir.split("_o_"), "file": file, "repo": repo,
            "date": date, "current": current, "crc": crc,
            "url": f"{RAW_PREFIX}vedderb/{repo}/{COMMIT}/{quote(path)}"}


def generated_images() -> list[tuple[dict, bytes]]:
    """VESC-like images (vescdoctor.sim.imagegen) as a small catalog: 410 at 5.03 (release layout) and 7.00 (the
    newest, small so that a fix on the bench is quick), 60 at 5.03, the 4.x bootloader and generic.bin."""
    fw = "vesc_fw_archive"
    items = []
    for version, hw_dir, size in (("5.03", "410_o_411_o_412", "release5"), ("7.00", "410_o_411_o_412", "small"),
                                  ("5.03", "60", "release5")):
        data = imagegen.firmware(hw_dir.split("_o_")[0], version, size)
        path = f"{version}/{hw_dir}/VESC_default.bin"
        items.append((_record("firmware", data, version, hw_dir, "VESC_default.bin", fw, path), data))
    for name, seed in (("40_o_47_o_48_o_410_o_411_o_412_o_DAS_RS", 1), ("generic", 2)):
        data = imagegen.bootloader(compression=True, seed=seed)
        path = f"res/bootloaders/{name}.bin"
        items.append((_record("bootloader", data, None, name, f"{name}.bin", "vesc_tool", path), data))
    return items


def write_mirror(root: Path, items) -> Path:
    """Lay `items` out under `root` as the catalog's URLs say."""
    for record, data in items:
        dest = root / unquote(record["url"].removeprefix(RAW_PREFIX))
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)
    return root


def write_catalog(path: Path, items) -> Path:
    path.write_text(json.dumps({"format": 1, "images": [r for r, _ in items]}))
    return path


def real_mirror(root: Path) -> list[str]:
    """Copy ../shared/firmware's files to the real catalog's URLs under `root`; the names of those copied (every
    file there must be in the real catalog: the caller checks)."""
    from vescdoctor.catalog.releases import by_sha256

    copied = []
    for f in sorted(FIRMWARE_DIR.glob("*.bin")):
        release = by_sha256(hashlib.sha256(f.read_bytes()).hexdigest())
        if release is None:
            continue
        dest = root / unquote(release.url.removeprefix(RAW_PREFIX))
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(f, dest)
        copied.append(f.name)
    return copied


class MirrorServer:
    """http.server on 127.0.0.1 (a free port) in a thread, serving `root`. Bounded: it stops when the `with`
    block ends, and by itself after `lifetime` seconds whatever happens.

    faults: {path suffix: how}: "html" (200 with an HTML page), "truncate" (the first half, Content-Length to
    match), "corrupt" (as long, one byte changed), "cut" (full Content-Length, the connection closed halfway),
    "404". Range requests (bytes=N-) are answered with 206."""

    def __init__(self, root: Path, faults: dict[str, str] | None = None, lifetime: float = 120.0):
        self.root, self.faults, self.requests = Path(root), dict(faults or {}), []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                server.requests.append((self.path, self.headers.get("Range")))
                server.serve(self)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.timer = threading.Timer(lifetime, self.httpd.shutdown)
        self.timer.daemon = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    def __enter__(self) -> MirrorServer:
        self.thread.start()
        self.timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self.timer.cancel()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)

    def serve(self, h) -> None:
        fault = next((how for suffix, how in self.faults.items() if h.path.endswith(suffix)), None)
        path = self.root / unquote(h.path.lstrip("/"))
        if fault == "404" or not path.is_file():
            return self._send(h, 404, b"<html><body>404 Not Found</body></html>", "text/html")
        data = path.read_bytes()
        if fault == "html":
            return self._send(h, 200, b"<!DOCTYPE html><html><body>Rate limit exceeded</body></html>", "text/html")
        if fault == "truncate":
            data = data[:len(data) // 2]
        if fault == "corrupt":
            data = data[:100] + bytes([data[100] ^ 0xFF]) + data[101:]
        start = 0
        rng = h.headers.get("Range")
        if rng and rng.startswith("bytes=") and rng.endswith("-"):
            start = int(rng[6:-1])
            if start >= len(data):
                return self._send(h, 416, b"", "text/plain")
        body = data[start:]
        h.send_response(206 if start else 200)
        h.send_header("Content-Type", "application/octet-stream")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if fault == "cut":
            h.wfile.write(body[:len(body) // 2])
            h.wfile.flush()
            h.close_connection = True
            return
        h.wfile.write(body)

    @staticmethod
    def _send(h, code: int, body: bytes, ctype: str) -> None:
        h.send_response(code)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)
