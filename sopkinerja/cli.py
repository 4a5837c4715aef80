"""The command line: parse, call one library function, print, choose the exit code."""

from __future__ import annotations

import contextlib
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
        self.messages = Messages(_LANGUAGE[0])  # the command line's language until the workspace says

    def merge(self, project: Path | None, as_json: bool, debug: bool) -> None:
        self.project = project or self.project
        self.json = self.json or as_json
        self.debug = self.debug or debug


# --- the language of what click itself prints -------------------------------------------------
#
# Help texts, metavars and click's own messages (usage errors, "Show this message and exit.") are in
# the user's language, chosen before click parses anything: SOPKINERJA_LANG, else the workspace's
# ``bahasa`` (from --project or the current folder), else Indonesian. Our texts are catalogue keys
# (``help.*``); click's own are translated by patching the ``_``/``ngettext`` its modules imported
# from gettext (click has no other hook; the table is ``locale/click.id.toml``).

_LANGUAGE = [resolve_language()]


def _say(key: str) -> str:
    return Messages(_LANGUAGE[0])(key)


def _language_of(args: list[str]) -> str:
    """The language for this command line, without failing on anything (parsing comes later)."""
    import os
    import tomllib

    from sopkinerja.i18n import ENV_VAR

    if os.environ.get(ENV_VAR):
        return resolve_language()
    project = Path(".")
    for index, arg in enumerate(args):
        if arg == "--project" and index + 1 < len(args):
            project = Path(args[index + 1])
        elif arg.startswith("--project="):
            project = Path(arg.split("=", 1)[1])
    try:
        configured = tomllib.loads((project / "sopkinerja.toml").read_text(encoding="utf-8-sig")).get("bahasa")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, AttributeError):
        configured = None
    return resolve_language(configured if isinstance(configured, str) else None)


def _use_language(language: str) -> None:
    import click.core
    import click.decorators
    import click.exceptions
    import click.formatting
    import click.parser
    import click.termui
    import click.types
    import click.utils

    _LANGUAGE[0] = language
    table = _click_table(language)

    def gettext(message: str) -> str:
        return table.get(message, message)

    def ngettext(singular: str, plural: str, n: int) -> str:
        return table.get(singular if n == 1 else plural, singular if n == 1 else plural)

    for module in (click.core, click.decorators, click.exceptions, click.formatting, click.parser, click.termui,
                   click.types, click.utils):
        if hasattr(module, "_"):
            module._ = gettext
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext


