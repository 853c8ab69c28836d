"""The Textual app: opens the environment in a worker, then walks start -> (wiring) -> triage -> verdict ->
(confirmation -> fix progress -> end). It holds the session, the plan and the outcome; the core does the work."""
from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual import work
from textual.app import App
from textual.binding import Binding

from ..graph.check import load_checked_graph
from ..graph.session import TriageSession
from .messages import EnvFailed, EnvReady


class VescDoctorApp(App[int], inherit_bindings=False):
    CSS_PATH = "app.tcss"
    TITLE = "vescdoctor"
    ENABLE_COMMAND_PALETTE = False
    # Ctrl+C asks to quit like q (not Textual's "press ctrl+q" hint); q quits except in a text field, where it types
    # "q" (Textual drops a binding the focused field would consume); there the footer shows ^q instead, so it is
    # never empty. The first ctrl+q binding is enabled only in a field (check_action), the second does the rest.
    BINDINGS = [
        Binding("ctrl+c", "quit", "Quit", priority=True, show=False),
        Binding("q", "quit", "Quit"),
        Binding("ctrl+q", "quit_from_field", "Quit", key_display="^q"),
        Binding("ctrl+q", "quit", "Quit", show=False),
    ]

    def __init__(self, *, board_dir: str | Path | None = None, probe_uid: str | None = None,
                 bootloader: str | Path | None = None, firmware: str | Path | None = None,
                 backup_dir: str | Path | None = None, report_path: str | Path | None = None,
                 show_wiring: bool = True, board_label: str | None = None, env_factory: Any = None) -> None:
        super().__init__()
        self.board_dir = Path(board_dir) if board_dir else None
        self.probe_uid = probe_uid
        self.bootloader_path = str(bootloader) if bootloader else ""
        self.firmware_path = str(firmware) if firmware else ""
        self.backup_dir = Path(backup_dir) if backup_dir else None
        self.report_path = Path(report_path) if report_path else Path("vescdoctor-report.json")
        self.show_wiring = show_wiring
        self.board_label = board_label or (self.board_dir.name if self.board_dir else None)
        self._env_factory = env_factory
        self.graph = load_checked_graph()
        self.session: TriageSession | None = None
        self.env: Any = None
        self.env_error: str | None = None
        self._env_ready = threading.Event()
        self.writing = False  # a FixEvent said writing=True: no cancel, no plain quit
        self.plan: Any = None
        self.outcome: Any = None
        self.fix_error: str | None = None
        self.report_written: Path | None = None
        self.report_error: str | None = None  # why the last save failed (one line)
        self.journal: Any = None  # FixJournal: what the running repair did so far
        # Set to stop the repair at its next safe point (never mid-write); with quit_when_stopped, the app leaves
        # once the engine has returned, so no write goes on behind a closed screen.
        self.stop_requested = threading.Event()
        self.quit_when_stopped = False
        # The command that goes on with this board, when "run vescdoctor again" would not (the demo's board lives in
        # a temporary directory, a simulated board needs --sim): set by commands/tui.py; every message that says to
        # run vescdoctor again says it instead (own_words).
        self.again_command: str | None = None
        self.sub_title = f"simulated board {self.board_label}" if self.board_dir else "real hardware"

    # -- lifetime ---------------------------------------------------------------------------------------------
    def own_words(self, text: str) -> str:
        """`text` with this board's own command where it says to run vescdoctor again (tui/wording.own_command)."""
        from .wording import own_command

        return own_command(text, self.again_command)

    def on_mount(self) -> None:
        from .screens.start import StartScreen, opening_questions

        self.open_environment()
        target = f"simulated board '{self.board_label}'" if self.board_dir else \
            "this computer's USB ports and debug probe"
        self.push_screen(StartScreen(opening_questions(self.graph), target))

    @work(thread=True, group="env")
    def open_environment(self) -> None:
        try:
            if self._env_factory is not None:
                env = self._env_factory()
            elif self.board_dir is not None:
                from ..environment import sim_environment

                env = sim_environment(self.board_dir)
            else:
                from ..environment import real_environment

                env = real_environment(self.probe_uid)
            self.env = env
            self.post_message(EnvReady())
        except Exception as exc:  # a bad board directory, a missing library: said on screen, not a traceback
            self.env_error = str(getattr(exc, "message", None) or exc) or type(exc).__name__
            self.post_message(EnvFailed(self.env_error))
        finally:
            self._env_ready.set()

    def wait_environment(self) -> Any:
        """From a worker thread: the environment once open, None if it could not be opened."""
        self._env_ready.wait()
        return self.env

    def on_env_failed(self, message: EnvFailed) -> None:
        from .screens.triage import TriageScreen

        self.notify(f"Cannot open the board: {message.reason}", severity="error", timeout=30)
        if isinstance(self.screen, TriageScreen):
            self.screen.env_failed(message.reason)

    def on_resize(self, event: Any) -> None:
        """A resize repaints the whole screen once it is laid out again: during a repair the log and the bars went
        on drawing at the old size and left stray glyphs and a doubled scrollbar behind."""
        self.call_after_refresh(self.full_repaint)

    def full_repaint(self) -> None:
        self.screen.refresh(layout=True)
        self.refresh(repaint=True)

    def on_unmount(self) -> None:
        self.close_environment()

    def close_environment(self) -> None:
        env, self.env = self.env, None
        if env is not None:
            env.close()

    # -- the flow ---------------------------------------------------------------------------------------------
    def begin_triage(self, answers: dict[str, str]) -> None:
        from .screens.triage import TriageScreen

        self.session = TriageSession(self.graph)
        self.switch_screen(TriageScreen(self.session, answers))
        if self.env_error:
            self.screen.env_failed(self.env_error)

    def suggest_answer(self, node: Any) -> str | None:
        """The default for a question asked mid-triage: on a simulated board, what its owner would answer; on a
        real one, for `hw`, the HW of the update left in the flash (the question says where it comes from)."""
        if self.env is not None and self.env.is_sim:
            from ..diagnosis import owner_answer

            return owner_answer(self.env, node)
        if node.question == "hw" and self.session is not None:
            return self.session.facts.get("flash.buffer_hw") or None
        return None

    def triage_done(self) -> None:
        self.release_link()

    @work(thread=True, group="env")
    def release_link(self) -> None:
        if self.env is not None:
            self.env.swd.close()

    def diagnosis(self) -> Any:
        from ..diagnosis import Diagnosis, env_summary

        return Diagnosis(self.session.result(), env_summary(self.env) if self.env is not None else {})

    def show_verdict(self) -> None:
        from .screens.verdict import VerdictScreen

        self.switch_screen(VerdictScreen())

    def known_board_hw(self) -> tuple[str | None, str | None]:
        """(name, hint): the board's hardware as a source that speaks for the board tells it (the answer to `hw`,
        the VESC's reply, the intact firmware in flash, a fix's record), else None: what the verdict screen's Board
        hardware field starts with; and, in words, what only hints at it (the update in the buffer, an earlier
        backup), shown beside the field, never put in it: the rider types it."""
        from ..fixes.board_hw import board_hw_sources

        strong, hint = board_hw_sources(self.diagnosis(), backup_dir=self.effective_backup_dir())
        return (strong.name if strong else None), (f"{hint.source} is for HW {hint.name}" if hint else None)

    @property
    def usb_route(self) -> bool:
        """The repair goes over USB, as `fix` would choose (flows.choose_via): no debug probe, the firmware answers,
        and the verdict has a plan over USB."""
        from ..flows import choose_via, usb_fixable

        session = self.session
        if session is None or session.verdict is None:
            return False
        return choose_via(None, session.facts) == "usb" and usb_fixable(session.verdict.code)

    def make_usb_plan(self, bootloader: str, firmware: str) -> tuple[Any, str | None]:
        """The plan over USB for the image fields (usbrepair/plan.py, as `fix --via usb` makes it), or the one-line
        reason there is none, in the TUI's words."""
        from ..catalog.resolve import name_releases, usb_bootloader_at_hand
        from ..errors import VescDoctorError
        from ..images import load_image
        from ..usbrepair.plan import make_usb_plan
        from .wording import usb_error_text

        self.catalog_offer = []
        facts = self.session.facts
        try:
            bl = load_image(image_path(bootloader)) if bootloader.strip() else None
            fw = load_image(image_path(firmware)) if firmware.strip() else None
            taken: list = []
            if bl is None:  # as `fix` does: the catalog's bootloader for the HW the firmware names (docs/catalog.md)
                bl, taken, self.catalog_offer = usb_bootloader_at_hand(facts.get("vesc.hw_name"))
            plan = make_usb_plan(self.session.verdict.code, facts, bootloader=bl, firmware=fw)
            if taken:
                name_releases(plan.images, taken)
            return plan, None
        except VescDoctorError as exc:
            offer = "".join(f"; or press Ctrl+G to download the {release.describe()}" for _, release in
                            self.catalog_offer)
            return None, self.own_words(usb_error_text(exc)) + offer

    def make_plan(self, bootloader: str, firmware: str, keep_config: bool,
                  board_hw: str | None = None, erase_all: bool = False) -> tuple[Any, str | None]:
        """The fix plan for the verdict and these image files (`~` expanded), or the one-line reason there is none
        (in the TUI's words: fields to fill in, not CLI flags). `board_hw`: a normalised HW name the user gave in
        the Board hardware field (None: as diagnosed). `erase_all`: the confirmation's "Erase the whole chip", the
        plan of `fix --erase-all`."""
        from ..errors import VescDoctorError
        from ..fixes.plan import make_plan
        from ..flows import chosen_hw
        from ..images import load_image
        from .wording import error_text

        if self.usb_route:  # no probe, the firmware answers: the repair goes over USB, as `fix` chooses
            return self.make_usb_plan(bootloader, firmware)
        self.catalog_offer: list = []  # images the catalog would give, not at hand: ctrl+g on the verdict screen
        try:
            bl = load_image(image_path(bootloader)) if bootloader.strip() else None
            fw = load_image(image_path(firmware)) if firmware.strip() else None
            taken: list = []
            # A name in the Board hardware field is the user's answer: they typed it, or went on with what a strong
            # source put there (a hint is never put there; a strong source's name: the engine names the source).
            strong = self.known_board_hw()[0] if board_hw and board_hw != "unsure" else None
            board_hw = chosen_hw(board_hw, self.session.answers if self.session else {}, strong)
            backup_dir = self.effective_backup_dir()  # earlier backups there can tell the hardware
            if bl is None or fw is None:  # the catalog's official images when at hand (docs/catalog.md)
                from ..catalog.resolve import images_at_hand, name_releases

                bl, fw, taken, self.catalog_offer = images_at_hand(
                    self.diagnosis(), bootloader=bl, firmware=fw, board_hw=board_hw, backup_dir=backup_dir)
            plan = make_plan(self.diagnosis(), bootloader=bl, firmware=fw, keep_config=keep_config,
                             board_hw=board_hw, backup_dir=backup_dir, erase_all=erase_all)
            if taken:
                name_releases(plan.images, taken)
            return plan, None
        except VescDoctorError as exc:
            if self.catalog_offer:  # the catalog has them: one key gets them (verdict screen, ctrl+g)
                return None, self.own_words(error_text(exc)) + "; or press Ctrl+G to download the " + " and the ".join(
                    release.describe() for _, release in self.catalog_offer)
            return None, self.own_words(error_text(exc))
        except Exception as exc:  # not ours to crash on: show it
            return None, f"{type(exc).__name__}: {exc}"

    def effective_backup_dir(self) -> Path:
        from ..fixes.backup import default_backup_dir

        return self.backup_dir if self.backup_dir is not None else default_backup_dir()

    def ask_consent(self, plan: Any, replan: Callable[[bool], tuple[Any, str | None]] | None = None) -> None:
        """The consent dialog for `plan`; `replan(erase_all)` makes the plan again when the rider ticks "Erase the
        whole chip" there. What runs is the plan the dialog shows when the rider says yes. A plan over USB has its
        own dialog (what goes over USB; no sectors read, no erase-all)."""
        from .screens.confirm import ConfirmScreen
        from .screens.usbconfirm import UsbConfirmScreen

        screen: ConfirmScreen | UsbConfirmScreen
        if getattr(plan, "via", None) == "usb":
            screen = UsbConfirmScreen(plan, self.effective_backup_dir())
        else:
            sectors = (self.session.facts.get("flash.sectors") if self.session else None) or []
            screen = ConfirmScreen(plan, sectors, self.effective_backup_dir(), replan)

        def answered(yes: bool | None) -> None:
            if yes:
                self.start_fix(screen.plan)
            else:
                self.notify("Nothing was written: the board is as it was.", title="Repair not started")

        self.push_screen(screen, answered)

    def start_fix(self, plan: Any) -> None:
        from .journal import FixJournal
        from .screens.fix import FixScreen

        self.plan = plan
        self.journal = FixJournal(plan, self.effective_backup_dir())
        self.switch_screen(FixScreen(plan))

    def fix_over(self, outcome: Any, error: str | None) -> None:
        from .screens.end import EndScreen
        from .screens.quit import QuitWhileWriting

        self.writing = False
        self.outcome, self.fix_error = outcome, error
        if isinstance(self.screen, QuitWhileWriting):  # the quit asked during the last write: honoured now
            self.pop_screen()
            self.quit_when_stopped = True
        if error is not None and self.journal is not None:
            self.journal.interrupt(error)
        if self.quit_when_stopped:
            self.finish()
            return
        self.switch_screen(EndScreen())

    def request_stop(self, *, quit_after: bool) -> None:
        """Stop the repair at its next safe point: now if it is between writes, after the running write (verified)
        otherwise. With quit_after, leave once it has stopped."""
        self.stop_requested.set()
        self.quit_when_stopped = self.quit_when_stopped or quit_after
        from .screens.fix import FixScreen

        for screen in self.screen_stack:
            if isinstance(screen, FixScreen):
                screen.stop_asked(self.quit_when_stopped)
        when = "after this write (it can't be cut halfway)" if self.writing else "before the next step"
        if getattr(self.plan, "via", None) == "usb":  # screens/fix.py: no safe point once it has begun
            when = "at the end of the repair (over USB it cannot stop once it has begun)"
        self.notify(f"Stopping {when}. Don't unplug anything until then.", title="Stopping", timeout=10)

    @property
    def fix_running(self) -> bool:
        """A repair started and has not ended (its worker may be between writes, or writing)."""
        return self.plan is not None and self.outcome is None and self.fix_error is None

    def repair_summary(self) -> str | None:
        """One line for the terminal once the app has closed: how the repair ended and where the backup is (the
        screen that said it is gone). None when no repair was started."""
        if self.plan is None:
            return None
        if self.fix_error is not None:
            return self.own_words(f"repair did not complete: {self.fix_error}")
        if self.outcome is None:
            return self.own_words("repair did not complete: the app was left before it ended; run vescdoctor again to "
                                  "finish")
        from ..fixes.execute import FixOutcome
        from .wording import outcome_text

        outcome = self.outcome
        message = outcome_text(outcome) if isinstance(outcome, FixOutcome) else getattr(outcome, "message", "")
        return self.own_words(f"repair {message}" if outcome.ok else f"repair did not complete: {message}")

    def exit_code(self) -> int:
        """As the CLI's (flows.guided_exit): 0 nothing was repaired or the repair is done, 1 it did not complete (or
        is cut short now), 3 the chip could not be reached (the verdict says so, or the repair found it so)."""
        from ..flows import guided_exit

        verdict = self.session.verdict if self.session is not None else None
        return guided_exit(verdict.code if verdict is not None else None, repair_started=self.plan is not None,
                           outcome=self.outcome, repair_failed=self.fix_running or self.fix_error is not None)

    # -- the report -------------------------------------------------------------------------------------------
    def build_report(self) -> dict | None:
        if self.session is None or not self.session.finished:
            return None
        from ..diagnosis import env_summary
        from ..flows import run_report

        summary = env_summary(self.env) if self.env else {"simulated": self.board_dir is not None,
                                                          "sim_board": self.board_label}
        journal = self.journal if self.outcome is None else None  # cut short: what the events said so far
        report = run_report(self.session.result(), env_summary=summary, graph=self.graph, command="tui",
                            plan=self.plan, outcome=self.outcome,
                            actions=journal.actions() if journal is not None else None,
                            backups=journal.backups() if journal is not None else None)
        measure = getattr(getattr(self.env, "bench", None), "measurement", None)
        if measure is not None:  # on the bench: what the run would have cost on the real pair (docs/bench.md)
            report["bench"] = measure()
        return report

    def save_report(self, path: str | Path | None = None) -> Path | None:
        """Write the report (`~` expanded); None when there is none yet or, while the app runs, when it could not be
        written: the one-line reason is then on screen (and in `report_error`), the app goes on. Once the app has
        ended, a bad place raises as before (the caller prints it)."""
        from ..errors import VescDoctorError
        from ..report.model import write_report

        report = self.build_report()
        if report is None:
            return None
        target = Path(str(path)).expanduser() if path else self.report_path.expanduser()
        try:
            self.report_written = write_report(report, target)
        except (VescDoctorError, OSError, ValueError) as exc:
            self.report_error = " ".join(str(exc).split()) or type(exc).__name__
            if not self.is_running:  # after the app ended (`vescdoctor demo` saves then): the caller says it
                raise
            self.notify(self.report_error, title="Report not saved", severity="error", timeout=15)
            return None
        self.report_error = None
        return self.report_written

    def save_summary(self, path: str | Path) -> Path | None:
        """Write the paste-ready summary (report/summary.py, as `report show --summary` prints it, of the redacted
        report) to the file the rider chose; None when there is no report yet or it could not be written (the reason
        is then on screen)."""
        from ..report.files import write_text_atomic
        from ..report.redact import redact_report
        from ..report.summary import summary_text

        report = self.build_report()
        if report is None:
            return None
        try:
            return write_text_atomic(Path(str(path)).expanduser(), self.own_words(summary_text(redact_report(report))))
        except (OSError, ValueError) as exc:
            self.notify(" ".join(str(exc).split()) or type(exc).__name__, title="Summary not saved",
                        severity="error", timeout=15)
            return None

    # -- quitting ---------------------------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "quit_from_field":
            focused = self.focused
            return focused is not None and focused.check_consume_key("q", "q")
        return True

    async def action_quit_from_field(self) -> None:
        await self.action_quit()

    async def action_quit(self) -> None:
        if not self.fix_running:
            self.finish()
            return
        # A repair is running: the app never leaves while its worker may still write; it asks it to stop.
        if self.stop_requested.is_set():
            self.request_stop(quit_after=True)  # says again what it waits for
        elif self.writing:
            from .screens.quit import QuitWhileWriting

            if not isinstance(self.screen, QuitWhileWriting):
                # The quit counts from now: the engine stops at the write's end (its next safe point, seen in its
                # own thread) unless the rider answers "Keep going" before then.
                self.stop_requested.set()
                self.quit_when_stopped = True
                self.push_screen(QuitWhileWriting(), self._quit_answer)
        else:
            self.request_stop(quit_after=True)

    def finish(self) -> None:
        """Leave with the exit code `exit_code()` says: as app.run()'s result (what `vescdoctor` exits with) and as
        the app's return code."""
        code = self.exit_code()
        self.exit(code, return_code=code)

    def _quit_answer(self, stop_after_write: bool | None) -> None:
        if not self.fix_running:
            return
        if stop_after_write:
            self.request_stop(quit_after=True)
        else:  # "Keep going": the quit is withdrawn
            self.stop_requested.clear()
            self.quit_when_stopped = False


def image_path(text: str) -> str:
    """A path typed into a field: surrounding blanks dropped, `~` expanded."""
    return str(Path(text.strip()).expanduser())
