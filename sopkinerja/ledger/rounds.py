"""What run derives for a round: submissions, accepted values, issues."""

from __future__ import annotations

import hashlib
import json
import marshal
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from sopkinerja.records import StepEvent


@dataclass(frozen=True)
class Segment:
    """Rows written together (one file's values), known without making them: equal ``mark``s
    (bytes naming what the rows are made from, e.g. the file and its packed values) mean equal
    rows, and ``count`` of them; ``make`` gives the rows when they have to be written."""

    mark: bytes
    count: int
    make: Callable[[], list[tuple]]


class Rounds:
    """Methods of ``Ledger`` (rounds); ``self.db`` is its SQLite connection."""

    def replace_round(self, period: str, shas: list[str], sistem_steps: list[int], submissions: list[tuple],
                      values: list[tuple], issues: list[tuple], events: list[StepEvent]) -> None:
        """Everything run derived for this round, replaced (inside a transaction) as deleting it and
        inserting it again in the order given would: the same files give the same rows, ids
        included. Rows such a rewrite would give again at the same place are kept (``_replace``):
        one resubmission adds its file's values instead of writing the round's again.
        ``submissions``: (sha256, part, request_id, unit_code, period, received_at, status, parsed_at,
        parser_version); ``values``: (sha256, part, indicator, field, number, text, original, cell);
        ``issues``: (sha256, part, period, unit_code, code, severity, sheet, cell, params JSON).
        ``values`` may also be given as ``Segment``s (one per file): the files' values kept are then
        found without making their rows, and only those written again are made.
        """
        marks = ",".join("?" * len(shas))
        self.db.execute("PRAGMA defer_foreign_keys = ON")  # values may stay while their submission is rewritten
        for step in sistem_steps:
            self.db.execute("DELETE FROM step_events WHERE period = ? AND step = ? AND source = 'sistem'",
                            (period, step))
        self.db.execute(f"DELETE FROM step_events WHERE source = 'berkas' AND sha256 IN ({marks})", shas)
        self._replace("submissions", f"sha256 IN ({marks})", shas,
                      ("sha256", "part", "request_id", "unit_code", "period", "received_at", "status", "superseded_by",
                       "parsed_at", "parser_version"),
                      [(*row[:7], None, *row[7:]) for row in submissions], mark=period)
        self._replace("submission_values", f"sha256 IN ({marks})", shas,
                      ("sha256", "part", "indicator_code", "field", "number", "text", "original", "cell"), values,
                      "INSERT OR REPLACE", mark=period)
        self._replace("issues", f"period = ? OR sha256 IN ({marks})", (period, *shas),
                      ("sha256", "part", "period", "unit_code", "code", "severity", "sheet", "cell", "params"), issues,
                      mark=period)
        self.add_step_events(events)

    def _replace(self, table: str, where: str, args, columns: tuple[str, ...], rows: list,
                 verb: str = "INSERT", mark: str | None = None) -> None:
        """The rows of ``table`` matching ``where`` replaced by ``rows``, with the ids and contents a
        delete and an insert in order would give. When the matching rows are the table's last,
        numbered without a gap from the row before them (as a rewrite leaves them), the leading
        ones equal to ``rows`` are kept and only the rest is deleted and inserted; otherwise all
        are. (SQLite numbers an inserted row one above the table's largest rowid.)

        With ``mark`` (the round), what was written is remembered (``_remember_written``): while no
        other write touched the table since, the rows kept are found from the digests of the rows
        written last time instead of reading them back. ``rows`` given as ``Segment``s are
        digested one segment each (by their marks), and made only from the first one written."""
        names = ", ".join(columns)
        segments = rows if rows and isinstance(rows[0], Segment) else None
        unit = "segment" if segments is not None else ROW_BLOCK
        written = self._written(table, where, mark, unit) if mark is not None else None
        if segments is not None:
            digests, at_written, sizes = _segment_digests(segments), None, [s.count for s in segments]
            total = sum(sizes)
        else:
            digests, at_written = _block_digests(rows, written["count"] if written else None)
            total, sizes = len(rows), [ROW_BLOCK] * len(digests)
        kept = (self._kept_by_digests(table, where, args, written, digests, at_written, sizes, total)
                if written else None)
        if kept is None and segments is not None:
            rows, segments = [row for segment in segments for row in segment.make()], None
        keep, first, count = kept if kept is not None else self._kept_by_reading(table, where, args, names, rows)
        if keep < count:
            if keep:
                self.db.execute(f"DELETE FROM {table} WHERE rowid >= ?", (first + keep,))
            else:
                self.db.execute(f"DELETE FROM {table} WHERE {where}", args)
        insert = f"{verb} INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"
        if segments is None:
            self.db.executemany(insert, rows[keep:])
        else:  # keep ends where a segment does (_kept_by_digests)
            at = 0
            for segment in segments:
                if at >= keep:
                    self.db.executemany(insert, segment.make())
                at += segment.count
        if mark is not None:
            self._remember_written(table, where, args, mark, digests, total, unit)

    def _kept_by_reading(self, table: str, where: str, args, names: str, rows: list[tuple]) -> tuple:
        """(leading rows to keep, first matching rowid, matching rows) from the stored rows: kept
        only when they are the table's last, numbered without a gap from the row before them."""
        stored = self.tuples(f"SELECT rowid, {names} FROM {table} WHERE {where} ORDER BY rowid", args)
        if not stored:
            return 0, None, 0
        first, last = stored[0][0], stored[-1][0]
        top = self.db.execute(f"SELECT MAX(rowid) FROM {table}").fetchone()[0]
        below = self.db.execute(f"SELECT MAX(rowid) FROM {table} WHERE rowid < ?", (first,)).fetchone()[0] or 0
        keep = 0
        if last - first + 1 == len(stored) and top == last and below + 1 == first:
            for old, new in zip(stored, rows, strict=False):
                if old[1:] != tuple(new):
                    break
                keep += 1
        return keep, first, len(stored)

    def _span(self, table: str, where: str, args) -> tuple[int, int | None, int | None]:
        """(count, smallest rowid, largest rowid) of the rows matching ``where``."""
        count, first, last = self.db.execute(f"SELECT COUNT(*), MIN(rowid), MAX(rowid) FROM {table} WHERE {where}",
                                             args).fetchone()
        return count, first, last

    def _generation(self, table: str) -> int:
        """How many times ``_replace`` has written ``table`` (any round's)."""
        stored = self.get_state(f"rows-generation:{table}")
        return int(stored) if stored is not None else 0

    def _written(self, table: str, where: str, mark: str, unit) -> dict | None:
        """What ``_remember_written`` kept of the last write of this round's rows, when it can be
        trusted: no other write of the table since, the same schema and condition, digested in
        the same ``unit`` (rows per block, or "segment")."""
        stored = self.get_state(f"rows-written:{table}:{mark}")
        if stored is None:
            return None
        try:
            written = json.loads(stored)
            if (written["schema"] != self.schema_version or written["generation"] != self._generation(table)
                    or written["where"] != _where_mark(where) or written.get("unit") != unit):
                return None
            return {"count": int(written["count"]), "first": written["first"], "digests": list(written["digests"])}
        except (ValueError, KeyError, TypeError):
            return None

    def _kept_by_digests(self, table: str, where: str, args, written: dict, digests: list[str],
                         at_written: str | None, sizes: list[int], count: int) -> tuple | None:
        """(leading rows to keep, first matching rowid, matching rows) as ``_kept_by_reading`` would
        find them, from the running digests of the last write (``_written``) and of ``count`` new
        rows in pieces of ``sizes`` rows (``at_written``: theirs over as many rows as were
        written); None when the matching rows are not exactly those written. The rows kept end
        where a piece does, or at the end of the rows written."""
        found, first, last = self._span(table, where, args)
        if found != written["count"] or first != written["first"] or (found and last != first + found - 1):
            return None
        old = written["digests"]
        same = 0
        for before, now in zip(old, digests, strict=False):
            if before != now:
                break
            same += 1
        keep = min(sum(sizes[:same]), found, count)
        if keep < found and same == len(old) - 1 and at_written == old[-1]:
            keep = found  # the rows written last time, then more (a file added at the end)
        return keep, first, found

    def _remember_written(self, table: str, where: str, args, mark: str, digests: list[str], count: int,
                          unit) -> None:
        """After a write: the table's generation moves on and, when the matching rows are exactly
        ``count`` rows numbered without a gap (INSERT OR REPLACE of a repeated key leaves fewer), the
        round's rows are remembered by the digests of their blocks."""
        generation = self._generation(table) + 1
        self.set_state(f"rows-generation:{table}", str(generation).encode())
        found, first, last = self._span(table, where, args)
        key = f"rows-written:{table}:{mark}"
        if found != count or (found and last != first + found - 1):
            self.db.execute("DELETE FROM state WHERE key = ?", (key,))
            return
        self.set_state(key, json.dumps({"schema": self.schema_version, "generation": generation,
                                        "where": _where_mark(where), "unit": unit, "count": count,
                                        "first": first, "digests": digests}).encode())

    def earlier_round_parts(self, period: str, parser_version: str) -> dict[str, list[tuple[str, str]]]:
        """sha256 -> [(part, request id)] of the files an earlier run recorded for another round than
        ``period`` (identified: each part has its request), in the order they were recorded."""
        found: dict[str, list[tuple[str, str]]] = {}
        for sha256, part, request_id in self.db.execute(
                "SELECT sha256, part, request_id FROM submissions WHERE period IS NOT NULL AND period != ? "
                "AND request_id IS NOT NULL AND parser_version = ? ORDER BY rowid", (period, parser_version)):
            found.setdefault(sha256, []).append((part, request_id))
        return found

    def accepted_series(self, periods: list[str], unit: str | None = None) -> list[tuple]:
        """(period, unit, indicator or budget line, field, number) of every numeric value of the
        accepted answers of ``periods`` (one unit's when given), oldest answer first (a later one's
        late entry wins)."""
        marks = ",".join("?" * len(periods)) or "NULL"
        return self.tuples(
            "SELECT s.period, s.unit_code, v.indicator_code, v.field, v.number FROM submission_values v "
            "JOIN submissions s ON s.sha256 = v.sha256 AND s.part = v.part "
            f"WHERE s.status = 'accepted' AND s.period IN ({marks}) AND v.number IS NOT NULL "
            f"AND (v.field LIKE 'actual%' OR v.field LIKE 'spent%'){_AND_UNIT if unit else ''} "
            "ORDER BY s.received_at, s.sha256, v.rowid", (*periods, *_unit(unit)))

    def accepted_texts(self, period: str, unit: str | None = None) -> list[tuple]:
        """(unit, indicator or "", field, text) of every text of the period's accepted answers (one
        unit's when given): the units' own words (faktor pendorong, penghambat, tindak lanjut,
        bukti, keterangan, footer)."""
        return self.tuples(
            "SELECT s.unit_code, v.indicator_code, v.field, v.text FROM submission_values v "
            "JOIN submissions s ON s.sha256 = v.sha256 AND s.part = v.part "
            f"WHERE s.status = 'accepted' AND s.period = ? AND v.text IS NOT NULL{_AND_UNIT if unit else ''} "
            "ORDER BY v.rowid", (period, *_unit(unit)))

    def has_accepted(self, periods: list[str]) -> bool:
        """Whether any answer of ``periods`` was accepted."""
        marks = ",".join("?" * len(periods)) or "NULL"
        return self.db.execute(f"SELECT 1 FROM submissions WHERE status = 'accepted' AND period IN ({marks}) LIMIT 1",
                               periods).fetchone() is not None

    def round_marks(self, periods: list[str]) -> dict[str, tuple]:
        """Per unit, what consolidation reads of it for ``periods``: its submissions (file, status,
        receipt) and its requests, in an order of their content. A submission's values and a
        request's rows never change under the same file and request id, so equal marks mean equal
        values, targets and words."""
        marks = ",".join("?" * len(periods)) or "NULL"
        found: dict[str, list] = {}
        for row in self.db.execute(
                "SELECT unit_code, period, sha256, part, status, received_at, request_id FROM submissions "
                f"WHERE period IN ({marks}) AND unit_code IS NOT NULL ORDER BY period, sha256, part", periods):
            found.setdefault(row[0], []).append(tuple(row[1:]))
        for row in self.db.execute(
                "SELECT unit_code, period, request_id, issued_at FROM requests "
                f"WHERE period IN ({marks}) ORDER BY period, request_id", periods):
            found.setdefault(row[0], []).append(("request", *row[1:]))
        return {unit: tuple(rows) for unit, rows in found.items()}

    def accepted_value_counts(self) -> list[tuple[str, int]]:
        """(sha256, number of values) of every accepted answer."""
        return [tuple(r) for r in self.db.execute(
            "SELECT v.sha256, COUNT(*) FROM submission_values v JOIN submissions s ON s.sha256 = v.sha256 "
            "AND s.part = v.part WHERE s.status = 'accepted' GROUP BY v.sha256 ORDER BY v.sha256")]

    def submissions_of(self, period: str) -> list[sqlite3.Row]:
        """The period's submissions in receipt order, each with its first inbox path and issue counts."""
        return self.db.execute(
            "SELECT s.*, (SELECT original_path FROM receipts r WHERE r.sha256 = s.sha256 ORDER BY r.id LIMIT 1) "
            "AS path, (SELECT COUNT(*) FROM issues i WHERE i.sha256 = s.sha256 AND i.part = s.part "
            "AND i.severity = 'error') AS errors, (SELECT COUNT(*) FROM issues i WHERE i.sha256 = s.sha256 "
            "AND i.part = s.part AND i.severity = 'warning') AS warnings "
            "FROM submissions s WHERE s.period = ? ORDER BY s.received_at, s.sha256, s.part", (period,)).fetchall()

    # --- what the planner set aside (sopkinerja ignore) ----------------------------

    def set_aside(self) -> dict[str, str]:
        """sha256 -> the planner's reason, for every file set aside and not taken back."""
        rows = self.db.execute("SELECT sha256, note FROM ignored WHERE undone_at IS NULL ORDER BY id").fetchall()
        return {sha256: note for sha256, note in rows}

    def set_aside_files(self) -> list[tuple[str, str, str]]:
        """(sha256, first received path, the planner's reason) of every file set aside, oldest first."""
        return [tuple(r) for r in self.db.execute(
            "SELECT i.sha256, (SELECT original_path FROM receipts r WHERE r.sha256 = i.sha256 ORDER BY r.id LIMIT 1), "
            "i.note FROM ignored i WHERE i.undone_at IS NULL ORDER BY i.id")]

    def ignore(self, sha256: str, note: str, at: str) -> None:
        """Set a file aside (inside a transaction); a second time replaces the reason."""
        self.db.execute("UPDATE ignored SET undone_at = ? WHERE sha256 = ? AND undone_at IS NULL", (at, sha256))
        self.db.execute("INSERT INTO ignored (sha256, note, ignored_at) VALUES (?, ?, ?)", (sha256, note, at))

    def unignore(self, sha256: str, at: str) -> bool:
        """Take a file back (inside a transaction); False when it was not set aside."""
        cursor = self.db.execute("UPDATE ignored SET undone_at = ? WHERE sha256 = ? AND undone_at IS NULL",
                                 (at, sha256))
        return cursor.rowcount > 0

    def find_files(self, shown: str) -> list[tuple[str, str]]:
        """(sha256, received path) of the files a planner means: a received path (under the
        inbox, as run shows it) or a sha256 prefix."""
        if len(shown) >= 8 and all(ch in "0123456789abcdef" for ch in shown.lower()):
            rows = self.db.execute("SELECT sha256, MIN(original_path) FROM receipts WHERE sha256 LIKE ? "
                                   "GROUP BY sha256 ORDER BY MIN(id)", (f"{shown.lower()}%",)).fetchall()
        else:
            rows = self.db.execute("SELECT sha256, original_path FROM receipts WHERE original_path = ? "
                                   "GROUP BY sha256 ORDER BY MIN(id)", (shown,)).fetchall()
        return [tuple(r) for r in rows]


