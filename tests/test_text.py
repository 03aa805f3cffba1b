"""app.text's one parser for ids and numeric cursors sent as text."""

from __future__ import annotations

import pytest

from app.errors import NotFound
from app.text import MAX_ID, parse_id, parse_number


@pytest.mark.parametrize(("text", "number"), [("12", 12), ("0", 0), ("007", 7), (str(MAX_ID), MAX_ID)])
def test_ascii_digits_up_to_max_id_are_a_number(text: str, number: int) -> None:
    assert parse_number(text) == number


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        " 1",
        "1 ",
        "+1",
        "-1",
        "1e3",
        "1_000",
        "0x1f",
        "²",  # superscript two: str.isdigit() says yes, int() raises
        "٣",  # Arabic-Indic three: int() reads it as 3
        "１２",  # full-width twelve: int() reads it as 12
        "2147483648",  # MAX_ID + 1
        "99999999999",
    ],
)
def test_anything_else_is_no_number(text: str | None) -> None:
    assert parse_number(text) is None


def test_parse_id_returns_the_number() -> None:
    assert parse_id("42", NotFound("introuvable")) == 42


@pytest.mark.parametrize("text", [None, "", "٣", "2147483648"])
def test_parse_id_raises_the_refusal_it_was_given(text: str | None) -> None:
    refusal = NotFound("introuvable")
    with pytest.raises(NotFound) as caught:
        parse_id(text, refusal)
    assert caught.value is refusal