def _click_table(language: str) -> dict[str, str]:
    if language == "en":
        return {}
    import tomllib
    from importlib import resources

    text = resources.files("sopkinerja").joinpath(f"locale/click.{language}.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)["click"]


class _Said:
    """A click attribute read from the catalogue in the run's language when click renders it;
    click's own assignment (a docstring, a default) is ignored. ``key`` may name the command."""

    def __init__(self, key: str):
        self.key = key

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        return _say(self.key.format(name=instance.name))

    def __set__(self, instance, value) -> None:
        pass


class Command(click.Command):
    """A command whose help is a catalogue key (``help.<name>``), shown in the user's language."""

    help = _Said("help.{name}")
    short_help = _Said("help.{name}_short")
    options_metavar = _Said("help.meta_options")


class Option(click.Option):
    """An option whose help and metavar are catalogue keys (``help.opt_*``, ``help.meta_*``)."""

    def __init__(self, *args, help_key: str, metavar_key: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.help_key, self.metavar_key = help_key, metavar_key

    def get_help_record(self, ctx):
        self.help = _say(self.help_key)
        return super().get_help_record(ctx)

    def make_metavar(self, ctx) -> str:
        return _say(self.metavar_key) if self.metavar_key else super().make_metavar(ctx)


class Argument(click.Argument):
    """An argument named in the user's language (usage line and "Missing argument 'NOMOR'")."""

    def __init__(self, *args, metavar_key: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.metavar_key = metavar_key

    @property
    def metavar(self) -> str | None:
        key = getattr(self, "metavar_key", None)
        return _say(key) if key else None

    @metavar.setter
    def metavar(self, value) -> None:
        pass


def _common(function):
    """--project, --json and --debug on every command too (``sopkinerja run --json``)."""
    function = click.option("--debug", cls=Option, is_flag=True, help_key="help.opt_debug")(function)
    function = click.option("--json", "as_json", cls=Option, is_flag=True, help_key="help.opt_json")(function)
    function = click.option(
        "--project", cls=Option, type=click.Path(file_okay=False, path_type=Path), help_key="help.opt_project",
        metavar_key="help.meta_folder")(function)
    return function


class Group(click.Group):
    """Turns a SopkinerjaError into one paragraph in the user's language and exit code 1; help and
    click's own messages in that language too."""

    command_class = Command

    def main(self, args=None, *rest, **kwargs):
        listed = list(sys.argv[1:] if args is None else args)
        _use_language(_language_of(listed))
        for command in (self, *self.commands.values()):  # --help's own text is made once: anew per language
            command._help_option = None
        return super().main(listed, *rest, **kwargs)

    help = _Said("help.cli")
    options_metavar = _Said("help.meta_options")
    subcommand_metavar = _Said("help.meta_command")

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SopkinerjaError as exc:
            state = ctx.ensure_object(State)
            if state.debug:
                raise
            _fatal(state, exc.key, exc.render(state.messages))
        except (click.exceptions.Exit, click.ClickException, click.Abort, BrokenPipeError):
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
@click.version_option(__version__, prog_name="sopkinerja", message="%(prog)s %(version)s", cls=Option,
                      help_key="help.opt_version")
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
@click.argument("directory", cls=Argument, metavar_key="help.meta_folder",
                type=click.Path(file_okay=False, path_type=Path))
@click.option("--example", cls=Option, is_flag=True, help_key="help.opt_example")
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
@click.option("--unit", "unit_code", cls=Option, help_key="help.opt_unit_generate", metavar_key="help.meta_code")
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
        if unit.superseded:
            lines.append(msg("status.superseded", files=", ".join(unit.superseded)))
    shown = [i for i in result.issues if i.severity != "info"]
    if shown:
        lines.append(msg("run.issues_head", errors=count(shown, "error"), warnings=count(shown, "warning")))
        heading = None
        for issue in shown:  # grouped by unit and file (issues are sorted so): the path said once
            group = (issue.unit, issue.file)
            if group != heading:
                heading = group
                lines.append(msg("run.issue_file", where=" ".join(p for p in group if p) or msg("run.issue_agency")))
            lines.append(msg("run.issue_line", severity=msg(f"feedback.{issue.severity}"),
                             where=f"{issue.sheet}!{issue.cell} " if issue.cell else "", code=issue.code,
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
    from datetime import datetime

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
    for sender, subject, size, received in report.mail_too_large:
        lines.append(msg("status.mail_too_large", sender=sender or "-", subject=subject or "-",
                         size=f"{size / (1024 * 1024):.1f}",
                         received=format_datetime(datetime.fromisoformat(received).astimezone(
                             workspace.config.calendar.tz), msg.language)))
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
    lines += [msg(f"verify.{f.code.replace('-', '_')}{'_' + f.why if f.why else ''}", subject=f.subject,
                  detail=f.detail) for f in result.findings]
    lines.append(msg("verify.clean") if result.clean else msg("verify.problems", count=len(result.findings)))
    _emit(state, result.document(), lines)
    sys.exit(EXIT_OK if result.clean else EXIT_INCOMPLETE)


@cli.command()
@click.argument("number", cls=Argument, metavar_key="help.meta_number", type=int)
@click.option("--start", "start_text", cls=Option, required=True, help_key="help.opt_start",
              metavar_key="help.meta_time")
@click.option("--end", "end_text", cls=Option, help_key="help.opt_end", metavar_key="help.meta_time")
@click.option("--unit", "unit_code", cls=Option, help_key="help.opt_unit_step", metavar_key="help.meta_code")
@click.option("--by", "by", cls=Option, help_key="help.opt_by", metavar_key="help.meta_name")
@_common
@click.pass_context
def step(ctx, number: int, start_text: str, end_text: str | None, unit_code: str | None, by: str | None,
         project, as_json, debug) -> None:
    """Catat langkah SOP yang dikerjakan orang (mis. langkah 1 disposisi, langkah 4 rapat).

    Example:

        sopkinerja step 1 --start "25/09/2026 09.00" --end "25/09/2026 09.10" --by "Kepala Bappedalitbang"
    """
    from datetime import date

    from sopkinerja.clock import now
    from sopkinerja.i18n import format_date, format_datetime
    from sopkinerja.numbers import format_number
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
    working = event["working_minutes"]
    lines = [msg("timing.recorded", step=number, unit=event["unit_code"] or msg("timing.agency"),
                 start=format_datetime(moments[0], msg.language),
                 end=format_datetime(moments[1], msg.language) if moments[1] else "-",
                 working=format_number(working, decimals=1) if working is not None else "-",
                 standard=event["standard_minutes"])]
    for warning in event["warnings"]:
        lines.append(msg("timing.outside_cycle", period=event["period"],
                         start=format_date(moments[0], msg.language),
                         first=format_date(date.fromisoformat(warning["from"]), msg.language),
                         last=format_date(date.fromisoformat(warning["to"]), msg.language)))
    _emit(state, event, lines)


@cli.command()
@click.argument("file", cls=Argument, metavar_key="help.meta_file")
@click.option("--reason", cls=Option, help_key="help.opt_reason", metavar_key="help.meta_reason")
@click.option("--undo", cls=Option, is_flag=True, help_key="help.opt_undo")
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
@click.argument("code", cls=Argument, metavar_key="help.meta_period")
@click.option("--deadline", cls=Option, help_key="help.opt_deadline", metavar_key="help.meta_time")
@click.option("--force", cls=Option, is_flag=True, help_key="help.opt_force")
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
@click.option("--unit", "unit_code", cls=Option, help_key="help.opt_unit_send", metavar_key="help.meta_code")
@click.option("--dry-run", "dry_run", cls=Option, is_flag=True, help_key="help.opt_dry_run")
@click.option("--again", cls=Option, is_flag=True, help_key="help.opt_again")
@_common
@click.pass_context
def send(ctx, unit_code: str | None, dry_run: bool, again: bool, project, as_json, debug) -> None:
    """SOP step 3 by e-mail (help text: help.send)."""
    from sopkinerja.mail import send as send_mail

    _mail_command(ctx, project, as_json, debug, lambda workspace, now: send_mail(
        workspace, now, unit_code, dry_run=dry_run, again=again), dry_run, "mail.summary")


@cli.command()
@click.option("--unit", "unit_code", cls=Option, help_key="help.opt_unit_send", metavar_key="help.meta_code")
@click.option("--dry-run", "dry_run", cls=Option, is_flag=True, help_key="help.opt_dry_run")
@_common
@click.pass_context
def remind(ctx, unit_code: str | None, dry_run: bool, project, as_json, debug) -> None:
    """Reminders by e-mail (help text: help.remind)."""
    from sopkinerja.mail import remind as remind_units

    _mail_command(ctx, project, as_json, debug, lambda workspace, now: remind_units(
        workspace, now, unit_code, dry_run=dry_run), dry_run, "mail.remind_summary")


@cli.command()
@_common
@click.pass_context
def fetch(ctx, project, as_json, debug) -> None:
    """SOP step 8 by e-mail (help text: help.fetch)."""
    from sopkinerja.clock import now
    from sopkinerja.i18n import format_datetime
    from sopkinerja.mail.inbox import fetch as fetch_mail
    from sopkinerja.workspace import open_workspace

    state = _state(ctx, project, as_json, debug)
    workspace = open_workspace(state.project)
    msg = state.messages = Messages(workspace.config.language)
    result = fetch_mail(workspace, now)
    inbox = workspace.relative(workspace.config.paths.inbox)
    tz = workspace.config.calendar.tz
    lines = [msg("mail.fetch_rescanned", folder=result.folder)] if result.rescanned else []
    for item in result.messages:
        if item.status == "no-attachment" and not item.from_unit:
            continue  # counted in the summary: an inbox's other mail is not listed one by one
        key = {"fetched": "mail.fetched", "same": "mail.fetched_same", "too-large": "mail.fetched_too_large",
               "gone": "mail.fetched_gone", "no-attachment": "mail.fetched_no_attachment"}[item.status]
        lines.append(msg(key, uid=item.uid, sender=item.sender or "-", subject=item.subject or "-",
                         file=workspace.relative(item.path) if item.path else "-",
                         received=format_datetime(item.received_at.astimezone(tz), msg.language, seconds=True),
                         size=f"{item.size / (1024 * 1024):.1f}", limit=f"{result.limit_mb:g}", inbox=inbox))
    fetched = sum(m.status == "fetched" for m in result.messages)
    if result.messages:
        lines.append(msg("mail.fetch_summary", folder=result.folder, fetched=fetched, large=len(result.too_large),
                         inbox=inbox, other=sum(m.status == "no-attachment" for m in result.messages)))
    else:
        lines.append(msg("mail.fetch_nothing", folder=result.folder))
    _emit(state, result.document(workspace), lines)
    sys.exit(EXIT_OK if result.complete else EXIT_INCOMPLETE)


def _mail_command(ctx, project, as_json, debug, action, dry_run: bool, summary: str) -> None:
    from email.utils import parseaddr

    from sopkinerja.clock import now
    from sopkinerja.mail import OUTBOX_FOLDER
    from sopkinerja.workspace import open_workspace

    state = _state(ctx, project, as_json, debug)
    workspace = open_workspace(state.project)
    msg = state.messages = Messages(workspace.config.language)
    result = action(workspace, now)
    lines = []
    for item in result.messages:
        shown = workspace.relative(item.eml) if item.eml else ""
        lines.append(msg(f"mail.{item.status.replace('-', '_')}", unit=item.unit, to=item.to, detail=item.detail,
                         eml=shown))
        if item.hint:
            lines.append("    " + msg(item.hint, unit=item.unit, address=parseaddr(item.to)[1]))
    lines += [msg(f"mail.skip_{reason}", unit=unit) for unit, reason in result.skipped]
    if dry_run:
        lines.append(msg("mail.summary_dry", period=result.period, count=len(result.messages),
                         folder=workspace.relative(workspace.period_output() / OUTBOX_FOLDER)))
    else:
        lines.append(msg(summary, period=result.period, sent=sum(m.status == "sent" for m in result.messages),
                         failed=sum(m.status == "failed" for m in result.messages), skipped=len(result.skipped)))
    _emit(state, result.document(workspace, msg), lines)
    sys.exit(EXIT_OK if result.complete else EXIT_INCOMPLETE)


@cli.command()
@click.argument("directory", cls=Argument, metavar_key="help.meta_folder", required=False,
                type=click.Path(file_okay=False, path_type=Path))
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
    from sopkinerja.pool import settle_gc

    settle_gc()
    try:
        cli(prog_name="sopkinerja")
    except BrokenPipeError:
        # The reader went away (``sopkinerja run | head``): nothing to say and nowhere to say it. The
        # work itself is done; stdout goes to the null device so Python's final flush stays quiet.
        import os

        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(EXIT_FATAL)
