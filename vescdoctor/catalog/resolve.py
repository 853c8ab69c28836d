"""The images a fix needs and was not given, taken from the catalog for the board's HW (fix, and any face).

One entry point, `resolve_images`, runs after the diagnosis and before the plan: it returns the image files the
plan will check like any other (make_plan refuses wrong-hardware images whatever their source), and what it took
from the catalog, so the plan's image records and the report can name the release and where it came from.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import InputError
from .fetch import Fetched, SourceUnavailable, get, offline_default
from .releases import bootloader_for, by_sha256, firmware_for, known_hw_names

if TYPE_CHECKING:
    from ..fixes.records import ImageRecord


@dataclass(frozen=True)
class CatalogImage:
    what: str  # bootloader | firmware
    fetched: Fetched


def needed_images(diagnosis: Any, book=None) -> list[str]:
    """Which images ('bootloader', 'firmware') the verdict's plan and its findings' extra steps write."""
    from ..fixes.plans_file import load_plans
    from ..fixes.steps import STEPS

    book = book or load_plans()
    vplan = book.verdicts.get(diagnosis.verdict)
    if vplan is None:
        return []
    steps = list(vplan.for_node(getattr(getattr(diagnosis.result, "verdict", None), "node", None)).steps)
    for code in diagnosis.result.findings or ():
        extra = book.findings.get(code)
        if extra is not None and code != diagnosis.verdict:
            steps += extra.steps
    needs = {STEPS[step].needs for step in steps}
    return [what for what in ("bootloader", "firmware") if what in needs]


def board_hw_for_catalog(diagnosis: Any, board_hw: str | None, backup_dir) -> str:
    """The board's HW from a source that speaks for the board (fixes.plan.board_hw_sources), or InputError
    naming the hint and the HW names the catalog knows: the catalog never picks firmware on a guess."""
    from ..fixes.plan import board_hw_sources

    strong, hint = board_hw_sources(diagnosis, board_hw, backup_dir)
    if strong is not None:
        return strong.name
    names = known_hw_names()
    confirm = (f"{hint.source} says HW {hint.name}, which shows what was to be installed, not the board; if that "
               f"is the board, --answer hw={hint.name}; " if hint else "")
    raise InputError("the board's hardware is not known, so vescdoctor cannot pick its images from the catalog: "
                     f"{confirm}say which it is with --answer hw=NAME (the catalog knows {len(names)} names: "
                     + ", ".join(names[:12]) + ", ...; `vescdoctor firmware list` shows them all), or pass "
                     "--firmware/--bootloader FILE")


def resolve_images(diagnosis: Any, *, bootloader, firmware, board_hw: str | None = None,
                   version: str | None = None, backup_dir=None, mirror: str | None = None, offline: bool = False,
                   ask: Callable | None = None, progress: bool = True):
    """(bootloader, firmware, taken): the LoadedImage given, or the catalog's for the board when the plan needs it
    and none was given; `taken` lists what came from the catalog. InputError / SourceUnavailable / Declined (one
    line) when that cannot be done; nothing has touched the chip then."""
    from ..images import load_image

    given = {"bootloader": bootloader, "firmware": firmware}
    missing = [what for what in needed_images(diagnosis) if given[what] is None]
    if version and firmware is not None:
        raise InputError("--firmware-version picks the catalog's firmware: it does not go with --firmware FILE")
    if not missing:
        return bootloader, firmware, []
    hw = board_hw_for_catalog(diagnosis, board_hw, backup_dir)
    chosen = {what: bootloader_for(hw) if what == "bootloader" else firmware_for(hw, version) for what in missing}
    if offline or offline_default():
        _check_offline(chosen, mirror)
    taken = []
    for what, release in chosen.items():
        fetched = get(release, mirror=mirror, offline=offline, ask=ask, progress=progress)
        given[what] = load_image(fetched.path)
        taken.append(CatalogImage(what, fetched))
    return given["bootloader"], given["firmware"], taken


def _check_offline(chosen: dict, mirror: str | None) -> None:
    """Offline, every image must be at hand (cache or mirror folder): else one line naming what to pass."""
    absent = []
    for what, release in chosen.items():
        try:
            get(release, mirror=mirror, offline=True, progress=False)
        except SourceUnavailable:
            absent.append((what, release))
    if absent:
        raise InputError("this fix needs " + " and ".join(f"a {what} image ({release.describe()}: not in the "
                                                          "cache)" for what, release in absent)
                         + " and downloads are off (--offline): pass "
                         + " and ".join(f"--{what} FILE" for what, _ in absent) + ", or fetch them first with "
                         "`vescdoctor firmware get`")


def name_releases(image_records: list[ImageRecord], taken: list[CatalogImage]) -> None:
    """Add to each plan image record the official release it is (by the file's sha256) and, for one taken from
    the catalog, where it came from: the report then says which release was written and from where."""
    sources = {c.fetched.release.sha256: c.fetched.source for c in taken}
    for record in image_records:
        release = by_sha256(record.sha256 or "")
        if release is not None:
            record.release = release.describe()
        if record.sha256 in sources:
            record.source = sources[record.sha256]


def describe_taken(taken: list[CatalogImage]) -> list[str]:
    """One line per image taken from the catalog, for the plan shown before consent."""
    return [f"{c.what.capitalize()} from the catalog: {c.fetched.release.describe()}, sha256 checked, from "
            f"{c.fetched.source}" for c in taken]


def ask_before_download(yes: bool, stdin=None, out=None) -> Callable:
    """The question a face asks before a download: --yes answers it; without a terminal and without --yes the
    download is refused (InputError), as any other consent is."""
    import sys

    def ask(release, url: str) -> bool:
        if yes:
            return True
        i, o = stdin or sys.stdin, out or sys.stderr
        if not (i.isatty() and o.isatty()):
            raise InputError(f"the fix needs the {release.describe()}, not in the cache: pass --yes to download "
                             f"it from {url} (or give the file with --firmware/--bootloader); nothing was changed")
        print(f"Download the {release.describe()} ({release.size} bytes) from {url}? Type 'yes': ", end="",
              file=o, flush=True)
        return i.readline().strip().lower() in ("yes", "y")
    return ask


def images_at_hand(diagnosis: Any, *, bootloader, firmware, board_hw: str | None = None, backup_dir=None):
    """For a face that cannot ask mid-way (the TUI's plan preview): the catalog's images the fix needs when they
    are at hand without a download (the cache, a VESCDOCTOR_MIRROR folder), else what was given, unchanged; and
    what the catalog would give that is not at hand (a download the face can offer).
    (bootloader, firmware, taken, offer) with taken as resolve_images's, offer [(what, Release)]."""
    from ..errors import VescDoctorError

    offer = offered_images(diagnosis, bootloader=bootloader, firmware=firmware, board_hw=board_hw,
                           backup_dir=backup_dir)
    try:
        return resolve_images(diagnosis, bootloader=bootloader, firmware=firmware, board_hw=board_hw,
                              backup_dir=backup_dir, offline=True, progress=False) + ([],)
    except VescDoctorError:
        return bootloader, firmware, [], offer


def offered_images(diagnosis: Any, *, bootloader, firmware, board_hw: str | None = None, backup_dir=None) -> list:
    """[(what, Release)]: what the catalog would give this fix (empty: nothing missing, HW not known, none)."""
    from ..errors import VescDoctorError

    given = {"bootloader": bootloader, "firmware": firmware}
    try:
        missing = [what for what in needed_images(diagnosis) if given[what] is None]
        if not missing:
            return []
        hw = board_hw_for_catalog(diagnosis, board_hw, backup_dir)
        return [(what, bootloader_for(hw) if what == "bootloader" else firmware_for(hw)) for what in missing]
    except VescDoctorError:
        return []


def fetch_offered(offer: list, *, mirror: str | None = None) -> list[CatalogImage]:
    """Download (or take from the cache/mirror) each offered image, checked: the face asked first."""
    return [CatalogImage(what, get(release, mirror=mirror, progress=False)) for what, release in offer]


def usb_bootloader_release(hw: str | None) -> Any:
    """The catalog's bootloader Release for the HW a running firmware names; None when the HW is unknown or the
    catalog has none for it (the repair over USB then asks for a bootloader file)."""
    try:
        return bootloader_for(hw) if hw else None
    except (InputError, LookupError, ValueError):
        return None


def usb_bootloader_at_hand(hw: str | None) -> tuple[Any, list[CatalogImage], list]:
    """The repair over USB in a face that cannot ask mid-way (the TUI's plan preview): the catalog's bootloader for
    the HW the running firmware names when it is at hand without a download (the cache, a mirror folder), as
    (LoadedImage, taken, []); else (None, [], offer) with offer [("bootloader", Release)] to download when the face
    has asked, or nothing when the catalog has none for that HW."""
    from ..images import load_image

    release = usb_bootloader_release(hw)
    if release is None:
        return None, [], []
    try:
        fetched = get(release, offline=True, progress=False)
    except SourceUnavailable:
        return None, [], [("bootloader", release)]
    return load_image(fetched.path), [CatalogImage("bootloader", fetched)], []
