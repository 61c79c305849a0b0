"""Turn a visitor's free-text BANT answers into values the scoring can compare.

Four pure functions, one per BANT question the assistant asks:

- `parse_budget("around 50k a year")`       -> Budget(amount=50000.0, currency="USD", period="year")
- `parse_timeline("next quarter", today)`   -> whole days from `today` until the intended purchase
- `parse_authority("I'm the CTO")`          -> "decision_maker" | "influencer" | "user" | "none" | "unknown"
- `parse_company_size("team of 12")`        -> 12

Each returns None (or "unknown") when the answer states nothing usable, so the assistant can
re-ask. Numbers may be written as words ("fifty thousand", "a dozen"); ranges give their lower
bound. Everything runs on regular expressions and `dateutil.relativedelta`; no I/O.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Callable, Optional

from dateutil.relativedelta import relativedelta

__all__ = [
    "Budget",
    "parse_budget",
    "parse_timeline",
    "parse_authority",
    "parse_company_size",
]


def _require_text(text: object, function: str) -> str:
    if not isinstance(text, str):
        raise TypeError(f"{function}() expects the visitor's text as str, got {type(text).__name__}")
    return text


# ---------------------------------------------------------------------------------------------
# Numbers written as words
# ---------------------------------------------------------------------------------------------

_UNIT_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}
_TENS_WORDS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
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


def _normalise_numbers(text: str) -> str:
    """Lower-case the text and write its number words as digits."""
    text = text.lower().replace("\u2019", "'")
    for pattern, replacement in _QUANTITY_BEFORE_SCALE:
        text = pattern.sub(replacement, text)
    return _NUMBER_WORDS_RE.sub(_number_words_to_digits, text)


# Numbers as people type them: 1500, 1,500.50, 1'500, 1 500, 1.500,50 (European), 1.5, 1,5.
_NUMBER = (
    r"\d{1,3}(?:\.\d{3})+(?:,\d+)?(?!\.?\d)"
    r"|\d{1,3}(?:[,' ]\d{3})+(?:\.\d+)?(?![,']?\d)"
    r"|\d+(?:[.,]\d+)?"
)


def _to_float(number: str) -> float:
    """Read a number matched by _NUMBER."""
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", number):
        return float(number.replace(".", "").replace(",", "."))
    if re.fullmatch(r"\d{1,3}(?:[,' ]\d{3})+(?:\.\d+)?", number):
        return float(re.sub(r"[,' ]", "", number))
    return float(number.replace(",", "."))


# "to", "-", "and", "or" between two amounts make a range: "10-20k", "between 5 and 10 thousand".
_RANGE_JOINER_RE = re.compile(r"\s*(?:-|–|—|~|to|and|or|/)\s*")


# ---------------------------------------------------------------------------------------------
# Budget
# ---------------------------------------------------------------------------------------------

_DOLLAR_CURRENCIES = {"USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN"}

# Currency notations (lower-cased) -> ISO 4217. "$" and "dollars" mean USD unless the
# default currency is itself a dollar, in which case they mean that one.
_CURRENCY_NOTATIONS = {
    "us$": "USD", "usd": "USD", "us dollars": "USD", "american dollars": "USD",
    "c$": "CAD", "ca$": "CAD", "cad": "CAD", "canadian dollars": "CAD", "canadian": "CAD",
    "a$": "AUD", "au$": "AUD", "aud": "AUD", "australian dollars": "AUD", "australian": "AUD",
    "nz$": "NZD", "nzd": "NZD", "s$": "SGD", "sgd": "SGD", "hk$": "HKD", "hkd": "HKD",
    "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR",
    "£": "GBP", "gbp": "GBP", "pounds": "GBP", "pound": "GBP", "quid": "GBP", "sterling": "GBP",
    "chf": "CHF", "swiss francs": "CHF", "francs": "CHF", "fr.": "CHF",
    "₹": "INR", "inr": "INR", "rs.": "INR", "rs": "INR", "rupees": "INR",
    "¥": "JPY", "jpy": "JPY", "yen": "JPY", "cny": "CNY", "rmb": "CNY", "yuan": "CNY",
    "sek": "SEK", "nok": "NOK", "dkk": "DKK", "pln": "PLN", "zł": "PLN", "zloty": "PLN",
    "r$": "BRL", "brl": "BRL", "reais": "BRL", "mxn": "MXN", "zar": "ZAR", "rand": "ZAR",
    "$": "$", "dollars": "$", "dollar": "$", "bucks": "$",
}
_CURRENCY = "|".join(
    re.escape(n) + (r"\b" if n[-1].isalpha() else "")
    for n in sorted(_CURRENCY_NOTATIONS, key=len, reverse=True)
)
# Multipliers after a number -> factor. Lakh and crore also say the currency is INR.
_MULTIPLIERS = {
    "k": 1e3, "thousand": 1e3, "grand": 1e3, "m": 1e6, "mm": 1e6, "mil": 1e6, "mio": 1e6,
    "million": 1e6, "millions": 1e6, "bn": 1e9, "billion": 1e9,
    "lakh": 1e5, "lakhs": 1e5, "lac": 1e5, "crore": 1e7, "crores": 1e7,
}
_MULTIPLIER = "|".join(sorted(_MULTIPLIERS, key=len, reverse=True))
_AMOUNT_RE = re.compile(
    rf"(?:(?<![a-z])(?P<cur_before>{_CURRENCY})\s?)?"
    rf"(?P<number>{_NUMBER})"
    rf"(?:\s?(?P<multiplier>{_MULTIPLIER})(?![a-z]))?"
    rf"(?:\s?\+)?"
    rf"(?:\s?(?<![a-z])(?P<cur_after>{_CURRENCY}))?"
)
_ANY_CURRENCY_RE = re.compile(rf"(?<![a-z])(?:{_CURRENCY})")
# Numbers that count something else: "50 users", "3 years", "20%".
_NOT_MONEY_AFTER_RE = re.compile(
    r"\s*(?:%|(?:percent|users?|seats?|licen[cs]es?|people|employees|staff|persons|"
    r"days?|weeks?|months?|years?|yrs?|hours?|reps?|agents?)\b)"
)
_MONTHLY_RE = re.compile(
    r"\bmonthly\b|\bp\.?c\.?m\b|(?:\bper|\ba|\ban|\beach|\bevery|/)\s*(?:month|mo|mth|mnth)\b"
)
_YEARLY_RE = re.compile(
    r"\b(?:annually|annual|yearly|per annum|p\.a\.?|pa)(?![a-z])"
    r"|(?:\bper|\ba|\ban|\beach|\bevery|/|\bfor the|\bfor this|\bfor next)\s*(?:year|yr|annum|y)\b"
    r"|\byear'?s budget\b|\b(?:first|1st)\s+year\b|\byear\s+(?:one|1)\b"
)
_QUARTERLY_RE = re.compile(r"\bquarterly\b|(?:\bper|\ba|\beach|\bevery|/)\s*(?:quarter|qtr|q)\b")
# "no budget limit" means unlimited, not zero, so limit-like words after "no budget" are excluded.
_NO_BUDGET_RE = re.compile(
    r"\bno\s+(?:real\s+|actual\s+|set\s+|dedicated\s+|allocated\s+)?budget\b"
    r"(?!\s*(?:limit|cap|ceiling|constraint|restriction|issue|problem|concern))"
    r"|\bnothing\s+(?:yet|allocated|set aside|budgeted|planned|approved|at the moment|right now|so far)\b"
    r"|\bnone\b(?!\s+of\b)"
    r"|\b(?:do not|don't|dont|haven't|havent|have not|didn't|did not)\s+(?:have|got|get|set)\s+"
    r"(?:one|a budget|any budget|budget|money|any money|funds|any funds|anything)\b"
    r"|\bnot\s+(?:budgeted|allocated|funded)\b|\bno\s+(?:money|funds|funding)\b"
    r"|\b(?:nada|nil|zilch)\b|^\s*(?:nothing|no)\s*[.!]*\s*$"
)


@dataclass(frozen=True)
class Budget:
    """A budget as stated: `amount` in `currency` (ISO 4217) per `period` ("month", "year" or
    None when no period was said). A quarterly amount is stored per year (x4)."""

    amount: float
    currency: str
    period: Optional[str] = None

    def annual_amount(self) -> float:
        """The amount per year: monthly amounts x12; amounts without a period are taken as is."""
        return self.amount * 12 if self.period == "month" else self.amount


def _currency_of(notation: Optional[str], default_currency: str) -> Optional[str]:
    if not notation:
        return None
    code = _CURRENCY_NOTATIONS[notation.strip()]
    if code == "$":
        return default_currency if default_currency in _DOLLAR_CURRENCIES else "USD"
    return code


def parse_budget(text: str, default_currency: str = "USD") -> Optional[Budget]:
    """Read a budget answer: "50k", "$2,500/mo", "€10-15k a year", "fifty grand", "₹5 lakh".

    - A range gives its lower bound; a multiplier written once covers both ends ("10-20k").
    - "up to 50k", "under 50k", "at least 50k" give the amount named (the money available).
    - Numbers that count something else ("50 users", "2027") are not amounts.
    - Without a currency in the text, `default_currency` applies; "$" and "dollars" mean USD,
      or the default currency when that is a dollar (CAD, AUD...).
    - An explicit absence ("no budget yet", "nothing allocated", "zero", "we don't have one")
      is amount 0; vagueness ("not sure", "depends", "no budget limit") is None.
    """
    text = _require_text(text, "parse_budget").lower()
    if not re.fullmatch(r"[A-Za-z]{3}", default_currency):
        raise ValueError(f"default_currency must be an ISO 4217 code such as 'USD', got {default_currency!r}")
    default_currency = default_currency.upper()
    says_no_budget = bool(_NO_BUDGET_RE.search(text))  # before "one" becomes "1"
    text = _normalise_numbers(text)
    amounts = [m for m in _AMOUNT_RE.finditer(text) if _looks_like_money(m, text)]
    # The first amount with a currency or multiplier, else the first amount.
    index = next(
        (i for i, m in enumerate(amounts) if m["cur_before"] or m["cur_after"] or m["multiplier"]),
        None,
    )
    if index is None and (says_no_budget or not amounts):
        return Budget(0.0, default_currency) if says_no_budget else None
    index = index or 0

    def joined(i: int) -> bool:  # amounts i and i+1 form a range: "10 to 20k"
        return _RANGE_JOINER_RE.fullmatch(text[amounts[i].end() : amounts[i + 1].start()]) is not None

    if index > 0 and joined(index - 1):
        index -= 1
    chosen = amounts[index]
    upper = amounts[index + 1] if index + 1 < len(amounts) and joined(index) else None

    amount = _to_float(chosen["number"])
    multiplier = chosen["multiplier"]
    if not multiplier and upper and upper["multiplier"] and amount <= _to_float(upper["number"]):
        multiplier = upper["multiplier"]  # "10-20k" is 10k to 20k, but "500-2k" is 500 to 2000
    if multiplier:
        amount *= _MULTIPLIERS[multiplier]
    if not math.isfinite(amount):
        return None

    currency = (
        _currency_of(chosen["cur_before"] or chosen["cur_after"], default_currency)
        or (upper and _currency_of(upper["cur_before"] or upper["cur_after"], default_currency))
        or _currency_of(_first_currency_notation(text), default_currency)
        or ("INR" if multiplier in ("lakh", "lakhs", "lac", "crore", "crores") else default_currency)
    )
    period = None
    if _MONTHLY_RE.search(text):
        period = "month"
    elif _YEARLY_RE.search(text):
        period = "year"
    elif _QUARTERLY_RE.search(text):
        amount, period = amount * 4, "year"
    return Budget(float(amount), currency, period)


def _looks_like_money(match: re.Match, text: str) -> bool:
    if match["cur_before"] or match["cur_after"] or match["multiplier"]:
        return True
    if _NOT_MONEY_AFTER_RE.match(text, match.end()):
        return False
    if text[match.start() - 1 : match.start()] in ("q", "h"):  # "Q3", "H2"
        return False
    number = _to_float(match["number"])
    return not (1990 <= number <= 2100 and "." not in match["number"])  # a year


def _first_currency_notation(text: str) -> Optional[str]:
    found = _ANY_CURRENCY_RE.search(text)
    return found.group() if found else None


# ---------------------------------------------------------------------------------------------
# Timeline
# ---------------------------------------------------------------------------------------------

_MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
    "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11,
    "nov": 11, "december": 12, "dec": 12,
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_WEEKDAYS = {
    "monday": 0, "tuesday": 1, "tues": 1, "wednesday": 2, "thursday": 3, "thurs": 3,
    "friday": 4, "saturday": 5, "sunday": 6,
}
_SEASON_START_MONTH = {"spring": 3, "summer": 6, "fall": 9, "autumn": 9, "winter": 12}
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4,
             "4th": 4, "last": 4, "final": 4}
# Which part of a period is meant: "early 2027", "mid-March", "end of the quarter".
_PART = (
    r"(?:(?P<part>early|beginning\s+of|start\s+of|mid|middle\s+of|late|later|end\s+of|"
    r"the\s+end\s+of|close\s+of)\s*(?:the\s+)?)?"
)
_YEAR_SUFFIX = r"(?:,?\s*(?:of\s+)?(?P<year>20\d{2}|'\d{2}\b|next\s+year|this\s+year))?"
# A rule's converter: the date a matched phrase means, or None if the match is not a time.
_ToDate = Callable[[re.Match, date], Optional[date]]
_NEGATED_BEFORE_RE = re.compile(r"(?:\bnot|n't|\bno)\s+(?:\w+\s+)?$")

# Phrases that give a number of days directly.
_FIXED_DAYS = [
    (r"\b(?:right\s+now|immediately|right\s+away|straight\s+away|at\s+once|yesterday|today|"
     r"urgent(?:ly)?|this\s+instant)\b|(?<!for\s)(?<!just\s)(?<!by\s)\bnow\b", 0),
    (r"\btomorrow\b", 1),
    (r"\basap\b|\ba\.s\.a\.p\b|\bas\s+soon\s+as\s+(?:possible|we\s+can|you\s+can)\b|\bsoonest\b", 7),
    (r"\b(?:very\s+)?soon\b|\bshortly\b", 30),
]


def _years_to_try(today: date, year_text: Optional[str]) -> list[int]:
    """The calendar years a period may fall in: the stated one, or last year to two ahead."""
    if year_text:
        if year_text.startswith("next"):
            return [today.year + 1]
        if year_text.startswith("this"):
            return [today.year]
        return [2000 + int(year_text[1:])] if year_text.startswith("'") else [int(year_text)]
    return [today.year - 1, today.year, today.year + 1, today.year + 2]


def _point_in_period(start: date, end: date, part: Optional[str], today: date) -> date:
    """The day meant by a period ("March", "Q3", "next year") and the part of it named.

    A period means its first day ("early" too), "mid" its middle, "late" the start of its
    last third, "end of" its last day. If that day has passed but the period has not ended,
    the visitor means "during the rest of it": halfway between today and its end.
    """
    part = re.sub(r"\s+", " ", part or "")
    if part.endswith("end of") or part == "close of":
        target = end
    elif part in ("mid", "middle of"):
        target = start + (end - start) / 2
    elif part == "late":
        target = start + (end - start) * 2 / 3
    else:
        target = start
    if target < today <= end:
        target = today + (end - today) / 2
    return target


def _pick_period(
    periods: list[tuple[date, date]], today: date, next_one: bool = False
) -> tuple[date, date]:
    """The first period not over yet, or with `next_one` the first that has not begun."""
    for start, end in periods:
        if (start > today) if next_one else (end >= today):
            return start, end
    return periods[-1]


def _months_from(year: int, month: int, months: int) -> tuple[date, date]:
    """First and last day of the `months` calendar months that start with year-month."""
    start = date(year, month, 1)
    return start, start + relativedelta(months=months, days=-1)


def _month_period(year: int, month: int) -> tuple[date, date]:
    return _months_from(year, month, 1)


def _quarter_period(year: int, quarter: int) -> tuple[date, date]:
    return _months_from(year, 3 * quarter - 2, 3)


def _current_quarter(today: date) -> int:
    return (today.month - 1) // 3 + 1


def _named_month(m: re.Match, today: date) -> Optional[date]:
    # "may" and "march" are also verbs: as months they need a preposition, part or year.
    if m["month"] in ("may", "march", "mar") and m.group().strip() == m["month"]:
        return None
    periods = [_month_period(y, _MONTHS[m["month"]]) for y in _years_to_try(today, m["year"])]
    return _point_in_period(*_pick_period(periods, today), m["part"], today)


def _quarter(m: re.Match, today: date) -> date:
    quarter = int(m["q"]) if m["q"] else _ORDINALS[m["ordinal"]]
    periods = [_quarter_period(y, quarter) for y in _years_to_try(today, m["year"])]
    return _point_in_period(*_pick_period(periods, today), m["part"], today)


def _half_year(m: re.Match, today: date) -> date:
    first_month = 1 if (m["h"] == "1" or _ORDINALS.get(m["ordinal"]) == 1) else 7
    periods = [_months_from(y, first_month, 6) for y in _years_to_try(today, m["year"])]
    return _point_in_period(*_pick_period(periods, today), m["part"], today)


def _season(m: re.Match, today: date) -> Optional[date]:
    """Meteorological seasons of the northern hemisphere (summer = June to August)."""
    if m["season"] == "fall" and not (m["which"] or m["part"] or m["year"]):
        return None  # "fall" alone is more likely the verb
    first_month = _SEASON_START_MONTH[m["season"]]
    periods = [_months_from(y, first_month, 3) for y in _years_to_try(today, m["year"])]
    return _point_in_period(*_pick_period(periods, today, m["which"] == "next"), m["part"], today)


def _calendar_year(m: re.Match, today: date) -> date:
    year = int(m["year"])
    return _point_in_period(date(year, 1, 1), date(year, 12, 31), m["part"], today)


def _current_period(unit: str, today: date) -> tuple[date, date]:
    """The week (from Monday), month, quarter or year that contains today."""
    if unit == "week":
        start = today - timedelta(days=today.weekday())
        return start, start + timedelta(days=6)
    if unit == "month":
        return _month_period(today.year, today.month)
    if unit == "quarter":
        return _quarter_period(today.year, _current_quarter(today))
    return date(today.year, 1, 1), date(today.year, 12, 31)


def _shift_period(period: tuple[date, date], unit: str, steps: int) -> tuple[date, date]:
    step = {"week": relativedelta(weeks=1), "month": relativedelta(months=1),
            "quarter": relativedelta(months=3), "year": relativedelta(years=1)}[unit]
    start = period[0] + step * steps
    return start, start + step - timedelta(days=1)


def _relative_period(m: re.Match, today: date) -> Optional[date]:
    """ "this/next/the end of the week|month|quarter|year", "the year after next"."""
    if not (m["which"] or m["part"] or m["after_next"]):
        return None  # a bare "month" or "year" names no particular one
    steps = 2 if m["after_next"] else 1 if m["which"] in ("next", "the following", "following") else 0
    start, end = _shift_period(_current_period(m["unit"], today), m["unit"], steps)
    return _point_in_period(start, end, m["part"], today)


def _not_this_period(m: re.Match, today: date) -> date:
    """ "not this year" means from the start of the next one."""
    return _shift_period(_current_period(m["unit"], today), m["unit"], 1)[0]


def _end_of_current(m: re.Match, today: date) -> date:
    """ "eoy", "quarter-end", "eom": the last day of the current period."""
    word = m.group()
    unit = "year" if "y" in word else "quarter" if "q" in word else "month"
    return _current_period(unit, today)[1]


def _duration(m: re.Match, today: date) -> date:
    """ "in 2 weeks", "6-12 months" (lower bound), "within 1.5 years": today plus that span."""
    count = float(m["count"].replace(",", "."))
    unit = m["unit"][0]
    if unit in "dw":
        return today + timedelta(days=round(count * (7 if unit == "w" else 1)))
    months = count * {"m": 1, "q": 3, "y": 12}[unit]
    whole = int(months)
    return today + relativedelta(months=whole) + timedelta(days=round((months - whole) * 30))


def _written_date(m: re.Match, today: date) -> date:
    """ "Feb 15th", "15 February 2027", "2027-02-01", "3/15/2027" (month first, as in the US,
    unless the first number cannot be a month). A date without a year is its next occurrence."""
    if m["iso"]:
        return _safe_date(int(m["iso_y"]), int(m["iso_m"]), int(m["iso_d"]), today)
    if m["slash"]:
        first, second, year = int(m["s1"]), int(m["s2"]), int(m["s_y"])
        month, day = (second, first) if first > 12 else (first, second)
        return _safe_date(year if year > 100 else 2000 + year, month, day, today)
    month = _MONTHS[m["month_a"] or m["month_b"]]
    day = int(m["day_a"] or m["day_b"])
    if m["year"]:
        return _safe_date(int(m["year"]), month, day, today)
    this_year = _safe_date(today.year, month, day, today)
    return this_year if this_year >= today else _safe_date(today.year + 1, month, day, today)


def _safe_date(year: int, month: int, day: int, today: date) -> date:
    """A date from its parts; an impossible day (Feb 30) gives the month's last day, an
    impossible month gives `today`, so a typo never raises."""
    if not 1 <= month <= 12:
        return today
    return date(year, month, min(max(day, 1), _month_period(year, month)[1].day))


def _weekday(m: re.Match, today: date) -> date:
    """ "by Friday", "next Tuesday": the next such day after today."""
    return today + timedelta(days=(_WEEKDAYS[m["weekday"]] - today.weekday() - 1) % 7 + 1)


def _fixed_days(days: int) -> _ToDate:
    def to_date(m: re.Match, today: date) -> Optional[date]:
        if _NEGATED_BEFORE_RE.search(m.string, 0, m.start()):
            return None  # "not urgent", "not right now"
        return today + timedelta(days=days)

    return to_date


# Phrases that name a time; the first one in the text counts.
_TIMELINE_RULES: list[tuple[re.Pattern, _ToDate]] = [
    (re.compile(
        r"\b(?P<iso>(?P<iso_y>20\d{2})-(?P<iso_m>\d{1,2})-(?P<iso_d>\d{1,2}))\b"
        r"|\b(?P<slash>(?P<s1>\d{1,2})/(?P<s2>\d{1,2})/(?P<s_y>\d{4}|\d{2}))\b"
        rf"|\b(?:(?P<day_a>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month_a>{_MONTH})\.?"
        rf"|(?P<month_b>{_MONTH})\.?\s+(?:the\s+)?(?P<day_b>\d{{1,2}})(?:st|nd|rd|th)?)\b"
        r"(?:,?\s+(?P<year>20\d{2}))?"
    ), _written_date),
    (re.compile(
        r"\b(?P<count>\d+(?:[.,]\d+)?)\s*(?:(?:-|–|to|or)\s*\d+(?:[.,]\d+)?\s*)?"
        r"(?P<unit>days?|weeks?|wks?|months?|mos?|mths?|quarters?|years?|yrs?)\b"
    ), _duration),
    (re.compile(r"\bnot\s+(?:this|until\s+this|before\s+this)\s+(?P<unit>week|month|quarter|year)\b"),
     _not_this_period),
    (re.compile(
        rf"\b{_PART}(?:(?P<which>this|next|the\s+following|following|current|the\s+current|"
        r"within\s+the)\s+)?(?:(?:fiscal|financial|calendar)\s+)?(?P<unit>week|month|quarter|year)\b"
        r"(?P<after_next>\s+after\s+next)?"
    ), _relative_period),
    (re.compile(rf"\b{_PART}(?:q(?P<q>[1-4])|(?P<ordinal>first|second|third|fourth|1st|2nd|3rd|"
                rf"4th|last|final)\s+quarter)\b{_YEAR_SUFFIX}"), _quarter),
    (re.compile(rf"\b{_PART}(?:h(?P<h>[12])|(?P<ordinal>first|second|1st|2nd)\s+half)\b"
                rf"(?:\s+of)?(?:\s+the\s+year)?{_YEAR_SUFFIX}"), _half_year),
    (re.compile(
        rf"(?:\b(?:in|by|before|until|till|til|around|from|for|after|during|of|this|next)\s+)?"
        rf"\b{_PART}(?P<month>{_MONTH})\b\.?{_YEAR_SUFFIX}"
    ), _named_month),
    (re.compile(rf"\b{_PART}(?:(?P<which>this|next|the|in\s+the)\s+)?"
                rf"(?P<season>spring|summer|autumn|fall|winter)\b{_YEAR_SUFFIX}"), _season),
    (re.compile(rf"\b{_PART}(?P<year>20\d{{2}})\b"), _calendar_year),
    (re.compile(r"\b(?:eoy|eoq|eom|year[- ]end|quarter[- ]end|month[- ]end)\b"), _end_of_current),
    (re.compile(rf"\b(?P<weekday>{'|'.join(_WEEKDAYS)})\b"), _weekday),
    (re.compile(r"\bnew\s+year\b"), lambda m, today: date(today.year + 1, 1, 1)),
]
# "now", "asap", "soon": used only when no phrase above names a time, because "we're looking
# right now, but would buy in 3 months" means 3 months.
_FIXED_DAY_RULES: list[tuple[re.Pattern, _ToDate]] = [
    (re.compile(pattern), _fixed_days(days)) for pattern, days in _FIXED_DAYS
]

# Quantities and units written out, rewritten before the rules run.
_TIMELINE_REWRITES = [
    # "within the next month" is a span from today (up to 30 days), not the 1st of next month.
    (re.compile(r"\b(?:within|in|over|during)\s+the\s+(?:next|coming)\s+(?=(?:day|week|month|quarter|year)\b)"),
     "within 1 "),
    (re.compile(r"\bfortnight\b"), "2 weeks"),
    (re.compile(r"\bhalf\s+(?:a\s+)?year\b"), "6 months"),
    (re.compile(r"\ban?\s+(?=(?:day|week|month|quarter|year)s?\b)"), "1 "),
    (re.compile(r"\b(?:a\s+)?couple(?:\s+of)?\b"), "2"),
    (re.compile(r"\b(?:a\s+few|few|several|some|the\s+coming|coming)\b(?=\s+(?:days|weeks|months|years)\b)"), "3"),
    (re.compile(r"\b(\d+(?:\.\d+)?)\s+and\s+a\s+half\s+"), r"\1.5 "),
    (re.compile(r"\b(\d+(?:\.\d+)?)\s+(day|week|month|year)s?\s+and\s+a\s+half\b"), r"\1.5 \2s"),
    (re.compile(r"\bmid\s*-\s*"), "mid "),
]


def parse_timeline(text: str, today: date) -> Optional[int]:
    """Whole days from `today` until the visitor means to buy or start, or None if no timeline.

    Conventions (calendar-based; weeks start on Monday; seasons are northern-hemisphere and
    meteorological, so summer is June to August; quarters are calendar quarters):
    - "now", "immediately", "yesterday" -> 0; "tomorrow" -> 1; "asap" -> 7; "soon" -> 30.
    - Spans count from today and give their lower bound: "in 2 weeks" -> 14, "within a month"
      -> one calendar month, "a couple of months" -> 2 months, "6-12 months" -> 6 months,
      "a few weeks" -> 3 weeks.
    - A named period means its first day: "next month" -> the 1st of next month, "next week"
      -> next Monday, "Q3" -> 1 July, "January" -> 1 January, "this summer" -> 1 June; "by
      March" is March itself. "early" is the first day too, "mid" the middle, "late" the
      start of the last third, "end of"/"by end of" the last day.
    - A period already under way ("this quarter", "this month", "March" in mid-March) means
      halfway between today and its end.
    - A period or date without a year is its next occurrence: "January" said in November is
      next January, "Feb 15th" said in March is next year's.
    - A stated date in the past gives 0 (they needed it already).
    - When several phrases appear, the first one in the text counts; "now", "asap" and "soon"
      count only when no other phrase names a time.
    Anything else ("just researching", "no rush, just looking", "not sure") gives None.
    """
    text = _require_text(text, "parse_timeline")
    if not isinstance(today, date):
        raise TypeError(f"parse_timeline() expects today as datetime.date, got {type(today).__name__}")
    # "one day" is "someday", not a day from now; decided before "one" becomes "1".
    text = _normalise_numbers(re.sub(r"(?<!in\s)(?<!within\s)\b(?:one|some)\s+day\b", "someday", text.lower()))
    for pattern, replacement in _TIMELINE_REWRITES:
        text = pattern.sub(replacement, text)

    target = _first_target(_TIMELINE_RULES, text, today) or _first_target(_FIXED_DAY_RULES, text, today)
    return None if target is None else max(0, (target - today).days)


def _first_target(rules: list[tuple[re.Pattern, _ToDate]], text: str, today: date) -> Optional[date]:
    """The date of the phrase that starts first in the text (the longest, on a tie)."""
    found: list[tuple[int, int, date]] = []
    for pattern, to_date in rules:
        for m in pattern.finditer(text):
            try:
                target = to_date(m, today)
            except (ValueError, OverflowError):  # "in 99999 years" is past the calendar's end
                continue
            if target is not None:
                found.append((m.start(), -len(m.group()), target))
                break
    return min(found)[2] if found else None


# ---------------------------------------------------------------------------------------------
# Authority
# ---------------------------------------------------------------------------------------------

_NOT_A_BUYER_RE = re.compile(
    r"\b(?:students?|undergrad|grad\s+student|phd\s+(?:student|candidate)|studying\s+(?:at|for|in)|"
    r"(?:school|class|uni|university|college|course)\s+(?:project|assignment|paper)|homework|"
    r"thesis|dissertation|job\s*seeker|job\s+hunting|looking\s+for\s+(?:a\s+|an\s+)?(?:new\s+)?"
    r"(?:job|work|position|role|internship)|apply(?:ing)?\s+(?:for|to)\s+(?:a\s+|an\s+|the\s+|this\s+)?"
    r"(?:job|role|position|internship|opening|work)|job\s+application|internship|"
    r"are\s+you\s+hiring|unemployed|between\s+jobs|competitors?|competing|rival\s+(?:company|vendor)|"
    r"journalist|reporter|blogger|writing\s+(?:an?\s+)?(?:article|story|piece|blog\s+post|post|paper)|"
    r"for\s+(?:an?\s+)?article|press\s+inquiry|media\s+inquiry)\b"
)
# Titles of the people a visitor may defer to.
_OTHER_DECIDER = (
    r"(?:boss|bosses|manager|supervisor|ceo|cto|cfo|coo|cio|cmo|founders?|owner|director|vp|"
    r"head\s+of\s+\w+|management|leadership|exec(?:utive)?s?|board|higher[- ]ups|team\s+lead)"
)
# Someone else decides: "not the decision maker", "my boss decides", "for our CTO", "the CFO signs".
_DEFERS_RE = re.compile(
    r"(?:\bnot|n't|\bnever)\s+(?:\w+\s+){0,2}?(?:the\s+|a\s+|an\s+)?(?:final\s+|main\s+|only\s+|one\s+who\s+)?"
    r"(?:decision[- ]?maker|decides?|deciding|decision|sign(?:s|ing)?[- ]?off|in\s+charge|call|say|"
    r"approve|budget\s+holder|up\s+to\s+me)\b"
    r"|\bno\s+(?:final\s+)?(?:say|authority|decision|power)\b"
    rf"|\b(?:my|our)\s+{_OTHER_DECIDER}\b"
    rf"|\b(?:to|for)\s+(?:the|our|my)\s+{_OTHER_DECIDER}\b|\b{_OTHER_DECIDER}'s\b"
    rf"|\bthe\s+{_OTHER_DECIDER}\s+(?:\w+\s+)?(?:signs?|decides?|approves?|makes\s+the|has\s+the\s+final)\b"
    r"|\breport(?:s|ing)?\s+(?:\w+\s+)?to\b|\bneeds?\s+(?:approval|sign[- ]?off|to\s+(?:ask|check|run\s+it))\b"
    r"|\b(?:on\s+behalf\s+of|assistant\s+to)\b|\bup\s+to\s+(?:my|our|the)\b|\bhigher[- ]ups\b"
    r"|\bdecide\s+(?:together|as\s+a\s+team|jointly)\b|\bjoint\s+decision\b|\bas\s+a\s+team\b"
)
# "I sign off", "my call", "I decide", "final say", "budget holder", "I run my own business".
_DECIDES_RE = re.compile(
    r"\bdecision[- ]?maker\b|\b(?:final|last)\s+say\b|\bup\s+to\s+me\b|\b(?:my|me)\s+(?:call|decision)\b"
    r"|\bbudget\s+(?:holder|owner)\b|\bmy\s+own\s+(?:company|business|startup|agency|firm|shop)\b"
    r"|\bjust\s+me\b|\bself[- ]employed\b|\bfreelanc\w*|\bsolo\w*|\bsole\s+(?:trader|proprietor)\b"
    r"|\brun\s+the\s+(?:whole\s+)?show\b"
    r"|\bi\s+(?:\w+\s+)?(?:decide|sign(?:\s+it)?[- ]off|sign\s+the\s+checks?|approve|call\s+the\s+shots"
    r"|make\s+the\s+(?:final\s+)?(?:call|decisions?)|(?:own|hold|control)\s+the\s+budget)\b"
    r"|\bi\s+(?:own|run|founded|started)\s+(?:the|this|a|an|my|our)\s+(?:\w+\s+)?"
    r"(?:company|business|startup|agency|firm|shop|place)\b"
)
_INFLUENCES_RE = re.compile(
    r"\bi\s+(?:\w+\s+)?(?:recommend|suggest|advise|shortlist|influence|evaluat\w*|research\w*\s+options)\b"
    r"|\b(?:recommendations?|buying\s+committee|committee|shortlist\w*|evaluating|evaluation|"
    r"have\s+(?:a|some)\s+say|have\s+input|give\s+input|part\s+of\s+the\s+decision|"
    r"help\s+(?:\w+\s+)?decide|consultant|consulting|advisor|adviser|advising)\b"
)
_USER_PHRASES_RE = re.compile(
    r"\b(?:just|only)\s+(?:be\s+)?(?:using|use)\b|\bend[- ]user\b|\b(?:i'?d|i\s+would|i'?ll|i\s+will)\s+"
    r"(?:just\s+|mostly\s+|only\s+)?be\s+using\b|\bindividual\s+contributor\b"
)
# Job titles by level, as whole words (plural allowed).
_DECISION_MAKER_TITLES_RE = re.compile(
    r"\b(?:ceo|cto|cfo|coo|cio|cmo|cro|cpo|ciso|cdo|chief|co-founder|founder|owner|president|vp|svp|"
    r"evp|head\s+of|director|general\s+manager|partner|proprietor|chairman|chairwoman|chairperson|"
    r"board\s+member|entrepreneur)s?\b"
)
_INFLUENCER_TITLES_RE = re.compile(
    r"\b(?:manager|management|team\s+lead|tech\s+lead|technical\s+lead|project\s+lead|"
    r"lead\s+(?:dev|developer|engineer|architect|designer|analyst)|principal\s+\w+|\w+\s+lead|"
    r"supervisor|architect|product\s+owner|procurement|purchasing|buyer|executive\s+assistant|"
    r"chief\s+of\s+staff|manage\s+(?:a|the|our)\s+team)s?\b"
)
_USER_TITLES_RE = re.compile(
    r"\b(?:engineer|engineering|developer|dev|programmer|coder|analyst|designer|specialist|"
    r"associate|assistant|coordinator|admin|administrator|representative|rep|agent|scientist|"
    r"accountant|marketer|operator|technician|employee|staff|intern|sdr|bdr|account\s+executive|"
    r"support|clerk|recruiter|writer|editor|user|tester|qa)s?\b"
)
# Title words that do not make the visitor a decision maker.
_NOT_DECISION_MAKER_TITLES_RE = re.compile(
    r"\bpartner\s+(?:program|company|agency|manager|portal|network)\b|\bhead\s*count\b"
    r"|\bchief\s+of\s+staff\b|\bproduct\s+owner\b"
)
_ROLE_WORDS = (
    "founder", "cofounder", "owner", "president", "director", "partner", "manager", "management",
    "supervisor", "architect", "engineer", "developer", "programmer", "analyst", "designer",
    "specialist", "associate", "assistant", "coordinator", "administrator", "representative",
    "scientist", "accountant", "student", "journalist", "reporter", "competitor", "consultant",
)


def _fix_role_typos(text: str) -> str:
    """Replace misspelt role words ("manger", "enginer", "direcor") with the right spelling.

    A word of six letters or more that is one edit (insert, delete, substitute, swap of
    neighbours) from a role word is taken as that word. Words that merely start with a role
    word ("directory", "partnership") and verb forms ("reported", "managing") are kept.
    """
    def fix(match: re.Match) -> str:
        word = match.group()
        if len(word) < 6 or word.endswith(("ed", "ing")):
            return word
        for role in _ROLE_WORDS:
            if word.startswith(role):
                return word
            if _within_one_edit(word, role):
                return role
        return word

    return re.sub(r"[a-z]+", fix, text)


def _within_one_edit(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diffs) == 1 or (
            len(diffs) == 2 and diffs[1] == diffs[0] + 1
            and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]]
        )
    shorter, longer = (a, b) if len(a) < len(b) else (b, a)
    return any(longer[:i] + longer[i + 1:] == shorter for i in range(len(longer)))


def parse_authority(text: str) -> str:
    """Say how much say the visitor has over the purchase, from a job title or a sentence.

    Returns "none" for people who will not buy (student, job seeker, competitor, journalist),
    else "decision_maker" (C-level, founder, owner, VP, head of, director, partner, "I sign
    off", "my call"), "influencer" (manager, team lead, consultant, "I recommend", "buying
    committee") or "user" (engineer, analyst, "I'd just be using it"); "unknown" when the text
    names none of these. The highest level named wins ("developer and co-founder" is a decision
    maker), except that deferring to someone else ("not the decision maker", "my boss
    decides", "evaluating for our CTO") gives influencer, or user for a user role.
    """
    text = _require_text(text, "parse_authority").lower().replace("\u2019", "'")
    text = re.sub(r"\bco\s?-?\s?founder", "cofounder", text.replace("v.p.", "vp"))
    text = _fix_role_typos(text).replace("cofounder", "co-founder")
    if _NOT_A_BUYER_RE.search(text):
        return "none"
    if re.search(r"\bmy\s+co-founders?\b", text):
        return "decision_maker"  # "me and my co-founder decide together"
    if _DEFERS_RE.search(text):
        # Titles of the people deferred to ("my boss, the CEO") say nothing about the visitor.
        own_text = _DEFERS_RE.sub(" ", text)
        is_user = _USER_TITLES_RE.search(own_text) or _USER_PHRASES_RE.search(own_text)
        influences = _INFLUENCER_TITLES_RE.search(own_text) or _INFLUENCES_RE.search(text)
        return "user" if is_user and not influences else "influencer"
    titles = _NOT_DECISION_MAKER_TITLES_RE.sub(" ", text)
    if _DECIDES_RE.search(text) or _DECISION_MAKER_TITLES_RE.search(titles):
        return "decision_maker"
    if _INFLUENCER_TITLES_RE.search(text) or _INFLUENCES_RE.search(text):
        return "influencer"
    if _USER_TITLES_RE.search(text) or _USER_PHRASES_RE.search(text):
        return "user"
    return "unknown"


# ---------------------------------------------------------------------------------------------
# Company size
# ---------------------------------------------------------------------------------------------

_SIZE_MULTIPLIERS = {"k": 1_000, "thousand": 1_000, "m": 1_000_000, "million": 1_000_000}
_SIZE_NUMBER_RE = re.compile(
    rf"(?P<number>{_NUMBER})(?:\s?(?P<multiplier>k|thousand|m|million)(?![a-z]))?(?:\s?\+)?"
)
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
    rf"\bme\s+(?:and|\+|plus)\s+(?:(?P<number>{_NUMBER})|(?:my|a)\s+(?:co-?founder|partner|wife|"
    r"husband|brother|sister|friend|colleague|assistant|dad|mom|son|daughter))\b"
)
_LARGEST_HEADCOUNT = 10_000_000  # above any employer's: such a number is not a head count
_VAGUE_PLURALS = {"dozens": 24, "hundreds": 200, "thousands": 2_000}


def parse_company_size(text: str) -> Optional[int]:
    """Employees as a whole number: "50 employees" -> 50, "team of 12" -> 12, "5k" -> 5000,
    "50-100" -> 50, "10+" / "over 1,000" -> 10 / 1000, "a dozen" -> 12, "just me" -> 1,
    "me and 3 others" -> 4, "hundreds" -> 200. "under 50" is the range 1-49, so 1.

    Numbers next to a people word ("employees", "people", "of us", "team of") are preferred;
    numbers that count something else ("3 offices", "20 years", "2015") are skipped. None
    when no size is stated ("not sure", "small", "big enough").
    """
    text = _normalise_numbers(_require_text(text, "parse_company_size"))

    me_plus = _ME_PLUS_RE.search(text)
    if me_plus:
        return 1 + (int(_to_float(me_plus["number"])) if me_plus["number"] else 1)

    candidates = []  # (is next to a people word, position, value)
    for m in _SIZE_NUMBER_RE.finditer(text):
        if (
            _NOT_PEOPLE_AFTER_RE.match(text, m.end())
            or text[m.start() - 1 : m.start()] in ("$", "€", "£")
            or re.search(r"\b(?:fortune|inc\.?|forbes)\s*$", text[: m.start()])  # "Fortune 500"
        ):
            continue
        value = _to_float(m["number"])
        upper = _range_upper(text, m)
        multiplier = m["multiplier"]
        if not multiplier and upper and upper["multiplier"] and value <= _to_float(upper["number"]):
            multiplier = upper["multiplier"]  # "5-10k" is 5000 to 10000
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


def _range_upper(text: str, lower: re.Match) -> Optional[re.Match]:
    """The upper end of a range that starts with `lower` ("50-100", "5 to 10k"), if any."""
    joiner = _RANGE_JOINER_RE.match(text, lower.end())
    return _SIZE_NUMBER_RE.match(text, joiner.end()) if joiner else None
