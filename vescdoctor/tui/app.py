"""The Textual app: opens the environment in a worker, then walks start -> (wiring) -> triage -> verdict ->
(confirmation -> fix progress -> end). It holds the session, the plan and the outcome; the core does the work."""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from textual import work
from textual.app import App
from textual.binding import Binding

from ..graph.loader import load_graph
from ..graph.session import TriageSession
from .messages import EnvFailed, EnvReady

def fix_api(name: str) -> Any:
    """The fix engine's `make_plan`, `execute_plan`, `default_backup_dir` (one place, so tests can stand in)."""
    if name == "make_plan":
        from ..fixes.plan import make_plan

        return make_plan
    if name == "execute_plan":
        from ..fixes.execute import execute_plan

        return execute_plan
    if name == "default_backup_dir":
        from ..fixes.backup import default_backup_dir

        return default_backup_dir
    raise ImportError(f"the fix engine has no {name}")


class VescDoctorApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "vescdoctor"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", priority=True, show=False),
        Binding("q", "quit", "Quit"),
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
        self.graph = load_graph()
        self.session: TriageSession | None = None
        self.env: Any = None
        self.env_error: str | None = None
        self._env_ready = threading.Event()
        self.writing = False  # a FixEvent said writing=True: no cancel, no plain quit
        self.plan: Any = None
        self.outcome: Any = None
        self.fix_error: str | None = None
        self.report_written: Path | None = None
        self.sub_title = f"simulated board {self.board_label}" if self.board_dir else "real hardware"

    # -- lifetime ---------------------------------------------------------------------------------------------
    def on_mount(self) -> None:
        from .screens.start import StartScreen, opening_questions

        self.open_environment()
        target = f"simulated board '{self.board_label}'" if self.board_dir else \
            "this computer's USB ports and debug probe"
        self.push_screen(StartScreen(opening_questions(self.graph), target))

    @work(thread=True, group="env")
    def open_environment(self) -> None:
        try:
            from ..registries import probe_facts

            probe_facts()  # registers the built-in probes
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
        """The default for a question asked mid-triage: on a simulated board, what its owner would answer."""
        if self.env is not None and getattr(self.env, "is_sim", False):
            try:
                from ..diagnosis import owner_answer

                return owner_answer(self.env, node)
            except Exception:
                return None
        return None

    def triage_done(self) -> None:
        self.release_link()

    @work(thread=True, group="env")
    def release_link(self) -> None:
        if self.env is not None:
            from ..swdlink import close_link

            close_link(self.env)

    def diagnosis(self) -> Any:
        from ..diagnosis import Diagnosis, env_summary

        return Diagnosis(self.session.result(), env_summary(self.env) if self.env is not None else {})

    def show_verdict(self) -> None:
        from .screens.verdict import VerdictScreen

        self.switch_screen(VerdictScreen())

    def make_plan(self, bootloader: str, firmware: str, keep_config: bool) -> tuple[Any, str | None]:
        """The fix plan for the verdict and these image files, or the one-line reason there is none."""
        try:
            make_plan = fix_api("make_plan")
        except ImportError:
            return None, "the repair engine is not available in this build"
        from ..errors import VescDoctorError
        from ..images import load_image

        try:
            bl = load_image(bootloader) if bootloader.strip() else None
            fw = load_image(firmware) if firmware.strip() else None
            board_hw = (self.session.answers.get("hw") if self.session else None) or None
            board_hw = None if board_hw == "unsure" else board_hw
            return make_plan(self.diagnosis(), bootloader=bl, firmware=fw, keep_config=keep_config,
                             board_hw=board_hw), None
        except VescDoctorError as exc:
            return None, str(exc)
        except Exception as exc:  # not ours to crash on: show it
            return None, f"{type(exc).__name__}: {exc}"

    def effective_backup_dir(self) -> Path:
        if self.backup_dir is not None:
            return self.backup_dir
        try:
            return Path(fix_api("default_backup_dir")())
        except Exception:
            return Path.home() / ".local" / "share" / "vescdoctor" / "backups"

    def ask_consent(self, plan: Any) -> None:
        from .screens.confirm import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                self.start_fix(plan)
            else:
                self.notify("Nothing was written: the board is as it was.", title="Repair not started")

        sectors = (self.session.facts.get("flash.sectors") if self.session else None) or []
        self.push_screen(ConfirmScreen(plan, sectors, self.effective_backup_dir()), answered)

    def start_fix(self, plan: Any) -> None:
        from .screens.fix import FixScreen

        self.plan = plan
        self.switch_screen(FixScreen(plan))

    def fix_over(self, outcome: Any, error: str | None) -> None:
        from .screens.end import EndScreen

        self.writing = False
        self.outcome, self.fix_error = outcome, error
        self.switch_screen(EndScreen())

    # -- the report -------------------------------------------------------------------------------------------
    def build_report(self) -> dict | None:
        if self.session is None or not self.session.finished:
            return None
        from ..diagnosis import env_summary
        from ..report.model import build_report

        outcome = self.outcome
        report = build_report(self.session.result(), env_summary=env_summary(self.env) if self.env else
                            {"simulated": self.board_dir is not None, "sim_board": self.board_label},
                            graph=self.graph, command="tui",
                            actions=list(getattr(outcome, "actions", None) or ()),
                            backups=list(getattr(outcome, "backups", None) or ()),
                            plan=list(getattr(self.plan, "steps", None) or ()) if outcome is not None else ())
        after = getattr(outcome, "after", None)
        if after is not None and hasattr(after, "result"):  # as `vescdoctor fix` reports it
            report["after"] = {"verdict": after.verdict, "findings": list(after.result.findings)}
        return report

    def save_report(self, path: str | Path | None = None) -> Path | None:
        from ..report.model import write_report

        report = self.build_report()
        if report is None:
            return None
        self.report_written = write_report(report, Path(path) if path else self.report_path)
        return self.report_written

    # -- quitting ---------------------------------------------------------------------------------------------
    async def action_quit(self) -> None:
        if self.writing:
            from .screens.quit import QuitWhileWriting

            if not isinstance(self.screen, QuitWhileWriting):
                self.push_screen(QuitWhileWriting(), self._quit_answer)
            return
        self.exit(0)

    def _quit_answer(self, quit_anyway: bool | None) -> None:
        if quit_anyway:
            self.exit(1)
