"""SOP step 3 by e-mail: ``sopkinerja send`` (issue 19, part 1).

One message per unit to its master ``email``, in the workspace's language,
naming the period, the deadline, the contact and what to do, with the unit's
latest request workbook attached. Each message is recorded in the ledger
before it goes out and after (sent or failed), so a rerun never sends twice
(unless ``again``); a failure on one unit (a refused recipient, a message
too large) is reported and the others go on; a failure of the connection
itself (wrong password, a certificate that does not verify, a server that
cannot be reached) stops with one paragraph saying what to do. ``dry_run``
writes the messages as ``.eml`` files under ``output/<period>/surel-keluar/``
instead (no password needed, nothing counted as sent).

The stdlib is enough for sending (``email``, ``smtplib``, ``ssl``); the
password comes from ``mail.secret``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr
from pathlib import Path

from sopkinerja.errors import SopkinerjaError
from sopkinerja.files import safe_filename

OUTBOX_FOLDER = "surel-keluar"
REQUEST_HEADER = "X-Sopkinerja-Request"


@dataclass
class Sent:
    unit: str
    to: str
    status: str  # sent, failed, dry-run
    message_id: str
    detail: str = ""
    eml: Path | None = None


@dataclass
class SendResult:
    period: str
    messages: list[Sent] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (unit, reason key)

    @property
    def complete(self) -> bool:
        return not self.skipped and all(m.status in ("sent", "dry-run") for m in self.messages)

    def document(self, workspace, messages) -> dict:
        return {"period": self.period,
                "messages": [{"unit": m.unit, "to": m.to, "status": m.status, "message_id": m.message_id,
                              "detail": m.detail, "eml": workspace.relative(m.eml) if m.eml else None}
                             for m in self.messages],
                "skipped": [{"unit": unit, "reason": reason, "message": messages(f"mail.skip_{reason}", unit=unit)}
                            for unit, reason in self.skipped]}


def send(workspace, clock: Callable[[], datetime], unit_code: str | None = None, dry_run: bool = False,
         again: bool = False, password: Callable[[], str] | None = None) -> SendResult:
    """Send (or write) the round's request to every unit, or to ``unit_code``."""
    from sopkinerja.generate import REQUEST_FOLDER
    from sopkinerja.i18n import Messages
    from sopkinerja.records import StepEvent

    config = workspace.config
    if config.mail is None and not dry_run:
        raise SopkinerjaError("mail.not_configured")
    period = config.period.code
    msg = Messages(config.language)
    master = workspace.master().master
    units = [u for u in master.units if unit_code is None or u.code.upper() == unit_code.strip().upper()]
    if unit_code is not None and not units:
        raise SopkinerjaError("generate.unknown_unit", unit=unit_code, known=", ".join(u.code for u in master.units))
    result = SendResult(period)
    planned = []
    with workspace.lock(), workspace.ledger() as ledger:
        for unit in units:
            request = ledger.latest_request(period, unit.code)
            if request is None:
                result.skipped.append((unit.code, "no_request"))
                continue
            if not unit.email:
                result.skipped.append((unit.code, "no_email"))
                continue
            if not dry_run and not again and ledger.mail_sent("send", period, unit.code, request["request_id"]):
                result.skipped.append((unit.code, "already_sent"))
                continue
            path = workspace.period_output() / REQUEST_FOLDER / request["file_name"]
            if not path.is_file():
                result.skipped.append((unit.code, "no_workbook"))
                continue
            count = sum(1 for row in ledger.mail_log(period) if row[0] == "send" and row[2] == request["request_id"])
            message = build_request_message(config, unit, request, path, clock(), msg, attempt=count + 1)
            planned.append((unit, request, message))
        if dry_run:
            folder = workspace.period_output() / OUTBOX_FOLDER
            for unit, _request, message in planned:
                from sopkinerja.atomic import write_bytes

                eml = folder / safe_filename(f"{period} - {unit.code} - {unit.name}.eml")
                write_bytes(eml, message.as_bytes())
                result.messages.append(Sent(unit.code, message["To"], "dry-run", message["Message-ID"], eml=eml))
            return result
        if not planned:
            return result
        from sopkinerja.mail.smtp import Outgoing

        secret = password() if password is not None else _password(config)
        started = clock()
        with Outgoing(config.mail, secret) as server:
            for unit, request, message in planned:
                with ledger.transaction():
                    mail_id = ledger.mail_started("send", period, unit.code, request["request_id"],
                                                  message["Message-ID"], unit.email, clock().isoformat())
                problem = server.deliver(message)
                status = "failed" if problem else "sent"
                with ledger.transaction():
                    ledger.mail_finished(mail_id, status, clock().isoformat(), problem)
                result.messages.append(Sent(unit.code, message["To"], status, message["Message-ID"], problem or ""))
        step = workspace.sop().by_role("kirim-format")
        if step is not None and any(m.status == "sent" for m in result.messages):
            with ledger.transaction():
                ledger.add_step_event(StepEvent(step.number, started, clock(), "sopkinerja", period=period,
                                                source="sistem", note="send", recorded_at=clock()))
    return result


def _password(config) -> str:
    from sopkinerja.mail.secret import password

    return password(config.mail)


def build_request_message(config, unit, request, workbook: Path, now: datetime, msg, attempt: int = 1) -> EmailMessage:
    """The message that carries one unit's request workbook; its Message-ID follows from the request
    (and the attempt, for ``--again``), so the same send gives the same message."""
    from sopkinerja.i18n import format_datetime

    sender = config.mail.sender if config.mail else formataddr((config.agency.short_name, config.agency.email))
    domain = parseaddr(sender)[1].rpartition("@")[2] or "sopkinerja.invalid"
    contact = config.contact
    # CRLF line ends as SMTP wants; headers folded only past 998 characters (the default of 78
    # folded a long subject right after "Subject:", which some clients show with a leading space).
    message = EmailMessage(policy=policy.SMTP.clone(max_line_length=998))
    message["From"] = sender
    message["To"] = formataddr((unit.head or unit.name, unit.email))
    message["Subject"] = msg("mail.subject", period=config.period.label(config.language), unit=unit.name,
                             agency=config.agency.short_name)
    message["Date"] = formatdate(now.timestamp(), localtime=False)
    suffix = "" if attempt == 1 else f".{attempt}"
    message["Message-ID"] = f"<{request['request_id']}.kirim{suffix}@{domain}>"
    message[REQUEST_HEADER] = request["request_id"]
    body = msg("mail.body", head=unit.head or unit.name, unit=unit.name, agency=config.agency.name,
               region=config.agency.region, period=config.period.label(config.language),
               deadline=format_datetime(config.deadline, config.language), file=workbook.name,
               contact=contact.name or config.agency.short_name, position=contact.position,
               email=contact.email or config.agency.email, phone=contact.phone or "-",
               request_id=request["request_id"])
    message.set_content(body, cte="7bit" if body.isascii() else "quoted-printable")  # 7-bit on the wire
    message.add_attachment(workbook.read_bytes(), maintype="application",
                           subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename=workbook.name)
    return message
