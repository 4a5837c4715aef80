"""Small file helpers every stage shares: names Windows accepts, and reading a file in chunks."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

CHUNK = 1 << 20  # 1 MiB: a file of any size is hashed or copied without holding it whole
# Characters Windows refuses in a name (field-notes.md), control characters included.
_UNSAFE = re.compile(r'[<>:"/\\|?*\x00-\x1f]+')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def safe_filename(text: str, limit: int = 150, fallback: str = "unit") -> str:
    """A name Windows accepts and a person still reads: refused characters become ``-``,
    runs of white space one space, no leading or trailing dot, space or dash, reserved
    device names (``CON``, ``NUL``…) get a ``_`` in front, at most ``limit`` characters."""
    name = _UNSAFE.sub("-", text).strip(" .-")
    name = re.sub(r"\s+", " ", name)[:limit].rstrip(" .-")
    return f"_{name}" if name.split(".")[0].upper() in _RESERVED else name or fallback


def chunks(path: Path) -> Iterator[bytes]:
    """The file's bytes, 1 MiB at a time."""
    with open(path, "rb") as handle:
        yield from iter(lambda: handle.read(CHUNK), b"")


def sha256_file(path: Path) -> str:
    """The sha256 of a file of any size, read in chunks."""
    digest = hashlib.sha256()
    for chunk in chunks(path):
        digest.update(chunk)
    return digest.hexdigest()


def code_mark() -> str:
    """What the running code is: a digest of the package's version and of its ``.py`` and ``.toml``
    files' names, sizes and modification times (not contents: cheap on every run). What a run's
    outputs and a file's kept check depend on besides their inputs."""
    import sopkinerja

    package = Path(sopkinerja.__file__).parent
    digest = hashlib.sha256(sopkinerja.__version__.encode())
    for path in sorted(p for p in package.rglob("*") if p.suffix in (".py", ".toml") and p.is_file()):
        info = path.stat()
        digest.update(f"{path.relative_to(package).as_posix()}|{info.st_size}|{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()

