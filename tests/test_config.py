"""sopkinerja.toml: every kind of problem names its key; defaults and optional sections."""

from datetime import date, datetime, time, timedelta

import pytest

from sopkinerja.config import load_config
from sopkinerja.errors import ConfigError
from sopkinerja.i18n import Messages

BASE = """\
[instansi]
nama = "Badan Perencanaan Pembangunan Daerah"
singkatan = "Bappeda"
daerah = "Kabupaten Contoh"

[periode]
kode = "2026-TW3"
batas_waktu = 2026-10-09T16:00:00+07:00

[berkas]
master = "input/master.xlsx"
masuk = "input/masuk"
keluar = "output"
"""


def _load(tmp_path, text):
    (tmp_path / "sopkinerja.toml").write_text(text, encoding="utf-8")
    return load_config(tmp_path)


def _problems(tmp_path, text):
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, text)
    return [(p.key, p.params.get("key")) for p in caught.value.problems], caught.value


def test_minimal_config_gets_defaults(tmp_path):
    config = _load(tmp_path, BASE)
    assert config.period.code == "2026-TW3"
    assert config.deadline == datetime(2026, 10, 9, 16, 0, tzinfo=config.deadline.tzinfo)
    assert config.deadline.utcoffset() == timedelta(hours=7)
    assert config.language == "id"
    assert config.paths.master == tmp_path / "input" / "master.xlsx"
    assert config.paths.archive == tmp_path / "arsip"
    assert config.calendar.timezone == "Asia/Jakarta"
    # Perpres 21/2023: Mon-Thu 07:30-12:00 + 13:00-16:00, Fri 07:30-11:30 + 13:00-16:30.
    assert config.calendar.hours[0] == ((time(7, 30), time(12)), (time(13), time(16)))
    assert config.calendar.hours[4] == ((time(7, 30), time(11, 30)), (time(13), time(16, 30)))
    assert 5 not in config.calendar.hours and 6 not in config.calendar.hours
    assert config.capaian_cap is None and config.number_locale == "id"


def test_missing_file_is_explained(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    assert caught.value.key == "config.missing"
    assert "sopkinerja init" in caught.value.render(Messages("id"))


def test_syntax_error_names_the_line(tmp_path):
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, BASE + "\n[capaian\n")
    assert caught.value.key == "config.syntax"
    assert caught.value.params["line"] == 15 and caught.value.params["text"] == "[capaian"
    assert "baris 15" in caught.value.render(Messages("id")) and "Expected" not in caught.value.render(Messages("id"))


def test_missing_required_key(tmp_path):
    problems, _ = _problems(tmp_path, BASE.replace('singkatan = "Bappeda"\n', ""))
    assert problems == [("config.key_missing", "instansi.singkatan")]


@pytest.mark.parametrize(
    "extra, key",
    [
        ("lokasi = 1\n", "lokasi"),
        ("[periode2]\nx = 1\n", "periode2"),
        ("[capaian]\nbatas = 1\n", "capaian.batas"),
    ],
)
def test_unknown_keys_are_named(tmp_path, extra, key):
    top_level = "=" in extra.split("\n")[0] and "[" not in extra
    problems, _ = _problems(tmp_path, extra + BASE if top_level else BASE + extra)
    # An unknown section is one problem named as a section (issue 18), with the closest known one.
    expected = "config.section_unknown_like" if "." not in key and extra.startswith("[") else "config.key_unknown"
    assert problems == [(expected, key)]


def test_unknown_key_inside_a_known_section(tmp_path):
    problems, _ = _problems(tmp_path, BASE.replace('[berkas]\n', '[berkas]\nmasukan = "x"\n'))
    assert problems == [("config.key_unknown", "berkas.masukan")]


@pytest.mark.parametrize(
    "old, new, key, expected",
    [
        ('kode = "2026-TW3"', 'kode = "2026-TW5"', "periode.kode", "config.expect_period"),
        ("batas_waktu = 2026-10-09T16:00:00+07:00", 'batas_waktu = "9 Oktober"',
         "periode.batas_waktu", "config.expect_datetime"),
        ('nama = "Badan Perencanaan Pembangunan Daerah"', "nama = 5", "instansi.nama",
         "config.expect_text"),
        ('keluar = "output"', 'keluar = ""', "berkas.keluar", "config.expect_text"),
    ],
)
def test_bad_values_name_the_key_and_what_is_expected(tmp_path, old, new, key, expected):
    problems, error = _problems(tmp_path, BASE.replace(old, new))
    assert problems == [("config.bad_value", key)]
    assert error.problems[0].params["expected"].key == expected
    assert key in error.render(Messages("id"))


