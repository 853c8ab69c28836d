"""`vescdoctor fix` over USB (--via usb, or no probe and the firmware answers): the face of vescdoctor.usbrepair.

commands/fix.py calls flows.choose_via() after the diagnosis and, for "usb", run_usb_fix(); the report and the result
lines are then printed by fix.py as for the SWD path.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ..catalog.fetch import SourceUnavailable
from ..errors import Declined, InputError, VescDoctorError


def run_usb_fix(args: Any, diagnosis: Any, env: Any, bootloader: Any, firmware: Any,
                backup_dir: Path) -> tuple[int, Any, Any, VescDoctorError | None]:
    """(exit code, plan, outcome, refusal) of a fix over USB."""
    from ..fixes.backup import check_backup_dir
    from ..usbrepair import journal
    from ..usbrepair.execute import execute_usb_plan
    from ..usbrepair.plan import make_usb_plan
    from .common import is_terminal, progress
    from .fix import confirm

    facts = diagnosis.result.facts or {}
    plan = None
    try:
        if not facts.get("vesc.answered"):
            raise InputError("--via usb needs a VESC whose firmware answers on USB, and this one does not; "
                             "a repair without firmware goes through SWD (--via swd, a debug probe)")
        taken: list = []
        if bootloader is None and facts.get("vesc.hw_name"):
            bootloader, taken = catalog_bootloader(args, str(facts["vesc.hw_name"]))
        plan = make_usb_plan(diagnosis.verdict, facts, bootloader=bootloader, firmware=firmware)
        if taken:
            from ..catalog.resolve import describe_taken, name_releases

            name_releases(plan.images, taken)
            for line in describe_taken(taken):
                print(line, file=sys.stderr)
        earlier = journal.pending(backup_dir, plan.board_uid)
        if earlier is not None:
            print(f"vescdoctor: {journal.describe(earlier)}; this run starts over with the bootloader",
                  file=sys.stderr)
        print(f"\nVerdict: {diagnosis.verdict} (repair over USB)", file=sys.stderr)
        if args.dry_run:
            out = sys.stderr if args.json else sys.stdout
            for line in plan.describe():
                print(line, file=out)
            print("Dry run: nothing was changed.", file=out)
            return 0, plan, None, None
        check_backup_dir(backup_dir)
        if not args.yes:
            if not (is_terminal(sys.stdin) and is_terminal(sys.stderr)):
                raise InputError("the fix writes flash over USB: pass --yes (or run on a terminal to confirm); "
                                 "nothing was changed")
            if not confirm(plan, backup_dir):
                raise Declined("not confirmed; nothing was changed")
        else:
            for line in plan.describe():
                print(line, file=sys.stderr)
        shown = progress(args)
        try:
            outcome = execute_usb_plan(plan, env, on_event=shown, backup_dir=backup_dir)
        finally:
            shown.close()
        return (0 if outcome.ok else 1), plan, outcome, None
    except (InputError, Declined, SourceUnavailable) as exc:
        return exc.exit_code, plan, None, exc


def catalog_bootloader(args: Any, hw: str) -> tuple[Any, list]:
    """The catalog's bootloader for the HW the running firmware names (docs/catalog.md), asked before a download;
    (None, []) when the catalog has none for it (the plan then asks for --bootloader)."""
    from ..catalog.fetch import get, offline_default
    from ..catalog.resolve import CatalogImage, ask_before_download, usb_bootloader_release
    from ..images import load_image

    release = usb_bootloader_release(hw)
    if release is None:
        return None, []
    offline = bool(getattr(args, "offline", False)) or offline_default()
    try:
        fetched = get(release, mirror=getattr(args, "mirror", None), offline=offline,
                      ask=ask_before_download(args.yes))
    except SourceUnavailable:
        if offline:  # the plan's own line names --bootloader
            return None, []
        raise
    return load_image(fetched.path), [CatalogImage("bootloader", fetched)]


def interrupted_notice(backup_dir: Path) -> list[str]:
    """When no firmware answers: the lines that say a repair over USB was cut off and only SWD can go on."""
    from ..usbrepair import journal

    doc = journal.pending(backup_dir)
    if doc is None or doc.get("step") != "bootloader-copy":
        return []
    return [f"vescdoctor: {journal.describe(doc)}", *("  " + s for s in journal.swd_only_steps(doc))]
