"""Intake that never loses and never blocks (issue 15, product.md §3.5-3.7).

One test per principle and per new code, each beside the good returns of the
other units, which must stay accepted; the hostile cases a real agency falls
into, built in code.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from builders import mail, outlook_message, winmail, zipped
from conftest import RUN_AT, col, data_rows, fill_all, fill_workbook, letter, log_col, run_round, set_cell

from sopkinerja import layout as L
from sopkinerja.i18n import Messages
from sopkinerja.ingest.reader import PARSER_VERSION
from sopkinerja.issues import CODES, flatten

OTHERS = ("SEK", "P2EP", "PPM", "PSDA", "LITBANG")  # IPW's slot carries the file under test


def _inbox(root: Path) -> Path:
    return root / "input" / "masuk"


def _stamp(path: Path, when: str) -> Path:
    moment = datetime.fromisoformat(when).timestamp()
    os.utime(path, (moment, moment))
    return path


def _filled(paths, tmp_path, unit="IPW", mutate=None, name=None) -> bytes:
    return fill_workbook(paths[unit], tmp_path / (name or f"isi-{unit}.xlsx"), mutate=mutate).read_bytes()


def _statuses(result) -> dict[str, str]:
    return {u.unit: u.status for u in result.units}


def _others_accepted(result) -> None:
    statuses = _statuses(result)
    assert all(statuses[u] == "accepted" for u in OTHERS), statuses


def _of(result, name) -> list:
    return [i for i in result.issues if i.file and name in i.file]



# --- principle 1: every byte that came in is accounted for ---------------------------------------


def test_every_received_file_is_counted_named_in_an_issue_or_ignored(round_ws, tmp_path):
    root, paths = round_ws
    fill_all(root, paths, skip=("IPW",))
    inbox = _inbox(root)
    good = _filled(paths, tmp_path)
    (inbox / "surel").mkdir()
    files = {
        "surel/balasan.msg": outlook_message([("IPW.xlsx", good), ("image001.png", b"\x89PNGx")],
                                             sender="ipw.bappedalitbang@taputkab.go.id"),
        "kosong.eml": mail([]),
        "scan.zip": zipped({"scan.pdf": b"%PDF-1.4 x", "foto.jpg": b"\xff\xd8\xff x"}),
        "Book1.xlsx": _plain_workbook(),
        "catatan.pdf": b"%PDF-1.4\n%%EOF",
        "desktop.ini": b"[.ShellClassInfo]",
        "Thumbs.db": b"\xd0\xcf\x11\xe0",
        ".DS_Store": b"\x00\x00\x00\x01Bud1",
        "IPW.xlsx:Zone.Identifier": b"[ZoneTransfer]\nZoneId=3",
        "~$IPW.xlsx": b"\x06lock",
    }
    for name, data in files.items():
        (inbox / name).write_bytes(data)
        _stamp(inbox / name, "2026-10-05T10:00:00+07:00")
    old = inbox / "lama.pdf"
    old.write_bytes(b"%PDF-1.4 lama")
    _stamp(old, "2026-06-30T10:00:00+07:00")  # before the round's first request: old-file
    (inbox / "tautan.xlsx").symlink_to(tmp_path / "isi-IPW.xlsx")
    result = run_round(root)
    _others_accepted(result)
    assert _statuses(result)["IPW"] == "accepted"  # from the .msg
    named = {i.file for i in result.issues} | {i.file for i in result.ignored} | {u.file for u in result.units}
    for path in sorted(inbox.rglob("*")):
        if path.is_file() or path.is_symlink():
            shown = f"input/masuk/{path.relative_to(inbox).as_posix()}"
            assert shown in named or any(n.startswith(shown + "#") for n in named if n), shown
    reasons = {i.file.rsplit("/", 1)[-1]: i.reason for i in result.ignored}
    assert reasons["desktop.ini"] == reasons["Thumbs.db"] == reasons[".DS_Store"] == "system-file"
    assert reasons["IPW.xlsx:Zone.Identifier"] == reasons["~$IPW.xlsx"] == reasons["tautan.xlsx"] == "system-file"
    assert reasons["lama.pdf"] == "old-file" and reasons["balasan.msg#2:image001.png"] == "attachment"
    codes = {i.file.rsplit("/", 1)[-1]: i.code for i in result.issues}
    assert codes["kosong.eml"] == codes["scan.zip"] == codes["catatan.pdf"] == "unsupported-format"
    assert codes["Book1.xlsx"] == "not-a-request-workbook" and codes["lama.pdf"] == "old-file"
    zip_issue = next(i for i in result.issues if i.file.endswith("scan.zip"))
    assert "scan.pdf" in zip_issue.params["what"] and "foto.jpg" in zip_issue.params["what"]
    assert not any(i.code for i in result.issues if i.file.endswith(("desktop.ini", "Thumbs.db", "tautan.xlsx")))
    with open_ledger(root) as ledger:
        archived = {sha for sha, _ in ledger.recorded_files()}
    for name in files:  # every byte archived, system files included
        assert _sha(inbox / name) in archived, name


def _plain_workbook() -> bytes:
    import io

    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "Buku kerja kosong"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def open_ledger(root):
    from sopkinerja.workspace import open_workspace

    return open_workspace(root).ledger()


def test_the_repositorys_own_gitkeep_is_listed_never_reported(round_ws, run_cli):
    root, paths = round_ws
    (_inbox(root) / ".gitkeep").write_bytes(b"")
    fill_all(root, paths)
    result = run_cli("--project", root, "run", "--json", env={"SOPKINERJA_NOW": RUN_AT})
    document = result.json()
    assert result.exit_code == 0
    assert not [i for i in document["issues"] if ".gitkeep" in (i["file"] or "")]
    assert {"file": "input/masuk/.gitkeep", "reason": "system-file",
            "note": "berkas sistem atau sisa program kantor (bukan dokumen)"} in document["ignored"]


# --- principle 2: one file cannot hurt another -----------------------------------------------------


@pytest.mark.parametrize("stage", ["read", "identify", "check", "feedback"])
def test_a_failure_in_any_stage_is_an_issue_on_that_file_only(round_ws, monkeypatch, stage):
    import sopkinerja.feedback as feedback
    import sopkinerja.validate.worker as worker

    root, paths = round_ws
    fill_all(root, paths)
    fill_workbook(paths["IPW"], _inbox(root) / "IPW.xlsx", set_cell("IPW-01", "actual", "x"))  # gets feedback
    victim = "IPW"

    def breaks(original, unit_of):
        def wrapper(*args, **kwargs):
            if unit_of(*args) == victim:
                raise RuntimeError(f"disuntikkan: {stage}")
            return original(*args, **kwargs)
        return wrapper

    if stage == "read":
        monkeypatch.setattr(worker, "parse_file", breaks(worker.parse_file, lambda path, fmt: _unit_of_path(path)))
    elif stage == "identify":
        unit_of = lambda ledger, rid: _unit_of_id(root, rid)  # noqa: E731
        monkeypatch.setattr(worker, "load_issued", breaks(worker.load_issued, unit_of))
    elif stage == "check":
        import sopkinerja.validate as validate

        monkeypatch.setattr(validate, "validate", breaks(validate.validate, lambda ctx: ctx.unit))
    else:
        monkeypatch.setattr(feedback, "feedback_bytes",
                            breaks(feedback.feedback_bytes, lambda ws, ledger, outcome, unit, folder: unit.unit))
    result = run_round(root)
    _others_accepted(result)
    mine = [i for i in result.issues if "IPW" in (i.file or "")]
    expected = "feedback-failed" if stage == "feedback" else "processing-failed"
    failure = next(i for i in mine if i.code == expected)
    assert "disuntikkan" in failure.params["detail"]
    assert CODES[expected] == ("warning" if stage == "feedback" else "error")
    assert result.outputs is not None and result.outputs.recap_xlsx.is_file()


def _unit_of_path(path: str) -> str | None:
    from python_calamine import CalamineWorkbook

    try:
        grid = CalamineWorkbook.from_path(path).get_sheet_by_name("_meta").to_python()
    except Exception:  # noqa: BLE001
        return None
    return next((row[1] for row in grid if row and row[0] == "kode_unit"), None)


def _unit_of_id(root, request_id) -> str | None:
    with open_ledger(root) as ledger:
        request = ledger.request(request_id)
    return request["unit_code"] if request else None


def test_a_truncated_copy_over_a_good_return_blocks_nothing(round_ws, tmp_path):
    """A half-finished Explorer copy keeps the original's older time: every later run still works."""
    root, paths = round_ws
    fill_all(root, paths)
    first = run_round(root)
    assert _statuses(first)["IPW"] == "accepted"
    target = _inbox(root) / "IPW.xlsx"
    data = target.read_bytes()
    target.write_bytes(data[: len(data) // 3])
    _stamp(target, "2026-10-04T09:00:00+07:00")  # older than the good copy it replaced
    for _ in range(2):
        result = run_round(root)
        assert _statuses(result)["IPW"] == "accepted"  # the good copy, archived, stands
        assert "unreadable-file" in {i.code for i in _of(result, "IPW.xlsx")}
    target.unlink()
    assert _statuses(run_round(root))["IPW"] == "accepted"


# --- principle 3: the planner can always correct the record ---------------------------------------------


def test_blank_request_copies_never_displace_the_good_returns(round_ws):
    root, paths = round_ws
    fill_all(root, paths)
    for unit, path in paths.items():  # the planner copies the generated requests into the inbox by mistake
        _stamp(Path(shutil.copy(path, _inbox(root) / f"kosong-{unit}.xlsx")), "2026-10-11T09:00:00+07:00")
    result = run_round(root)
    assert all(s == "accepted" for s in _statuses(result).values())
    assert {i.code for i in result.issues if "kosong-" in i.file} == {"not-filled"}
    assert CODES["not-filled"] == "warning"


def test_ignore_and_undo_correct_the_record(round_ws, run_cli, tmp_path):
    root, paths = round_ws
    fill_all(root, paths)
    wrong = fill_workbook(paths["SEK"], _inbox(root) / "SEK-salah.xlsx", set_cell("SEK-01", "actual", "banyak"),
                          received="2026-10-08T10:00:00+07:00")
    now = {"SOPKINERJA_NOW": RUN_AT}
    assert run_cli("--project", root, "run", "--json", env=now).json()["units"][0]["status"] == "accepted"
    # the newer file is rejected: SEK keeps its accepted values, with revision-rejected
    result = run_cli("--project", root, "ignore", "input/masuk/SEK-salah.xlsx", "--reason", "salah kirim", env=now)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Berkas input/masuk/SEK-salah.xlsx disisihkan: salah kirim.")
    document = run_cli("--project", root, "run", "--json", env=now).json()
    assert {"file": "input/masuk/SEK-salah.xlsx", "reason": "planner", "note": "salah kirim"} in document["ignored"]
    assert not [i for i in document["issues"] if i["file"] == "input/masuk/SEK-salah.xlsx" and i["severity"] != "info"]
    assert next(i for i in document["issues"] if i["file"].endswith("SEK-salah.xlsx"))["code"] == "ignored-by-planner"
    status = run_cli("--project", root, "status", "--json", env=now).json()
    assert status["ignored"] == [{"file": "input/masuk/SEK-salah.xlsx", "reason": "planner", "note": "salah kirim"}]
    wrong.unlink()  # gone from the folder: still matched against the ledger, by a sha256 prefix
    sha = _sha_of(root, "SEK-salah.xlsx")
    assert run_cli("--project", root, "ignore", sha[:10], "--undo", env=now).exit_code == 0
    again = run_cli("--project", root, "run", "--json", env=now).json()
    assert again["ignored"] == [] or all(i["reason"] != "planner" for i in again["ignored"])
    assert "revision-rejected" in {i["code"] for i in again["issues"]}
    unknown = run_cli("--project", root, "ignore", "input/masuk/tidak-ada.xlsx", "--reason", "x", env=now)
    assert unknown.exit_code == 1 and "tidak ada dalam catatan penerimaan" in unknown.stderr
    assert run_cli("--project", root, "ignore", "input/masuk/x.xlsx", env=now).exit_code == 2  # no reason


def _sha_of(root, name) -> str:
    with open_ledger(root) as ledger:
        return ledger.find_files(name)[0][0]


def test_sending_the_good_file_again_counts_again(round_ws, tmp_path):
    root, paths = round_ws
    fill_all(root, paths)
    good = (_inbox(root) / "SEK.xlsx").read_bytes()
    run_round(root)
    fill_workbook(paths["SEK"], _inbox(root) / "SEK-revisi.xlsx", set_cell("SEK-01", "actual", "x"),
                  received="2026-10-07T10:00:00+07:00")
    second = run_round(root)
    assert next(u for u in second.units if u.unit == "SEK").file == "input/masuk/SEK.xlsx"  # revision rejected
    again = _inbox(root) / "SEK (2).xlsx"  # the unit sends its good file once more; saved beside
    again.write_bytes(good)
    _stamp(again, "2026-10-06T10:00:00+07:00")  # an older time than the rejected revision: a later run wins
    third = run_round(root, at="2026-10-12T10:00:00+07:00")
    sek = next(u for u in third.units if u.unit == "SEK")
    assert sek.status == "accepted" and "revision-rejected" not in {i.code for i in _of(third, "SEK")}
    assert "input/masuk/SEK-revisi.xlsx" in sek.superseded


def test_a_correction_with_an_older_time_wins_when_it_arrives_later(round_ws):
    root, paths = round_ws
    fill_all(root, paths)
    fill_workbook(paths["IPW"], _inbox(root) / "IPW.xlsx", set_cell("IPW-01", "actual", "x"),
                  received="2026-10-08T10:00:00+07:00")
    assert _statuses(run_round(root))["IPW"] == "rejected"
    fill_workbook(paths["IPW"], _inbox(root) / "IPW-perbaikan.xlsx", received="2026-10-06T10:00:00+07:00")
    result = run_round(root, at="2026-10-12T11:00:00+07:00")
    ipw = next(u for u in result.units if u.unit == "IPW")
    assert (ipw.status, ipw.file) == ("accepted", "input/masuk/IPW-perbaikan.xlsx")


# --- principle 4: outputs switch as a set or not at all ---------------------------------------------


def _immutable(path: Path) -> bool:
    """Make a path unchangeable even for root (as Windows holds a file open in Excel)."""
    completed = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
    return completed.returncode == 0


def _mutable(path: Path) -> None:
    subprocess.run(["chattr", "-i", str(path)], capture_output=True, check=False)


@pytest.mark.skipif(shutil.which("chattr") is None, reason="chattr (Debian: e2fsprogs) makes a file unchangeable")
@pytest.mark.parametrize("blocked", ["recap", "e81", "folder"])
def test_a_blocked_output_switches_nothing_and_says_which_file(round_ws, run_cli, blocked):
    root, paths = round_ws
    fill_all(root, paths, skip=("LITBANG",))
    now = {"SOPKINERJA_NOW": RUN_AT}
    assert run_cli("--project", root, "run", env=now).exit_code == 3
    folder = root / "output" / "2026-TW3"
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    fill_workbook(paths["LITBANG"], _inbox(root) / "LITBANG.xlsx")
    target = {"recap": folder / "Rekap Kinerja 2026-TW3.xlsx", "e81": folder / "Formulir E.81 2026-TW3.xlsx",
              "folder": folder}[blocked]
    if not _immutable(target):
        pytest.skip("this file system refuses chattr +i")
    try:
        result = run_cli("--project", root, "run", env=now)
    finally:
        _mutable(target)
    assert result.exit_code == 1
    assert "tidak terduga" not in result.stderr and "Traceback" not in result.stderr
    assert str(target) in result.stderr
    assert ("tutup berkas ini di Excel lalu jalankan lagi" if blocked != "folder" else "tidak dapat ditulisi") \
        in result.stderr
    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before  # the old set, whole
    assert run_cli("--project", root, "run", env=now).exit_code == 0  # unblocked: the new set


# --- principle 5: paths and names valid on Windows -------------------------------------------------


WINDOWS_FORBIDDEN = set('<>:"|?*') | {chr(c) for c in range(32)}
WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def _windows_valid(name: str) -> bool:
    return (not set(name) & WINDOWS_FORBIDDEN and not name.endswith((" ", "."))
            and name.split(".")[0].upper() not in WINDOWS_RESERVED)


def test_every_path_written_is_valid_on_windows(round_ws, tmp_path):
    root, paths = round_ws
    fill_all(root, paths, skip=("IPW",))
    inbox = _inbox(root)
    hostile = {"catatan": b"kode;realisasi\n", "AUX.xlsx": _filled(paths, tmp_path),
               "aneh.": b"%PDF-1.4", "surat.eml": mail([("CON.xlsx", b"%PDF"), ('a<b>:c".xlsx', b"x")])}
    for name, data in hostile.items():
        (inbox / name).write_bytes(data)
    run_round(root)
    written = [p for base in (root / "output", root / "arsip") for p in base.rglob("*")]
    bad = [p for p in written if not all(_windows_valid(part) for part in p.relative_to(root).parts)]
    assert bad == []


def test_every_path_the_demo_writes_is_valid_on_windows(tmp_path):
    from sopkinerja.demo import run_demo

    run_demo(tmp_path / "demo", Messages("id"))
    bad = [p for p in (tmp_path / "demo").rglob("*")
           if not all(_windows_valid(part) for part in p.relative_to(tmp_path / "demo").parts)]
    assert bad == []


# --- containers people send ------------------------------------------------------------------------


def test_outlook_msg_winmail_and_zip_are_opened(round_ws, tmp_path):
    root, paths = round_ws
    fill_all(root, paths, skip=("IPW", "LITBANG", "PSDA"))
    inbox = _inbox(root)
    (inbox / "IPW.msg").write_bytes(outlook_message([("IPW data.xlsx", _filled(paths, tmp_path))],
                                                    subject="Book for IPW",  # not an .xls for that
                                                    sender="ipw.bappedalitbang@taputkab.go.id",
                                                    delivered=datetime.fromisoformat("2026-10-08T03:00:00+00:00")))
    (inbox / "winmail.dat").write_bytes(winmail([("LITBANG.xlsx", _filled(paths, tmp_path, "LITBANG"))]))
    (inbox / "kiriman.zip").write_bytes(zipped({"folder/PSDA.xlsx": _filled(paths, tmp_path, "PSDA"),
                                                "__MACOSX/folder/._PSDA.xlsx": b"\x00\x05\x16\x07",
                                                "rahasia.xlsx": b"terkunci"}, encrypted=("rahasia.xlsx",)))
    for name in ("IPW.msg", "winmail.dat", "kiriman.zip"):
        _stamp(inbox / name, "2026-10-07T09:00:00+07:00")
    result = run_round(root)
    assert all(s == "accepted" for s in _statuses(result).values()), _statuses(result)
    ipw = next(u for u in result.units if u.unit == "IPW")
    assert ipw.file == "input/masuk/IPW.msg#1:IPW data.xlsx"
    assert ipw.received_at.isoformat() == "2026-10-08T10:00:00+07:00"  # the delivery time
    assert "sender-mismatch" not in {i.code for i in _of(result, "IPW.msg")}
    assert next(u for u in result.units if u.unit == "LITBANG").file == "input/masuk/winmail.dat#1:LITBANG.xlsx"
    assert flatten(_of(result, "rahasia.xlsx"), "code", "severity") == [("encrypted-file", "error")]
    assert {i.reason for i in result.ignored if "MACOSX" in i.file or "_PSDA" in i.file} == {"system-file"}


def test_bounds_of_containers(round_ws, tmp_path):
    import sopkinerja.ingest.containers as containers

    root, paths = round_ws
    nested = zipped({"a.zip": zipped({"b.zip": zipped({"c.zip": zipped({"IPW.xlsx": b"x"})})})})
    (_inbox(root) / "dalam.zip").write_bytes(nested)
    (_inbox(root) / "banyak.zip").write_bytes(zipped({f"f{i}.txt": b"x" for i in range(containers.MAX_MEMBERS + 1)}))
    result = run_round(root)
    shown = Messages("id")
    by_file = {i.file.rsplit("/", 1)[-1]: (i.code, i.message(shown)) for i in result.issues}
    assert by_file["banyak.zip"][0] == "unreadable-file" and "500" in by_file["banyak.zip"][1]
    deepest = [v for k, v in by_file.items() if k.endswith("c.zip")]
    assert deepest and deepest[0][0] == "unreadable-file" and "berlapis lebih dari" in deepest[0][1]


# --- identity -------------------------------------------------------------------------------------


def test_one_row_of_another_units_id_cannot_hijack_a_sheet(round_ws):
    root, paths = round_ws
    fill_all(root, paths)
    with open_ledger(root) as ledger:
        sek_id = ledger.latest_request("2026-TW3", "SEK")["request_id"]

    def hijack(workbook, rows):
        workbook["Data Kinerja"].cell(row=next(iter(rows.values())), column=col("request_id")).value = sek_id
    fill_workbook(paths["IPW"], _inbox(root) / "IPW-campur.xlsx", hijack, received="2026-10-08T10:00:00+07:00")
    result = run_round(root)
    assert all(s == "accepted" for s in _statuses(result).values())
    assert next(u for u in result.units if u.unit == "SEK").file == "input/masuk/SEK.xlsx"
    issue = next(i for i in result.issues if i.file.endswith("IPW-campur.xlsx"))
    assert (issue.code, issue.severity, issue.sheet) == ("mixed-identity", "error", "Data Kinerja")
    assert sek_id in issue.params["ids"]


def test_a_workbook_holding_two_units_sheets_is_two_submissions(round_ws):
    root, paths = round_ws
    fill_all(root, paths, skip=("IPW", "LITBANG"))
    ipw = openpyxl.load_workbook(fill_workbook(paths["IPW"], root / "tmp" / "IPW.xlsx"))
    lit = openpyxl.load_workbook(fill_workbook(paths["LITBANG"], root / "tmp" / "LIT.xlsx"))
    for name in ("Data Kinerja", "Log Proses"):
        copy = ipw.create_sheet(f"{name} (2)")
        for row in lit[name].iter_rows():
            for cell in row:
                if cell.value is not None and not isinstance(cell, openpyxl.cell.cell.MergedCell):
                    copy.cell(row=cell.row, column=cell.column).value = cell.value
    ipw.save(_inbox(root) / "gabungan.xlsx")
    _stamp(_inbox(root) / "gabungan.xlsx", "2026-10-06T10:00:00+07:00")
    result = run_round(root)
    units = {u.unit: (u.status, u.file) for u in result.units}
    assert units["IPW"] == ("accepted", "input/masuk/gabungan.xlsx#Data Kinerja")
    assert units["LITBANG"] == ("accepted", "input/masuk/gabungan.xlsx#Data Kinerja (2)")
    assert [i.code for i in result.issues if i.unit in ("IPW", "LITBANG")] == []  # each with its own Log Proses


# --- receipt times ----------------------------------------------------------------------------------


@pytest.mark.parametrize("stamp", ["1980-01-01T12:00:00+07:00", "2031-05-01T12:00:00+07:00"])
def test_an_implausible_file_time_is_replaced_by_when_it_was_first_seen(round_ws, stamp):
    root, paths = round_ws
    fill_all(root, paths)
    _stamp(_inbox(root) / "IPW.xlsx", stamp)
    result = run_round(root)
    _others_accepted(result)
    ipw = next(u for u in result.units if u.unit == "IPW")
    assert ipw.received_at == datetime.fromisoformat(RUN_AT) and ipw.on_time is False
    issue = next(i for i in _of(result, "IPW.xlsx") if i.code == "suspicious-time")
    assert issue.severity == "warning" and issue.params["stamp"] == datetime.fromisoformat(stamp)


def test_an_email_from_another_address_is_flagged(round_ws, tmp_path):
    root, paths = round_ws
    fill_all(root, paths, skip=("IPW",))
    (_inbox(root) / "balasan.eml").write_bytes(mail([("IPW.xlsx", _filled(paths, tmp_path))],
                                                    sender="Pribadi <pegawai.ipw@gmail.com>"))
    result = run_round(root)
    assert _statuses(result)["IPW"] == "accepted"
    issue = next(i for i in result.issues if i.code == "sender-mismatch")
    assert (issue.unit, issue.severity, issue.params["sender"]) == ("IPW", "warning", "pegawai.ipw@gmail.com")
    assert issue.params["expected"] == "ipw.bappedalitbang@taputkab.go.id"


def test_a_file_name_that_is_not_text_is_read_and_named(round_ws, tmp_path):
    root, paths = round_ws
    fill_all(root, paths, skip=("IPW",))
    data = _filled(paths, tmp_path)
    raw = os.path.join(os.fsencode(_inbox(root)), b"Laporan IPW \xe9.xlsx")
    with open(raw, "wb") as handle:
        handle.write(data)
    os.utime(raw, (datetime.fromisoformat("2026-10-05T10:00:00+07:00").timestamp(),) * 2)
    result = run_round(root)
    assert _statuses(result)["IPW"] == "accepted"
    issue = next(i for i in result.issues if i.code == "file-name-unreadable")
    assert issue.params["shown"] == "Laporan IPW \\xe9.xlsx" and issue.severity == "warning"


# --- wrong codes, now right -------------------------------------------------------------------------


_formula = set_cell("IPW-01", "actual", "=F10*0.9")

def _rewrite_cells(path: Path, cells: dict[str, bytes]) -> Path:
    """The workbook with the given cells of ``Data Kinerja`` replaced by raw sheet XML, as another
    program would write them (openpyxl itself caps a text at 32,767 characters)."""
    import re
    import zipfile

    with zipfile.ZipFile(path) as package:
        data = {info.filename: package.read(info.filename) for info in package.infolist()}
    sheet = "xl/worksheets/sheet1.xml"  # Data Kinerja, the first sheet
    for where, xml in cells.items():
        pattern = rb'<c r="' + where.encode() + rb'"[^>]*?(?:/>|>.*?</c>)'
        data[sheet], count = re.subn(pattern, lambda _, xml=xml: xml, data[sheet], count=1, flags=re.S)
        assert count == 1, where
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as package:
        for name, content in data.items():
            package.writestr(name, content)
    return path


def test_formula_without_result_error_value_plain_fraction_and_long_text(round_ws, messages):
    root, paths = round_ws
    fill_all(root, paths, skip=("IPW",))
    long_text = "Koordinasi lintas bidang. " * 4000  # 104,000 characters

    def spoil(workbook, rows):
        _formula(workbook, rows)
        workbook["Data Kinerja"].cell(row=rows["IPW-04"], column=col("actual")).value = 0.55  # IPW-04 is in %
    path = fill_workbook(paths["IPW"], _inbox(root) / "IPW.xlsx", spoil)
    rows = data_rows(openpyxl.load_workbook(path)["Data Kinerja"])
    actual, drivers = letter("actual"), letter("drivers")
    _rewrite_cells(path, {  # an error value as Excel saves it; a text longer than any cell Excel shows
        f"{actual}{rows['IPW-02']}": f'<c r="{actual}{rows["IPW-02"]}" t="e"><f>1/0</f><v>#DIV/0!</v></c>'.encode(),
        f"{drivers}{rows['IPW-03']}": f'<c r="{drivers}{rows["IPW-03"]}" t="inlineStr"><is><t>{long_text}</t></is></c>'
                                      .encode()})
    _stamp(path, "2026-10-05T10:00:00+07:00")
    result = run_round(root)
    _others_accepted(result)
    found = {i.code: i for i in _of(result, "IPW.xlsx")}
    assert (found["formula-no-value"].severity, found["formula-no-value"].cell) == (
        "error", f"{actual}{rows['IPW-01']}")
    assert (found["formula-error"].severity, found["formula-error"].params["value"]) == ("error", "#DIV/0!")
    assert found["formula-error"].cell == f"{actual}{rows['IPW-02']}"
    assert "missing-value" not in found  # never "belum diisi" for these
    assert (found["ambiguous-percent"].severity, found["ambiguous-percent"].cell) == (
        "warning", f"{actual}{rows['IPW-04']}")
    assert found["ambiguous-percent"].params["percent"] == 55.0
    assert (found["text-too-long"].severity, found["text-too-long"].params["limit"]) == ("warning", 1000)
    with open_ledger(root) as ledger:
        stored = ledger.db.execute("SELECT text FROM submission_values WHERE indicator_code = 'IPW-03' "
                                   "AND field = 'drivers'").fetchone()[0]
    assert stored == long_text.strip()  # whole, not cut at 32,767
    assert found["text-too-long"].message(messages).startswith("Faktor Pendorong indikator IPW-03 berisi 103999")


def test_an_ods_without_its_mimetype_is_read_by_the_second_reader(round_ws, tmp_path):
    import io
    import zipfile

    from conftest import SOFFICE_FILTERS, soffice_convert

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed; .ci/run installs it")
    assert SOFFICE_FILTERS["ods"]
    root, paths = round_ws
    fill_all(root, paths, skip=("IPW",))
    ods = soffice_convert(soffice, fill_workbook(paths["IPW"], tmp_path / "IPW.xlsx"), tmp_path / "lo", "ods")
    out = io.BytesIO()
    with zipfile.ZipFile(ods) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename != "mimetype":  # a file tool re-zipped it and dropped the first entry
                target.writestr(info.filename, source.read(info.filename))
    (_inbox(root) / "IPW.ods").write_bytes(out.getvalue())
    result = run_round(root)
    assert _statuses(result)["IPW"] == "accepted"
    with open_ledger(root) as ledger:
        sha = next(r["sha256"] for r in ledger.receipts() if r["original_path"] == "IPW.ods")
        assert ledger.parse_result(sha, PARSER_VERSION)["reader"] == "odfpy"


# --- feedback you can send back -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_feedback_of_an_xls_or_ods_return_is_the_request_rebuilt_and_comes_back_clean(round_ws, tmp_path, fmt):
    from conftest import soffice_convert

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed; .ci/run installs it")
    root, paths = round_ws
    fill_all(root, paths, skip=("IPW",))
    source = fill_workbook(paths["IPW"], tmp_path / "IPW.xlsx", set_cell("IPW-01", "actual", "tiga"))
    converted = soffice_convert(soffice, source, tmp_path / "lo", fmt)
    shutil.copy(converted, _inbox(root) / f"IPW.{fmt}")
    _stamp(_inbox(root) / f"IPW.{fmt}", "2026-10-05T10:00:00+07:00")
    result = run_round(root)
    assert _statuses(result)["IPW"] == "rejected"
    feedback = openpyxl.load_workbook(result.feedback["IPW"])
    assert feedback.sheetnames[:3] == ["Hasil Validasi", "Data Kinerja", "Log Proses"]
    assert {"Petunjuk", "_meta"} <= set(feedback.sheetnames) and feedback["_meta"].sheet_state != "visible"
    data, log = feedback["Data Kinerja"], feedback["Log Proses"]
    assert data.protection.sheet and "Sekretariat" not in str(data["A3"].value)
    assert [c.value for c in log[L.LOG_HEADER_ROW + 1]][:7] == [label for _, label, _ in L.LOG_COLUMNS]
    rows = data_rows(data)
    bad = data.cell(row=rows["IPW-01"], column=col("actual"))
    assert bad.value == "tiga" and bad.comment is not None and "IPW-01" in bad.comment.text
    assert data.cell(row=rows["IPW-02"], column=col("actual")).value is not None  # the unit's values in place
    listed = [row for row in feedback["Hasil Validasi"].iter_rows(values_only=True) if row and row[5] == "not-a-number"]
    assert listed and listed[0][2:4] == ("Data Kinerja", bad.coordinate)
    bad.value = data.cell(row=rows["IPW-01"], column=col("target")).value  # the unit fixes the marked cell
    # ... and says when it handed the data over again (else declared-time-differs: its log said 5 October).
    handed = next(r for r in range(1, log.max_row + 1) if log.cell(row=r, column=log_col("step")).value == 8)
    log.cell(row=handed, column=log_col("end")).value = datetime(2026, 10, 8, 10, 0)
    feedback.save(_inbox(root) / "IPW-perbaikan.xlsx")
    _stamp(_inbox(root) / "IPW-perbaikan.xlsx", "2026-10-08T10:00:00+07:00")
    again = run_round(root, at="2026-10-12T10:00:00+07:00")
    assert _statuses(again)["IPW"] == "accepted"
    assert [i for i in again.issues if i.unit == "IPW" and i.severity != "info"] == []  # signed, nothing wrong


def test_feedback_is_reused_while_nothing_it_shows_changes(round_ws, monkeypatch):
    import sopkinerja.feedback as feedback

    root, paths = round_ws
    fill_all(root, paths)
    fill_workbook(paths["IPW"], _inbox(root) / "IPW.xlsx", set_cell("IPW-01", "actual", "x"))
    first = run_round(root)
    before = first.feedback["IPW"].read_bytes()
    (root / "output" / "2026-TW3" / "Rekap Kinerja 2026-TW3.html").unlink()  # something else changed
    monkeypatch.setattr(feedback, "feedback_bytes", lambda *a: pytest.fail("written again"))
    second = run_round(root)
    assert second.feedback["IPW"].read_bytes() == before


def test_every_new_code_has_messages():
    from sopkinerja.i18n import catalogue

    new = ("formula-no-value", "formula-error", "ambiguous-percent", "text-too-long", "mixed-identity", "not-filled",
           "revision-rejected", "suspicious-time", "sender-mismatch", "old-file", "ignored-by-planner")
    for code in new:
        assert code in CODES
        for language in ("id", "en"):
            assert f"issue.{code}" in catalogue(language)
    assert json.dumps(sorted(new))


def test_a_file_that_cannot_be_read_now_is_an_issue_and_is_read_next_time(round_ws, monkeypatch):
    root, paths = round_ws
    fill_all(root, paths)
    original = Path.read_bytes

    def refuse(self):
        if self.name == "IPW.xlsx":
            raise PermissionError(13, "Izin ditolak", str(self))
        return original(self)

    monkeypatch.setattr(Path, "read_bytes", refuse)
    result = run_round(root)
    _others_accepted(result)
    issue = next(i for i in result.issues if i.file == "input/masuk/IPW.xlsx")
    assert (issue.code, issue.severity) == ("unreadable-file", "error")
    assert "Izin ditolak" in issue.message(Messages("id"))
    monkeypatch.setattr(Path, "read_bytes", original)
    assert _statuses(run_round(root, at="2026-10-12T10:00:00+07:00"))["IPW"] == "accepted"


def test_a_file_still_being_copied_is_read_when_it_is_complete(round_ws, monkeypatch):
    root, paths = round_ws
    fill_all(root, paths)
    original = Path.read_bytes

    def growing(self):
        data = original(self)
        if self.name == "IPW.xlsx":  # the copy goes on while we read
            with open(self, "ab") as handle:
                handle.write(b"\0" * 10)
        return data

    monkeypatch.setattr(Path, "read_bytes", growing)
    result = run_round(root)
    issue = next(i for i in result.issues if i.file == "input/masuk/IPW.xlsx")
    assert issue.code == "unreadable-file" and "masih sedang disalin" in issue.message(Messages("id"))
    assert _statuses(result)["IPW"] == "missing"


def test_a_rejected_revision_keeps_the_accepted_values_in_the_recap(round_ws):
    import csv

    root, paths = round_ws
    fill_all(root, paths)
    first = run_round(root)
    table = first.outputs.recap_csv

    def values():
        with open(table, encoding="utf-8-sig") as handle:
            return {r["kode_indikator"]: r["realisasi"] for r in csv.DictReader(handle) if r["kode_unit"] == "SEK"}

    accepted = values()
    fill_workbook(paths["SEK"], _inbox(root) / "SEK-revisi.xlsx", set_cell("SEK-01", "actual", "x"),
                  received="2026-10-08T10:00:00+07:00")
    second = run_round(root, at="2026-10-12T10:00:00+07:00")
    sek = next(u for u in second.units if u.unit == "SEK")
    assert (sek.status, sek.file) == ("accepted", "input/masuk/SEK.xlsx")
    assert values() == accepted and all(accepted.values())
    revision = next(i for i in second.issues if i.code == "revision-rejected")
    assert (revision.severity, revision.file, revision.params["errors"]) == (
        "warning", "input/masuk/SEK-revisi.xlsx", 1)
    assert "SEK" in second.feedback  # the rejected revision gets its feedback


def _sheet_xml(*cells: str) -> bytes:
    return ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            + "".join(cells) + "</sheetData></worksheet>").encode()


@pytest.mark.parametrize("xml, wanted, found", [
    # in order, a self-closing cell and one with a value
    (_sheet_xml('<row r="3"><c r="B3" s="4"/><c r="C3" s="5"><v>0.5</v></c></row>'), {"B3", "C3"},
     {"B3": (b'r="B3" s="4"', b""), "C3": (b'r="C3" s="5"', b"<v>0.5</v>")}),
    # the reference written in a text before the cell, and as another attribute's value: not the cell
    (_sheet_xml('<row r="2"><c r="A2" t="inlineStr"><is><t>lihat r="C3"</t></is></c></row>',
                '<row r="3"><c xr="C3" r="C3" s="2"><v>1</v></c></row>'), {"C3"},
     {"C3": (b'xr="C3" r="C3" s="2"', b"<v>1</v>")}),
    # the cells before the wanted one in its row are passed over
    (_sheet_xml('<row r="3"><c r="D3" s="1"><v>1</v></c><c r="C3" s="2"><v>1</v></c></row>'), {"C3"},
     {"C3": (b'r="C3" s="2"', b"<v>1</v>")}),
    # rows written out of order (a producer that appends a row at the end): found from the start again
    (_sheet_xml('<row r="9"><c r="B9" s="1"><v>1</v></c></row>', '<row r="4"><c r="B4" s="2"><v>1</v></c></row>'),
     {"B4", "B9"}, {"B4": (b'r="B4" s="2"', b"<v>1</v>"), "B9": (b'r="B9" s="1"', b"<v>1</v>")}),
    # a prefixed namespace, a wanted cell that is not there, a formula without its value
    (_sheet_xml('<x:row r="5"><x:c r="E5" s="3"><x:f>A1*2</x:f></x:c></x:row>'), {"E5", "E6"},
     {"E5": (b'r="E5" s="3"', b"<x:f>A1*2</x:f>")}),
])
def test_wanted_cells_are_found_by_their_own_reference(xml, wanted, found):
    """cellfacts looks a wanted cell up by its ``r="F12"`` (issue 20: not a regular expression over
    every cell of the sheet); only a cell's own start tag counts, wherever the cell is."""
    from sopkinerja.ingest.cellfacts import Wanted, _cells

    got = {address: (attributes, inner) for address, attributes, inner in _cells(xml, Wanted(fractions=wanted))}
    assert got == found


@pytest.mark.parametrize("percent_style", [True, False])
def test_a_fraction_is_looked_up_only_where_a_style_shows_a_percent(tmp_path, monkeypatch, percent_style):
    """A fraction (0.5) is "50%" typed only in a cell with a percent format; a workbook with no such
    style (as every request workbook) has none, and its sheet is not read for fractions alone
    (issue 20: 1,000 returns each with a hundred fractions) — a blank input still is."""
    from sopkinerja.ingest import cellfacts
    from sopkinerja.ingest.cellfacts import Wanted, cell_facts

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Data Kinerja"
    sheet["B2"], sheet["B3"], sheet["B4"] = 0.5, 0.5, "=B2*2"
    if percent_style:
        sheet["B2"].number_format = "0%"
    path = tmp_path / "a.xlsx"
    workbook.save(path)  # openpyxl saves no formula result: B4 reads as blank
    both = cell_facts(str(path), "xlsx", "Data Kinerja", Wanted(fractions={"B2", "B3"}, blanks={"B4"}))
    assert (both.percent, both.formulas) == ((["B2"] if percent_style else []), {"B4": ""})
    if not percent_style:
        monkeypatch.setattr(cellfacts, "_cells", lambda *a: pytest.fail("the sheet was read for fractions alone"))
    alone = cell_facts(str(path), "xlsx", "Data Kinerja", Wanted(fractions={"B2", "B3"}))
    assert alone.percent == (["B2"] if percent_style else [])
