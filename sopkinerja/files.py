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



class KeptCache:
    """Derived objects kept on disk by a key of what they are made from (pickled, each entry with
    its length and CRC-32 in front: a torn or foreign one is made again); safe to delete. Entries
    not used since the cache was opened are removed by ``prune``, so the folder holds one output's
    worth.

    The check is against a torn write (a power cut before the entry reached the disk leaves it
    short, or zeros), not against anyone: the key already names the content. CRC-32 reads ~1.7
    GB/s here against blake2b's ~0.5, and a resubmission at 1,000 units reads ~280 MB of entries
    (issue 20)."""

    def __init__(self, folder: Path | None, suffix: str, kind: type):
        self.folder, self.suffix, self.kind = folder, suffix, kind
        self.used: set[str] = set()

    @staticmethod
    def key(*parts) -> str:
        digest = hashlib.sha256()
        for part in parts:
            digest.update(part if isinstance(part, bytes) else repr(part).encode("utf-8"))
            digest.update(b"\0")
        return digest.hexdigest()

    def get(self, key: str):
        import pickle

        self.used.add(key)
        if self.folder is None:
            return None
        try:
            blob = (self.folder / f"{key}{self.suffix}").read_bytes()
        except OSError:
            return None
        body = memoryview(blob)[_HEAD:]
        if blob[:_HEAD] != _head(body):
            return None
        try:
            found = pickle.loads(body)
        except Exception:  # written by another version: made again
            return None
        return found if isinstance(found, self.kind) else None

    def has(self, key: str) -> bool:
        """Whether an entry is there (it may still be torn: ``get`` tells)."""
        return self.folder is not None and (self.folder / f"{key}{self.suffix}").is_file()

    def put(self, key: str, value) -> None:
        import pickle

        from sopkinerja.atomic import write_bytes

        self.used.add(key)
        if self.folder is None:
            return
        data = pickle.dumps(value, protocol=5)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            # Not flushed to disk: an entry torn by a power cut fails its digest and is made again.
            write_bytes(self.folder / f"{key}{self.suffix}", _head(data) + data, durable=False)
        except OSError:
            pass  # a cache that cannot be written only costs time

    def prune(self) -> None:
        if self.folder is None or not self.folder.is_dir():
            return
        for path in self.folder.glob(f"*{self.suffix}"):
            if path.stem not in self.used:
                path.unlink(missing_ok=True)


_HEAD = 12  # a kept entry's length (8 bytes) and CRC-32 (4), before its pickle


def _head(data) -> bytes:
    import zlib

    return len(data).to_bytes(8, "little") + zlib.crc32(data).to_bytes(4, "little")
