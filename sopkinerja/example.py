"""The example agency: Bappedalitbang Kabupaten Tapanuli Utara, period 2026-TW3."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from sopkinerja.master import load_master
from sopkinerja.models import Master

EXAMPLE_PERIOD = "2026-TW3"
EXAMPLE_DEADLINE = "2026-10-09T16:00:00+07:00"  # Friday of the second week after the quarter


def example_master() -> Master:
    """The example master, read from the CSV files shipped in the package."""
    with resources.as_file(resources.files("sopkinerja").joinpath("data/contoh")) as folder:
        return load_master(Path(folder)).master


def config_text(example: bool, period: str, deadline: str) -> str:
    """The ``sopkinerja.toml`` that ``init`` writes, commented in Indonesian."""
    if example:
        agency = (
            'nama = "Badan Perencanaan Pembangunan Daerah, Penelitian dan Pengembangan"\n'
            'singkatan = "Bappedalitbang"\n'
            'daerah = "Kabupaten Tapanuli Utara"\n'
            'alamat = "Jl. Letjend. Suprapto No. 1, Tarutung"\n'
            'email = "bappedalitbang@taputkab.go.id"\n'
        )
        contact = (
            '[kontak]\n'
            'nama = "Lestari Hutagalung, S.E."\n'
            'jabatan = "Kasubbag Perencanaan dan Pelaporan"\n'
            'email = "data.bappedalitbang@taputkab.go.id"\n'
            'telepon = "0633-21000"\n'
            '\n'
            '[penandatangan]                 # blok tanda tangan formulir resmi (E.81, tabel LKjIP)\n'
            'tempat = "Tarutung"\n'
            'penyusun_nama = "Lestari Hutagalung, S.E."\n'
            'penyusun_nip = "198203112006042001"\n'
            'penyusun_jabatan = "Kasubbag Perencanaan dan Pelaporan"\n'
            'kepala_nama = "Ir. Ronald Sitompul, M.Si."\n'
            'kepala_nip = "196805121994031005"\n'
            'kepala_jabatan = "Kepala Bappedalitbang Kabupaten Tapanuli Utara"\n'
        )
    else:
        agency = 'nama = "Nama Instansi"\nsingkatan = "Singkatan"\ndaerah = "Kabupaten/Kota"\n'
        contact = ('[kontak]\nnama = ""\njabatan = ""\nemail = ""\ntelepon = ""\n\n'
                   '[penandatangan]                 # blok tanda tangan formulir resmi (E.81, tabel LKjIP)\n'
                   'tempat = ""\npenyusun_nama = ""\npenyusun_nip = ""\npenyusun_jabatan = ""\n'
                   'kepala_nama = ""\nkepala_nip = ""\nkepala_jabatan = ""\n')
    return TEMPLATE.format(agency=agency, period=period, deadline=deadline, contact=contact)


TEMPLATE = """\
# Konfigurasi sopkinerja untuk satu workspace (satu badan).
# Nama kunci dalam bahasa Indonesia; kunci yang tidak dikenal ditolak.
# Bahasa tampilan: "id" (bawaan) atau "en".
bahasa = "id"

[instansi]
{agency}
[periode]
# Kode periode: 2026-TW1 ... 2026-TW4 (triwulan), 2026-S1, 2026-S2 (semester), 2026 (tahun).
kode = "{period}"
# Batas waktu pengembalian berkas oleh unit (langkah 8 SOP), waktu WIB.
batas_waktu = {deadline}

[berkas]
master = "input/master.xlsx"   # atau folder berisi Unit.csv dan Indikator.csv
masuk = "input/masuk"          # berkas kembalian dan e-mail tersimpan, boleh bersubfolder
keluar = "output"
# arsip = "arsip"              # buku besar (SQLite) dan arsip berkas yang diterima
# templat = "templates"        # templat HTML pengganti milik workspace ini

{contact}
# Bagian pilihan (hapus tanda # untuk memakai):
# [kalender]
# zona_waktu = "Asia/Jakarta"
# libur_nasional = true
# cuti_bersama = [2026-12-24]
# libur_tambahan = []
# [kalender.jam_kerja]            # bila diisi, hari yang tidak disebut adalah hari libur
# senin = ["07:30-12:00", "13:00-16:00"]
# jumat = ["07:30-11:30", "13:00-16:30"]
#
# [capaian]
# batas_rata_rata = 120          # capaian di atas batas ini dipotong saat dirata-rata
# ekstrem_atas = 200             # capaian di atas ini diberi peringatan
#
# [angka]
# format = "id"                  # cara membaca angka yang diketik sebagai teks: "id" atau "en"
#
# [sop]
# berkas = "sop.toml"            # SOP sendiri; bawaan: SOP Mekanisme Pengumpulan Data Kinerja
#
# [batas]
# ukuran_berkas_mb = 50
"""
