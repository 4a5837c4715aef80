"""The command line: help for every command, exit codes, JSON, fatal errors without tracebacks."""

import subprocess
import sys

import pytest
from conftest import INDICATOR_HEADER, UNIT_HEADER, indicator_row, unit_row, write_master_xlsx

from sopkinerja.cli import EXIT_FATAL, EXIT_OK, EXIT_USAGE, cli


def _commands():
    return sorted(cli.commands)


def test_every_command_is_listed_in_the_main_help(run_cli):
    result = run_cli("--help")
    assert result.exit_code == EXIT_OK
    for name in _commands():
        assert name in result.stdout


@pytest.mark.parametrize("name", _commands())
def test_every_command_has_help_with_an_example(run_cli, name):
    result = run_cli(name, "--help")
    assert result.exit_code == EXIT_OK
    assert "Contoh:" in result.stdout and "Example:" not in result.stdout  # Indonesian help is wholly so
    assert "--project" in result.stdout and "--json" in result.stdout
    english = run_cli(name, "--help", env={"SOPKINERJA_LANG": "en"})
    assert "Example:" in english.stdout and "Contoh:" not in english.stdout


def test_usage_error_exits_2(run_cli):
    assert run_cli("init").exit_code == EXIT_USAGE
    assert run_cli("terbang").exit_code == EXIT_USAGE


def test_init_and_its_json(run_cli, tmp_path):
    result = run_cli("init", tmp_path / "ws", "--example", "--json")
    assert result.exit_code == EXIT_OK, result.stderr
    document = result.json()
    assert document["units"] == 6 and document["indicators"] == 60 and document["example"] is True


def test_init_human_output_is_indonesian(run_cli, tmp_path):
    ws = tmp_path / "ws"
    result = run_cli("init", ws)
    assert result.exit_code == EXIT_OK
    assert result.stdout == (
        f"Workspace dibuat di {ws}.\n"
        f"Isi master data di {ws}/input/master.xlsx (lembar Unit dan Indikator; lihat lembar Petunjuk).\n"
        f"Langkah berikutnya: periksa {ws}/sopkinerja.toml lalu jalankan `sopkinerja generate --project {ws}`.\n")


def test_init_refusal_is_fatal_without_traceback(run_cli, tmp_path):
    run_cli("init", tmp_path / "ws", "--example")
    result = run_cli("init", tmp_path / "ws", "--example")
    ws = tmp_path / "ws"
    assert result.exit_code == EXIT_FATAL
    assert result.stderr == (
        f"Galat: Folder {ws} sudah berisi workspace ({ws}/sopkinerja.toml ada). Tidak ada yang ditimpa; "
        "pilih folder lain atau hapus berkas itu lebih dulu.\n")
    assert "Traceback" not in result.stderr + result.stdout


def test_fatal_error_as_json(run_cli, tmp_path):
    bad = tmp_path / "rusak"
    bad.mkdir()
    (bad / "sopkinerja.toml").write_text("[periode\n", encoding="utf-8")
    result = run_cli("demo", bad, "--json")
    assert result.exit_code == EXIT_FATAL
    assert result.json()["error"]["code"] == "config.syntax"


def test_debug_shows_the_traceback(run_cli, tmp_path):
    bad = tmp_path / "rusak"
    bad.mkdir()
    (bad / "sopkinerja.toml").write_text("[periode\n", encoding="utf-8")
    result = run_cli("--debug", "demo", bad)
    assert result.exit_code == EXIT_FATAL
    assert result.exception is not None and type(result.exception).__name__ == "ConfigError"


def test_english_on_request(run_cli, tmp_path):
    ws = tmp_path / "ws"
    result = run_cli("init", ws, env={"SOPKINERJA_LANG": "en"})
    assert result.stdout == (
        f"Workspace created in {ws}.\n"
        f"Fill in the master data in {ws}/input/master.xlsx (sheets Unit and Indikator; see the Petunjuk sheet).\n"
        f"Next: check {ws}/sopkinerja.toml, then run `sopkinerja generate --project {ws}`.\n")


def test_a_master_with_three_mistakes_exits_1_naming_every_cell(run_cli, tmp_path):
    root = tmp_path / "ws"
    assert run_cli("init", root, "--example").exit_code == EXIT_OK
    write_master_xlsx(root / "input" / "master.xlsx", {
        "Unit": [UNIT_HEADER, unit_row()],
        "Indikator": [INDICATOR_HEADER, indicator_row(code="A"), indicator_row(code="A"),
                      indicator_row(code="B", polarity="naik"), indicator_row(code="C", target="10 dokumen")],
    })
    result = run_cli("demo", root)
    assert result.exit_code == EXIT_FATAL
    assert "3 masalah" in result.stderr
    for cell in ("sel B3", "sel I4", "sel J5"):
        assert cell in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_runs_on_a_fresh_folder_and_repeats(run_cli, tmp_path):
    first = run_cli("demo", tmp_path / "coba", "--json")
    second = run_cli("demo", tmp_path / "coba", "--json")
    assert first.exit_code == second.exit_code == EXIT_OK
    assert first.json()["created"] is True and second.json()["created"] is False
    assert second.json()["sop_minutes"] == 2055
    # Repeating the demo reissues nothing: the same six requests come back.
    assert len(second.json()["requests"]) == 6 and all(r["reused"] for r in second.json()["requests"])
    assert [r["request_id"] for r in first.json()["requests"]] == [
        r["request_id"] for r in second.json()["requests"]]


def test_python_dash_m_and_version():
    result = subprocess.run([sys.executable, "-m", "sopkinerja", "--version"],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "sopkinerja" in result.stdout


def test_help_does_not_import_heavy_libraries():
    code = ("import sys; from sopkinerja.cli import cli\n"
            "try:\n    cli(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('pandas', 'openpyxl', 'xlsxwriter', 'jinja2', 'python_calamine')"
            " if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "[]"
