"""``sopkinerja verify``: is the workspace's record intact?

Three checks, each a list of findings (values, never exceptions):

- the ledger's own integrity (SQLite ``PRAGMA integrity_check`` and
  ``foreign_key_check``);
- the archive against the ledger: every recorded file is where the ledger
  says, with the bytes its sha256 names (re-hashed, in chunks); a file in the
  archive the ledger does not know is reported too;
- every accepted value traces back to an archived file: its submission's file
  is recorded and present.

Read-only: nothing is repaired. Runs under the workspace lock so a run cannot
change the record while it is read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sopkinerja.files import sha256_file
from sopkinerja.ingest.archive import ARCHIVE_FOLDER


@dataclass(frozen=True)
class Finding:
    code: str  # ledger-damaged, file-missing, file-changed, file-unrecorded, value-untraced
    subject: str  # a path, a sha256, or a table
    detail: str = ""
    why: str = ""  # value-untraced: "unrecorded" (no file row) or "damaged" (the archived file is gone/changed)


@dataclass
class VerifyResult:
    files: int = 0
    values: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.findings

    def document(self) -> dict:
        return {"clean": self.clean, "files_checked": self.files, "accepted_values_checked": self.values,
                "findings": [{"code": f.code, "subject": f.subject, "detail": f.detail} for f in self.findings]}


def verify(workspace) -> VerifyResult:
    result = VerifyResult()
    with workspace.lock(), workspace.ledger() as ledger:
        for subject, detail in ledger.integrity_problems():
            result.findings.append(Finding("ledger-damaged", subject, detail))
        recorded = {}
        for sha256, archive_path in ledger.recorded_files():
            recorded[sha256] = archive_path
            path = Path(archive_path)
            path = path if path.is_absolute() else workspace.root / path
            result.files += 1
            if not path.is_file():
                result.findings.append(Finding("file-missing", archive_path, sha256))
            elif sha256_file(path) != sha256:
                result.findings.append(Finding("file-changed", archive_path, sha256))
        known = {Path(p).name for p in recorded.values()}
        archive = workspace.config.paths.archive / ARCHIVE_FOLDER
        if archive.is_dir():
            for path in sorted(archive.rglob("*")):
                if path.is_file() and not path.name.startswith(".") and path.name not in known:
                    result.findings.append(Finding("file-unrecorded", workspace.relative(path)))
        damaged = {f.detail for f in result.findings if f.code in ("file-missing", "file-changed")}
        for sha256, count in ledger.accepted_value_counts():
            result.values += count
            if sha256 not in recorded:
                result.findings.append(Finding("value-untraced", sha256, str(count), "unrecorded"))
            elif sha256 in damaged:
                result.findings.append(Finding("value-untraced", sha256, str(count), "damaged"))
    return result
