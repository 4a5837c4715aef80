"""One IMAP connection for ``fetch``, over TLS that is verified: implicit TLS (``ssl``, port 993)
or STARTTLS (port 143), with ``sertifikat`` as the CA for a server with its own.

Read-only by construction: the folder is opened with EXAMINE and bodies are read with
BODY.PEEK[], so nothing on the server changes (no \\Seen flag, nothing deleted, moved or
flagged). IMAPClient (BSD, no dependencies) parses the FETCH responses, INTERNALDATE with its
zone, ENVELOPE, and modified UTF-7 folder names; a problem with the connection (cannot reach,
certificate, login, IMAP switched off for the account, no such folder) is a SopkinerjaError.
"""

from __future__ import annotations

import re
import ssl
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sopkinerja.errors import SopkinerjaError
from sopkinerja.mail import tls_context, unreachable_detail

TIMEOUT = 60
BATCH = 200  # messages whose size, date and envelope one FETCH asks for


@dataclass(frozen=True)
class Listed:
    """What FETCH says about one message before its body is read."""

    uid: int
    size: int
    received_at: datetime | None  # the server's INTERNALDATE, with its zone
    sender: str | None
    subject: str | None
    attached: bool = True  # False: a message that cannot carry a file (text, or text and HTML only)


class Incoming:
    def __init__(self, mail, password: str):
        self.mail, self.password, self.client = mail, password, None

    @property
    def host(self) -> str:
        return self.mail.imap_host or self.mail.smtp_host

    def __enter__(self) -> Incoming:
        from imapclient import IMAPClient
        from imapclient.exceptions import IMAPClientError, LoginError

        mail = self.mail
        where = {"host": self.host, "port": mail.imap_port}
        context = tls_context(mail)
        try:
            self.client = IMAPClient(self.host, mail.imap_port, ssl=mail.security == "ssl", ssl_context=context,
                                     timeout=TIMEOUT)
            self.client.normalise_times = False  # INTERNALDATE with the server's zone, not local naive
            if mail.security != "ssl":
                if not self.client.has_capability("STARTTLS"):
                    raise _NoStartTLS
                self.client.starttls(context)
            self.client.login(mail.user, self.password)
        except ssl.SSLCertVerificationError as exc:
            self._close(polite=False)
            raise SopkinerjaError("mail.certificate", detail=exc.verify_message or str(exc), **where) from None
        except _NoStartTLS:
            self._close(polite=False)
            raise SopkinerjaError("mail.imap_no_tls", **where) from None
        except LoginError as exc:
            self._close(polite=False)
            said = str(exc)
            if _imap_disabled(said):
                raise SopkinerjaError("mail.imap_disabled", user=mail.user, said=_words(said), **where) from None
            from sopkinerja.mail.secret import ENV_VAR

            raise SopkinerjaError("mail.login_failed", user=mail.user, env=ENV_VAR, **where) from None
        except (OSError, IMAPClientError) as exc:  # refused, unknown host, timeout, TLS handshake, BYE
            self._close(polite=False)
            raise SopkinerjaError("mail.unreachable", detail=unreachable_detail(exc, _words(str(exc))),
                                  **where) from None
        return self

    def separator(self, folder: str) -> str:
        """The server's hierarchy separator for ``folder`` ("." on Dovecot's maildir, "/" on
        Gmail and Zimbra), from LIST; a folder the server does not have is an error naming the
        folders it does have."""
        listed = self.client.list_folders()
        for _flags, delimiter, name in listed:
            if name == folder or (folder.upper() == "INBOX" and name.upper() == "INBOX"):
                return (delimiter or b"/").decode("ascii", "replace")
        names = sorted(name for _flags, _delimiter, name in listed)
        raise SopkinerjaError("mail.no_folder", folder=folder, host=self.host, known=", ".join(names[:20]) or "-")

    def examine(self, folder: str) -> int:
        """Open ``folder`` read-only (EXAMINE); its UIDVALIDITY."""
        answer = self.client.select_folder(folder, readonly=True)
        return int(answer[b"UIDVALIDITY"])

    def uids_after(self, last: int, since: date) -> list[int]:
        """UIDs above ``last`` received on or after ``since``, ascending (``UID n:*`` always answers
        the newest message even when its UID is lower, so the answer is filtered here)."""
        criteria = ["SINCE", since]
        found = self.client.search(["UID", f"{last + 1}:*", *criteria] if last else criteria)
        return sorted(uid for uid in found if uid > last)

    def listed(self, uids: list[int]) -> list[Listed]:
        """Size, receipt time and envelope of ``uids``, in batches."""
        out = []
        for start in range(0, len(uids), BATCH):
            answer = self.client.fetch(uids[start:start + BATCH], ["RFC822.SIZE", "INTERNALDATE", "ENVELOPE",
                                                                   f"BODY.PEEK[{_TYPE_HEADER}]"])
            for uid in sorted(answer):
                data = answer[uid]
                head = next((v for k, v in data.items() if k.startswith(b"BODY[HEADER")), b"") or b""
                when = data.get(b"INTERNALDATE")
                if when is not None and when.tzinfo is None:
                    when = when.replace(tzinfo=UTC)
                envelope = data.get(b"ENVELOPE")
                out.append(Listed(uid, int(data.get(b"RFC822.SIZE") or 0), when, *_from_envelope(envelope),
                                  attached=_may_carry_files(head)))
        return out

    def body(self, uid: int) -> bytes | None:
        """The message's bytes exactly as the server holds them (BODY.PEEK[]: not marked read);
        None when it is gone (expunged by someone else in between)."""
        answer = self.client.fetch([uid], ["BODY.PEEK[]"])
        data = answer.get(uid)
        return None if data is None else data.get(b"BODY[]")

    def _close(self, polite: bool = True) -> None:
        if self.client is not None:
            try:
                if polite:
                    self.client.logout()
                else:
                    self.client.shutdown()
            except Exception:  # noqa: BLE001 - closing a connection that already failed
                pass
            self.client = None

    def __exit__(self, *exc) -> None:
        self._close()


