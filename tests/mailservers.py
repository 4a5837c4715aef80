"""Real mail servers on loopback for the e-mail tests (issue 19): an SMTP server in this process
(aiosmtpd) and an IMAP server (Dovecot, Debian's dovecot-imapd) in its own process, both over TLS
with a throwaway certificate made with openssl."""

from __future__ import annotations

import email
import os
import shutil
import socket
import subprocess
import tempfile
import time
from email import policy
from pathlib import Path

OPENSSL = shutil.which("openssl")
DOVECOT = shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin")
DOVEADM = shutil.which("doveadm") or shutil.which("doveadm", path="/usr/sbin")
DOVECOT_LDA = next((p for p in ("/usr/lib/dovecot/dovecot-lda", "/usr/libexec/dovecot/dovecot-lda")
                    if Path(p).is_file()), shutil.which("dovecot-lda"))
USER, SECRET = "data.bappedalitbang@taputkab.go.id", "rahasia-uji"


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """(key, certificate) of a self-signed pair for 127.0.0.1."""
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run([OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return key, cert


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    """A real SMTP server (aiosmtpd) in this process; what it accepted is in ``received``."""

    def __init__(self, certificate, mode: str, refuse: dict[str, str] | tuple[str, ...] = ()):
        import ssl

        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        self.received: list = []
        self.raw: list[bytes] = []
        self.logins: list[str] = []
        server = self
        key, cert = certificate
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(cert), str(key))
        answers = refuse if isinstance(refuse, dict) else dict.fromkeys(refuse, "550 5.1.1 mailbox unavailable")

        class Handler:
            async def handle_RCPT(self, smtp, session, envelope, address, options):
                if address in answers:
                    return answers[address]
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, smtp, session, envelope):
                server.raw.append(envelope.original_content)
                server.received.append(email.message_from_bytes(envelope.original_content, policy=policy.default))
                return "250 Message accepted"

        def authenticate(smtp, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and (auth_data.login.decode(), auth_data.password.decode()) == (
                USER, SECRET)
            server.logins.append(auth_data.login.decode() if isinstance(auth_data, LoginPassword) else "?")
            return AuthResult(success=ok, handled=False)  # refused: aiosmtpd answers 535 itself

        self.port = free_port()
        # Implicit TLS is TLS from the first byte (aiosmtpd only counts STARTTLS for auth_require_tls).
        options = {"authenticator": authenticate, "auth_require_tls": mode != "ssl"}
        if mode == "ssl":
            self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, ssl_context=context,
                                         **options)
        else:
            self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, tls_context=context,
                                         require_starttls=True, **options)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


# --- Dovecot -------------------------------------------------------------------------------

