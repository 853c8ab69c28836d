"""`vescdoctor serve`: the TUI in a browser over textual-serve. A real server process on 127.0.0.1 answers GET with
the app's page (nothing loaded from the internet) and starts the TUI on the simulated board over its websocket;
other addresses need --allow-remote."""
from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time

import pytest

from vescdoctor.cli import main
from vescdoctor.commands import serve

aiohttp = pytest.importorskip("aiohttp", reason="the [serve] extra (textual-serve) is not installed")
pytest.importorskip("textual_serve", reason="the [serve] extra (textual-serve) is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(tmp_path):
    board = tmp_path / "board"
    assert main(["sim", "create", "bricked-update", str(board)]) == 0
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "vescdoctor", "serve", "--sim", str(board), "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        yield f"http://127.0.0.1:{port}", proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def _get(url: str) -> tuple[int, str]:
    """GET, waiting for the server to listen (a readiness wait, not a timing assertion)."""
    deadline = time.monotonic() + 90
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(url) as resp:
                    return resp.status, await resp.text(errors="replace")
            except aiohttp.ClientConnectionError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)


async def _screen(base: str) -> bytes:
    """What the TUI started for one page draws, through the page's websocket."""
    got = b""
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(f"{base}/ws?width=80&height=24") as ws:
            while b"vescdoctor" not in got or b"simulated board" not in got:
                msg = await asyncio.wait_for(ws.receive(), 90)
                if msg.type == aiohttp.WSMsgType.BINARY:
                    got += msg.data
                elif msg.type == aiohttp.WSMsgType.TEXT:
                    got += msg.data.encode()
                else:
                    break
    return got


@pytest.mark.slow
def test_serve_answers_get_with_the_page_and_drives_the_tui(served):
    base, proc = served
    status, page = asyncio.run(_get(base + "/"))
    assert status == 200, proc.stderr
    assert "<title>vescdoctor</title>" in page or "vescdoctor" in page
    assert f"{base}/static/js/textual.js" in page
    assert "googleapis" not in page and "fonts.gstatic" not in page
    import re
    for ref in re.findall(r"(?:src|href|url)\s*[=(]\s*[\"']?([a-z]+:)?//([^/\"')]+)", page):
        assert ref[1] == base.split("//")[1], ref  # every resource from this server
    status, _ = asyncio.run(_get(base + "/static/fonts/RobotoMono-VariableFont_wght.ttf"))
    assert status == 200
    screen = asyncio.run(_screen(base))
    assert b"vescdoctor" in screen and b"simulated board" in screen


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::"])
def test_another_address_needs_allow_remote(host, capsys):
    assert main(["serve", "--host", host, "--port", "18999"]) == 2
    err = capsys.readouterr().err
    assert "--allow-remote" in err and "erase and write" in err and err.count("\n") == 1


@pytest.mark.parametrize("host, loopback", [("127.0.0.1", True), ("localhost", True), ("::1", True),
                                            ("127.0.0.2", True), ("0.0.0.0", False), ("example.org", False)])
def test_loopback(host, loopback):
    assert serve.is_loopback(host) is loopback


def test_a_missing_board_is_bad_input(tmp_path, capsys):
    assert main(["serve", "--sim", str(tmp_path / "nope")]) == 2
    assert "no such board directory" in capsys.readouterr().err


def test_a_page_that_would_load_from_the_internet_is_refused(tmp_path):
    from vescdoctor.errors import InputError

    src = tmp_path / "page.html"
    src.write_text('<link rel="stylesheet" href="https://fonts.example/x.css" />\n<script src="//cdn.example/x.js">')
    with pytest.raises(InputError):
        serve.local_template(src, tmp_path / "out.html")
    src.write_text('<link rel="stylesheet" href="https://fonts.example/x.css" />\n<p>ok</p>')
    serve.local_template(src, tmp_path / "out.html")
    assert "fonts.example" not in (tmp_path / "out.html").read_text()


def test_without_the_extra_it_says_how_to_install_it(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "textual_serve.server", None)  # import fails as if not installed
    assert main(["serve"]) == 2
    assert "pip install 'vescdoctor[serve]'" in capsys.readouterr().err
