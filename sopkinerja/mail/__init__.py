"""SOP step 3 by e-mail: ``sopkinerja send`` and ``remind`` (issue 19, part 1).

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
    started: datetime | None = None
    hint: str | None = None  # catalogue key: what a refusal means (mailbox full, unknown address)


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
                              "detail": m.detail,
                              "hint": messages(m.hint, unit=m.unit, address=parseaddr(m.to)[1]) if m.hint else None,
                              "eml": workspace.relative(m.eml) if m.eml else None}
                             for m in self.messages],
                "skipped": [{"unit": unit, "reason": reason, "message": messages(f"mail.skip_{reason}", unit=unit)}
                            for unit, reason in self.skipped]}


def send(workspace, clock: Callable[[], datetime], unit_code: str | None = None, dry_run: bool = False,
         again: bool = False, password: Callable[[], str] | None = None) -> SendResult:
    """Send (or write) the round's request to every unit, or to ``unit_code``."""
    from sopkinerja.generate import REQUEST_FOLDER
    from sopkinerja.i18n import Messages
    from sopkinerja.records import StepEvent

    config, period, units = _addressed(workspace, unit_code, dry_run)
    msg = Messages(config.language)
    result = SendResult(period)
    planned = []
    with workspace.lock(), workspace.ledger() as ledger:
        earlier = _attempts(ledger, period, "send")
        for unit in units:
            request = _request_of(ledger, period, unit, result)
            if request is None:
                continue
            if not dry_run and not again and ledger.mail_sent("send", period, unit.code, request["request_id"]):
                result.skipped.append((unit.code, "already_sent"))
                continue
            path = workspace.period_output() / REQUEST_FOLDER / request["file_name"]
            if not path.is_file():
                result.skipped.append((unit.code, "no_workbook"))
                continue
            attempt = earlier.get((unit.code, request["request_id"]), 0) + 1
            message = build_request_message(config, unit, request, path, clock(), msg, attempt=attempt)
            planned.append((unit, request, message))
        _deliver(workspace, ledger, "send", planned, result, dry_run, clock, password)
        step = workspace.sop().by_role("kirim-format")
        if step is not None and not dry_run and any(m.status == "sent" for m in result.messages):
            started = min(m.started for m in result.messages if m.started)
            with ledger.transaction():
                ledger.add_step_event(StepEvent(step.number, started, clock(), "sopkinerja", period=period,
                                                source="sistem", note="send", recorded_at=clock()))
    return result


def remind(workspace, clock: Callable[[], datetime], unit_code: str | None = None, dry_run: bool = False,
           password: Callable[[], str] | None = None) -> SendResult:
    """A reminder to every unit that has not returned (its request attached again) or whose latest
    file was rejected (its feedback workbook attached, the number of problems in the body); each
    recorded, sent again on every ``remind``."""
    from sopkinerja.feedback import FEEDBACK_FOLDER, feedback_name
    from sopkinerja.generate import REQUEST_FOLDER
    from sopkinerja.i18n import Messages
    from sopkinerja.status import status

    config, period, units = _addressed(workspace, unit_code, dry_run)
    msg = Messages(config.language)
    report = {u.unit: u for u in status(workspace).units}
    result = SendResult(period)
    planned = []
    with workspace.lock(), workspace.ledger() as ledger:
        earlier = _attempts(ledger, period, "remind")
        for unit in units:
            state = report[unit.code]
            if state.status == "accepted":
                continue
            request = _request_of(ledger, period, unit, result)
            if request is None:
                continue
            if state.status == "rejected":
                path = workspace.period_output() / FEEDBACK_FOLDER / feedback_name(period, unit.name)
            else:
                path = workspace.period_output() / REQUEST_FOLDER / request["file_name"]
            if not path.is_file():
                result.skipped.append((unit.code, "no_workbook"))
                continue
            attempt = earlier.get((unit.code, request["request_id"]), 0) + 1
            message = build_reminder_message(config, unit, request, path, clock(), msg, state, attempt=attempt)
            planned.append((unit, request, message))
        _deliver(workspace, ledger, "remind", planned, result, dry_run, clock, password)
    return result


def _addressed(workspace, unit_code: str | None, dry_run: bool) -> tuple:
    """(config, period code, the master's units addressed): every unit, or the one named."""
    config = workspace.config
    if config.mail is None and not dry_run:
        raise SopkinerjaError("mail.not_configured")
    master = workspace.master().master
    units = [u for u in master.units if unit_code is None or u.code.upper() == unit_code.strip().upper()]
    if unit_code is not None and not units:
        raise SopkinerjaError("generate.unknown_unit", unit=unit_code, known=", ".join(u.code for u in master.units))
    return config, config.period.code, units


def _request_of(ledger, period: str, unit, result: SendResult):
    """The unit's latest request of the round, or None when it cannot be mailed (no request yet, no
    address in the master): then the unit is named in ``result.skipped`` with why."""
    request = ledger.latest_request(period, unit.code)
    reason = "no_request" if request is None else None if unit.email else "no_email"
    if reason is not None:
        result.skipped.append((unit.code, reason))
        return None
    return request


def tls_context(mail):
    """A TLS context that verifies the server, with ``sertifikat`` as the CA for a server with its
    own certificate (SMTP and IMAP alike); a CA file that cannot be read is said in words."""
    import ssl

    try:
        return ssl.create_default_context(cafile=str(mail.certificate) if mail.certificate else None)
    except (OSError, ssl.SSLError) as exc:
        raise SopkinerjaError("mail.certificate_file", path=str(mail.certificate), detail=str(exc)) from None


