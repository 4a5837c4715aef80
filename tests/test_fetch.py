"""`fetch` (issue 19) against a real IMAP server on loopback: Dovecot (Debian's dovecot-imapd) with
a throwaway config under /tmp, IMAPS and STARTTLS with an openssl certificate; and the whole e-mail
loop with the real SMTP server (aiosmtpd): generate -> send -> units reply -> fetch -> run -> remind."""

from __future__ import annotations

import email
import os
import sys
from datetime import datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime as rfc_date
from pathlib import Path

import pytest

pytest.importorskip("imapclient", reason="IMAPClient is an install requirement of fetch")
from mailservers import DOVECOT, OPENSSL, SECRET, USER, Dovecot, SmtpServer, make_certificate  # noqa: E402

pytestmark = [
    pytest.mark.skipif(DOVECOT is None or OPENSSL is None or sys.platform == "win32",
                       reason="Dovecot (apt dovecot-imapd) and openssl run the IMAP server; .ci/run installs them"),
]

WIB = timezone(timedelta(hours=7))
UNITS = ("SEK", "P2EP", "PPM", "PSDA", "IPW", "LITBANG")
# One mailbox per test, so the tests share one Dovecot and never see each other's mail.
BOXES = ("uidvalidity", "besar", "sub", "lda", "salah", "starttls")
ZIMBRA = "zimbra@taputkab.go.id"


@pytest.fixture(scope="session")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session")
def dovecot(certificate):
    users = {USER: SECRET, ZIMBRA: SECRET, **{f"{box}@taputkab.go.id": SECRET for box in BOXES}}
    server = Dovecot(users, certificate, refused={ZIMBRA: "account_does_not_have_IMAP_access_enabled"})
    yield server
    server.stop()


def _configure(root: Path, certificate: Path | None, imap_port: int, user: str = USER, smtp_port: int = 1,
               security: str = "ssl", folder: str = "INBOX", limit_mb: float = 20) -> None:
    config = root / "sopkinerja.toml"
    lines = ["", "[surel]", f'pengirim = "Subbag Perencanaan <{USER}>"', f'pengguna = "{user}"',
             'smtp_host = "127.0.0.1"', f"smtp_port = {smtp_port}", 'imap_host = "127.0.0.1"',
             f"imap_port = {imap_port}", f'keamanan = "{security}"', f'folder = "{folder}"', f"batas_mb = {limit_mb}"]
    if certificate is not None:
        lines.append(f'sertifikat = "{certificate.as_posix()}"')
    text = config.read_text(encoding="utf-8").split("\n[surel]")[0]
    config.write_text(text + "\n".join(lines) + "\n", encoding="utf-8")


def _reply(sender: str, workbook: bytes, name: str, date: datetime, subject: str = "Re: Permintaan Data Kinerja",
           in_reply_to: str | None = None) -> bytes:
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = sender
    message["To"] = USER
    message["Subject"] = subject
    message["Date"] = rfc_date(date)
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    message.set_content("Terlampir data kinerja kami.\n")
    message.add_attachment(workbook, maintype="application",
                           subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename=name)
    return message.as_bytes()


def _note(subject: str, sender: str = "a@b.go.id") -> bytes:
    """A small message with a file attached (what fetch takes)."""
    return _reply(sender, f"isi {subject}".encode(), "data.xlsx", datetime(2026, 10, 6, 9, 0, tzinfo=WIB),
                  subject=subject)


def _plain(subject: str, sender: str, html: bool = False) -> bytes:
    message = EmailMessage(policy=policy.SMTP)
    message["From"], message["To"], message["Subject"] = sender, USER, subject
    message.set_content("Mohon maaf, data kami kirim besok.\n")
    if html:
        message.add_alternative("<p>Buletin bulan ini</p>", subtype="html")
    return message.as_bytes()


def _emails(root: Path) -> dict[str, str]:
    from sopkinerja.workspace import open_workspace

    return {u.code: u.email for u in open_workspace(root).master().master.units}


