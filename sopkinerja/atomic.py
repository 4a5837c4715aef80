"""Atomic writes: a reader sees the old file or the new one, never half of one; and a set of
outputs switched in as one step that survives interruption (product.md §3.7)."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sopkinerja.errors import OutputBlocked


@contextlib.contextmanager
def atomic_path(target: Path, durable: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target``. ``durable``
    flushes it to disk first (outputs, archive); a cache whose entries check themselves need not."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    temp = Path(name)
    try:
        yield temp
        if durable:
            fsync(temp)
        with contextlib.suppress(OSError):  # mkstemp makes 0600: give the file what the umask says
            os.chmod(temp, file_mode())
        os.replace(temp, target)
    finally:
        if temp.exists():
            temp.unlink()


_MODE: list[int] = []


def file_mode() -> int:
    """The mode a plain ``open`` would give a new file under this process's umask (0644 by default)."""
    if not _MODE:
        mask = os.umask(0o022)  # read it (the only way), then put it back
        os.umask(mask)
        _MODE.append(0o666 & ~mask)
    return _MODE[0]


def write_bytes(target: Path, data: bytes, durable: bool = True) -> None:
    with atomic_path(target, durable) as temp:
        temp.write_bytes(data)


def write_text(target: Path, text: str, encoding: str = "utf-8") -> None:
    write_bytes(target, text.encode(encoding))


def fsync(path: Path) -> None:
    """Flush a file to disk before it is moved into place."""
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def remove_leftovers(folder: Path) -> int:
    """Delete the temporary files an interrupted write left under ``folder`` (call under the
    workspace lock, when no write can be in progress). Returns how many were removed."""
    removed = 0
    folder = Path(folder)
    if not folder.is_dir():
        return 0
    for path in folder.rglob(".*.tmp"):
        if path.is_file():
            try:
                path.unlink(missing_ok=True)
            except OSError:  # held by another program: it goes next time
                continue
            removed += 1
    return removed


def new_stage(folder: Path) -> Path:
    """An empty staging folder beside the outputs (same disk, so moving is a rename)."""
    stage = folder / f".sementara-{os.getpid()}"
    shutil.rmtree(stage, ignore_errors=True)
    try:
        stage.mkdir(parents=True)
    except OSError as exc:
        raise OutputBlocked("output.folder_blocked", path=str(folder), detail=_why(exc)) from exc
    return stage


def check_replaceable(folder: Path, names: list[str]) -> None:
    """Every output the switch will replace can be replaced, before anything moves.

    On Windows a file open in Excel cannot be opened for writing nor replaced;
    a read-only folder takes no new file. Either stops the switch before its
    first move (``OutputBlocked``, naming the file), so the previous outputs
    stay a whole set.
    """
    import tempfile

    try:
        handle, probe = tempfile.mkstemp(prefix=".periksa-", suffix=".tmp", dir=folder)
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        raise OutputBlocked("output.folder_blocked", path=str(folder), detail=_why(exc)) from exc
    for name in names:
        target = folder / name
        for path in ([target] if target.is_file() else sorted(target.rglob("*")) if target.is_dir() else []):
            if path.is_file():
                try:
                    with open(path, "r+b"):
                        pass
                except OSError as exc:
                    raise OutputBlocked("output.blocked", path=str(path), detail=_why(exc)) from exc


def _why(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


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
    check_replaceable(folder, names)
    journal = folder / JOURNAL
    write_text(journal, json.dumps({"stage": stage.name, "names": names}))
    try:
        _move(folder, stage, names)
    except OSError as exc:  # blocked between the check and the move: the next run finishes it
        raise OutputBlocked("output.blocked", path=str(exc.filename or folder), detail=_why(exc)) from exc
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
        except (OSError, ValueError):
            plan = None  # a journal is written atomically; an unreadable one names nothing to finish
        if isinstance(plan, dict) and isinstance(plan.get("names"), list) and isinstance(plan.get("stage"), str):
            try:
                _move(folder, folder / plan["stage"], list(plan["names"]))
            except OSError as exc:  # still blocked: the journal stays, the next run tries again
                raise OutputBlocked("output.blocked", path=str(exc.filename or folder), detail=_why(exc)) from exc
            finished = True
        journal.unlink(missing_ok=True)
    if folder.is_dir():
        for leftover in [*folder.glob(".sementara-*"), *folder.glob(".lama-*")]:
            shutil.rmtree(leftover, ignore_errors=True)
    return finished
