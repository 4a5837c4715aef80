"""The 132 real-world spreadsheet files of ../shared/corpus/wild, several hostile, beside a good return."""

import json
import os
import shutil
import subprocess
import sys
from collections import Counter

import pytest
from conftest import REPO, fill_workbook

CORPUS = REPO.parent / "shared" / "corpus" / "wild"


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus/wild is not beside the repository")
@pytest.mark.skipif(sys.platform == "win32", reason="the memory limit uses POSIX resource limits")
def test_every_wild_file_gets_one_precise_issue_and_good_files_still_pass(round_ws):
    root, paths = round_ws
    shutil.copytree(CORPUS, root / "input" / "masuk" / "liar")
    fill_workbook(paths["SEK"], root / "input" / "masuk" / "SEK.xlsx")

    def limit_memory():
        import resource

        gib = 1 << 30
        resource.setrlimit(resource.RLIMIT_AS, (4 * gib, 4 * gib))

    completed = subprocess.run(
        [sys.executable, "-m", "sopkinerja", "--project", str(root), "run", "--json"],
        capture_output=True, text=True, timeout=300, preexec_fn=limit_memory,
        env={**os.environ, "SOPKINERJA_NOW": "2026-10-12T09:00:00+07:00"})
    assert completed.returncode == 3, completed.stderr
    assert "Traceback" not in completed.stderr
    document = json.loads(completed.stdout)
    wild = [i for i in document["issues"] if "/liar/" in (i["file"] or "")]
    files = [p for p in CORPUS.rglob("*") if p.is_file()]
    assert Counter(i["file"] for i in wild).most_common(1)[0][1] == 1  # one issue per file
    assert len(wild) == len(files)
    by_name = {i["file"].rsplit("/", 1)[-1]: i["code"] for i in wild}
    assert by_name["pass_protected.xlsx"] == "encrypted-file"
    assert by_name["issue_594_dos.ods"] == "unreadable-file"
    assert by_name["LICENSE-MIT.md"] == "unsupported-format"
    assert by_name["any_sheets.xlsx"] == "not-a-request-workbook"
    assert set(by_name.values()) <= {"not-a-request-workbook", "unsupported-format", "encrypted-file",
                                     "unreadable-file", "duplicate-file"}
    sek = next(u for u in document["units"] if u["unit"] == "SEK")
    assert sek["status"] == "accepted"
