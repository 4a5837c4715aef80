"""Exceptions for a broken workspace (fatal); problems in a unit's file are Issue values instead."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong, as a message key and its parameters (rendered in the user's language)."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def render(self, messages) -> str:
        params = {
            k: v.render(messages) if isinstance(v, Problem) else v for k, v in self.params.items()
        }
        return messages(self.key, **params)


class SopkinerjaError(Exception):
    """A fatal error: the command cannot go on; explained in one paragraph."""

    def __init__(self, key: str, problems: tuple[Problem, ...] = (), **params: Any):
        super().__init__(key)
        self.key = key
        self.params = params
        self.problems = tuple(problems)

    def render(self, messages) -> str:
        params = dict(self.params)
        for key in [k for k in params if k.endswith("_key")]:  # words of the catalogue, in the user's language
            params[key[:-4]] = messages(params[key], **params)
        head = messages(self.key, count=len(self.problems), **params)
        lines = [f"  - {p.render(messages)}" for p in self.problems]
        return "\n".join([head, *lines])

    def __str__(self) -> str:
        from sopkinerja.i18n import Messages

        return self.render(Messages("id"))


class ConfigError(SopkinerjaError):
    """sopkinerja.toml is missing, unreadable or has bad keys or values."""


class WorkspaceError(SopkinerjaError):
    """The workspace folder is missing, already exists, or cannot be written."""


class WorkspaceBusy(SopkinerjaError):
    """Another sopkinerja process holds the workspace lock."""


class MasterError(SopkinerjaError):
    """The master data (units and indicators) cannot be used; lists every problem."""


class SopError(SopkinerjaError):
    """The SOP data file is unreadable or inconsistent."""


class OutputBlocked(SopkinerjaError):
    """An output cannot be written or replaced (open in Excel, a read-only folder); nothing was switched."""


class LedgerError(SopkinerjaError):
    """The ledger database cannot be opened or is newer than this program."""
