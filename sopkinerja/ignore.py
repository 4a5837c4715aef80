"""``sopkinerja ignore``: the planner sets a received file aside, or takes it back (product.md §3.1).

A file set aside stays in the archive and the ledger, no longer counts for
its unit, and ``run`` and ``status`` list it with the planner's reason. It is
matched against the ledger, not the inbox, so it may be gone from the folder:
by the path ``run`` shows (``input/masuk/x.xlsx``, also ``…#2:lampiran.xlsx``
or ``…#Data Kinerja (2)``), by the path under the inbox, or by a sha256
prefix of at least 8 characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sopkinerja.errors import SopkinerjaError

_SHEET = re.compile(r"#[^#:]+$")  # a data sheet of a workbook with several: "…xlsx#Data Kinerja (2)"


@dataclass(frozen=True)
class IgnoreResult:
    sha256: str
    file: str  # as run shows it
    note: str | None  # the reason, or None when taken back

    def document(self) -> dict:
        return {"sha256": self.sha256, "file": self.file, "ignored": self.note is not None, "note": self.note}


def ignore_file(workspace, wanted: str, reason: str | None, undo: bool, now: datetime) -> IgnoreResult:
    inbox = workspace.relative(workspace.config.paths.inbox)
    with workspace.lock(), workspace.ledger() as ledger:
        found = _find(ledger, wanted.strip(), inbox)
        if not found:
            raise SopkinerjaError("ignore.not_found", file=wanted)
        if len(found) > 1:
            raise SopkinerjaError("ignore.ambiguous", file=wanted,
                                  files=", ".join(f"{inbox}/{path} ({sha[:12]})" for sha, path in found))
        sha256, path = found[0]
        with ledger.transaction():
            if undo:
                if not ledger.unignore(sha256, now.isoformat()):
                    raise SopkinerjaError("ignore.not_ignored", file=f"{inbox}/{path}")
            else:
                ledger.ignore(sha256, reason, now.isoformat())
    return IgnoreResult(sha256, f"{inbox}/{path}", None if undo else reason)


def _find(ledger, wanted: str, inbox: str) -> list[tuple[str, str]]:
    tried = [wanted.replace("\\", "/")]
    if tried[0].startswith(f"{inbox}/"):
        tried.append(tried[0][len(inbox) + 1:])
    tried += [_SHEET.sub("", t) for t in tried if _SHEET.search(t)]
    for candidate in tried:
        found = ledger.find_files(candidate)
        if found:
            return found
    return []
