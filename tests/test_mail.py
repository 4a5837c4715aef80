"""`send` (issue 19, part 1) against a real SMTP server on loopback: aiosmtpd with implicit TLS or
STARTTLS, AUTH, a self-signed certificate made with openssl; `--dry-run` read back."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

import pytest

aiosmtpd = pytest.importorskip("aiosmtpd", reason="aiosmtpd (pip, the dev extra) runs the SMTP server")
from mailservers import OPENSSL, SECRET, USER, make_certificate  # noqa: E402
from mailservers import SmtpServer as Server  # noqa: E402

pytestmark = pytest.mark.skipif(OPENSSL is None, reason="openssl makes the test certificate; .ci/run installs it")

UNITS = ("SEK", "P2EP", "PPM", "PSDA", "IPW", "LITBANG")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture(params=["ssl", "starttls"])
def smtp(request, certificate):
    server = Server(certificate, request.param)
    yield request.param, server
    server.stop()


def _configure(root: Path, port: int, security: str, certificate: Path | None) -> None:
    config = root / "sopkinerja.toml"
    lines = ["", "[surel]", 'pengirim = "Subbag Perencanaan <data.bappedalitbang@taputkab.go.id>"',
             f'pengguna = "{USER}"', 'smtp_host = "127.0.0.1"', f"smtp_port = {port}", f'keamanan = "{security}"']
    if certificate is not None:
        lines.append(f'sertifikat = "{certificate.as_posix()}"')
    config.write_text(config.read_text(encoding="utf-8") + "\n".join(lines) + "\n", encoding="utf-8")


def _generated(root, run_cli) -> dict[str, Path]:
    result = run_cli("--project", root, "generate", "--json")
    return {w["unit"]: Path(w["path"]) for w in result.json()["workbooks"]}, {
        w["unit"]: w["request_id"] for w in result.json()["workbooks"]}


def test_send_delivers_one_message_per_unit_with_its_workbook_once(example_ws, run_cli, smtp, certificate):
    mode, server = smtp
    paths, requests = _generated(example_ws, run_cli)
    _configure(example_ws, server.port, mode, certificate[1])
    env = {"SOPKINERJA_SUREL_SANDI": SECRET, "SOPKINERJA_NOW": "2026-09-28T09:00:00+07:00"}
    result = run_cli("--project", example_ws, "send", "--json", env=env)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert sorted(m["unit"] for m in result.json()["messages"]) == sorted(UNITS)
    assert len(server.received) == 6 and set(server.logins) == {USER}
    by_request = {m[REQUEST_HEADER]: m for m in server.received}
    for unit, request_id in requests.items():
        message = by_request[request_id]
        attachment = next(message.iter_attachments())
        assert attachment.get_filename() == paths[unit].name
        assert attachment.get_content() == paths[unit].read_bytes()  # byte for byte the generated workbook
        body = message.get_body(("plain",)).get_content()
        assert "Triwulan III 2026" in body and "Jumat, 9 Oktober 2026 pukul 16.00 WIB" in body
        assert "Lestari Hutagalung" in body and request_id in body
        assert message["Subject"].startswith("Permintaan Data Kinerja Triwulan III 2026 - ")
        assert message["Message-ID"] == f"<{request_id}.kirim@taputkab.go.id>"
    assert SECRET not in result.stdout + result.stderr
    again = run_cli("--project", example_ws, "send", "--json", env=env)
    assert len(server.received) == 6 and again.json()["messages"] == []  # never twice
    assert {s["reason"] for s in again.json()["skipped"]} == {"already_sent"}
    forced = run_cli("--project", example_ws, "send", "--unit", "SEK", "--again", "--json", env=env)
    assert forced.exit_code == 0 and len(server.received) == 7
    assert server.received[-1]["Message-ID"] == f"<{requests['SEK']}.kirim.2@taputkab.go.id>"


REQUEST_HEADER = "X-Sopkinerja-Request"


def test_send_records_sop_step_3_with_the_real_send_times(example_ws, run_cli, certificate):
    server = Server(certificate, "ssl")
    try:
        _generated(example_ws, run_cli)
        _configure(example_ws, server.port, "ssl", certificate[1])
        env = {"SOPKINERJA_SUREL_SANDI": SECRET, "SOPKINERJA_NOW": "2026-09-28T09:00:00+07:00"}
        assert run_cli("--project", example_ws, "send", env=env).exit_code == 0
    finally:
        server.stop()
    from sopkinerja.workspace import open_workspace

    workspace = open_workspace(example_ws)
    with workspace.ledger() as ledger:
        log = ledger.mail_log("2026-TW3")
        events = [e for e in ledger.step_events("2026-TW3") if e.source == "sistem" and e.note == "send"]
    assert [row[5] for row in log] == ["sent"] * 6
    assert events and events[-1].step == workspace.sop().by_role("kirim-format").number


def test_a_refused_recipient_and_a_unit_without_email_do_not_stop_the_others(example_ws, run_cli, certificate):
    master = example_ws / "input" / "master.xlsx"
    import openpyxl

    workbook = openpyxl.load_workbook(master)
    units = workbook["Unit"]
    for row in units.iter_rows(min_row=2):
        if row[0].value == "LITBANG":
            row[4].value = None
    workbook.save(master)
    server = Server(certificate, "starttls", refuse=("ipw.bappedalitbang@taputkab.go.id",))
    try:
        _generated(example_ws, run_cli)
        _configure(example_ws, server.port, "starttls", certificate[1])
        env = {"SOPKINERJA_SUREL_SANDI": SECRET}
        result = run_cli("--project", example_ws, "send", env=env)
    finally:
        server.stop()
    assert result.exit_code == 3
    assert "IPW: GAGAL dikirim" in result.stdout and "550" in result.stdout
    assert "LITBANG tidak punya alamat email" in result.stdout
    assert len(server.received) == 4  # SEK, P2EP, PPM, PSDA
    retry = run_cli("--project", example_ws, "send", "--json", env=env)
    assert retry.exit_code == 1  # the server is gone now: unreachable, said in words
    assert "tidak dapat dihubungi" in retry.stderr


def test_wrong_password_and_an_untrusted_certificate_are_explained(example_ws, run_cli, certificate):
    server = Server(certificate, "ssl")
    try:
        _generated(example_ws, run_cli)
        _configure(example_ws, server.port, "ssl", certificate[1])
        wrong = run_cli("--project", example_ws, "send", env={"SOPKINERJA_SUREL_SANDI": "salah"})
        assert wrong.exit_code == 1 and "menolak masuk" in wrong.stderr and "salah" not in wrong.stdout
        config = example_ws / "sopkinerja.toml"
        config.write_text("\n".join(line for line in config.read_text(encoding="utf-8").splitlines()
                                    if not line.startswith("sertifikat")) + "\n", encoding="utf-8")
        untrusted = run_cli("--project", example_ws, "send", env={"SOPKINERJA_SUREL_SANDI": SECRET})
        assert untrusted.exit_code == 1 and "tidak dapat dipercaya" in untrusted.stderr
        assert "surel.sertifikat" in untrusted.stderr
        assert server.received == []
    finally:
        server.stop()
    from sopkinerja.workspace import open_workspace

    with open_workspace(example_ws).ledger() as ledger:
        assert [row for row in ledger.mail_log("2026-TW3") if row[5] == "sent"] == []


def test_dry_run_writes_six_readable_messages(example_ws, run_cli):
    paths, requests = _generated(example_ws, run_cli)
    result = run_cli("--project", example_ws, "send", "--dry-run", "--json")
    assert result.exit_code == 0
    files = sorted((example_ws / "output" / "2026-TW3" / "surel-keluar").glob("*.eml"))
    assert len(files) == 6
    for path in files:
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        unit = path.name.split(" - ")[1]
        assert message[REQUEST_HEADER] == requests[unit]
        assert next(message.iter_attachments()).get_content() == paths[unit].read_bytes()
    # Nothing was sent: a real send afterwards still sends all of them.
    from sopkinerja.workspace import open_workspace

    with open_workspace(example_ws).ledger() as ledger:
        assert not any(ledger.mail_sent("send", "2026-TW3", u, requests[u]) for u in UNITS)


def test_a_non_ascii_file_name_is_encoded_and_read_back(example_ws, tmp_path):
    from datetime import datetime

    from sopkinerja.i18n import Messages
    from sopkinerja.mail import build_request_message
    from sopkinerja.models import Unit
    from sopkinerja.workspace import open_workspace

    workbook = tmp_path / "Permintaan Data Kinerja 2026-TW3 - Bidang Perekonomian – Daerah Pesisir.xlsx"
    workbook.write_bytes(b"PK\x03\x04 isi")
    config = open_workspace(example_ws).config
    unit = Unit("PSDA", "Bidang Perekonomian – Daerah Pesisir", "Ir. Lamhot", "", "psda@taputkab.go.id")
    message = build_request_message(config, unit, {"request_id": "abc123"}, workbook, datetime(2026, 9, 28),
                                    Messages("id"))
    parsed = email.message_from_bytes(message.as_bytes(), policy=policy.default)
    assert next(parsed.iter_attachments()).get_filename() == workbook.name
    assert all(ord(ch) < 128 for ch in message.as_bytes().decode("ascii"))  # 7-bit on the wire


@pytest.mark.parametrize("line", ['sandi = "rahasia"', 'password = "rahasia"'])
def test_a_password_in_the_config_is_an_error(example_ws, run_cli, line):
    config = example_ws / "sopkinerja.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\n[surel]\n" + 'pengirim = "A <a@b.go.id>"\n'
                      'pengguna = "a@b.go.id"\nsmtp_host = "mail.b.go.id"\nsmtp_port = 465\n' + line + "\n",
                      encoding="utf-8")
    result = run_cli("--project", example_ws, "status")
    assert result.exit_code == 1 and "tidak boleh ditulis di berkas ini" in result.stderr
    assert "rahasia" not in result.stderr


def test_remind_goes_only_to_missing_and_rejected_units_with_the_right_attachment(example_ws, run_cli, certificate):
    from conftest import RUN_AT, col, fill_workbook

    paths, requests = _generated(example_ws, run_cli)
    inbox = example_ws / "input" / "masuk"
    for unit in ("SEK", "P2EP", "PSDA", "IPW"):
        fill_workbook(paths[unit], inbox / f"{unit}.xlsx")

    def broken(workbook, rows):
        workbook["Data Kinerja"].cell(row=rows["PPM-06"], column=col("actual")).value = "banyak"

    fill_workbook(paths["PPM"], inbox / "PPM.xlsx", broken)
    assert run_cli("--project", example_ws, "run", env={"SOPKINERJA_NOW": RUN_AT}).exit_code == 3
    server = Server(certificate, "ssl")
    try:
        _configure(example_ws, server.port, "ssl", certificate[1])
        env = {"SOPKINERJA_SUREL_SANDI": SECRET, "SOPKINERJA_NOW": RUN_AT}
        result = run_cli("--project", example_ws, "remind", "--json", env=env)
    finally:
        server.stop()
    assert result.exit_code == 0, result.stdout + result.stderr
    assert sorted(m["unit"] for m in result.json()["messages"]) == ["LITBANG", "PPM"]
    by_request = {m[REQUEST_HEADER]: m for m in server.received}
    rejected = by_request[requests["PPM"]]
    attached = next(rejected.iter_attachments())
    feedback = example_ws / "output" / "2026-TW3" / "umpan-balik" / attached.get_filename()
    assert attached.get_filename().startswith("Umpan Balik 2026-TW3 - ")
    assert attached.get_content() == feedback.read_bytes()
    assert "1 galat" in rejected.get_body(("plain",)).get_content() and rejected["Subject"].startswith("Perbaikan")
    missing = by_request[requests["LITBANG"]]
    assert next(missing.iter_attachments()).get_content() == paths["LITBANG"].read_bytes()
    assert missing["Subject"].startswith("Pengingat") and missing["Message-ID"].endswith(".ingat@taputkab.go.id>")
    from sopkinerja.workspace import open_workspace

    with open_workspace(example_ws).ledger() as ledger:
        assert sorted((r[0], r[1], r[5]) for r in ledger.mail_log("2026-TW3")) == [
            ("remind", "LITBANG", "sent"), ("remind", "PPM", "sent")]


def test_a_full_mailbox_and_an_unknown_address_are_explained(example_ws, run_cli, certificate):
    server = Server(certificate, "ssl", refuse={"ipw.bappedalitbang@taputkab.go.id": "552 5.2.2 Mailbox full",
                                                "ppm.bappedalitbang@taputkab.go.id": "550 5.1.1 User unknown"})
    try:
        _generated(example_ws, run_cli)
        _configure(example_ws, server.port, "ssl", certificate[1])
        result = run_cli("--project", example_ws, "send", env={"SOPKINERJA_SUREL_SANDI": SECRET})
        document = run_cli("--project", example_ws, "send", "--unit", "IPW", "--json",
                           env={"SOPKINERJA_SUREL_SANDI": SECRET}).json()
    finally:
        server.stop()
    assert result.exit_code == 3 and len(server.received) == 4
    assert "Kotak surat penerima penuh. Minta IPW mengosongkan" in result.stdout
    assert "Alamat ppm.bappedalitbang@taputkab.go.id tidak dikenal server" in result.stdout
    assert document["messages"][0]["hint"].startswith("Kotak surat penerima penuh")


def test_fetch_without_a_mail_section_says_what_to_add(example_ws, run_cli):
    result = run_cli("--project", example_ws, "fetch")
    assert result.exit_code == 1 and "imap_host" in result.stderr and "Traceback" not in result.stderr
