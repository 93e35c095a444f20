"""registry.idnumber: finding ID numbers in free text however they are written, and masking."""

import pytest

from registry.idnumber import find_id_numbers, find_id_numbers_in, mask_in_text

ID_X = "15022219580312044X"  # fictional, valid, check letter X
ID_4 = "150222195803150024"  # fictional, valid (the demo resident)
OLD_15 = "150222580312044"  # pre-1999, born 1958-03-12


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # contiguous, as before
        (f"身份证{ID_4}", [ID_4]),
        # groups of four
        ("1502 2219 5803 1500 24", [ID_4]),
        # area · birth date · sequence and check letter, lower-case x
        ("150222 19580312 044x", [ID_X]),
        # ideographic spaces and full-width digits, not normalised first
        ("１５０２２２\u3000１９５８０３１２\u3000０４４Ｘ", [ID_X]),
        # a zero-width space pasted inside, and hyphens
        ("150222\u200b19580312-044X", [ID_X]),
        # an old 15-digit number in groups, with a plausible birth date (58-03-12)
        ("150222 580312 044", [OLD_15]),
        # a phone number, then an ID in groups: the phone is not swallowed
        (f"电话13800138000 {ID_4[:6]} {ID_4[6:]}", [ID_4]),
        # two numbers in one message, one spaced, one contiguous
        (f"{ID_X} 和 1502 2219 5803 1500 24", [ID_X, ID_4]),
    ],
)
def test_id_numbers_are_found_in_every_written_form(text: str, expected: list[str]) -> None:
    assert find_id_numbers(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # amounts in a row: 15 digits, but no birth date (month 00)
        "花了 20000 30000 50000 元",
        # 18 digits in groups with a wrong check digit
        "150222 19580312 0441",
        # a group glued to letters is an order number, not an ID
        "订单NO150222 19580312 044X",
        # a phone number alone
        "138 0013 8000",
        # a gap of four blanks ends the number
        "150222    19580312044X",
    ],
)
def test_numbers_that_are_not_id_numbers_are_left_alone(text: str) -> None:
    assert find_id_numbers(text) == []


def test_positions_cover_the_number_as_written() -> None:
    text = "号码：1502 2219 5803 1500 24。"

    [found] = find_id_numbers_in(text)

    assert text[found.start : found.end] == "1502 2219 5803 1500 24"
    assert found.number == ID_4


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1502 2219 5803 1500 24", "150222********0024"),
        ("１５０２２２\u3000１９５８０３１２\u3000０４４ｘ号", "150222********044X号"),
        (f"{ID_4}和{ID_X.lower()}", "150222********0024和150222********044X"),
    ],
)
def test_mask_in_text_masks_every_form(text: str, expected: str) -> None:
    assert mask_in_text(text) == expected