def _filled(source: Path, folder: Path, received: datetime, mutate=None) -> bytes:
    from conftest import fill_workbook

    return fill_workbook(source, folder / source.name, mutate, received=received.isoformat()).read_bytes()


def _env(**extra) -> dict[str, str]:
    return {"SOPKINERJA_SUREL_SANDI": SECRET, **extra}


def test_the_whole_loop_send_reply_fetch_run_remind(example_ws, run_cli, dovecot, certificate, tmp_path):
    from conftest import set_cell

    smtp = SmtpServer(certificate, "ssl")
    try:
        _configure(example_ws, certificate[1], dovecot.imaps_port, smtp_port=smtp.port)
        generated = run_cli("--project", example_ws, "generate", "--json").json()["workbooks"]
        paths = {w["unit"]: Path(w["path"]) for w in generated}
        sent = run_cli("--project", example_ws, "send", "--json", env=_env(SOPKINERJA_NOW="2026-09-28T09:00:00+07:00"))
        assert sent.exit_code == 0, sent.stdout + sent.stderr
        assert len(smtp.received) == 6
        by_unit = {}
        for message in smtp.received:
            unit = next(w["unit"] for w in generated if w["request_id"] == message["X-Sopkinerja-Request"])
            attachment = next(message.iter_attachments())
            assert attachment.get_content() == paths[unit].read_bytes()  # byte for byte what generate wrote
            by_unit[unit] = message

        # The units answer: four on time, PPM with a mistake, IPW from a personal address, LITBANG not at all.
        emails = _emails(example_ws)
        work = tmp_path / "unit"
        work.mkdir()
        arrivals = {"SEK": datetime(2026, 10, 6, 10, 15, 7, tzinfo=WIB),
                    "P2EP": datetime(2026, 10, 7, 14, 2, tzinfo=WIB),
                    "PPM": datetime(2026, 10, 8, 8, 30, tzinfo=WIB),
                    "PSDA": datetime(2026, 10, 8, 15, 45, tzinfo=WIB),
                    "IPW": datetime(2026, 10, 9, 9, 0, tzinfo=WIB)}

        broken = set_cell("PPM-06", "actual", "banyak")
        for unit, when in arrivals.items():
            data = _filled(paths[unit], work, when, broken if unit == "PPM" else None)
            sender = "ipw.pribadi@gmail.com" if unit == "IPW" else emails[unit]
            # The unit's own computer clock is a day off: the server's receipt time must count.
            reply = _reply(sender, data, paths[unit].name, when - timedelta(days=1),
                           in_reply_to=by_unit[unit]["Message-ID"])
            dovecot.append(reply, when)

        # Besides the replies: a unit writing without its file, a newsletter, and last month's mail.
        dovecot.append(_plain("Re: Permintaan Data Kinerja", emails["LITBANG"]),
                       datetime(2026, 10, 9, 11, 0, tzinfo=WIB))
        dovecot.append(_plain("Buletin Oktober", "buletin@kementerian.go.id", html=True),
                       datetime(2026, 10, 9, 12, 0, tzinfo=WIB))
        dovecot.append(_note("Laporan bulan lalu", emails["SEK"]), datetime(2026, 9, 1, 8, 0, tzinfo=WIB))
        shown = run_cli("--project", example_ws, "fetch", env=_env(SOPKINERJA_NOW="2026-10-09T10:00:00+07:00"))
        assert shown.exit_code == 0, shown.stdout + shown.stderr
        assert f"dari {emails['LITBANG']} - Re: Permintaan Data Kinerja: tanpa lampiran" in shown.stdout
        assert "buletin@" not in shown.stdout and "5 pesan baru diambil" in shown.stdout
        assert "2 tanpa lampiran dibiarkan di server" in shown.stdout and "bulan lalu" not in shown.stdout
        from sopkinerja.workspace import open_workspace

        with open_workspace(example_ws).ledger() as ledger:
            log = ledger.mail_in_log()
        assert [row[3] for row in log] == ["fetched"] * 5 + ["no-attachment"] * 2
        fetched_rows = [row for row in log if row[3] == "fetched"]
        document = {"uidvalidity": log[0][1], "messages": [
            {"uid": row[2], "file": row[6], "received_at": row[4], "status": row[3]} for row in fetched_rows]}
        uidvalidity = document["uidvalidity"]
        for item, when in zip(document["messages"], arrivals.values(), strict=True):
            path = example_ws / item["file"]
            assert item["file"] == f"input/masuk/surel/INBOX/{uidvalidity}-{item['uid']}.eml"
            assert datetime.fromisoformat(item["received_at"]) == when
            assert path.stat().st_mtime == when.timestamp()
        assert all(b"\\Seen" not in flags for flags in dovecot.flags().values())  # nothing changed on the server

        ran = run_cli("--project", example_ws, "run", "--json", env={"SOPKINERJA_NOW": "2026-10-10T09:00:00+07:00"})
        assert ran.exit_code == 3, ran.stdout + ran.stderr
        units = {u["unit"]: u for u in ran.json()["units"]}
        assert {u: units[u]["status"] for u in UNITS} == {
            "SEK": "accepted", "P2EP": "accepted", "PPM": "rejected", "PSDA": "accepted", "IPW": "accepted",
            "LITBANG": "missing"}
        assert all(units[u]["on_time"] for u in arrivals)
        codes = {(i["unit"], i["code"]) for i in ran.json()["issues"]}
        assert ("IPW", "sender-mismatch") in codes and ("SEK", "sender-mismatch") not in codes
        assert not any(code == "suspicious-time" for _, code in codes)
        state = run_cli("--project", example_ws, "status", "--json").json()
        received = {u["unit"]: u["received_at"] for u in state["units"]}
        for unit, when in arrivals.items():  # the server's receipt time, not the Date the unit's computer wrote
            assert datetime.fromisoformat(received[unit]) == when, unit

        again = run_cli("--project", example_ws, "fetch", "--json", env=_env())
        assert again.exit_code == 0 and again.json()["messages"] == []
        assert "tidak ada pesan baru" in run_cli("--project", example_ws, "fetch", env=_env()).stdout

        reminded = run_cli("--project", example_ws, "remind", "--json",
                           env=_env(SOPKINERJA_NOW="2026-10-10T09:00:00+07:00"))
        assert reminded.exit_code == 0, reminded.stdout + reminded.stderr
        assert sorted(m["unit"] for m in reminded.json()["messages"]) == ["LITBANG", "PPM"]
        last = {m["X-Sopkinerja-Request"]: m for m in smtp.received[6:]}
        request = {w["unit"]: w["request_id"] for w in generated}
        assert next(last[request["LITBANG"]].iter_attachments()).get_content() == paths["LITBANG"].read_bytes()
        feedback = next(last[request["PPM"]].iter_attachments())
        assert feedback.get_content() == (example_ws / "output" / "2026-TW3" / "umpan-balik"
                                          / feedback.get_filename()).read_bytes()
    finally:
        smtp.stop()


