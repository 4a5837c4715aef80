"""What a check looks at: the parsed file, what was issued (ledger), and the workspace's rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sopkinerja.issues import Issue
from sopkinerja.records import IssuedRequest, ParseResult, StepEvent, Value


@dataclass(frozen=True)
class Rules:
    """What checking a file needs from the configuration and the SOP (sent to the workers)."""

    period: str
    deadline: datetime
    locale: str
    extreme: tuple[float, float]
    tz: object
    signoff_step: int | None
    delivery_step: int | None = None  # the SOP's "serah-data" step, whose real end is the receipt
    calendar: object = None  # config.CalendarConfig: working time between a declared and the real end

    @classmethod
    def of(cls, config, sop) -> Rules:
        signoff = sop.by_role("validasi")
        delivery = sop.by_role("serah-data")
        return cls(config.period.code, config.deadline, config.number_locale,
                   (config.extreme_below, config.extreme_above), config.calendar.tz,
                   signoff.number if signoff else None, delivery.number if delivery else None, config.calendar)


@dataclass
class Context:
    """What the checks look at: the parsed file, what was issued, and the workspace rules."""

    parsed: ParseResult
    file: str
    sha256: str
    received_at: datetime
    request: IssuedRequest | None
    issued: dict[str, dict]  # indicator code -> pre-filled values
    rules: Rules
    newer_request: str | None = None
    rows: dict[str, dict] = field(default_factory=dict)  # indicator code -> parsed row
    values: list[Value] = field(default_factory=list)
    steps: list[StepEvent] = field(default_factory=list)

    @property
    def unit(self) -> str | None:
        return self.request["unit_code"] if self.request else None

    def issue(self, issue_code: str, /, sheet: str | None = None, cell: str | None = None, **params) -> Issue:
        return Issue(issue_code, file=self.file, unit=self.unit, sheet=sheet, cell=cell, params=params,
                     sha256=self.sha256)


def load_issued(ledger, request_id: str) -> tuple[IssuedRequest | None, dict[str, dict]]:
    """The request and, per indicator code, the values it was pre-filled with."""
    request = ledger.request(request_id)
    if request is None:
        return None, {}
    return request, ledger.prefilled(request_id)
