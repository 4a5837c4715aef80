"""The message catalogue: both languages complete, every key used in code defined."""

import ast
import re
import string
from pathlib import Path

import pytest

from sopkinerja.i18n import LANGUAGES, Messages, catalogue, resolve_language

PACKAGE = Path(__file__).resolve().parent.parent / "sopkinerja"
SECTIONS = {k.split(".")[0] for k in catalogue("id")}


def _fields(template):
    template = re.sub(r"\{\w+\|[^{}|]*\|[^{}|]*\}", "", template)  # a plural form: {count|file|files}
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_languages_have_the_same_keys_and_placeholders():
    indonesian, english = catalogue("id"), catalogue("en")
    assert set(indonesian) == set(english)
    for key in indonesian:
        assert _fields(indonesian[key]) == _fields(english[key]), key


def _keys_used_in_code():
    pattern = re.compile(rf"^({'|'.join(sorted(SECTIONS))})\.[a-z_]+$")
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            # Message keys are the first argument of Problem(...), an error class or msg(...).
            if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
                value = node.args[0].value
                if isinstance(value, str) and pattern.match(value):
                    yield path.name, value


def test_every_key_used_in_code_is_defined():
    used = list(_keys_used_in_code())
    assert len(used) > 40
    missing = [(f, k) for f, k in used if k not in catalogue("id")]
    assert missing == []


def test_f_string_keys_are_defined():
    for key in ("units", "indicators", "codes", "numbers", "targets", "extra"):
        assert f"master_guide.{key}" in catalogue("id")


@pytest.mark.parametrize("env, configured, expected", [
    (None, None, "id"), ("en", None, "en"), (None, "en", "en"), ("id", "en", "id"), ("fr", "en", "en"),
    (" EN ", None, "en"),
])
def test_language_resolution(monkeypatch, env, configured, expected):
    if env is None:
        monkeypatch.delenv("SOPKINERJA_LANG", raising=False)
    else:
        monkeypatch.setenv("SOPKINERJA_LANG", env)
    assert resolve_language(configured) == expected


def test_missing_parameters_do_not_crash_an_error_path():
    assert "{path}" in Messages("id")("config.missing", root="x")
    assert Messages("id")("tidak.ada") == "tidak.ada"
    assert set(LANGUAGES) == {"id", "en"}