_AND_UNIT = " AND s.unit_code = ?"


def _unit(unit: str | None) -> tuple:
    return (unit,) if unit else ()


ROW_BLOCK = 1000  # rows per digest of what _replace wrote (a changed row rewrites from its block on)


def _block_digests(rows: list[tuple], also: int | None = None) -> tuple[list[str], str | None]:
    """A running digest of ``rows`` at the end of every ``ROW_BLOCK`` rows (marshal's version 2: no
    references, so equal values give equal bytes; a type differs as SQLite's storage class does),
    and, with ``also``, the running digest over the first ``also`` rows blocked the same way (None
    when there are fewer rows)."""
    out, digest, at_also = [], hashlib.sha256(), None
    for start in range(0, len(rows), ROW_BLOCK):
        block = rows[start:start + ROW_BLOCK]
        if also is not None and start < also <= start + len(block):
            partial = digest.copy()
            partial.update(marshal.dumps(rows[start:also], 2))
            at_also = partial.hexdigest()[:32]
        digest.update(marshal.dumps(block, 2))
        out.append(digest.copy().hexdigest()[:32])
    return out, at_also


def _segment_digests(segments: list[Segment]) -> list[str]:
    """A running digest of ``segments`` at the end of each, from their marks and counts."""
    out, digest = [], hashlib.sha256()
    for segment in segments:
        digest.update(len(segment.mark).to_bytes(8, "little") + segment.mark + segment.count.to_bytes(8, "little"))
        out.append(digest.copy().hexdigest()[:32])
    return out


def _where_mark(where: str) -> str:
    """The shape of a ``_replace`` condition (its text without the number of files in it)."""
    return where.replace("?,", "")