@pytest.mark.parametrize(
    "section, key, expected",
    [
        ('bahasa = "jawa"\n', "bahasa", "config.expect_choice"),
        ('[kalender]\nzona_waktu = "Asia/Medan"\n', "kalender.zona_waktu", "config.expect_timezone"),
        ("[kalender]\ncuti_bersama = [\"24-12-2026\"]\n", "kalender.cuti_bersama", "config.expect_dates"),
        ("[kalender]\nlibur_nasional = \"ya\"\n", "kalender.libur_nasional", "config.expect_bool"),
        ('[kalender.jam_kerja]\nsenin = ["12:00-07:30"]\n', "kalender.jam_kerja.senin", "config.expect_spans"),
        ('[kalender.jam_kerja]\nsenin = ["07:30-12:00", "11:00-16:00"]\n', "kalender.jam_kerja.senin",
         "config.expect_spans"),
        ("[capaian]\nbatas_rata_rata = -5\n", "capaian.batas_rata_rata", "config.expect_above"),
        ('[capaian]\nbatas_rata_rata = "120"\n', "capaian.batas_rata_rata", "config.expect_number"),
        ('[angka]\nformat = "de"\n', "angka.format", "config.expect_choice"),
    ],
)
def test_optional_sections_are_validated(tmp_path, section, key, expected):
    text = section + BASE if not section.startswith("[") else BASE + section
    problems, error = _problems(tmp_path, text)
    assert problems == [("config.bad_value", key)]
    assert error.problems[0].params["expected"].key == expected


def test_a_value_where_a_section_belongs(tmp_path):
    problems, _ = _problems(tmp_path, 'kalender = "WIB"\n' + BASE)
    assert problems == [("config.expect_section", "kalender")]


def test_every_problem_is_reported_at_once(tmp_path):
    text = BASE.replace('kode = "2026-TW3"', 'kode = "TW3"').replace('keluar = "output"\n', "")
    problems, error = _problems(tmp_path, text + "warna = 1\n")
    assert sorted(problems) == sorted([
        ("config.bad_value", "periode.kode"),
        ("config.key_missing", "berkas.keluar"),
        ("config.key_unknown", "berkas.warna"),
    ])
    rendered = error.render(Messages("id"))
    assert "3 masalah" in rendered and "periode.kode" in rendered and "berkas.warna" in rendered


def test_deadline_far_from_the_period(tmp_path):
    problems, _ = _problems(tmp_path, BASE.replace("2026-10-09T16:00", "2031-10-09T16:00"))
    assert problems == [("config.deadline_far", "periode.batas_waktu")]


def test_a_date_deadline_means_four_in_the_afternoon_wib(tmp_path):
    config = _load(tmp_path, BASE.replace("2026-10-09T16:00:00+07:00", "2026-10-09"))
    assert config.deadline.hour == 16 and config.deadline.utcoffset() == timedelta(hours=7)


def test_optional_sections_are_read(tmp_path):
    config = _load(tmp_path, 'bahasa = "en"\n' + BASE + """
[kalender]
zona_waktu = "Asia/Makassar"
cuti_bersama = [2026-12-24, 2026-12-26]
[kalender.jam_kerja]
senin = ["08:00-12:00", "13:00-17:00"]
sabtu = ["08:00-12:00"]
[capaian]
batas_rata_rata = 120
[angka]
format = "en"
[sop]
berkas = "sop-saya.toml"
[batas]
ukuran_berkas_mb = 20
""")
    assert config.language == "en"
    assert config.calendar.timezone == "Asia/Makassar"
    assert config.calendar.collective_leave == (date(2026, 12, 24), date(2026, 12, 26))
    # Naming any day defines the whole week: the others are days off.
    assert sorted(config.calendar.hours) == [0, 5]
    assert config.capaian_cap == 120 and config.number_locale == "en"
    assert config.sop_file == tmp_path / "sop-saya.toml" and config.max_file_mb == 20
    # The same instant, shown in the agency's zone: 16:00 WIB is 17:00 WITA.
    assert config.deadline.utcoffset() == timedelta(hours=8) and config.deadline.hour == 17
    assert str(config.deadline.tzinfo) == "Asia/Makassar"


def test_environment_language_wins_over_the_config(tmp_path, monkeypatch):
    monkeypatch.setenv("SOPKINERJA_LANG", "en")
    assert _load(tmp_path, 'bahasa = "id"\n' + BASE).language == "en"


def test_english_rendering(tmp_path):
    _, error = _problems(tmp_path, BASE.replace('kode = "2026-TW3"', 'kode = "Q3"'))
    assert "is not a period code" in error.render(Messages("en"))
    assert "bukan kode periode" in error.render(Messages("id"))


def test_byte_order_mark_from_windows_notepad(tmp_path):
    (tmp_path / "sopkinerja.toml").write_bytes(b"\xef\xbb\xbf" + BASE.encode())
    assert load_config(tmp_path).agency.short_name == "Bappeda"
