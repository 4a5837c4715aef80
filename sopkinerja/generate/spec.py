"""What one request workbook shows, as plain picklable data (``RequestSpec``), its JSON form for the
ledger, and the values a rebuilt workbook carries (``Filled``: a unit's answer put back in place).
"""

from __future__ import annotations

import json
import zlib
from dataclasses import asdict, dataclass, field
from datetime import datetime

MAX_CELL_TEXT = 32767  # Excel's limit for one cell


@dataclass(frozen=True)
class SheetRow:
    """A row of ``Data Kinerja``: a heading (program, kegiatan; a sub kegiatan without pagu), a
    sub kegiatan's budget row, or an indicator."""

    kind: str  # "group", "budget" or "indicator"
    level: int = 0
    text: str = ""
    number: int = 0
    values: dict = field(default_factory=dict)  # what the row shows and the ledger keeps

    @property
    def key(self) -> str:
        """The row's hidden key: an indicator's code, a budget line's ``SUB …``/``IND …``."""
        return self.values.get("code") or self.values.get("key", "")


@dataclass(frozen=True)
class LogRow:
    step: int
    description: str
    actor: str
    name: str = ""
    nip: str = ""
    is_signoff: bool = False


@dataclass(frozen=True)
class RequestSpec:
    """Everything one request workbook shows; the writer adds nothing of its own."""

    request_id: str
    unit_code: str
    unit_name: str
    period_code: str
    period_label: str
    deadline: datetime
    issued_at: datetime
    agency_name: str
    agency_short: str
    agency_region: str
    contact: tuple[str, str, str, str]  # name, position, email, phone
    language: str
    rows: tuple[SheetRow, ...]
    log_rows: tuple[LogRow, ...]
    year: int


def clip(text: str) -> str:
    """Excel holds at most 32,767 characters in a cell; longer text is cut with an ellipsis."""
    return text if len(text) <= MAX_CELL_TEXT else text[: MAX_CELL_TEXT - 1] + "\u2026"


@dataclass(frozen=True)
class Filled:
    """A unit's values for a rebuilt workbook: ``data[(code, key)]`` on ``Data Kinerja`` (layout keys),
    ``log[(step, key)]`` on ``Log Proses``; a value as it was in the unit's file."""

    data: dict = field(default_factory=dict)
    log: dict = field(default_factory=dict)


SPEC_VERSION = 2


def pack_spec(spec: RequestSpec) -> bytes:
    """The spec as the ledger keeps it (zlib JSON), so feedback can rebuild the whole workbook."""
    document = asdict(spec)
    document["deadline"], document["issued_at"] = spec.deadline.isoformat(), spec.issued_at.isoformat()
    return zlib.compress(json.dumps([SPEC_VERSION, document], ensure_ascii=False, sort_keys=True).encode())


def unpack_spec(blob: bytes) -> RequestSpec | None:
    """The spec back, or None when it was written by another version."""
    version, document = json.loads(zlib.decompress(blob))
    if version != SPEC_VERSION:
        return None
    document["deadline"] = datetime.fromisoformat(document["deadline"])
    document["issued_at"] = datetime.fromisoformat(document["issued_at"])
    document["contact"] = tuple(document["contact"])
    document["rows"] = tuple(SheetRow(**row) for row in document["rows"])
    document["log_rows"] = tuple(LogRow(**row) for row in document["log_rows"])
    return RequestSpec(**document)


# --- building a spec from the master, the configuration and the year so far --------------------


def build_spec(workspace, master, sop, unit, request_id: str, issued_at: datetime, series=None) -> RequestSpec:
    """Everything one unit's workbook shows, as plain data; ``series`` (``series.YearSeries``) holds
    the year's earlier accepted values, pre-filled so the year so far is always complete."""
    from sopkinerja.i18n import Messages

    config = workspace.config
    signoff = sop.by_role("validasi")
    log_rows = tuple(
        LogRow(step.number, step.description, step.actor,
               name=unit.head if step is signoff else "", nip=unit.nip if step is signoff else "",
               is_signoff=step is signoff)
        for step in sop.unit_steps)
    contact = config.contact
    rows = sheet_rows(master.indicators_of(unit.code), config.period, master.budget_lines, series,
                      Messages(config.language))
    return RequestSpec(
        request_id=request_id, unit_code=unit.code, unit_name=unit.name,
        period_code=config.period.code, period_label=config.period.label(config.language),
        deadline=config.deadline, issued_at=issued_at, agency_name=config.agency.name,
        agency_short=config.agency.short_name, agency_region=config.agency.region,
        contact=(contact.name, contact.position, contact.email or config.agency.email, contact.phone),
        language=config.language, rows=rows, log_rows=log_rows, year=config.period.year)


