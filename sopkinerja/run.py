"""``sopkinerja run``: SOP steps 6-9 in one go.

The orchestrator: ingest every file of the inbox (``ingest``), parse and
validate them (``validate``), decide one answer per unit (``decide``), write
feedback for units with problems (``feedback``), consolidate the agency
(``consolidate``), log the SOP's step times (``timing``) and write the recap
(``report``); the feedback and the recap switch in as one set.

Safe to run again at any time: files are archived and parsed once per
content (sha256), everything after that is recomputed from the ledger, so
the same files give the same ledger and the same outputs; when nothing a run
depends on has changed, the last run's answer is given at once.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sopkinerja import decide, feedback, forms, ingest
from sopkinerja.atomic import new_stage, recover, remove_leftovers
from sopkinerja.consolidate import consolidate, last_year
from sopkinerja.i18n import Messages
from sopkinerja.issues import Issue
from sopkinerja.records import UnitStatus
from sopkinerja.report import Outputs, output_names, write_reports
from sopkinerja.timing import events, record_run_events, run_steps, timing_log
from sopkinerja.validate import Rules
from sopkinerja.validate.worker import check_all
from sopkinerja.workcalendar import WorkCalendar
from sopkinerja.workspace import Workspace

Progress = Callable[[str, int, int], None]
OUTPUT_KEYS = ("recap_xlsx", "recap_html", "recap_csv", "timing_csv")


@dataclass
class RunResult:
    period: str
    units: list[UnitStatus]
    issues: list[Issue]
    feedback: dict[str, Path]
    new_files: int
    outputs: Outputs | None = None
    unchanged: bool = False  # nothing changed since the last run: its answer, outputs untouched
    ignored: list[decide.Ignored] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # said once: forms.notices

    @property
    def complete(self) -> bool:
        return all(u.status == "accepted" for u in self.units)

    def document(self, messages, workspace: Workspace) -> dict:
        rel = workspace.relative
        return {
            "period": self.period,
            "units": [{"unit": u.unit, "status": u.status, "on_time": u.on_time, "errors": u.errors,
                       "warnings": u.warnings, "file": u.file,
                       "received_at": u.received_at.isoformat() if u.received_at else None,
                       "superseded": u.superseded} for u in self.units],
            "unchanged": self.unchanged,
            "issues": [i.document(messages) for i in self.issues],
            "ignored": [i.document(messages) for i in self.ignored],
            "outputs": {
                **({key: rel(getattr(self.outputs, key)) for key in OUTPUT_KEYS} if self.outputs else {}),
                **({key: rel(path) for key, path in (self.outputs.forms or {}).items()} if self.outputs else {}),
                "feedback": {unit: rel(path) for unit, path in sorted(self.feedback.items())}},
            "notices": [{"code": code, "message": messages(f"run.notice_{code.replace('-', '_')}")}
                        for code in self.notices],
        }


def run(workspace: Workspace, clock: Callable[[], datetime], progress: Progress | None = None) -> RunResult:
    config = workspace.config
    period = config.period.code
    sop = workspace.sop()
    started = clock()
    with workspace.lock(), workspace.ledger() as ledger:
        # What an interrupted run left: a half-done switch of outputs is finished, temporary files go.
        recover(workspace.period_output())
        for folder in (config.paths.archive, workspace.period_output()):
            remove_leftovers(folder)
        inputs = _fingerprint(workspace, ledger, sop)
        previous = _previous(ledger, period, inputs + _outputs_fingerprint(workspace))
        if previous is not None:
            run_id = ledger.start_run("run", period, started.isoformat())
            ledger.finish_run(run_id, clock().isoformat(), "unchanged")
            return previous
        master = workspace.master().master
        run_id = ledger.start_run("run", period, started.isoformat())
        intake = ingest.receive_inbox(workspace, ledger, run_id, started)  # step 8: every file archived first
        received = decide.outcomes(workspace, ledger)
        checked = check_all(workspace, ledger, received, Rules.of(config, sop), clock, progress)  # step 7
        current, ignored = decide.this_round(ledger, checked, period, started, ledger.set_aside())
        skipped = [decide.Ignored(f"{workspace.relative(config.paths.inbox)}/{s.file}", "system-file", s.note)
                   for s in intake.skipped]
        answer = decide.decide(master, current, config.deadline, skipped + ignored)
        decide.record(ledger, current, period, clock().isoformat(), run_steps(sop), intake.problems)
        for outcome in checked:  # in the ledger now; a province's million values need not stay in memory
            outcome.values = []
        # Feedback and recap are staged together and switched in as one set (atomic.switch).
        stage = new_stage(workspace.period_output())
        try:
            written, failed = feedback.write_all(workspace, ledger, answer.answers, answer.units,
                                                 stage / feedback.FEEDBACK_FOLDER)
            issues = sorted([*answer.issues, *intake.problems, *failed], key=Issue.sort_key)
            recap = consolidate(ledger, master, period, answer.units, config.capaian_cap,  # steps 6 and 9
                                workspace.cache_folder / f"konsolidasi-{period}")
            record_run_events(ledger, sop, period, answer.units, started, clock())
            timing = timing_log(events(ledger, period), sop, [u.code for u in master.units],
                                WorkCalendar(config.calendar))
            when = started.astimezone(config.calendar.tz)
            previous_year = last_year(ledger, master, period) if "lkjip_xlsx" in forms.form_names(period) else {}
            outputs = write_reports(workspace, recap, issues, sop, when, Messages(config.language), timing, stage,
                                    (feedback.FEEDBACK_FOLDER,),
                                    lambda: forms.write_forms(recap, master, config, issues, previous_year, when,
                                                              stage, workspace.cache_folder))
        finally:
            shutil.rmtree(stage, ignore_errors=True)
        result = RunResult(period, answer.units, issues, written, intake.new_files, outputs,
                           ignored=answer.ignored, notices=forms.notices(config))
        # The inputs as this run found them (a file dropped in meanwhile is new next time),
        # the outputs as it left them; a file that could not be read now is looked at again.
        if not intake.retry:
            _remember(ledger, period, inputs + _outputs_fingerprint(workspace), result)
        ledger.finish_run(run_id, clock().isoformat(), "ok")
    return result


# --- nothing changed, nothing done -----------------------------------------------------


class _Digest:
    """sha256 of file sizes and modification times (not contents: cheap on every run)."""

    def __init__(self):
        import hashlib

        self.digest = hashlib.sha256()

    def add(self, *parts) -> None:
        self.digest.update(repr(parts).encode("utf-8", "surrogatepass"))

    def stat(self, path: Path) -> None:
        try:
            info = path.stat()
            self.add(str(path), info.st_size, info.st_mtime_ns)
        except OSError:
            self.add(str(path), None)

    def tree(self, path: Path, suffixes: tuple[str, ...] = ()) -> None:
        if not path.is_dir():
            self.stat(path)
            return
        for child in sorted(path.rglob("*")):
            if child.is_file() and (not suffixes or child.suffix in suffixes):
                self.stat(child)

    def hexdigest(self) -> str:
        return self.digest.hexdigest()


def _fingerprint(workspace: Workspace, ledger, sop) -> str:
    """What a run's outputs depend on: the code, the workspace's place and language, the
    configuration, SOP, templates and master files, every inbox file, and what other
    commands wrote to the ledger (requests from ``generate``, step events from
    ``generate`` and ``step``; run's own rows are left out)."""
    from sopkinerja.files import code_mark
    from sopkinerja.ingest.reader import PARSER_VERSION
    from sopkinerja.report.html import shipped_templates

    config = workspace.config
    d = _Digest()
    d.add(code_mark(), PARSER_VERSION, str(workspace.root.resolve()), config.language)
    d.tree(shipped_templates(), (".j2", ".css"))
    for path in (config.root / "sopkinerja.toml", config.sop_file, config.paths.templates, config.paths.master):
        if path is not None:
            d.tree(Path(path))
    for path in ingest.discover(config.paths.inbox):
        d.stat(path)
    d.add(*ledger.change_marks(run_steps(sop)))
    return d.hexdigest()


def _outputs_fingerprint(workspace: Workspace) -> str:
    """The period's outputs as they are: a deleted or edited recap is written again."""
    folder = workspace.period_output()
    d = _Digest()
    d.tree(folder / feedback.FEEDBACK_FOLDER)
    period = workspace.config.period.code
    for name in (*output_names(period).values(), *forms.form_names(period).values()):
        d.stat(folder / name)
    return d.hexdigest()


def _previous(ledger, period: str, fingerprint: str) -> RunResult | None:
    """The last run's answer when nothing it depends on has changed since."""
    import pickle

    stored = ledger.get_state(f"run:{period}")
    if stored is None or not stored.startswith(fingerprint.encode() + b"\n"):
        return None
    try:
        result = pickle.loads(stored[len(fingerprint) + 1:])
    except Exception:  # written by another version: run in full
        return None
    if not isinstance(result, RunResult):
        return None
    result.unchanged, result.new_files = True, 0
    return result


def _remember(ledger, period: str, fingerprint: str, result: RunResult) -> None:
    import pickle

    with ledger.transaction():
        ledger.set_state(f"run:{period}", fingerprint.encode() + b"\n" + pickle.dumps(result))
