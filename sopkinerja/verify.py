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

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from sopkinerja.ingest import ARCHIVE_FOLDER


@dataclass(frozen=True)
class Finding:
    code: str  # ledger-damaged, file-missing, file-changed, file-unrecorded, value-untraced
    subject: str  # a path, a sha256, or a table
    detail: str = ""


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
        db = ledger.db
        for (line,) in db.execute("PRAGMA integrity_check").fetchall():
            if line != "ok":
                result.findings.append(Finding("ledger-damaged", "integrity_check", str(line)))
        for row in db.execute("PRAGMA foreign_key_check").fetchall():
            result.findings.append(Finding("ledger-damaged", str(row[0]), f"foreign key to {row[2]}"))
        recorded = {}
        for sha256, archive_path in db.execute("SELECT sha256, archive_path FROM files ORDER BY sha256"):
            recorded[sha256] = archive_path
            path = Path(archive_path)
            path = path if path.is_absolute() else workspace.root / path
            result.files += 1
            if not path.is_file():
                result.findings.append(Finding("file-missing", archive_path, sha256))
            elif _sha256(path) != sha256:
                result.findings.append(Finding("file-changed", archive_path, sha256))
        known = {Path(p).name for p in recorded.values()}
        archive = workspace.config.paths.archive / ARCHIVE_FOLDER
        if archive.is_dir():
            for path in sorted(archive.rglob("*")):
                if path.is_file() and not path.name.startswith(".") and path.name not in known:
                    result.findings.append(Finding("file-unrecorded", workspace.relative(path)))
        rows = db.execute(
            "SELECT v.sha256, COUNT(*) FROM submission_values v JOIN submissions s ON s.sha256 = v.sha256 "
            "WHERE s.status = 'accepted' GROUP BY v.sha256 ORDER BY v.sha256").fetchall()
        damaged = {f.detail for f in result.findings if f.code in ("file-missing", "file-changed")}
        for sha256, count in rows:
            result.values += count
            if sha256 not in recorded:
                result.findings.append(Finding("value-untraced", sha256, f"{count} nilai; berkas tidak tercatat"))
            elif sha256 in damaged:
                result.findings.append(Finding("value-untraced", sha256, f"{count} nilai; berkas arsip rusak"))
    return result


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
