"""``sopkinerja verify`` (issue 8): clean on an intact workspace, non-zero on a tampered one."""

from __future__ import annotations

import sqlite3

from conftest import fill_all, run_round


def _archived(root):
    return sorted(p for p in (root / "arsip" / "berkas").rglob("*") if p.is_file())


def test_a_clean_workspace_verifies(round_ws, run_cli):
    root, paths = round_ws
    fill_all(root, paths)
    run_round(root)
    result = run_cli("--project", root, "verify", "--json")
    assert result.exit_code == 0, result.stdout
    document = result.json()
    assert document["clean"] is True and document["findings"] == []
    assert document["files_checked"] == 6 and document["accepted_values_checked"] > 60
    text = run_cli("--project", root, "verify")
    assert "Semua cocok" in text.stdout
    assert text.stdout == (
        f"Diperiksa: 6 berkas arsip, {document['accepted_values_checked']} nilai yang diterima.\n"
        "Semua cocok: buku besar utuh, setiap berkas arsip sesuai sidik jarinya, setiap nilai berasal dari berkas "
        "yang diarsipkan.\n")


def test_a_changed_archive_file_is_found(round_ws, run_cli):
    root, paths = round_ws
    fill_all(root, paths)
    run_round(root)
    tampered = _archived(root)[0]
    data = bytearray(tampered.read_bytes())
    data[len(data) // 2] ^= 0xFF
    tampered.write_bytes(bytes(data))
    result = run_cli("--project", root, "verify", "--json")
    assert result.exit_code == 3
    findings = result.json()["findings"]
    assert {"file-changed", "value-untraced"} <= {f["code"] for f in findings}
    assert any(f["code"] == "file-changed" and f["subject"].endswith(tampered.name) for f in findings)
    text = run_cli("--project", root, "verify")
    assert "Isi berkas arsip berubah" in text.stdout and tampered.name in text.stdout


def test_missing_and_unrecorded_files_and_a_damaged_ledger(round_ws, run_cli):
    root, paths = round_ws
    fill_all(root, paths)
    run_round(root)
    first, second = _archived(root)[:2]
    first.unlink()
    (second.parent / ("0" * 64 + ".xlsx")).write_bytes(b"ditaruh tangan")
    codes = {f["code"] for f in run_cli("--project", root, "verify", "--json").json()["findings"]}
    assert {"file-missing", "file-unrecorded", "value-untraced"} <= codes
    db = sqlite3.connect(root / "arsip" / "buku-besar.sqlite")
    db.execute("PRAGMA foreign_keys = OFF")
    db.execute("INSERT INTO submission_values (sha256, indicator_code, field, number) VALUES ('f' , 'X', 'actual', 1)")
    db.commit()
    db.close()
    result = run_cli("--project", root, "verify", "--json")
    assert result.exit_code == 3
    assert "ledger-damaged" in {f["code"] for f in result.json()["findings"]}
