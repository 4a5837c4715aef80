"""A non-editable install into a fresh venv works from any directory, data files included."""

import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest
from conftest import REPO

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(REPO)],
                   check=True, capture_output=True)
    return next(out.glob("sopkinerja-*.whl"))


def test_wheel_carries_data_files(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in ("sopkinerja/data/sop.toml", "sopkinerja/data/contoh/Unit.csv",
                     "sopkinerja/data/contoh/Indikator.csv", "sopkinerja/locale/id.toml",
                     "sopkinerja/locale/en.toml", "sopkinerja/templates/__init__.py"):
        assert expected in names
    metadata = next(n for n in names if n.endswith("METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "Requires-Dist: openpyxl>=3.1" in text


def test_installed_tool_runs_from_the_root_directory(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / ("Scripts" if sys.platform == "win32" else "bin")
    subprocess.run([str(bin_dir / "python"), "-m", "pip", "install", "--quiet",
                    "--disable-pip-version-check", str(wheel)], check=True, capture_output=True)
    workspace = tmp_path / "ws"
    result = subprocess.run([str(bin_dir / "sopkinerja"), "init", str(workspace), "--example", "--json"],
                            cwd="/", capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert '"units": 6' in result.stdout
    demo = subprocess.run([str(bin_dir / "sopkinerja"), "demo", str(workspace)],
                          cwd="/", capture_output=True, text=True, check=False)
    assert demo.returncode == 0, demo.stderr
    assert "2055" in demo.stdout
