"""Loading and validating the workspace configuration ``sopkinerja.toml`` (product.md §3.2)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from itertools import pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sopkinerja.errors import ConfigError, Problem
from sopkinerja.models import Period

CONFIG_NAME = "sopkinerja.toml"
DAYS = ("senin", "selasa", "rabu", "kamis", "jumat", "sabtu", "minggu")
# Perpres 21/2023: 37.5 hours a week, Mon-Thu 07:30-12:00 and 13:00-16:00,
# Fri 07:30-11:30 and 13:00-16:30 (product.md §2).
DEFAULT_HOURS = {
    **{day: ("07:30-12:00", "13:00-16:00") for day in DAYS[:4]},
    "jumat": ("07:30-11:30", "13:00-16:30"),
}


@dataclass(frozen=True)
class Agency:
    name: str
    short_name: str
    region: str
    address: str = ""
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Contact:
    """Who units contact about the request (printed in the title block)."""

    name: str = ""
    position: str = ""
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Signatures:
    """The signature blocks of the official forms (``[penandatangan]``): who drafted the form
    (``penyusun``) and the head who evaluates it (``kepala``). ``given`` is False when the
    workspace has no such section: the forms then print the block with blank names."""

    place: str = ""  # tempat
    drafter_name: str = ""
    drafter_nip: str = ""
    drafter_position: str = ""
    head_name: str = ""
    head_nip: str = ""
    head_position: str = ""
    given: bool = False


@dataclass(frozen=True)
class MailConfig:
    """``[surel]``: where mail goes out (SMTP) and comes in (IMAP). The password is never here."""

    sender: str  # pengirim: "Name <address>"
    user: str  # pengguna
    smtp_host: str
    smtp_port: int
    imap_host: str = ""
    imap_port: int = 993
    security: str = "ssl"  # keamanan: "ssl" (implicit TLS) or "starttls"
    folder: str = "INBOX"
    certificate: Path | None = None  # sertifikat: a CA file for a server with its own certificate
    limit_mb: float = 20.0  # batas_mb


@dataclass(frozen=True)
class Paths:
    master: Path
    inbox: Path  # masuk
    outbox: Path  # keluar
    archive: Path  # arsip: ledger and content-addressed archive
    templates: Path  # user overrides of templates/


@dataclass(frozen=True)
class CalendarConfig:
    """The working calendar; hours are per weekday (0 = Monday) as (start, end) pairs."""

    timezone: str = "Asia/Jakarta"
    hours: dict[int, tuple[tuple[time, time], ...]] = field(default_factory=dict)
    national_holidays: bool = True
    collective_leave: tuple[date, ...] = ()  # cuti bersama
    extra_holidays: tuple[date, ...] = ()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class Config:
    root: Path
    language: str
    agency: Agency
    period: Period
    deadline: datetime
    paths: Paths
    contact: Contact = Contact()
    calendar: CalendarConfig = CalendarConfig()
    capaian_cap: float | None = None  # applied to averages only (product.md §2)
    extreme_above: float = 200.0
    extreme_below: float = 0.0
    number_locale: str = "id"
    sop_file: Path | None = None
    max_file_mb: float = 50.0
    signatures: Signatures = Signatures()
    mail: MailConfig | None = None  # None without a [surel] section


class _Bad(Exception):
    """A value that does not fit; carries the message key and parameters."""

    def __init__(self, key: str, **params: Any):
        super().__init__(key)
        self.key, self.params = key, params


def _text(required: bool = True) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str) or (required and not value.strip()):
            raise _Bad("config.expect_text")
        return value.strip()

    return check


def _nip(value: Any) -> str:
    """A NIP is 18 digits (spaces between its groups allowed); empty when not known yet."""
    if not isinstance(value, str):
        raise _Bad("config.expect_nip")
    digits = "".join(value.split())
    if digits and (not digits.isdigit() or len(digits) != 18):
        raise _Bad("config.expect_nip")
    return digits


def _port(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
        raise _Bad("config.expect_port")
    return value


def _period(value: Any) -> Period:
    try:
        return Period.parse(str(value))
    except ValueError:
        raise _Bad("config.expect_period") from None


def _datetime(value: Any) -> datetime | date:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise _Bad("config.expect_datetime") from None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return value
    raise _Bad("config.expect_datetime")


def _number(low: float | None = None) -> Callable[[Any], float]:
    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _Bad("config.expect_number")
        if low is not None and value <= low:
            raise _Bad("config.expect_above", low=low)
        return float(value)

    return check


def _choice(*options: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str) or value.strip().lower() not in options:
            raise _Bad("config.expect_choice", options=", ".join(options))
        return value.strip().lower()

    return check


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Bad("config.expect_bool")
    return value


def _timezone(value: Any) -> str:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise _Bad("config.expect_timezone") from None
    return str(value)


def _dates(value: Any) -> tuple[date, ...]:
    if not isinstance(value, list):
        raise _Bad("config.expect_dates")
    out = []
    for item in value:
        if isinstance(item, str):
            try:
                item = date.fromisoformat(item.strip())
            except ValueError:
                raise _Bad("config.expect_dates") from None
        if isinstance(item, datetime) or not isinstance(item, date):
            raise _Bad("config.expect_dates")
        out.append(item)
    return tuple(sorted(set(out)))


_SPAN = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*-\s*(\d{1,2})[:.](\d{2})\s*$")


def _spans(value: Any) -> tuple[tuple[time, time], ...]:
    if not isinstance(value, list):
        raise _Bad("config.expect_spans")
    spans = []
    for item in value:
        match = _SPAN.match(item) if isinstance(item, str) else None
        if not match:
            raise _Bad("config.expect_spans")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59 or (h1, m1) >= (h2, m2):
            raise _Bad("config.expect_spans")
        spans.append((time(h1, m1), time(h2, m2)))
    spans.sort()
    if any(a[1] > b[0] for a, b in pairwise(spans)):
        raise _Bad("config.expect_spans")
    return tuple(spans)


# The schema: section -> key -> (validator, required). "" is the top level.
SCHEMA: dict[str, dict[str, tuple[Callable[[Any], Any], bool]]] = {
    "": {"bahasa": (_choice("id", "en"), False)},
    "instansi": {
        "nama": (_text(), True),
        "singkatan": (_text(), True),
        "daerah": (_text(), True),
        "alamat": (_text(False), False),
        "email": (_text(False), False),
        "telepon": (_text(False), False),
    },
    "periode": {"kode": (_period, True), "batas_waktu": (_datetime, True)},
    "berkas": {
        "master": (_text(), True),
        "masuk": (_text(), True),
        "keluar": (_text(), True),
        "arsip": (_text(), False),
        "templat": (_text(), False),
    },
    "kontak": {
        "nama": (_text(False), False),
        "jabatan": (_text(False), False),
        "email": (_text(False), False),
        "telepon": (_text(False), False),
    },
    "kalender": {
        "zona_waktu": (_timezone, False),
        "libur_nasional": (_boolean, False),
        "cuti_bersama": (_dates, False),
        "libur_tambahan": (_dates, False),
        **{f"jam_kerja.{day}": (_spans, False) for day in DAYS},
    },
    "capaian": {
        "batas_rata_rata": (_number(0), False),
        "ekstrem_atas": (_number(0), False),
        "ekstrem_bawah": (_number(), False),
    },
    "angka": {"format": (_choice("id", "en"), False)},
    "sop": {"berkas": (_text(), False)},
    "batas": {"ukuran_berkas_mb": (_number(0), False)},
    "penandatangan": {
        "tempat": (_text(False), False),
        "penyusun_nama": (_text(False), False),
        "penyusun_nip": (_nip, False),
        "penyusun_jabatan": (_text(False), False),
        "kepala_nama": (_text(False), False),
        "kepala_nip": (_nip, False),
        "kepala_jabatan": (_text(False), False),
    },
    "surel": {
        "pengirim": (_text(), False),
        "pengguna": (_text(), False),
        "smtp_host": (_text(), False),
        "smtp_port": (_port, False),
        "imap_host": (_text(False), False),
        "imap_port": (_port, False),
        "keamanan": (_choice("ssl", "starttls"), False),
        "folder": (_text(), False),
        "sertifikat": (_text(False), False),
        "batas_mb": (_number(0), False),
    },
}
MAIL_REQUIRED = ("pengirim", "pengguna", "smtp_host", "smtp_port")
PASSWORD_KEYS = ("sandi", "password", "kata_sandi")  # never in the file (product.md §3.2)
SIGNATURE_KEYS = ("tempat", "penyusun_nama", "penyusun_nip", "penyusun_jabatan", "kepala_nama", "kepala_nip",
                  "kepala_jabatan")


def load_config(root: Path) -> Config:
    """Read ``root/sopkinerja.toml``; raise ConfigError naming every bad key at once."""
    path = Path(root) / CONFIG_NAME
    if not path.is_file():
        raise ConfigError("config.missing", path=str(path), root=str(root))
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("config.syntax", path=str(path), **syntax_problem(str(exc), path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError("config.unreadable", path=str(path), detail=str(exc)) from None
    values, problems = _validate(raw)
    if not problems and values["periode.batas_waktu"] is not None:
        problems += _check_deadline(values)
    if problems:
        raise ConfigError("config.invalid", problems=tuple(problems), path=str(path))
    return _build(Path(root), values)


# tomllib's English descriptions -> our message key (config.toml_*): what went wrong and what to do.
_TOML_PROBLEMS = (
    ("Invalid value", "toml_value"),
    ("Cannot overwrite a value", "toml_twice"),
    ("Cannot declare", "toml_section_twice"),
    ("Expected '=' after a key", "toml_equals"),
    ("Expected newline or end of document after a statement", "toml_trailing"),
    ("Unclosed array", "toml_unclosed"),
    ("Unclosed inline table", "toml_unclosed"),
    ("Illegal character", "toml_quote"),
    ("Unterminated string", "toml_quote"),
    ("Expected ']' at the end of a table declaration", "toml_bracket"),
    ("Invalid statement", "toml_statement"),
)
_WHERE = re.compile(r"\(at line (\d+), column (\d+)\)\s*$")


def syntax_problem(detail: str, path: Path) -> dict[str, Any]:
    """A TOML syntax error as message parameters: line, column, the line itself and what to do
    (``what_key``), never tomllib's English."""
    what = next((key for start, key in _TOML_PROBLEMS if detail.startswith(start)), "toml_other")
    found = _WHERE.search(detail)
    line, column = (int(found.group(1)), int(found.group(2))) if found else (None, None)
    text = ""
    if line is not None:
        try:
            lines = path.read_text(encoding="utf-8-sig").splitlines()
            text = lines[line - 1].strip() if 0 < line <= len(lines) else ""
        except (OSError, UnicodeDecodeError):
            text = ""
    where_key = "config.toml_where" if line is not None else "config.toml_at_end"
    return {"line": line, "column": column, "text": text[:120], "what_key": f"config.{what}",
            "where_key": where_key}