def test_a_changed_uidvalidity_rescans_without_writing_twice(example_ws, run_cli, dovecot, certificate):
    user = "uidvalidity@taputkab.go.id"
    _configure(example_ws, certificate[1], dovecot.imaps_port, user=user)
    for n in range(2):
        dovecot.append(_note(str(n)), datetime(2026, 10, 6, 9, n, tzinfo=WIB), user=user)
    first = run_cli("--project", example_ws, "fetch", "--json", env=_env()).json()
    assert [m["status"] for m in first["messages"]] == ["fetched", "fetched"] and not first["rescanned"]
    dovecot.new_uidvalidity(first["uidvalidity"] + 1000, user=user)
    dovecot.append(_note("baru"), datetime(2026, 10, 7, 9, 0, tzinfo=WIB), user=user)
    second = run_cli("--project", example_ws, "fetch", env=_env())
    assert second.exit_code == 0, second.stdout + second.stderr
    assert "UIDVALIDITY berubah" in second.stdout and second.stdout.count("sudah diambil, tidak ditulis lagi") == 2
    from sopkinerja.workspace import open_workspace

    with open_workspace(example_ws).ledger() as ledger:
        log = ledger.mail_in_log()
    new_validity = first["uidvalidity"] + 1000
    assert [(row[1], row[2], row[6]) for row in log[2:]] == [
        (new_validity, 1, first["messages"][0]["file"]), (new_validity, 2, first["messages"][1]["file"]),
        (new_validity, 3, f"input/masuk/surel/INBOX/{new_validity}-3.eml")]
    files = sorted(p.name for p in (example_ws / "input" / "masuk" / "surel" / "INBOX").iterdir())
    assert len(files) == 3  # the two old messages once, the new one under the new UIDVALIDITY
    assert run_cli("--project", example_ws, "fetch", "--json", env=_env()).json()["messages"] == []


