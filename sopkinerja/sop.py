"""The SOP as data: the shipped SOP table or a workspace's own (product.md §1)."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from sopkinerja.errors import Problem, SopError
from sopkinerja.models import ROLES, SCOPES, Sop, SopStep

FIELDS = {
    "nomor": "number",
    "uraian": "description",
    "pelaksana": "actor",
    "kelengkapan": "requirement",
    "waktu_baku_menit": "standard_minutes",
    "output": "output",
    "lingkup": "scope",
    "peran": "role",
}
REQUIRED = ("nomor", "uraian", "pelaksana", "waktu_baku_menit", "lingkup")


def default_sop_text() -> str:
    return resources.files("sopkinerja").joinpath("data/sop.toml").read_text("utf-8")


PLACEHOLDERS = {"{singkatan}": "short_name", "{nama}": "name", "{daerah}": "region"}


def load_sop(path: Path | None = None, agency=None) -> Sop:
    """The workspace's SOP file when given, else the shipped one; SopError lists every problem.
    ``{singkatan}``, ``{nama}`` and ``{daerah}`` in its texts name ``agency`` (``[instansi]``):
    the shipped SOP says "Kepala {singkatan}", so another agency's recap names its own head."""
    label = str(path) if path else "sopkinerja/data/sop.toml"
    try:
        text = Path(path).read_text("utf-8-sig") if path else default_sop_text()
        raw = tomllib.loads(text)
    except OSError as exc:
        raise SopError("sop.unreadable", path=label, detail=str(exc)) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SopError("sop.unreadable", path=label, detail=str(exc)) from None
    if agency is not None:
        raw = _named(raw, agency)
    return parse_sop(raw, label)


def _named(value, agency):
    if isinstance(value, str):
        for token, attribute in PLACEHOLDERS.items():
            value = value.replace(token, getattr(agency, attribute))
        return value
    if isinstance(value, dict):
        return {key: _named(item, agency) for key, item in value.items()}
    if isinstance(value, list):
        return [_named(item, agency) for item in value]
    return value


def parse_sop(raw: dict[str, Any], label: str) -> Sop:
    problems: list[Problem] = []
    steps = [_step(i, entry, problems) for i, entry in enumerate(raw.get("langkah") or [], 1)]
    if not steps:
        problems.append(Problem("sop.no_steps", {}))
    for key in sorted(set(raw) - {"nama", "langkah"}):
        problems.append(Problem("sop.unknown_top_key", {"key": key}))
    numbers = [s.number for s in steps if s]
    if len(numbers) != len(set(numbers)):
        problems.append(Problem("sop.duplicate_number", {}))
    roles = [s.role for s in steps if s and s.role]
    if len(roles) != len(set(roles)):
        problems.append(Problem("sop.duplicate_role", {}))
    if problems:
        raise SopError("sop.invalid", problems=tuple(problems), path=label)
    ordered = tuple(sorted(steps, key=lambda s: s.number))
    return Sop(str(raw.get("nama") or "Mekanisme Pengumpulan Data Kinerja"), ordered)


def _step(index: int, entry: Any, problems: list[Problem]) -> SopStep | None:
    if not isinstance(entry, dict):
        problems.append(Problem("sop.not_a_table", {"index": index}))
        return None
    before = len(problems)
    for key in sorted(set(entry) - set(FIELDS)):
        problems.append(Problem("sop.unknown_key", {"key": key, "index": index}))
    for key in REQUIRED:
        if key not in entry:
            problems.append(Problem("sop.missing_key", {"key": key, "index": index}))
    number, minutes = entry.get("nomor"), entry.get("waktu_baku_menit")
    if "nomor" in entry and (not isinstance(number, int) or isinstance(number, bool) or number < 1):
        problems.append(Problem("sop.bad_number", {"key": "nomor", "index": index}))
    if "waktu_baku_menit" in entry and (
        not isinstance(minutes, int) or isinstance(minutes, bool) or minutes < 0
    ):
        problems.append(Problem("sop.bad_number", {"key": "waktu_baku_menit", "index": index}))
    if "lingkup" in entry and entry["lingkup"] not in SCOPES:
        problems.append(Problem("sop.bad_choice", {
            "key": "lingkup", "index": index, "options": ", ".join(SCOPES)}))
    if entry.get("peran", "") not in ("", *ROLES):
        problems.append(Problem("sop.bad_choice", {
            "key": "peran", "index": index, "options": ", ".join(ROLES)}))
    if len(problems) > before:
        return None
    values = {FIELDS[k]: (v.strip() if isinstance(v, str) else v) for k, v in entry.items()}
    values.setdefault("requirement", "")
    values.setdefault("output", "")
    return SopStep(**values)