def unreachable_detail(exc: Exception, said: str = "") -> str:
    """Why a server could not be reached, for ``mail.unreachable``: "host" for a name that does not
    resolve, else the system's words, the server's own (``said``) or the error's name."""
    import socket

    if isinstance(exc, socket.gaierror):
        return "host"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return said or type(exc).__name__


def _attempts(ledger, period: str, kind: str) -> dict[tuple[str, str], int]:
    """(unit, request) -> how many messages of ``kind`` were made for it: read once, not per unit."""
    counts: dict[tuple[str, str], int] = {}
    for row in ledger.mail_log(period):
        if row[0] == kind:
            counts[(row[1], row[2])] = counts.get((row[1], row[2]), 0) + 1
    return counts


def _deliver(workspace, ledger, kind: str, planned, result: SendResult, dry_run: bool, clock, password) -> None:
    """Write the planned messages as .eml (dry run) or hand them to the server one by one, each
    recorded before and after."""
    period = workspace.config.period.code
    if dry_run:
        from sopkinerja.atomic import write_bytes

        folder = workspace.period_output() / OUTBOX_FOLDER
        prefix = "" if kind == "send" else f"{MAIL_KINDS[kind]} - "
        for unit, _request, message in planned:
            eml = folder / safe_filename(f"{prefix}{period} - {unit.code} - {unit.name}.eml")
            write_bytes(eml, message.as_bytes())
            result.messages.append(Sent(unit.code, message["To"], "dry-run", message["Message-ID"], eml=eml))
        return
    if not planned:
        return
    from sopkinerja.mail.smtp import Outgoing, hint

    secret = password() if password is not None else _password(workspace.config)
    with Outgoing(workspace.config.mail, secret) as server:
        for unit, request, message in planned:
            started = clock()
            with ledger.transaction():
                mail_id = ledger.mail_started(kind, period, unit.code, request["request_id"], message["Message-ID"],
                                              unit.email, started.isoformat())
            problem = server.deliver(message)
            status = "failed" if problem else "sent"
            with ledger.transaction():
                ledger.mail_finished(mail_id, status, clock().isoformat(), problem)
            result.messages.append(Sent(unit.code, message["To"], status, message["Message-ID"], problem or "",
                                        started=started, hint=hint(problem) if problem else None))


MAIL_KINDS = {"send": "Permintaan", "remind": "Pengingat"}  # the .eml names of a dry run


def _password(config) -> str:
    from sopkinerja.mail.secret import password

    return password(config.mail)


def build_request_message(config, unit, request, workbook: Path, now: datetime, msg, attempt: int = 1) -> EmailMessage:
    """The message that carries one unit's request workbook; its Message-ID follows from the request
    (and the attempt, for ``--again``), so the same send gives the same message."""
    from sopkinerja.i18n import format_datetime

    contact = config.contact
    body = msg("mail.body", head=unit.head or unit.name, unit=unit.name, agency=config.agency.name,
               region=config.agency.region, period=config.period.label(config.language),
               deadline=format_datetime(config.deadline, config.language), file=workbook.name,
               contact=contact.name or config.agency.short_name, position=contact.position,
               email=contact.email or config.agency.email, phone=contact.phone or "-",
               request_id=request["request_id"])
    subject = msg("mail.subject", period=config.period.label(config.language), unit=unit.name,
                  agency=config.agency.short_name)
    return _message(config, unit, request, workbook, now, subject, body, "kirim", attempt)


def build_reminder_message(config, unit, request, workbook: Path, now: datetime, msg, state,
                           attempt: int = 1) -> EmailMessage:
    """A reminder: the request again to a unit that has not returned; its feedback workbook and the
    number of problems to a unit whose file was rejected."""
    from sopkinerja.i18n import format_datetime

    contact = config.contact
    params = {"head": unit.head or unit.name, "unit": unit.name, "period": config.period.label(config.language),
              "deadline": format_datetime(config.deadline, config.language), "file": workbook.name,
              "errors": state.errors, "received": format_datetime(state.received_at, config.language)
              if state.received_at else "-", "contact": contact.name or config.agency.short_name,
              "email": contact.email or config.agency.email, "phone": contact.phone or "-",
              "request_id": request["request_id"]}
    key = "rejected" if state.status == "rejected" else "missing"
    subject = msg(f"mail.remind_subject_{key}", period=params["period"], unit=unit.name,
                  agency=config.agency.short_name)
    return _message(config, unit, request, workbook, now, subject, msg(f"mail.remind_body_{key}", **params),
                    "ingat", attempt)


def _message(config, unit, request, workbook: Path, now: datetime, subject: str, body: str, kind: str,
             attempt: int) -> EmailMessage:
    sender = config.mail.sender if config.mail else formataddr((config.agency.short_name, config.agency.email))
    domain = parseaddr(sender)[1].rpartition("@")[2] or "sopkinerja.invalid"
    # CRLF line ends as SMTP wants; headers folded only past 998 characters (the default of 78
    # folded a long subject right after "Subject:", which some clients show with a leading space).
    message = EmailMessage(policy=policy.SMTP.clone(max_line_length=998))
    message["From"] = sender
    message["To"] = formataddr((unit.head or unit.name, unit.email))
    message["Subject"] = subject
    message["Date"] = formatdate(now.timestamp(), localtime=False)
    suffix = "" if attempt == 1 else f".{attempt}"
    message["Message-ID"] = f"<{request['request_id']}.{kind}{suffix}@{domain}>"
    message[REQUEST_HEADER] = request["request_id"]
    message.set_content(body, cte="7bit" if body.isascii() else "quoted-printable")  # 7-bit on the wire
    message.add_attachment(workbook.read_bytes(), maintype="application",
                           subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename=workbook.name)
    return message
