"""The mail password (product.md §3.2): never in sopkinerja.toml, logs or --json. From the
environment variable SOPKINERJA_SUREL_SANDI, else the operating system's keyring (service
``sopkinerja``; the Windows Credential Manager, macOS Keychain, a Secret Service on Linux), else a
hidden prompt on a terminal that offers to save it there."""

from __future__ import annotations

import os
import sys

from sopkinerja.errors import SopkinerjaError

ENV_VAR = "SOPKINERJA_SUREL_SANDI"
SERVICE = "sopkinerja"


def password(mail, ask=None, confirm=None) -> str:
    value = os.environ.get(ENV_VAR)
    if value:
        return value
    stored = _keyring_get(mail.user)
    if stored:
        return stored
    interactive = ask is not None or (sys.stdin is not None and sys.stdin.isatty())
    if not interactive:
        raise SopkinerjaError("mail.no_password", user=mail.user, env=ENV_VAR)
    import getpass

    from sopkinerja.i18n import Messages, resolve_language

    msg = Messages(resolve_language())
    value = (ask or getpass.getpass)(msg("mail.ask_password", user=mail.user) + " ")
    if not value:
        raise SopkinerjaError("mail.no_password", user=mail.user, env=ENV_VAR)
    answer = (confirm or input)(msg("mail.ask_save") + " ")
    if answer.strip().lower() in ("y", "ya", "yes"):
        _keyring_set(mail.user, value)
    return value


def _keyring_get(user: str) -> str | None:
    try:
        import keyring

        return keyring.get_password(SERVICE, user)
    except Exception:  # noqa: BLE001 - no keyring, or no backend on this machine: ask instead
        return None


def _keyring_set(user: str, value: str) -> bool:
    try:
        import keyring

        keyring.set_password(SERVICE, user, value)
        return True
    except Exception:  # noqa: BLE001 - not saved; asked again next time
        return False
