"""The content-addressed archive: every received file stored once, byte for byte, under its sha256."""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

from sopkinerja.atomic import write_bytes
from sopkinerja.files import chunks

ARCHIVE_FOLDER = "berkas"


def archive(workspace_root: Path, archive_dir: Path, data: bytes, sha256: str, extension: str) -> str:
    """Store bytes once under ``arsip/berkas/ab/<sha256>.<ext>``; return the path relative to the workspace."""
    target = archive_dir / ARCHIVE_FOLDER / sha256[:2] / f"{sha256}.{extension or 'bin'}"
    if not target.exists():
        write_bytes(target, data)
    try:
        return target.relative_to(workspace_root).as_posix()
    except ValueError:
        return str(target)


def archive_stream(workspace_root: Path, archive_dir: Path, source: Path, extension: str) -> tuple[str, int, str]:
    """Archive a file too large to hold in memory: hashed and copied in chunks of 1 MiB.

    Returns (sha256, size, path relative to the workspace).
    """
    import tempfile

    from sopkinerja.atomic import file_mode, fsync

    folder = archive_dir / ARCHIVE_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=".masuk.", suffix=".tmp", dir=folder)
    temp = Path(name)
    try:
        hasher, size = hashlib.sha256(), 0
        with os.fdopen(handle, "wb") as writer:
            for chunk in chunks(source):
                hasher.update(chunk)
                writer.write(chunk)
                size += len(chunk)
        sha256 = hasher.hexdigest()
        target = folder / sha256[:2] / f"{sha256}.{extension or 'bin'}"
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            fsync(temp)
            with contextlib.suppress(OSError):
                os.chmod(temp, file_mode())
            os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
    try:
        return sha256, size, target.relative_to(workspace_root).as_posix()
    except ValueError:
        return sha256, size, str(target)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