_CONF_23 = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = {root}/passwd
}}
service imap-login {{
  chroot =
  user = {user}
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""

# Dovecot 2.4 renamed most settings (and refuses 2.3 configs); written from its documentation.
_CONF_24 = """\
dovecot_config_version = 2.4.0
dovecot_storage_version = 2.4.0
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = yes
ssl_server_cert_file = {root}/cert.pem
ssl_server_key_file = {root}/key.pem
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {user}
auth_mechanisms = plain login
mail_driver = maildir
mail_path = ~/Maildir
namespace inbox {{
  inbox = yes
  separator = .
}}
passdb passwd-file {{
  passwd_file_path = {root}/passwd
}}
userdb passwd-file {{
  passwd_file_path = {root}/passwd
}}
service imap-login {{
  chroot =
  user = {user}
  inet_listener imap {{
    listen = 127.0.0.1
    port = {imap}
  }}
  inet_listener imaps {{
    listen = 127.0.0.1
    port = {imaps}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
"""


def dovecot_version() -> tuple[int, int]:
    out = subprocess.run([DOVECOT, "--version"], capture_output=True, text=True, check=True).stdout
    major, minor = out.split()[0].split(".")[:2]
    return int(major), int(minor)


class Dovecot:
    """Dovecot on 127.0.0.1 (IMAPS and IMAP with STARTTLS) with one mailbox per user, from a
    throwaway config in a folder under /tmp; run as ``nobody`` when the tests run as root (its
    login process refuses root)."""

    def __init__(self, users: dict[str, str], certificate: tuple[Path, Path] | None = None,
                 refused: dict[str, str] | None = None):
        self.root = Path(tempfile.mkdtemp(prefix="sopkinerja-dovecot-", dir="/tmp"))
        self.users = users
        self.imap_port, self.imaps_port = free_port(), free_port()
        self.as_root = os.geteuid() == 0
        import grp
        import pwd

        account = pwd.getpwnam("nobody") if self.as_root else pwd.getpwuid(os.geteuid())
        self.uid, self.gid = account.pw_uid, (grp.getgrnam("nogroup").gr_gid if self.as_root else os.getegid())
        self.user_name, self.group_name = account.pw_name, grp.getgrgid(self.gid).gr_name
        if certificate is None:
            self.key, self.cert = make_certificate(self.root)
        else:
            self.key, self.cert = self.root / "key.pem", self.root / "cert.pem"
            shutil.copyfile(certificate[0], self.key)
            shutil.copyfile(certificate[1], self.cert)
        for sub in ("run", "state", "mail"):
            (self.root / sub).mkdir()
        # refused: user -> the reason the server gives instead of logging in (one word: passwd-file
        # extra fields are split on spaces), as a server with IMAP switched off for the account.
        refused = refused or {}
        (self.root / "passwd").write_text("".join(
            f"{name}:{{PLAIN}}{secret}:{self.uid}:{self.gid}::{self.root}/mail/{name}"
            + (f"::nologin=y reason={refused[name]}" if name in refused else "") + "\n"
            for name, secret in users.items()), encoding="utf-8")
        template = _CONF_24 if dovecot_version() >= (2, 4) else _CONF_23
        self.conf = self.root / "dovecot.conf"
        self.conf.write_text(template.format(root=self.root, user=self.user_name, group=self.group_name,
                                             imap=self.imap_port, imaps=self.imaps_port), encoding="utf-8")
        if self.as_root:
            for path in [self.root, *self.root.rglob("*")]:
                os.chown(path, self.uid, self.gid)
        self.root.chmod(0o755)
        self.process = subprocess.Popen([*self._as_user(), DOVECOT, "-F", "-c", str(self.conf)],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self._wait()

    def _as_user(self) -> list[str]:
        return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] if self.as_root else []

    def _wait(self) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot stopped: {self.process.stdout.read().decode()} {self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.imaps_port), timeout=1), \
                        socket.create_connection(("127.0.0.1", self.imap_port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"dovecot did not start: {self.log()}")

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def client(self, user: str = USER):
        """A logged-in IMAPClient (the test's own, playing the units' mail clients)."""
        import ssl

        from imapclient import IMAPClient

        box = IMAPClient("127.0.0.1", self.imaps_port, ssl=True,
                         ssl_context=ssl.create_default_context(cafile=str(self.cert)), timeout=20)
        box.login(user, self.users[user])
        return box

    def append(self, message: bytes, when, folder: str = "INBOX", user: str = USER) -> None:
        """Put a message in the mailbox by IMAP APPEND with ``when`` as its INTERNALDATE."""
        box = self.client(user)
        try:
            if not box.folder_exists(folder):
                box.create_folder(folder)
            box.append(folder, message, msg_time=when)
        finally:
            box.logout()

    def deliver(self, message: bytes, user: str = USER) -> None:
        """Deliver a message the way a mail server does (dovecot-lda): the server stamps the
        receipt time."""
        subprocess.run([*self._as_user(), DOVECOT_LDA, "-c", str(self.conf), "-d", user], input=message,
                       check=True, capture_output=True)

    def new_uidvalidity(self, value: int, folder: str = "INBOX", user: str = USER) -> None:
        """Give the folder a new UIDVALIDITY, as a server that rebuilt its index does."""
        subprocess.run([*self._as_user(), DOVEADM, "-c", str(self.conf), "mailbox", "update", "-u", user,
                        "--uid-validity", str(value), folder], check=True, capture_output=True)

    def flags(self, folder: str = "INBOX", user: str = USER) -> dict[int, tuple]:
        box = self.client(user)
        try:
            box.select_folder(folder, readonly=True)
            return {uid: data[b"FLAGS"] for uid, data in box.fetch(box.search("ALL"), ["FLAGS"]).items()}
        finally:
            box.logout()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)
