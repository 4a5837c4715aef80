"""Number reading rules of product.md §2 and field-notes.md."""

import pytest

from sopkinerja.numbers import BLANK, INVALID, NUMBER, TEXT_NUMBER, format_number, parse_number


@pytest.mark.parametrize(
    "raw, value, kind, ambiguous",
    [
        ("85,5", 85.5, TEXT_NUMBER, False),
        ("1.234.567,89", 1234567.89, TEXT_NUMBER, False),
        ("Rp 2.500.000", 2500000.0, TEXT_NUMBER, False),
        ("Rp2.500.000,-", 2500000.0, TEXT_NUMBER, False),
        ("Rp. 1.500", 1500.0, TEXT_NUMBER, False),
        ("IDR 750.000", 750000.0, TEXT_NUMBER, False),
        ("90%", 90.0, TEXT_NUMBER, False),
        ("90,5 %", 90.5, TEXT_NUMBER, False),
        ("\u00a01.250.000\u00a0", 1250000.0, TEXT_NUMBER, False),
        ("1 250 000", 1250000.0, TEXT_NUMBER, False),
        ("1.234", 1234.0, TEXT_NUMBER, True),
        ("1,234", 1.234, TEXT_NUMBER, True),
        ("0,123", 0.123, TEXT_NUMBER, False),
        ("0.5", 0.5, TEXT_NUMBER, False),
        ("85.5", 85.5, TEXT_NUMBER, False),
        ("1234.567", 1234.567, TEXT_NUMBER, False),
        ("1,234,567.5", 1234567.5, TEXT_NUMBER, False),
        ("-5", -5.0, TEXT_NUMBER, False),
        ("\u22125", -5.0, TEXT_NUMBER, False),
        ("(1.500.000)", -1500000.0, TEXT_NUMBER, False),
        ("0012", 12.0, TEXT_NUMBER, False),
        (",5", 0.5, TEXT_NUMBER, False),
        ("", None, BLANK, False),
        ("   ", None, BLANK, False),
        ("\u00a0", None, BLANK, False),
        (None, None, BLANK, False),
        (0, 0.0, NUMBER, False),
        (85.5, 85.5, NUMBER, False),
        (7, 7.0, NUMBER, False),
        ("abc", None, INVALID, False),
        ("12abc", None, INVALID, False),
        ("1.23.4", None, INVALID, False),
        ("1,2,3", None, INVALID, False),
        ("1.234,5,6", None, INVALID, False),
        ("-", None, INVALID, False),
        ("%", None, INVALID, False),
        ("Rp 50%", None, INVALID, False),
        ("#DIV/0!", None, INVALID, False),
        (True, None, INVALID, False),
        (float("nan"), None, INVALID, False),
        (float("inf"), None, INVALID, False),
    ],
)
def test_indonesian_reading(raw, value, kind, ambiguous):
    parsed = parse_number(raw)
    assert parsed.kind == kind
    assert parsed.ambiguous is ambiguous
    if value is None:
        assert parsed.value is None
    else:
        assert parsed.value == pytest.approx(value)


def test_text_keeps_its_original():
    parsed = parse_number("Rp 2.500.000")
    assert parsed.original == "Rp 2.500.000"
    assert parsed.currency and not parsed.percent_sign


def test_percent_sign_is_reported():
    assert parse_number("90%").percent_sign


def test_ambiguous_text_carries_the_other_reading():
    parsed = parse_number("1.234")
    assert parsed.alternative == pytest.approx(1.234)


@pytest.mark.parametrize("raw, value", [("1.234", 1.234), ("1,234", 1234.0), ("85,5", 85.5)])
def test_english_locale_reverses_the_ambiguous_reading(raw, value):
    parsed = parse_number(raw, locale="en")
    assert parsed.value == pytest.approx(value)


def test_dates_are_not_numbers():
    from datetime import date

    assert parse_number(date(2026, 8, 12)).kind == INVALID


@pytest.mark.parametrize(
    "value, text",
    [(1234567.89, "1.234.567,89"), (2500000, "2.500.000"), (85.5, "85,50"), (None, "-"), (0, "0")],
)
def test_indonesian_display(value, text):
    assert format_number(value) == text