def test_an_oversize_message_is_recorded_and_reported_not_downloaded(example_ws, run_cli, dovecot, certificate):
    user = "besar@taputkab.go.id"
    _configure(example_ws, certificate[1], dovecot.imaps_port, user=user, limit_mb=0.05)
    big = _reply("psda.bappedalitbang@taputkab.go.id", os.urandom(120_000), "Data PSDA.xlsx",
                 datetime(2026, 10, 8, 9, 0, tzinfo=WIB), subject="Data PSDA TW3")
    dovecot.append(big, datetime(2026, 10, 8, 9, 0, tzinfo=WIB), user=user)
    dovecot.append(_note("kecil"), datetime(2026, 10, 8, 9, 5, tzinfo=WIB), user=user)
    result = run_cli("--project", example_ws, "fetch", env=_env())
    assert result.exit_code == 3, result.stdout + result.stderr
    assert "psda.bappedalitbang@taputkab.go.id - Data PSDA TW3" in result.stdout
    assert "TIDAK diunduh" in result.stdout and "surel.batas_mb" in result.stdout
    folder = example_ws / "input" / "masuk" / "surel" / "INBOX"
    assert len(list(folder.iterdir())) == 1  # only the small one
    quiet = run_cli("--project", example_ws, "fetch", "--json", env=_env())
    assert quiet.exit_code == 0 and quiet.json()["messages"] == []  # reported once by fetch
    waiting = run_cli("--project", example_ws, "status")  # and kept in sight by status until taken
    assert ("E-mail terlalu besar, belum diambil dari server: dari psda.bappedalitbang@taputkab.go.id - "
            "Data PSDA TW3") in waiting.stdout
    assert "diterima server Kamis, 8 Oktober 2026 pukul 09.00 WIB" in waiting.stdout
    _configure(example_ws, certificate[1], dovecot.imaps_port, user=user, limit_mb=1)
    raised = run_cli("--project", example_ws, "fetch", "--json", env=_env())
    assert [m["status"] for m in raised.json()["messages"]] == ["fetched"]
    assert run_cli("--project", example_ws, "status", "--json").json()["mail_too_large"] == []
    written = example_ws / raised.json()["messages"][0]["file"]
    assert written.read_bytes() == big  # byte for byte


def test_a_subfolder_uses_the_servers_separator(example_ws, run_cli, dovecot, certificate):
    user = "sub@taputkab.go.id"
    dovecot.append(_note("x"), datetime(2026, 10, 8, 9, 0, tzinfo=WIB), folder="INBOX.Data Kinerja", user=user)
    _configure(example_ws, certificate[1], dovecot.imaps_port, user=user, folder="INBOX.Data Kinerja")
    result = run_cli("--project", example_ws, "fetch", "--json", env=_env())
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.json()["messages"][0]["file"].startswith("input/masuk/surel/INBOX/Data Kinerja/")
    _configure(example_ws, certificate[1], dovecot.imaps_port, user=user, folder="INBOX/Data Kinerja")
    wrong = run_cli("--project", example_ws, "fetch", env=_env())
    assert wrong.exit_code == 1 and "INBOX.Data Kinerja" in wrong.stderr and "surel.folder" in wrong.stderr


