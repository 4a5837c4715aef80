"""The official forms the agency delivers (product.md §3.7), written by every ``run`` beside the recap:
Formulir E.81 every round (``e81``) and the LKjIP tables after the year's last round (``lkjip``).

Their layouts are data in ``layouts``; what they share on the sheet is in
``sheet``. Both are built from the consolidated year (``consolidate.Recap``)
and the master, never re-read from the units' files, and switch in with the
rest of the outputs as one set.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sopkinerja.models import Period

# Notices for run's output (message keys): once per run, not per form.
NO_SIGNATURE = "no-signature"


def form_names(period: str) -> dict[str, str]:
    """The forms' file names for ``period``: the E.81 always, the LKjIP tables after the year's last round."""
    names = {"e81_xlsx": f"Formulir E.81 {period}.xlsx"}
    parsed = Period.parse(period)
    if parsed.last_of_year:
        names["lkjip_xlsx"] = f"Tabel LKjIP {parsed.year}.xlsx"
    return names


def write_forms(recap, master, config, issues, previous_year: dict, generated_at: datetime,
                stage: Path, cache: Path | None = None) -> dict[str, Path]:
    """Write the round's forms into ``stage``; returns output key -> staged path. ``previous_year``
    is ``consolidate.last_year`` (read by the caller: this may run in a thread without the ledger);
    ``cache`` a folder for what makes the next run's forms faster (derived, safe to delete).

    When most of a big LKjIP's blocks are to be made (a year's first run of its last round), the
    LKjIP is written in a process of its own while this one writes the E.81 (``lkjip.beside``):
    in one process the two are one core's work, one after the other, however many cores there
    are (issue 20)."""
    from sopkinerja.forms import e81, lkjip
    from sopkinerja.i18n import format_date

    language = config.language
    names = form_names(recap.period)
    created = generated_at.replace(tzinfo=None)
    signed_on = format_date(generated_at, language)
    written = {}
    written["e81_xlsx"] = stage / names["e81_xlsx"]
    lkjip_args = None
    if "lkjip_xlsx" in names:
        written["lkjip_xlsx"] = stage / names["lkjip_xlsx"]
        lkjip_args = (config, previous_year, written["lkjip_xlsx"], language, created,
                      cache / f"lkjip-{recap.period}" if cache is not None else None)
    with lkjip.beside(recap, lkjip_args, stage) as pending:
        e81.write(recap, master, config, issues, written["e81_xlsx"], signed_on, language, created,
                  cache / f"e81-{recap.period}" if cache is not None else None)
        pending()
    return written


def notices(config) -> list[str]:
    """What run says once about the forms: a signature block printed with blank names."""
    signatures = config.signatures
    if not signatures.given or not (signatures.drafter_name and signatures.head_name):
        return [NO_SIGNATURE]
    return []