_TYPE_HEADER = "HEADER.FIELDS (CONTENT-TYPE)"
_NO_FILES = ("text/", "multipart/alternative")  # a message of these types holds no attachment


def _may_carry_files(head: bytes) -> bool:
    """Whether a message whose top-level header is ``head`` can hold an attachment: everything
    but plain text and text-with-HTML (a message without Content-Type is plain text)."""
    from email.parser import BytesHeaderParser

    if not head.strip():
        return False
    kind = BytesHeaderParser().parsebytes(head).get_content_type()
    return not kind.startswith(_NO_FILES)


class _NoStartTLS(Exception):
    pass


def _imap_disabled(said: str) -> bool:
    """Zimbra's answer when IMAP is switched off for the account: "NO account does not have IMAP
    access enabled"; Gmail's "[ALERT] ... IMAP access is disabled"."""
    words = " ".join(re.findall(r"[a-z]+", said.lower()))  # "IMAP-access", "IMAP_access": the same words
    return "imap" in words and ("not have imap" in words or "disabled" in words or "not enabled" in words)


def _words(said: str) -> str:
    """The server's own words, without imaplib's b'...' wrapping."""
    text = said.strip()
    if text.startswith(("b'", 'b"')) and text.endswith(text[1]):
        text = text[2:-1]
    return text


def _from_envelope(envelope) -> tuple[str | None, str | None]:
    """(From address, subject) of an ENVELOPE, decoded; (None, None) when the server sent none."""
    if envelope is None:
        return None, None
    sender = None
    if envelope.from_:
        first = envelope.from_[0]
        if first.mailbox and first.host:
            sender = f"{first.mailbox.decode('utf-8', 'replace')}@{first.host.decode('utf-8', 'replace')}".lower()
    subject = None
    if envelope.subject:
        from email.header import decode_header, make_header

        raw = envelope.subject.decode("utf-8", "replace")
        try:
            subject = str(make_header(decode_header(raw)))
        except (ValueError, LookupError):
            subject = raw
    return sender, subject
