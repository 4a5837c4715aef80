"""The SOP as data: the shipped table and a workspace's own file."""

import pytest

from sopkinerja.errors import SopError
from sopkinerja.sop import load_sop
from sopkinerja.workspace import open_workspace


def test_shipped_sop_is_the_nine_steps_of_the_procedure():
    sop = load_sop()
    assert [s.number for s in sop.steps] == list(range(1, 10))
    assert [s.standard_minutes for s in sop.steps] == [15, 30, 15, 60, 480, 480, 480, 15, 480]
    assert sop.total_minutes == 2055
    assert [s.number for s in sop.unit_steps] == [4, 5, 6, 7, 8]
    assert sop.by_role("validasi").number == 7
    assert sop.step(1).actor == "Kepala {singkatan}"  # the workspace's own agency (issue 18)
    from sopkinerja.config import Agency

    named = load_sop(agency=Agency("Badan Perencanaan", "Bapperida", "Kabupaten Samosir"))
    assert named.step(1).actor == "Kepala Bapperida" and named.step(1).description.startswith("Kepala Bapperida ")
    assert sop.step(1).requirement == "Lembar disposisi"
    assert sop.step(9).output == "Dokumen data kinerja"


CUSTOM = """
nama = "SOP Singkat"
[[langkah]]
nomor = 2
uraian = "Kirim format"
pelaksana = "Kasubbag"
waktu_baku_menit = 20
lingkup = "badan"
peran = "kirim-format"
[[langkah]]
nomor = 1
uraian = "Isi dan validasi"
pelaksana = "Kabid"
waktu_baku_menit = 600
lingkup = "unit"
"""


def test_a_workspace_uses_its_own_sop(example_ws):
    (example_ws / "sop-saya.toml").write_text(CUSTOM, encoding="utf-8")
    config = example_ws / "sopkinerja.toml"
    config.write_text(config.read_text(encoding="utf-8") + '\n[sop]\nberkas = "sop-saya.toml"\n',
                      encoding="utf-8")
    sop = open_workspace(example_ws).sop()
    assert sop.name == "SOP Singkat"
    assert [s.number for s in sop.steps] == [1, 2]  # sorted by number
    assert sop.total_minutes == 620 and [s.number for s in sop.unit_steps] == [1]


@pytest.mark.parametrize(
    "replace, key",
    [
        (("waktu_baku_menit = 20", "waktu_baku_menit = -1"), "sop.bad_number"),
        (("waktu_baku_menit = 20", 'waktu_baku_menit = "20"'), "sop.bad_number"),
        (('lingkup = "badan"', 'lingkup = "bidang"'), "sop.bad_choice"),
        (('peran = "kirim-format"', 'peran = "kirim"'), "sop.bad_choice"),
        (("nomor = 2", "nomor = 1"), "sop.duplicate_number"),
        (('uraian = "Kirim format"\n', ""), "sop.missing_key"),
        (("pelaksana = \"Kabid\"", "pelaksana = \"Kabid\"\nwarna = 1"), "sop.unknown_key"),
        (('nama = "SOP Singkat"', 'judul = "SOP Singkat"'), "sop.unknown_top_key"),
    ],
)
def test_bad_custom_sop(tmp_path, replace, key):
    path = tmp_path / "sop.toml"
    path.write_text(CUSTOM.replace(*replace), encoding="utf-8")
    with pytest.raises(SopError) as caught:
        load_sop(path)
    assert [p.key for p in caught.value.problems] == [key]


def test_sop_without_steps(tmp_path):
    path = tmp_path / "sop.toml"
    path.write_text('nama = "Kosong"\n', encoding="utf-8")
    with pytest.raises(SopError) as caught:
        load_sop(path)
    assert [p.key for p in caught.value.problems] == ["sop.no_steps"]


def test_unreadable_sop(tmp_path):
    path = tmp_path / "sop.toml"
    path.write_text("[[langkah]\n", encoding="utf-8")
    with pytest.raises(SopError) as caught:
        load_sop(path)
    assert caught.value.key == "sop.unreadable"
    with pytest.raises(SopError):
        load_sop(tmp_path / "missing.toml")