def sheet_rows(indicators, period, budget_lines: dict | None = None, series=None, msg=None) -> tuple[SheetRow, ...]:
    """Indicators in DPA order under program / kegiatan headings, each sub kegiatan's budget on its
    own row (product.md §3.4); a program's and a kegiatan's pagu the sum of theirs."""
    from sopkinerja.i18n import Messages

    msg = msg or Messages("id")
    budget_lines = budget_lines or {}
    tree: dict[str, dict[str, dict[str, list]]] = {}
    for indicator in indicators:
        (tree.setdefault(indicator.program, {}).setdefault(indicator.activity, {})
             .setdefault(indicator.budget_key, []).append(indicator))
    rows: list[SheetRow] = []
    number = 0
    for program, activities in tree.items():
        if program:
            rows.append(SheetRow("group", 1, program, values={"budget": _sum(budget_lines, activities)}))
        for activity, lines in activities.items():
            if activity:
                rows.append(SheetRow("group", 2, activity, values={"budget": _sum(budget_lines, {0: lines})}))
            for key, members in lines.items():
                line = budget_lines.get(key)
                if line is not None and line.effective_budget is not None:
                    rows.append(_budget_row(line, members, period, series, msg))
                elif members[0].sub_activity:
                    rows.append(SheetRow("group", 3, members[0].sub_activity))
                for indicator in members:
                    number += 1
                    rows.append(SheetRow("indicator", number=number,
                                         values=prefilled(indicator, period, series, msg)))
    return tuple(rows)


def _sum(budget_lines: dict, activities: dict) -> float | None:
    amounts = [budget_lines[key].effective_budget for lines in activities.values() for key in lines
               if key in budget_lines and budget_lines[key].effective_budget is not None]
    return float(sum(amounts)) if amounts else None


def _budget_row(line, members, period, series, msg) -> SheetRow:
    """A sub kegiatan's budget: its pagu, the spending of the year's earlier rounds, this round's input."""
    text = line.name if members[0].sub_activity else msg("workbook.budget_of", name=clip(members[0].name))
    before = {p.code: (series.spending(line.key, p) if series else None) for p in period.earlier()}
    return SheetRow("budget", 3, clip(text), values={
        "key": line.key, "name": clip(text), "budget": line.effective_budget, "budget_plain": line.budget,
        "budget_revised": line.budget_revised, "before": before})


def prefilled(indicator, period, series=None, msg=None) -> dict:
    """What one indicator row shows; the ledger keeps it to check a return against (product.md §3.4)."""
    from sopkinerja.i18n import Messages
    from sopkinerja.rules import value_range

    msg = msg or Messages("id")
    due = indicator.due(period)
    label = msg(f"workbook.method_{indicator.method}")
    if not due:
        label = msg("workbook.not_due", method=label, frequency=msg(f"workbook.frequency_{indicator.frequency}"))
    low, high = value_range(indicator.measure, indicator.min_value, indicator.max_value)
    before = {}
    for earlier in period.earlier():
        value = series.value(indicator.code, earlier) if series else None
        before[earlier.code] = value
    return {"code": indicator.code, "name": clip(indicator.name), "measure": indicator.measure,
            "polarity": indicator.polarity, "method": indicator.method, "method_label": label,
            "frequency": indicator.frequency, "due": due, "annual": indicator.target,
            "target": indicator.target_for(period), "min": low, "max": high, "before": before,
            "due_before": {p.code: indicator.due(p) for p in period.earlier()},
            "budget_key": indicator.budget_key}
