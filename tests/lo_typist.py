"""Type into workbooks with a real LibreOffice Calc, as a person would, and save them.

Runs under the Python that carries LibreOffice's ``uno`` module (Debian:
``/usr/bin/python3`` with ``python3-uno``), not the project's venv:

    python3 tests/lo_typist.py plan.json result.json

Each entry is typed as key events posted to the document window
(``com.sun.star.awt.XToolkitRobot``), so it goes through Calc's input handler:
the locale parses numbers and dates, data validation rejects what it must
(headless LibreOffice answers the error box with Cancel, as a person who gives
up on that entry would), sheet protection refuses locked cells. An entry with
``"how": "paste"`` goes through ``.uno:EnterString`` instead: parsed the same
way but past validation, like pasting. The locale is LibreOffice's own locale
setting, written into a fresh profile before the office starts.

The plan (JSON)::

    {"locale": "id-ID", "profile": "/abs/folder", "jobs": [
      {"source": "/abs/request.xlsx",
       "copy_sheet": "Data Kinerja",            # optional: into a new document first
       "entries": [{"sheet": "Data Kinerja", "cell": "G10", "text": "85,5", "how": "type"}],
       "saves": [{"path": "/abs/out.ods", "filter": "calc8"}],
       "reopen": {"path": "/abs/out.ods", "saves": [{"path": "/abs/out.xlsx", "filter": "..."}]}}]}

The result (JSON) lists, for every entry, what the cell holds afterwards.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import uno  # installs the com.sun.star import hook
from com.sun.star.awt import Key, KeyEvent
from com.sun.star.beans import PropertyValue
from com.sun.star.lang import DisposedException

MAX_ATTEMPTS = 3  # a job is typed again from its source after the office crashed
_KEYS = {" ": Key.SPACE, ".": Key.POINT, ",": Key.COMMA, "-": Key.SUBTRACT, "+": Key.ADD,
         "/": Key.DIVIDE}  # other characters travel as KeyChar alone


def prop(name: str, value) -> PropertyValue:
    item = PropertyValue()
    item.Name, item.Value = name, value
    return item


def write_profile(folder: Path, locale: str) -> None:
    """A fresh user profile whose locale setting is ``locale`` (e.g. id-ID)."""
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "user").mkdir(parents=True)
    (folder / "user" / "registrymodifications.xcu").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
        '<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooSetupSystemLocale" oor:op="fuse">'
        f'<value>{locale}</value></prop></item>\n'
        '</oor:items>\n', encoding="utf-8")


class Office:
    """One headless soffice with its own profile, reached over a named pipe."""

    def __init__(self, profile: Path, locale: str):
        self.profile, self.locale = profile, locale
        self.pipe = f"sopkinerja-typist-{os.getpid()}"
        self.process = None

    def __enter__(self) -> Office:
        self.start()
        return self

    def start(self) -> None:
        for _attempt in range(2):  # a brand-new profile's first start can fail; start once more
            write_profile(self.profile, self.locale)
            self.process = subprocess.Popen(
                [shutil.which("soffice") or "soffice", f"-env:UserInstallation={self.profile.as_uri()}",
                 "--headless", "--invisible", "--norestore", "--nologo", "--nodefault",
                 f"--accept=pipe,name={self.pipe};urp;StarOffice.ComponentContext"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.context = self._connect()
            if self.context is not None:
                break
            self._stop()
        else:
            raise RuntimeError("LibreOffice did not accept a connection")
        manager = self.context.ServiceManager
        self.desktop = manager.createInstanceWithContext("com.sun.star.frame.Desktop", self.context)
        self.toolkit = manager.createInstanceWithContext("com.sun.star.awt.Toolkit", self.context)
        self.dispatcher = manager.createInstanceWithContext("com.sun.star.frame.DispatchHelper", self.context)

    def restart(self) -> None:
        self.__exit__()
        self.start()

    def died(self, error: Exception) -> bool:
        """Whether ``error`` means the office went away (it crashes now and then), not a bad plan."""
        return isinstance(error, DisposedException) or self.process.poll() is not None

    def _connect(self):
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                return resolver.resolve(f"uno:pipe,name={self.pipe};urp;StarOffice.ComponentContext")
            except Exception:  # not listening yet
                time.sleep(0.25)
        return None

    def __exit__(self, *exc) -> None:
        with contextlib.suppress(Exception):  # the bridge goes away while terminating, or is gone already
            self.desktop.terminate()
        self._stop()

    def _stop(self) -> None:
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def open(self, path: str | None):
        url = Path(path).resolve().as_uri() if path else "private:factory/scalc"
        return self.desktop.loadComponentFromURL(url, "_blank", 0, (prop("Hidden", False),))

    def settle(self) -> None:
        self.toolkit.processEventsToIdle()

    def key(self, window, char: str, code: int) -> None:
        event = KeyEvent()
        event.Source, event.KeyChar, event.KeyCode, event.Modifiers = window, char, code, 0
        self.toolkit.keyPress(event)
        self.toolkit.keyRelease(event)

    def type_into(self, document, sheet_name: str, cell: str, text: str, how: str) -> dict:
        controller = document.getCurrentController()
        sheet = document.Sheets.getByName(sheet_name)
        controller.setActiveSheet(sheet)
        target = sheet.getCellRangeByName(cell)
        controller.select(target)
        self.settle()
        if how == "paste":
            frame = controller.getFrame()
            self.dispatcher.executeDispatch(frame, ".uno:EnterString", "", 0, (prop("StringName", text),))
        else:
            window = controller.getFrame().getContainerWindow()
            for char in text:
                if char.isdigit():
                    code = Key.NUM0 + int(char)
                elif "a" <= char.lower() <= "z":
                    code = Key.A + ord(char.upper()) - ord("A")
                else:
                    code = _KEYS.get(char, 0)
                self.key(window, char, code)
            self.key(window, "\r", Key.RETURN)
        self.settle()
        return {"sheet": sheet_name, "cell": cell, "text": text, "how": how, "type": target.getType().value,
                "value": target.getValue(), "string": target.getString()}


def store(document, saves: list[dict]) -> None:
    for save in saves:
        Path(save["path"]).parent.mkdir(parents=True, exist_ok=True)
        document.storeToURL(Path(save["path"]).resolve().as_uri(),
                            (prop("FilterName", save["filter"]), prop("Overwrite", True)))


def copy_sheet(office: Office, document, name: str):
    """The sheet copied into a new document (Move or Copy Sheet → new document)."""
    fresh = office.open(None)
    office.settle()
    fresh.Sheets.importSheet(document, name, 0)
    for other in [n for n in fresh.Sheets.ElementNames if n != name]:
        fresh.Sheets.removeByName(other)
    document.close(True)
    return fresh


def run_job(office: Office, job: dict) -> dict:
    document = office.open(job["source"])
    if job.get("copy_sheet"):
        document = copy_sheet(office, document, job["copy_sheet"])
    cells = [office.type_into(document, e["sheet"], e["cell"], e["text"], e.get("how", "type"))
             for e in job["entries"]]
    store(document, job["saves"])
    document.close(True)
    reopen = job.get("reopen")
    if reopen:
        document = office.open(reopen["path"])
        office.settle()
        store(document, reopen["saves"])
        document.close(True)
    return {"source": job["source"], "cells": cells}


def main(plan_path: str, result_path: str) -> int:
    plan = json.loads(Path(plan_path).read_text(encoding="utf-8"))
    results = []
    with Office(Path(plan["profile"]), plan["locale"]) as office:
        for job in plan["jobs"]:
            for attempt in range(1, MAX_ATTEMPTS + 1):
                try:
                    results.append({**run_job(office, job), "attempts": attempt})
                    break
                except Exception as error:  # LibreOffice 7.4 crashes now and then (seen in importSheet)
                    if attempt == MAX_ATTEMPTS or not office.died(error):
                        raise
                    print(f"LibreOffice went away ({type(error).__name__}); job started again", file=sys.stderr)
                    office.restart()
    Path(result_path).write_text(json.dumps({"locale": plan["locale"], "jobs": results}, indent=1),
                                 encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
