"""`vescdoctor serve [--host 127.0.0.1] [--port 8000] [--sim BOARD]`: the TUI in a web browser (textual-serve).

Every browser tab that opens the page starts its own `vescdoctor` TUI process on this computer, driven from the page.
Loopback only unless --host names another address AND --allow-remote confirms it: whoever reaches the port can
erase and write the board. The page loads nothing from the internet: textual-serve's page links a web font from
Google; it is replaced by the same font textual-serve ships, served from this computer (docs/serve.md).
"""
from __future__ import annotations

import ipaddress
import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

from ..errors import InputError

LOOPBACK_NAMES = {"localhost"}
TEMPLATE = "app_index.html"
# textual-serve ships Roboto Mono in its static/fonts; the page asks Google for it instead.
LOCAL_FONT = ('<style>@font-face{font-family:"Roboto Mono";font-weight:100 700;'
              'src:url("{{ config.static.url }}fonts/RobotoMono-VariableFont_wght.ttf") format("truetype")}</style>')
_REMOTE_LINK = re.compile(r"<link\b[^>]*\bhref\s*=\s*[\"']https?://[^\"']*[\"'][^>]*>", re.I | re.S)
_REMOTE_REF = re.compile(r"\b(src|href)\s*=\s*[\"'](https?:)?//", re.I)


def run(args) -> int:
    try:
        from textual_serve.server import Server
    except ImportError:
        raise InputError("`vescdoctor serve` needs textual-serve: pip install 'vescdoctor[serve]'") from None
    check_host(args.host, args.allow_remote)
    if not 0 < args.port < 65536:
        raise InputError(f"--port {args.port}: expected 1..65535")
    if args.sim and not Path(args.sim).is_dir():
        raise InputError("no such board directory (make one with `vescdoctor sim create SCENARIO BOARD`)", args.sim)
    import textual_serve

    with tempfile.TemporaryDirectory(prefix="vescdoctor-serve-") as templates:
        local_template(Path(textual_serve.__file__).parent / "templates" / TEMPLATE, Path(templates) / TEMPLATE)
        server = Server(tui_command(args), host=args.host, port=args.port, title="vescdoctor",
                        public_url=args.public_url, templates_path=templates)
        print(f"vescdoctor: serving the TUI on http://{_url_host(args.host)}:{args.port} "
              f"({'loopback only' if is_loopback(args.host) else 'REACHABLE FROM THE NETWORK'}); each page opened "
              "starts its own TUI on this computer. Ctrl+C stops.", file=sys.stderr)
        try:
            server.serve(debug=bool(getattr(args, "debug", False)))
        except OSError as exc:  # the port is taken, or the address is not one of this computer's
            raise InputError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
    return 0


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_host(host: str, allow_remote: bool) -> None:
    """Anything but loopback needs --allow-remote: the page drives a tool that erases and writes flash."""
    if is_loopback(host) or allow_remote:
        if not is_loopback(host):
            print(f"vescdoctor: WARNING: --host {host}: anyone who can reach this port can run the repair on your "
                  "board (erase and write its flash). There is no password. Stop it when the helper is done.",
                  file=sys.stderr)
        return
    raise InputError(f"--host {host} makes the TUI reachable from the network, where anyone who reaches the port "
                     "could erase and write the board; add --allow-remote to confirm, or keep 127.0.0.1 and use a "
                     "tunnel (docs/serve.md)")


def tui_command(args) -> str:
    """The command line textual-serve starts per page (it runs it through the shell: quoted for this OS)."""
    argv = [sys.executable, "-m", "vescdoctor"]
    if args.sim:
        argv += ["--sim", str(Path(args.sim).resolve())]
    if getattr(args, "probe", None):
        argv += ["--probe", args.probe]
    return subprocess.list2cmdline(argv) if os.name == "nt" else shlex.join(argv)


def local_template(source: Path, dest: Path) -> None:
    """textual-serve's page with its internet font link replaced by the font it ships. A page that would still load
    something from another host is refused, not served."""
    page = _REMOTE_LINK.sub(lambda _: LOCAL_FONT, source.read_text(encoding="utf-8"))
    if _REMOTE_REF.search(page):
        raise InputError("textual-serve's page loads something from the internet that vescdoctor cannot serve "
                         "locally; not serving it (a newer textual-serve? see docs/serve.md)", str(source))
    dest.write_text(page, encoding="utf-8")


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host
