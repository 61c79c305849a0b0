"""Company size answers: "50 employees", "team of 12", "5k", "just me" -> employees."""

from __future__ import annotations

import re

from .numbers import NUMBER, RANGE_JOINER_RE, normalise_numbers, range_multiplier, require_text, to_float

_SIZE_MULTIPLIERS = {"k": 1_000, "thousand": 1_000, "m": 1_000_000, "million": 1_000_000}
_SIZE_NUMBER_RE = re.compile(rf"(?P<number>{NUMBER})(?:\s?(?P<multiplier>k|thousand|m|million)(?![a-z]))?(?:\s?\+)?")
_PEOPLE_AFTER_RE = re.compile(
    r"\s*(?:-\s*)?(?:full[- ]time\s+|ft\s+|fte\s+|total\s+|in\s+total\s+)?"
    r"(?:people|persons?|person|employees?|staff|ftes?|folks|heads|headcount|workers|"
    r"engineers|devs|developers|members|guys|of\s+us|souls|colleagues|humans|strong|"
    r"emp\b|employes|employess|peeps|ppl)"
)
_PEOPLE_BEFORE_RE = re.compile(
    r"(?:team|company|staff|headcount|workforce|org|organi[sz]ation)\s+(?:of|is|are|size\s+is|size)\s*"
    r"(?:about|around|roughly|approx\.?|approximately|~|some|over|almost|nearly)?\s*$"
    r"|(?:we\s+are|we're|were|there\s+are|we\s+have|we've\s+got|we\s+employ|employ)\s+"
    r"(?:about|around|roughly|approx\.?|approximately|~|some|over|almost|nearly|just|only)?\s*$"
)
_NOT_PEOPLE_AFTER_RE = re.compile(
    r"\s*(?:[%$€£]|(?:percent|years?|yrs?|months?|offices?|countries|locations|sites|stores|shops|"
    r"clients|customers|users|products|cities|branches|usd|eur|euros|dollars|in\s+revenue)\b)"
)
_SOLO_RE = re.compile(
    r"\b(?:just|only)\s+(?:me|myself|i)\b|\bsolo\w*|\bsolopreneur\b|\bone[- ](?:man|woman|person)\b"
    r"|\bsole\s+(?:trader|proprietor\w*|founder|employee)\b|\bfreelanc\w*|\bby\s+myself\b|"
    r"\bon\s+my\s+own\b|\bmyself\b|\bindie\s+hacker\b|\bself[- ]employed\b|^\s*(?:me|1|one)\s*[.!]*\s*$"
)
_ME_PLUS_RE = re.compile(
    rf"\bme\s+(?:and|\+|plus)\s+(?:(?P<number>{NUMBER})|(?:my|a)\s+(?:co-?founder|partner|wife|"
    r"husband|brother|sister|friend|colleague|assistant|dad|mom|son|daughter))\b"
)
_LARGEST_HEADCOUNT = 10_000_000  # above any employer's: such a number is not a head count
_VAGUE_PLURALS = {"dozens": 24, "hundreds": 200, "thousands": 2_000}


def parse_company_size(text: str) -> int | None:
    """Employees as a whole number: "50 employees" -> 50, "team of 12" -> 12, "5k" -> 5000,
    "50-100" -> 50, "10+" / "over 1,000" -> 10 / 1000, "a dozen" -> 12, "just me" -> 1,
    "me and 3 others" -> 4, "hundreds" -> 200. "under 50" is the range 1-49, so 1.

    Numbers next to a people word ("employees", "people", "of us", "team of") are preferred;
    numbers that count something else ("3 offices", "20 years", "2015") are skipped. None
    when no size is stated ("not sure", "small", "big enough").
    """
    text = normalise_numbers(require_text(text, "parse_company_size"))

    me_plus = _ME_PLUS_RE.search(text)
    if me_plus:
        return 1 + (int(to_float(me_plus["number"])) if me_plus["number"] else 1)

    candidates = []  # (is next to a people word, position, value)
    for m in _SIZE_NUMBER_RE.finditer(text):
        if (
            _NOT_PEOPLE_AFTER_RE.match(text, m.end())
            or text[m.start() - 1 : m.start()] in ("$", "€", "£")
            or re.search(r"\b(?:fortune|inc\.?|forbes)\s*$", text[: m.start()])  # "Fortune 500"
        ):
            continue
        value = to_float(m["number"])
        upper = _range_upper(text, m)
        multiplier = range_multiplier(m, upper)  # "5-10k" is 5000 to 10000
        if multiplier:
            value *= _SIZE_MULTIPLIERS[multiplier]
        near_people = bool(
            _PEOPLE_AFTER_RE.match(text, m.end())
            or _PEOPLE_BEFORE_RE.search(text[: m.start()])
            or (upper and _PEOPLE_AFTER_RE.match(text, upper.end()))
        )
        if not near_people and not multiplier and 1990 <= value <= 2100:
            continue  # a year, such as "founded in 2015"
        if value > _LARGEST_HEADCOUNT:
            continue
        if re.search(r"\b(?:under|less\s+than|fewer\s+than|below|not\s+even|up\s+to|<)\s*$", text[: m.start()]):
            value = 1  # "under 50" is 1 to 49
        candidates.append((not near_people, m.start(), value))
    if candidates:
        return max(1, int(min(candidates)[2]))

    for word, value in _VAGUE_PLURALS.items():
        if re.search(rf"\b{word}\b", text):
            return value
    if _SOLO_RE.search(text):
        return 1
    return None


def _range_upper(text: str, lower: re.Match) -> re.Match | None:
    """The upper end of a range that starts with `lower` ("50-100", "5 to 10k"), if any."""
    joiner = RANGE_JOINER_RE.match(text, lower.end())
    return _SIZE_NUMBER_RE.match(text, joiner.end()) if joiner else None
