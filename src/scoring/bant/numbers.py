"""Reading numbers the way visitors type them, shared by the four BANT parsers.

- `normalise_numbers("fifty thousand")` -> "50 thousand": number words become digits;
- `NUMBER` and `to_float`: numerals with the thousands separators people use;
- `RANGE_JOINER_RE` and `range_multiplier`: ranges such as "10-20k".
"""

from __future__ import annotations

import re


def require_text(text: object, function: str) -> str:
    if not isinstance(text, str):
        raise TypeError(f"{function}() expects the visitor's text as str, got {type(text).__name__}")
    return text


_UNIT_WORDS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS_WORDS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fourty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_LARGE_SCALES = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_NUMBER_WORD = "|".join([*_UNIT_WORDS, *_TENS_WORDS, "hundred", "dozen", *_LARGE_SCALES])
_SCALE_WORD = r"(?:hundred|thousand|million|billion|dozen|grand|k)\b"

# "a hundred", "half a million", "a couple thousand": quantity words that only mean a number
# when a scale word follows ("a few questions" stays text).
_QUANTITY_BEFORE_SCALE = [
    (re.compile(rf"\b(?:a\s+)?couple(?:\s+of)?\s+(?={_SCALE_WORD})"), "2 "),
    (re.compile(rf"\b(?:a\s+few|several)\s+(?={_SCALE_WORD})"), "3 "),
    (re.compile(rf"\bhalf\s+an?\s+(?={_SCALE_WORD})"), "0.5 "),
    (re.compile(rf"\ban?\s+(?={_SCALE_WORD})"), "1 "),
]
# A run of number words, optionally after a numeral ("2 hundred"). A hyphen joins only tens
# and units ("twenty-five"); "and" only follows a scale word ("one hundred and fifty", not
# "fifty and sixty", which is a range).
_NUMBER_WORDS_RE = re.compile(
    rf"(?:\b\d+(?:\.\d+)?\s+(?=(?:hundred|thousand|million|billion|dozen)\b))?"
    rf"\b(?:{_NUMBER_WORD})"
    rf"(?:(?:(?<=ty)-|\s+|(?:(?<=hundred)|(?<=thousand)|(?<=million))\s+and\s+)(?:{_NUMBER_WORD}))*\b"
)


def _number_words_to_digits(match: re.Match) -> str:
    """'fifty thousand' -> '50 thousand', 'one hundred and twenty' -> '120', 'a dozen' -> '12'.

    A final thousand/million/billion stays a word so that ranges such as "between five and
    ten thousand" read like "between 5 and 10 thousand" and the parsers apply one multiplier.
    """
    words = re.split(r"\s+and\s+|-|\s+", match.group())
    trailing_scale = ""
    if words[-1] in _LARGE_SCALES and not any(w in _LARGE_SCALES for w in words[:-1]):
        trailing_scale = " " + words.pop()
    if not words:  # a bare "thousand"
        return match.group()
    total, current = 0.0, 0.0
    for word in words:
        if word in _UNIT_WORDS:
            current += _UNIT_WORDS[word]
        elif word in _TENS_WORDS:
            current += _TENS_WORDS[word]
        elif word == "hundred":
            current = (current or 1) * 100
        elif word == "dozen":
            current = (current or 1) * 12
        elif word in _LARGE_SCALES:
            total += (current or 1) * _LARGE_SCALES[word]
            current = 0
        else:  # a leading numeral, e.g. the "2" of "2 hundred"
            current = float(word)
    value = total + current
    return (f"{value:g}" if value != int(value) else str(int(value))) + trailing_scale


def normalise_numbers(text: str) -> str:
    """Lower-case the text and write its number words as digits."""
    text = text.lower().replace("\u2019", "'")
    for pattern, replacement in _QUANTITY_BEFORE_SCALE:
        text = pattern.sub(replacement, text)
    return _NUMBER_WORDS_RE.sub(_number_words_to_digits, text)


# Numbers as people type them: 1500, 1,500.50, 1'500, 1 500, 1.500,50 (European), 1.5, 1,5.
NUMBER = (
    r"\d{1,3}(?:\.\d{3})+(?:,\d+)?(?!\.?\d)"
    r"|\d{1,3}(?:[,' ]\d{3})+(?:\.\d+)?(?![,']?\d)"
    r"|\d+(?:[.,]\d+)?"
)


def to_float(number: str) -> float:
    """Read a number matched by NUMBER."""
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", number):
        return float(number.replace(".", "").replace(",", "."))
    if re.fullmatch(r"\d{1,3}(?:[,' ]\d{3})+(?:\.\d+)?", number):
        return float(re.sub(r"[,' ]", "", number))
    return float(number.replace(",", "."))


# "to", "-", "and", "or" between two amounts make a range: "10-20k", "between 5 and 10 thousand".
RANGE_JOINER_RE = re.compile(r"\s*(?:-|–|—|~|to|and|or|/)\s*")


def range_multiplier(lower: re.Match, upper: re.Match | None) -> str | None:
    """The multiplier ("k", "million"...) that applies to the lower end of a range.

    Matches have groups `number` and `multiplier`. A multiplier written once covers both ends
    ("10-20k" is 10k to 20k), but only when the lower number is not larger ("500-2k" is 500 to 2000).
    """
    if lower["multiplier"] or not (upper and upper["multiplier"]):
        return lower["multiplier"]
    return upper["multiplier"] if to_float(lower["number"]) <= to_float(upper["number"]) else None
