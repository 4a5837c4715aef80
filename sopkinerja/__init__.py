"""sopkinerja: the SOP "Mekanisme Pengumpulan Data Kinerja" as one command."""

__version__ = "0.1.0"
