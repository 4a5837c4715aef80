"""One SMTP connection for a batch of messages, over TLS that is verified: implicit TLS (``ssl``,
port 465) or STARTTLS (port 587), with ``sertifikat`` as the CA for a server with its own.

A problem with one message (recipient refused, too large) is that message's, as words for the
report; a problem with the connection (cannot reach, certificate, login) is a SopkinerjaError."""

from __future__ import annotations

import smtplib
import ssl

from sopkinerja.errors import SopkinerjaError
from sopkinerja.mail import tls_context, unreachable_detail

TIMEOUT = 60


class Outgoing:
    def __init__(self, mail, password: str):
        self.mail, self.password, self.server = mail, password, None

    def __enter__(self) -> Outgoing:
        mail = self.mail
        where = {"host": mail.smtp_host, "port": mail.smtp_port}
        context = tls_context(mail)
        try:
            if mail.security == "ssl":
                self.server = smtplib.SMTP_SSL(mail.smtp_host, mail.smtp_port, timeout=TIMEOUT, context=context)
                self.server.ehlo()
            else:
                self.server = smtplib.SMTP(mail.smtp_host, mail.smtp_port, timeout=TIMEOUT)
                self.server.ehlo()
                if not self.server.has_extn("starttls"):
                    raise smtplib.SMTPNotSupportedError("starttls")
                self.server.starttls(context=context)
                self.server.ehlo()
            if not self.server.has_extn("auth"):
                raise smtplib.SMTPNotSupportedError("auth")
            self._login(mail.user, self.password)
        except ssl.SSLCertVerificationError as exc:
            self._close(polite=False)
            raise SopkinerjaError("mail.certificate", detail=exc.verify_message or str(exc), **where) from None
        except smtplib.SMTPAuthenticationError:
            self._close(polite=False)
            from sopkinerja.mail.secret import ENV_VAR

            raise SopkinerjaError("mail.login_failed", user=mail.user, env=ENV_VAR, **where) from None
        except smtplib.SMTPNotSupportedError as exc:
            self._close(polite=False)
            raise SopkinerjaError("mail.no_tls" if str(exc) == "starttls" else "mail.no_auth", **where) from None
        except (OSError, smtplib.SMTPException) as exc:  # refused, unknown host, timeout, TLS handshake
            self._close(polite=False)
            raise SopkinerjaError("mail.unreachable", detail=unreachable_detail(exc), **where) from None
        return self

    def _login(self, user: str, password: str) -> None:
        """One login with the first of PLAIN, LOGIN the server offers (over TLS only). smtplib's
        ``login`` tries every mechanism after a refusal, and a server may hang up or stall on the
        second try: a wrong password then looked like a lost connection after a minute."""
        offered = self.server.esmtp_features.get("auth", "").upper().split()
        mechanism = next((m for m in ("PLAIN", "LOGIN") if m in offered), None)
        if mechanism is None:
            self.server.login(user, password)  # what the server offers instead (e.g. CRAM-MD5)
            return
        self.server.user, self.server.password = user, password
        try:
            self.server.auth(mechanism, getattr(self.server, f"auth_{mechanism.lower()}"))
        except smtplib.SMTPServerDisconnected:  # some servers hang up after a refused login
            raise smtplib.SMTPAuthenticationError(535, b"disconnected after the login") from None

    def deliver(self, message) -> str | None:
        """Send one message; None when the server took it, else why not (in the server's words)."""
        try:
            refused = self.server.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            return "; ".join(f"{addr}: {code} {text.decode('utf-8', 'replace')}"
                             for addr, (code, text) in exc.recipients.items())
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            return f"{exc.smtp_code} {exc.smtp_error.decode('utf-8', 'replace')}"
        if refused:
            return "; ".join(f"{addr}: {code}" for addr, (code, _) in refused.items())
        return None

    def _close(self, polite: bool = True) -> None:
        """QUIT after a batch; after a failure just close (a server that refused may never answer)."""
        if self.server is not None:
            try:
                if polite:
                    self.server.quit()
                else:
                    self.server.close()
            except (OSError, smtplib.SMTPException):
                self.server.close()
            self.server = None

    def __exit__(self, *exc) -> None:
        self._close()


def hint(detail: str) -> str | None:
    """The catalogue key of what a refusal means for the planner (a full mailbox, an unknown
    address, a message too large), from the server's code and words; None when unclear."""
    words = detail.lower()
    codes = {part[:3] for part in words.replace(";", " ").split() if part[:3].isdigit()}
    if any(w in words for w in ("full", "quota", "penuh", "over limit", "insufficient storage")) or "452" in codes:
        return "mail.why_full"
    if "size" in words or "too large" in words or "too big" in words or "523" in codes:
        return "mail.why_too_big"
    if codes & {"550", "551", "553"} or "unknown" in words or "no such" in words:
        return "mail.why_unknown"
    return None

