"""Stage ``report`` (SOP step 9): write the recap (Excel, HTML, CSV) and the timing CSV for a period,
and switch them in with the feedback as one set.

All files are written into a staging folder first and moved into place only
when every one of them is complete (``atomic.switch``), so a failed run
leaves the previous outputs as they were.

``view`` builds what the recap shows (numbers formatted), ``html`` renders
the page, ``xlsx`` writes the workbook, ``rows`` builds the agency table's
rows per unit (sheet XML and CSV text) and ``splice`` puts them into the
workbook.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sopkinerja.atomic import switch
from sopkinerja.consolidate import Recap
from sopkinerja.timing import write_csv as write_timing_csv


@dataclass(frozen=True)
class Outputs:
    recap_xlsx: Path
    recap_html: Path
    recap_csv: Path
    timing_csv: Path
    forms: dict[str, Path] | None = None  # e81_xlsx (and lkjip_xlsx after the year's last round)


def output_names(period: str) -> dict[str, str]:
    return {"recap_xlsx": f"Rekap Kinerja {period}.xlsx", "recap_html": f"Rekap Kinerja {period}.html",
            "recap_csv": f"rekap-kinerja-{period}.csv", "timing_csv": f"log-waktu-sop-{period}.csv"}


def write_reports(workspace, recap: Recap, issues, sop, generated_at, messages, timing, stage: Path,
                  also: tuple[str, ...] = (), forms: Callable[[], dict[str, Path]] | None = None) -> Outputs:
    """Write the recap files into ``stage`` (``atomic.new_stage``; the caller removes it) and switch
    them, with what ``also`` names there (the feedback folder) and what ``forms`` writes there (the
    official forms, while the table's rows are built), into place as one set."""
    from sopkinerja.i18n import format_datetime
    from sopkinerja.report import html, rows, xlsx
    from sopkinerja.report.splice import BlockCache, Spool
    from sopkinerja.report.view import build_view, method_words

    folder = workspace.period_output()
    names = output_names(recap.period)
    generated = format_datetime(generated_at, workspace.config.language)
    view = build_view(recap, workspace.config, issues, sop, generated, messages, timing)

    written_forms: dict[str, Path] = {}

    def html_and_timing() -> None:  # while the workers build the table rows
        labels = {key.split(".", 1)[1]: text for key, text in _labels(messages).items()}
        page = html.render(view, labels, workspace.config.paths.templates)
        (stage / names["recap_html"]).write_text(page, encoding="utf-8")
        write_timing_csv(timing, stage / names["timing_csv"])
        if forms is not None:
            written_forms.update(forms())

    workbook = stage / names["recap_xlsx"]
    placements, layout = xlsx.write_placeholder(workbook, recap, view, sop, messages,
                                                generated_at.replace(tzinfo=None), timing)
    cache = BlockCache(cache_folder(workspace, recap.period))
    # UTF-8 with BOM (Excel opens it right), dot decimals, exactly the product.md §3.7 columns.
    with open(stage / names["recap_csv"], "wb") as csv_out, Spool(stage) as spool:
        csv_out.write(b"\xef\xbb\xbf" + rows.csv_header())
        pieces = rows.build_all(recap, layout, placements, cache, csv_out, html_and_timing,
                                methods=method_words(messages), spool=spool)
        xlsx.splice_tables(workbook, placements, pieces)
    cache.prune()
    switch(folder, stage, [*names.values(), *(path.name for path in written_forms.values()), *also])
    return Outputs(*(folder / names[key] for key in ("recap_xlsx", "recap_html", "recap_csv", "timing_csv")),
                   {key: folder / path.name for key, path in written_forms.items()})


def cache_folder(workspace, period: str) -> Path:
    """Derived data that makes the next run faster; deleting it only costs time."""
    return workspace.cache_folder / f"rekap-{period}"


def _labels(messages) -> dict[str, str]:
    from sopkinerja.i18n import catalogue

    return {key: messages(key) for key in catalogue("id") if key.startswith("recap.")}
