"""The command line: parse, call one library function, print, choose the exit code."""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path
from typing import Any

import click

from sopkinerja import __version__
from sopkinerja.errors import SopkinerjaError
from sopkinerja.i18n import Messages, resolve_language

# Exit codes (product.md §3.1).
EXIT_OK = 0
EXIT_FATAL = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3


class State:
    """Options shared by every command, whether given before or after its name."""

    def __init__(self) -> None:
        self.project = Path(".")
        self.json = False
        self.debug = False
        self.messages = Messages(resolve_language())

    def merge(self, project: Path | None, as_json: bool, debug: bool) -> None:
        self.project = project or self.project
        self.json = self.json or as_json
        self.debug = self.debug or debug


def _common(function):
    """--project, --json and --debug on every command too (``sopkinerja run --json``)."""
    function = click.option("--debug", is_flag=True, help="Tampilkan traceback bila gagal.")(function)
    function = click.option("--json", "as_json", is_flag=True, help="Keluaran satu dokumen JSON.")(function)
    function = click.option(
        "--project", type=click.Path(file_okay=False, path_type=Path),
        help="Folder workspace (bawaan: folder saat ini).",
    )(function)
    return function


class Group(click.Group):
    """Turns a SopkinerjaError into one Indonesian paragraph and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SopkinerjaError as exc:
            state = ctx.ensure_object(State)
            if state.debug:
                raise
            _fatal(state, exc.key, exc.render(state.messages))
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as exc:  # a bug: explain, keep the traceback for --debug
            state = ctx.ensure_object(State)
            if state.debug:
                raise
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            _fatal(state, "internal", state.messages("error.internal", detail=detail))


def _fatal(state: State, code: str, message: str) -> None:
    if state.json:
        click.echo(json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False))
    click.echo(state.messages("error.prefix") + " " + message, err=True)
    sys.exit(EXIT_FATAL)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@_common
@click.version_option(__version__, prog_name="sopkinerja")
@click.pass_context
def cli(ctx: click.Context, project: Path | None, as_json: bool, debug: bool) -> None:
    """sopkinerja: SOP Mekanisme Pengumpulan Data Kinerja dalam satu perintah.

    Alur: init (sekali) -> generate (langkah 2-3) -> unit mengisi dan mengirim
    kembali -> run (langkah 6-9) -> status.

    Example:

        sopkinerja init D:\\kinerja --example
    """
    ctx.ensure_object(State).merge(project, as_json, debug)


def _state(ctx: click.Context, project: Path | None, as_json: bool, debug: bool) -> State:
    state = ctx.ensure_object(State)
    state.merge(project, as_json, debug)
    return state


def _emit(state: State, document: dict[str, Any], lines: list[str]) -> None:
    if state.json:
        click.echo(json.dumps(document, ensure_ascii=False, indent=2, default=str))
    else:
        for line in lines:
            click.echo(line)


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--example", is_flag=True, help="Isi dengan badan contoh (Bappedalitbang Tapanuli Utara).")
@_common
@click.pass_context
def init(ctx, directory: Path, example: bool, project, as_json, debug) -> None:
    """Buat workspace baru: sopkinerja.toml, input/master.xlsx, input/masuk/, output/.

    Menolak menimpa workspace yang sudah ada.

    Example:

        sopkinerja init D:\\kinerja --example
    """
    from sopkinerja.clock import now
    from sopkinerja.workspace import init_workspace

    state = _state(ctx, project, as_json, debug)
    result = init_workspace(directory, example, now().date(), state.messages)
    msg = state.messages
    _emit(state, {
        "workspace": str(result.root), "config": str(result.config), "master": str(result.master),
        "example": result.example, "units": result.units, "indicators": result.indicators,
    }, [
        msg("init.done", path=result.root),
        msg("init.example", units=result.units, indicators=result.indicators)
        if example else msg("init.empty", master=result.master),
        msg("init.next", path=result.root),
    ])


@cli.command()
@click.option("--unit", "unit_code", metavar="CODE", help="Hanya untuk satu unit (kode dari master).")
@_common
@click.pass_context
def generate(ctx, unit_code: str | None, project, as_json, debug) -> None:
    """Langkah 2-3 SOP: satu buku kerja permintaan data per unit.

    Berkas ditulis di output/<periode>/permintaan/ dan dicatat di buku besar.
    Aman diulang: unit yang isinya tidak berubah mendapat berkas dan ID yang sama.

    Example:

        sopkinerja generate --project D:\\kinerja --unit SEK
    """
    from sopkinerja.clock import now
    from sopkinerja.generate import generate as run_generate
    from sopkinerja.workspace import open_workspace

    state = _state(ctx, project, as_json, debug)
    workspace = open_workspace(state.project)
    state.messages = Messages(workspace.config.language)
    with _progress(state) as progress:
        result = run_generate(workspace, now, unit_code, progress=progress)
    _emit(state, result.document(state.messages), _generate_lines(result, workspace, state.messages))


def _generate_lines(result, workspace, msg) -> list[str]:
    lines = [msg("generate.done", count=len(result.workbooks), period=result.period, folder=result.folder)]
    for item in result.workbooks:
        key = "generate.item_reused" if item.reused else (
            "generate.item_replaces" if item.replaces else "generate.item_new")
        lines.append(msg(key, unit=item.unit, name=item.path.name, request_id=item.request_id,
                         replaces=item.replaces))
    lines += [w.render(msg) for w in result.warnings]
    if result.defaulted:
        lines.append(msg("generate.defaulted", count=result.defaulted))
    lines.append(msg("generate.next", inbox=workspace.config.paths.inbox))
    return lines


class _progress:
    """A progress bar on stderr for long work; silent under --json or when not a terminal."""

    def __init__(self, state: State):
        self.state = state
        self.bar = None

    def __enter__(self):
        return None if self.state.json or not sys.stderr.isatty() else self.update

    def update(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = click.progressbar(length=total, file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


@cli.command()
@_common
@click.pass_context
def run(ctx, project, as_json, debug) -> None:
    """Langkah 6-9 SOP: baca semua berkas di folder masuk, validasi, umpan balik.

    Aman diulang kapan saja: berkas yang sama tidak dibaca dua kali.
    Kode keluar 3 bila ada unit yang belum mengirim atau berkasnya ditolak.

    Example:

        sopkinerja run --project D:\\kinerja
    """
    from sopkinerja.clock import now
    from sopkinerja.run import run as run_stage
    from sopkinerja.workspace import open_workspace

    state = _state(ctx, project, as_json, debug)
    workspace = open_workspace(state.project)
    state.messages = Messages(workspace.config.language)
    with _progress(state) as progress:
        result = run_stage(workspace, now, (lambda stage, done, total: progress(done, total)) if progress else None)
    _emit(state, result.document(state.messages, workspace), _run_lines(result, workspace, state.messages))
    sys.exit(EXIT_OK if result.complete else EXIT_INCOMPLETE)


def _run_lines(result, workspace, msg) -> list[str]:
    from sopkinerja.issues import count

    tally = {s: sum(u.status == s for u in result.units) for s in ("accepted", "rejected", "missing")}
    lines = [msg("run.summary", period=result.period, new=result.new_files, **tally)]
    if result.unchanged:
        lines.append(msg("run.unchanged"))
    for unit in result.units:
        late = msg("run.late") if unit.on_time is False else ""
        lines.append(msg(f"run.unit_{unit.status}", unit=unit.unit, name=unit.name, file=unit.file,
                         errors=unit.errors, warnings=unit.warnings, late=late))
    shown = [i for i in result.issues if i.severity != "info"]
    if shown:
        lines.append(msg("run.issues_head", errors=count(shown, "error"), warnings=count(shown, "warning")))
        for issue in shown:
            where = " ".join(p for p in (issue.unit or "", issue.file or "",
                                         f"{issue.sheet}!{issue.cell}" if issue.cell else "") if p)
            lines.append(msg("run.issue_line", severity=msg(f"feedback.{issue.severity}"),
                             where=where + " " if where else "", code=issue.code,
                             message=issue.message(msg)))
    listed = [i for i in result.ignored if i.reason != "system-file"]
    if listed:
        lines.append(msg("run.ignored_head", count=len(listed)))
        for item in listed:
            shown = item.document(msg)
            lines.append(msg("run.ignored_line", file=shown["file"], note=shown["note"],
                             reason=msg(f"run.ignored_{item.reason.replace('-', '_')}")))
    system = len(result.ignored) - len(listed)
    if system:
        lines.append(msg("run.ignored_system", count=system))
    if result.feedback:
        lines.append(msg("run.feedback", count=len(result.feedback),
                         folder=next(iter(result.feedback.values())).parent))
    if result.outputs is not None and result.outputs.forms:
        for key, path in sorted(result.outputs.forms.items()):
            lines.append(msg(f"run.form_{key}", path=workspace.relative(path)))
    for code in result.notices:
        lines.append(msg(f"run.notice_{code.replace('-', '_')}"))
    if not result.complete:
        lines.append(msg("run.incomplete"))
    return lines


@cli.command()
@_common
@click.pass_context
def status(ctx, project, as_json, debug) -> None:
    """Siapa sudah mengirim, siapa belum atau terlambat, siapa bergalat (dari buku besar).

    Example:

        sopkinerja status --project D:\\kinerja
    """
    from sopkinerja.i18n import format_datetime
    from sopkinerja.status import status as read_status
    from sopkinerja.workspace import open_workspace

    state = _state(ctx, project, as_json, debug)
    workspace = open_workspace(state.project)
    msg = state.messages = Messages(workspace.config.language)
    report = read_status(workspace)
    lines = [msg("status.head", period=report.period, deadline=format_datetime(report.deadline, msg.language))]
    if not report.has_run:
        lines.append(msg("status.never_run", period=report.period))
    for unit in report.units:
        if unit.status == "missing":
            lines.append(msg("status.unit_missing", unit=unit.unit, name=unit.name))
            continue
        lines.append(msg("status.unit_line", unit=unit.unit, name=unit.name, status=msg(f"status.{unit.status}"),
                         errors=unit.errors, warnings=unit.warnings, file=unit.file,
                         received=format_datetime(unit.received_at, msg.language),
                         late=msg("status.late") if unit.on_time is False else ""))
        if unit.superseded:
            lines.append(msg("status.superseded", files=", ".join(unit.superseded)))
    for unit in report.units:
        lines.append(msg("status.steps", unit=unit.unit, steps=", ".join(map(str, unit.steps)) or "-"))
    for file, note in report.ignored:
        lines.append(msg("status.ignored", file=file, note=note))
    _emit(state, report.document(), lines)


@cli.command()
@_common
@click.pass_context
def verify(ctx, project, as_json, debug) -> None:
    """Periksa keutuhan catatan: buku besar, arsip berkas, dan asal setiap nilai yang diterima.

    Tidak mengubah apa pun. Kode keluar 3 bila ada yang tidak cocok.

    Example:

        sopkinerja verify --project D:\\kinerja
    """
    from sopkinerja.verify import verify as check
    from sopkinerja.workspace import open_workspace

    state = _state(ctx, project, as_json, debug)
    workspace = open_workspace(state.project)
    msg = state.messages = Messages(workspace.config.language)
    result = check(workspace)
    lines = [msg("verify.head", files=result.files, values=result.values)]
    lines += [msg(f"verify.{f.code.replace('-', '_')}", subject=f.subject, detail=f.detail) for f in result.findings]
    lines.append(msg("verify.clean") if result.clean else msg("verify.problems", count=len(result.findings)))
    _emit(state, result.document(), lines)
    sys.exit(EXIT_OK if result.clean else EXIT_INCOMPLETE)


@cli.command()
@click.argument("number", type=int)
@click.option("--start", "start_text", required=True, metavar="WAKTU", help="Mulai, mis. \"09/10/2026 08.30\".")
@click.option("--end", "end_text", metavar="WAKTU", help="Selesai (boleh dicatat belakangan).")
@click.option("--unit", "unit_code", metavar="KODE", help="Unit, untuk langkah yang dikerjakan setiap unit.")
@click.option("--by", "by", metavar="NAMA", help="Siapa yang mengerjakan.")
@_common
@click.pass_context
def step(ctx, number: int, start_text: str, end_text: str | None, unit_code: str | None, by: str | None,
         project, as_json, debug) -> None:
    """Catat langkah SOP yang dikerjakan orang (mis. langkah 1 disposisi, langkah 4 rapat).

    Example:

        sopkinerja step 1 --start "25/09/2026 09.00" --end "25/09/2026 09.10" --by "Kepala Bappedalitbang"
    """
    from sopkinerja.clock import now
    from sopkinerja.i18n import format_datetime
    from sopkinerja.times import parse_datetime
    from sopkinerja.timing import record_step
    from sopkinerja.workspace import open_workspace

    state = _state(ctx, project, as_json, debug)
    workspace = open_workspace(state.project)
    msg = state.messages = Messages(workspace.config.language)
    moments = []
    for option, text in (("--start", start_text), ("--end", end_text)):
        moment = parse_datetime(text, workspace.config.calendar.tz) if text is not None else None
        if text is not None and moment is None:
            raise click.BadParameter(msg("timing.unreadable", value=text), param_hint=option)
        moments.append(moment)
    event = record_step(workspace, number, moments[0], moments[1], unit_code, by, now())
    _emit(state, event, [msg("timing.recorded", step=number, unit=event["unit_code"] or "badan",
                             start=format_datetime(moments[0], msg.language),
                             end=format_datetime(moments[1], msg.language) if moments[1] else "-",
                             working=event["working_minutes"] if event["working_minutes"] is not None else "-",
                             standard=event["standard_minutes"])])


@cli.command()
@click.argument("file")
@click.option("--reason", metavar="ALASAN", help="Mengapa berkas disisihkan (ditampilkan oleh run dan status).")
@click.option("--undo", is_flag=True, help="Batalkan: berkas dihitung lagi.")
@_common
@click.pass_context
def ignore(ctx, file: str, reason: str | None, undo: bool, project, as_json, debug) -> None:
    """Sisihkan berkas yang diterima (salah kirim, salinan format kosong): tetap diarsipkan, tidak dihitung.

    FILE adalah jalur seperti yang ditampilkan `sopkinerja run`, atau sedikitnya
    8 karakter awal sha256-nya. --undo membatalkannya.

    Example:

        sopkinerja ignore "input/masuk/Permintaan kosong.xlsx" --reason "salinan format kosong"
    """
    from sopkinerja.clock import now
    from sopkinerja.ignore import ignore_file
    from sopkinerja.workspace import open_workspace

    state = _state(ctx, project, as_json, debug)
    workspace = open_workspace(state.project)
    msg = state.messages = Messages(workspace.config.language)
    if not undo and not (reason or "").strip():
        raise click.UsageError(msg("ignore.reason_needed"))
    result = ignore_file(workspace, file, None if undo else reason.strip(), undo, now())
    line = msg("ignore.undone", file=result.file) if undo else msg("ignore.done", file=result.file, note=result.note)
    _emit(state, result.document(), [line])


@cli.command()
@click.argument("code")
@click.option("--deadline", metavar="WAKTU", help="Batas waktu pengembalian, mis. 2027-01-11T16:00 atau 2027-01-11.")
@click.option("--force", is_flag=True, help="Izinkan periode yang lebih awal atau lebih dari setahun ke depan.")
@_common
@click.pass_context
def period(ctx, code: str, deadline: str | None, force: bool, project, as_json, debug) -> None:
    """Pindahkan workspace ke periode berikutnya (kode dan batas waktu di sopkinerja.toml).

    Komentar dan isi lain sopkinerja.toml tidak diubah. Tanpa --deadline batas
    waktunya tanggal 10 bulan sesudah periode pukul 16.00 (hari kerja berikutnya
    bila libur).

    Example:

        sopkinerja period 2026-TW4 --deadline 2027-01-11T16:00
    """
    from sopkinerja.i18n import format_datetime
    from sopkinerja.period import move

    state = _state(ctx, project, as_json, debug)
    result = move(state.project, code, deadline, force)
    msg = state.messages
    _emit(state, result.document(), [
        msg("period.done", previous=result.previous, period=result.period,
            deadline=format_datetime(result.deadline, msg.language)),
        msg("period.next")])


@cli.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@_common
@click.pass_context
def demo(ctx, directory: Path | None, project, as_json, debug) -> None:
    """Jalankan seluruh alur pada badan contoh di DIRECTORY (bawaan: workspace ini).

    Aman diulang: workspace yang sudah ada dipakai lagi.

    Example:

        sopkinerja demo D:\\coba-sopkinerja
    """
    from sopkinerja.demo import run_demo

    state = _state(ctx, project, as_json, debug)
    result = run_demo(directory or state.project, state.messages)
    _emit(state, result.document(), result.lines(state.messages))


def main() -> None:
    """Console entry point; exit code 2 for usage errors comes from click."""
    cli(prog_name="sopkinerja")
