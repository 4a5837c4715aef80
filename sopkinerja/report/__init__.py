"""Stage ``report``: write the recap (Excel, HTML, CSV) for a period, all or nothing.

All files are written into a staging folder first and moved into place only
when every one of them is complete, so a failed run leaves the previous
outputs as they were.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sopkinerja.atomic import fsync
from sopkinerja.consolidate import Recap
from sopkinerja.timing import write_csv as write_timing_csv


@dataclass(frozen=True)
class Outputs:
    recap_xlsx: Path
    recap_html: Path
    recap_csv: Path
    timing_csv: Path


def output_names(period: str) -> dict[str, str]:
    return {"recap_xlsx": f"Rekap Kinerja {period}.xlsx", "recap_html": f"Rekap Kinerja {period}.html",
            "recap_csv": f"rekap-kinerja-{period}.csv", "timing_csv": f"log-waktu-sop-{period}.csv"}


def environment(user_templates: Path | None):
    """The one jinja2 Environment: the workspace's templates first, then the shipped ones."""
    import jinja2

    loaders = []
    if user_templates is not None and Path(user_templates).is_dir():
        loaders.append(jinja2.FileSystemLoader(str(user_templates)))
    loaders.append(jinja2.FileSystemLoader(str(shipped_templates())))
    return jinja2.Environment(loader=jinja2.ChoiceLoader(loaders), autoescape=True,
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


def shipped_templates() -> Path:
    try:
        return Path(str(resources.files("sopkinerja.templates")))
    except ModuleNotFoundError:  # running from a source tree that was not installed
        return Path(__file__).resolve().parent.parent / "templates"


FEEDBACK_FOLDER = "umpan-balik"


def new_stage(folder: Path) -> Path:
    """An empty staging folder beside the outputs (same disk, so moving is a rename)."""
    stage = folder / f".sementara-{os.getpid()}"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir(parents=True)
    return stage


def write_reports(workspace, recap: Recap, issues, sop, generated_at, messages, timing, stage: Path,
                  also: tuple[str, ...] = ()) -> Outputs:
    """Write the recap files into ``stage`` (``new_stage``; the caller removes it) and switch them,
    with what ``also`` names there (the feedback folder), into place as one set."""
    from sopkinerja.i18n import format_datetime

    from sopkinerja.report import rows as recaprows, xlsx as recapbook
    from sopkinerja.report.splice import BlockCache
    from sopkinerja.report.view import build_view

    folder = workspace.period_output()
    names = output_names(recap.period)
    generated = format_datetime(generated_at, workspace.config.language)
    view = build_view(recap, workspace.config, issues, sop, generated, messages, timing)

    def html_and_timing() -> None:  # while the workers build the table rows
        env = environment(workspace.config.paths.templates)
        view.css = env.loader.get_source(env, "recap.css")[0]
        labels = {key.split(".", 1)[1]: text for key, text in _labels(messages).items()}
        html = env.get_template("recap.html.j2").render(v=view, t=labels)
        (stage / names["recap_html"]).write_text(html, encoding="utf-8")
        write_timing_csv(timing, stage / names["timing_csv"])

    workbook = stage / names["recap_xlsx"]
    placements, layout = recapbook.write_placeholder(workbook, recap, view, sop, messages,
                                                     generated_at.replace(tzinfo=None), timing)
    cache = BlockCache(cache_folder(workspace, recap.period))
    # UTF-8 with BOM (Excel opens it right), dot decimals, exactly the product.md §3.7 columns.
    with open(stage / names["recap_csv"], "wb") as csv_out:
        csv_out.write(b"\xef\xbb\xbf" + recaprows.csv_header())
        pieces = recaprows.build_all(recap, layout, placements, cache, csv_out, html_and_timing)
    recapbook.splice_tables(workbook, placements, pieces)
    cache.prune()
    switch(folder, stage, [*names.values(), *also])
    return Outputs(*(folder / names[key] for key in ("recap_xlsx", "recap_html", "recap_csv", "timing_csv")))


JOURNAL = ".ganti-keluaran.json"


def switch(folder: Path, stage: Path, names: list[str]) -> None:
    """Put a complete staged set of outputs in place as one step that survives interruption.

    Every staged file is synced, then a journal naming the set is written
    (atomically) before the first file is moved. Moving takes microseconds;
    if the process dies among the moves, ``recover`` (run first by every
    command that writes outputs) finishes them from the journal, so the
    folder never keeps a mix of two runs' files.
    """
    import json

    from sopkinerja.atomic import write_text

    for name in names:
        for path in ([stage / name] if (stage / name).is_file() else sorted((stage / name).rglob("*"))):
            if path.is_file():
                fsync(path)
    journal = folder / JOURNAL
    write_text(journal, json.dumps({"stage": stage.name, "names": names}))
    _move(folder, stage, names)
    journal.unlink()


def _move(folder: Path, stage: Path, names: list[str]) -> None:
    """Move each staged file or folder into place; a folder replaces the old one whole
    (renamed aside first: Windows cannot replace a folder that exists). Repeatable."""
    for name in names:
        source, target = stage / name, folder / name
        if not source.exists():
            continue  # moved already (a finished step of an interrupted switch)
        if source.is_dir():
            old = folder / f".lama-{name}"
            shutil.rmtree(old, ignore_errors=True)
            if target.exists():
                os.replace(target, old)
            os.replace(source, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(source, target)


def recover(folder: Path) -> bool:
    """Finish an interrupted switch and remove what an interrupted run left behind.

    Call under the workspace lock (no other run is writing). Returns whether
    a switch was finished.
    """
    import json

    finished = False
    journal = folder / JOURNAL
    if journal.exists():
        try:
            plan = json.loads(journal.read_text(encoding="utf-8"))
            _move(folder, folder / plan["stage"], list(plan["names"]))
            finished = True
        except (OSError, ValueError, KeyError, TypeError):
            pass  # a journal is written atomically; an unreadable one names nothing to finish
        journal.unlink(missing_ok=True)
    if folder.is_dir():
        for leftover in [*folder.glob(".sementara-*"), *folder.glob(".lama-*")]:
            shutil.rmtree(leftover, ignore_errors=True)
    return finished


def cache_folder(workspace, period: str) -> Path:
    """Derived data that makes the next run faster; deleting it only costs time."""
    return workspace.cache_folder / f"rekap-{period}"


def _labels(messages) -> dict[str, str]:
    from sopkinerja.i18n import catalogue

    return {key: messages(key) for key in catalogue("id") if key.startswith("recap.")}