def test_a_message_delivered_by_the_server_keeps_the_servers_receipt_time(example_ws, run_cli, dovecot,
                                                                          certificate, tmp_path):
    user = "lda@taputkab.go.id"
    _configure(example_ws, certificate[1], dovecot.imaps_port, user=user)
    paths = {w["unit"]: Path(w["path"]) for w in run_cli("--project", example_ws, "generate", "--json").json()[
        "workbooks"]}
    before = datetime.now(WIB).replace(microsecond=0) - timedelta(seconds=1)
    data = _filled(paths["SEK"], tmp_path, before)
    dovecot.deliver(_reply("sekretariat.bappedalitbang@taputkab.go.id", data, paths["SEK"].name,
                           datetime(2026, 10, 1, 8, 0, tzinfo=WIB)), user=user)
    result = run_cli("--project", example_ws, "fetch", "--json", env=_env())
    assert result.exit_code == 0, result.stdout + result.stderr
    stamp = datetime.fromisoformat(result.json()["messages"][0]["received_at"])
    assert before <= stamp <= datetime.now(WIB) + timedelta(seconds=1)  # the server's clock at delivery
    later = (datetime.now(WIB) + timedelta(minutes=1)).isoformat()  # the run after the delivery
    assert run_cli("--project", example_ws, "run", env={"SOPKINERJA_NOW": later}).exit_code == 3  # 5 missing
    state = {u["unit"]: u for u in run_cli("--project", example_ws, "status", "--json").json()["units"]}
    assert state["SEK"]["status"] == "accepted"
    assert datetime.fromisoformat(state["SEK"]["received_at"]) == stamp  # not the Date of 1 October


def test_login_certificate_and_server_problems_are_explained(example_ws, run_cli, dovecot, certificate):
    user = "salah@taputkab.go.id"
    _configure(example_ws, certificate[1], dovecot.imaps_port, user=user)
    wrong = run_cli("--project", example_ws, "fetch", env={"SOPKINERJA_SUREL_SANDI": "bukan-sandinya"})
    assert wrong.exit_code == 1 and "menolak masuk" in wrong.stderr and "SOPKINERJA_SUREL_SANDI" in wrong.stderr
    assert "bukan-sandinya" not in wrong.stdout + wrong.stderr
    _configure(example_ws, None, dovecot.imaps_port, user=user)
    untrusted = run_cli("--project", example_ws, "fetch", env=_env())
    assert untrusted.exit_code == 1 and "tidak dapat dipercaya" in untrusted.stderr
    _configure(example_ws, certificate[1], dovecot.imaps_port, user=ZIMBRA)
    disabled = run_cli("--project", example_ws, "fetch", env=_env())
    assert disabled.exit_code == 1 and "akses IMAP akun ini tidak aktif" in disabled.stderr
    _configure(example_ws, certificate[1], dovecot.imap_port, user=user)  # implicit TLS on the plain port
    mismatch = run_cli("--project", example_ws, "fetch", env=_env())
    assert mismatch.exit_code == 1 and "tidak dapat dihubungi" in mismatch.stderr
    from mailservers import free_port

    _configure(example_ws, certificate[1], free_port(), user=user)
    gone = run_cli("--project", example_ws, "fetch", env=_env())
    assert gone.exit_code == 1 and "tidak dapat dihubungi" in gone.stderr
    assert not (example_ws / "input" / "masuk" / "surel").exists()
    assert "Traceback" not in wrong.stderr + untrusted.stderr + disabled.stderr + gone.stderr


def test_fetch_over_starttls(example_ws, run_cli, dovecot, certificate):
    user = "starttls@taputkab.go.id"
    dovecot.append(_note("x"), datetime(2026, 10, 8, 9, 0, tzinfo=WIB), user=user)
    _configure(example_ws, certificate[1], dovecot.imap_port, user=user, security="starttls")
    result = run_cli("--project", example_ws, "fetch", "--json", env=_env())
    assert result.exit_code == 0, result.stdout + result.stderr
    saved = example_ws / result.json()["messages"][0]["file"]
    parsed = email.message_from_bytes(saved.read_bytes(), policy=policy.default)
    assert parsed["Subject"] == "x"