def _validate(raw: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    flat = _flatten_sections(raw, problems)
    for section, keys in SCHEMA.items():
        for key, (check, required) in keys.items():
            dotted = f"{section}.{key}" if section else key
            if dotted not in flat:
                values[dotted] = None
                if required:
                    problems.append(Problem("config.key_missing", {"key": dotted}))
                continue
            try:
                values[dotted] = check(flat.pop(dotted))
            except _Bad as bad:
                expected = Problem(bad.key, bad.params)
                problems.append(Problem("config.bad_value", {"key": dotted, "expected": expected}))
    for unknown in sorted(flat):
        section, _, name = unknown.partition(".")
        if section == "surel" and name in PASSWORD_KEYS:
            problems.append(Problem("config.password_in_file", {"key": unknown}))
        else:
            problems.append(Problem("config.key_unknown", {"key": unknown}))
    if any(values.get(f"surel.{k}") is not None for k in SCHEMA["surel"]):  # a [surel] section: what it needs
        problems += [Problem("config.key_missing", {"key": f"surel.{k}"}) for k in MAIL_REQUIRED
                     if values.get(f"surel.{k}") is None and not any(
                         p.params.get("key") == f"surel.{k}" for p in problems)]
    return values, problems


def _flatten_sections(raw: dict[str, Any], problems: list[Problem]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in raw.items():
        if key in SCHEMA and key and isinstance(value, dict):
            for sub, subvalue in value.items():
                if sub == "jam_kerja" and key == "kalender" and isinstance(subvalue, dict):
                    flat.update({f"kalender.jam_kerja.{d}": v for d, v in subvalue.items()})
                else:
                    flat[f"{key}.{sub}"] = subvalue
        elif key in SCHEMA and key:
            problems.append(Problem("config.expect_section", {"key": key}))
        elif isinstance(value, dict):  # an unknown section: named once, with the closest known one
            import difflib

            close = difflib.get_close_matches(key, [k for k in SCHEMA if k], n=1, cutoff=0.6)
            problems.append(Problem("config.section_unknown" if not close else "config.section_unknown_like",
                                    {"key": key, "like": close[0] if close else ""}))
        else:
            flat[key] = value
    return flat


def _check_deadline(values: dict[str, Any]) -> list[Problem]:
    deadline = values["periode.batas_waktu"]
    period: Period = values["periode.kode"]
    if deadline.year < period.year or deadline.year > period.year + 1:
        return [Problem("config.deadline_far", {"key": "periode.batas_waktu", "period": period.code})]
    return []


def _build(root: Path, v: dict[str, Any]) -> Config:
    from sopkinerja.i18n import resolve_language

    tz_name = v["kalender.zona_waktu"] or "Asia/Jakarta"
    return Config(
        root=root,
        language=resolve_language(v["bahasa"]),
        agency=Agency(
            v["instansi.nama"], v["instansi.singkatan"], v["instansi.daerah"],
            v["instansi.alamat"] or "", v["instansi.email"] or "", v["instansi.telepon"] or "",
        ),
        period=v["periode.kode"],
        deadline=_aware(v["periode.batas_waktu"], ZoneInfo(tz_name)),
        paths=Paths(
            master=root / v["berkas.master"],
            inbox=root / v["berkas.masuk"],
            outbox=root / v["berkas.keluar"],
            archive=root / (v["berkas.arsip"] or "arsip"),
            templates=root / (v["berkas.templat"] or "templates"),
        ),
        contact=Contact(*(v[f"kontak.{k}"] or "" for k in ("nama", "jabatan", "email", "telepon"))),
        calendar=_calendar(v, tz_name),
        capaian_cap=v["capaian.batas_rata_rata"],
        extreme_above=v["capaian.ekstrem_atas"] or 200.0,
        extreme_below=v["capaian.ekstrem_bawah"] if v["capaian.ekstrem_bawah"] is not None else 0.0,
        number_locale=v["angka.format"] or "id",
        sop_file=root / v["sop.berkas"] if v["sop.berkas"] else None,
        max_file_mb=v["batas.ukuran_berkas_mb"] or 50.0,
        mail=_mail(root, v),
        signatures=Signatures(*(v[f"penandatangan.{k}"] or "" for k in SIGNATURE_KEYS),
                              given=any(v[f"penandatangan.{k}"] is not None for k in SIGNATURE_KEYS)),
    )


def _mail(root: Path, v: dict[str, Any]) -> MailConfig | None:
    if v["surel.pengirim"] is None:
        return None
    certificate = v["surel.sertifikat"]
    return MailConfig(
        v["surel.pengirim"], v["surel.pengguna"], v["surel.smtp_host"], v["surel.smtp_port"],
        v["surel.imap_host"] or "", v["surel.imap_port"] or 993, v["surel.keamanan"] or "ssl",
        v["surel.folder"] or "INBOX", root / certificate if certificate else None, v["surel.batas_mb"] or 20.0)


def _aware(value: datetime | date, tz: ZoneInfo) -> datetime:
    """A deadline given as a date means the end of that working day (16:00)."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(16, 0))
    # Shown in the agency's own zone (WIB/WITA/WIT) whatever offset was typed.
    return value.astimezone(tz) if value.tzinfo else value.replace(tzinfo=tz)


def _calendar(v: dict[str, Any], tz_name: str) -> CalendarConfig:
    configured = {d: v[f"kalender.jam_kerja.{d}"] for d in DAYS}
    use_default = all(spans is None for spans in configured.values())
    hours = {}
    for index, day in enumerate(DAYS):
        spans = configured[day]
        if use_default:
            spans = _spans(list(DEFAULT_HOURS.get(day, ())))
        if spans:
            hours[index] = spans
    national = v["kalender.libur_nasional"]
    return CalendarConfig(
        timezone=tz_name,
        hours=hours,
        national_holidays=True if national is None else national,
        collective_leave=v["kalender.cuti_bersama"] or (),
        extra_holidays=v["kalender.libur_tambahan"] or (),
    )
