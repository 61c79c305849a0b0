"""Timeline answers: "next quarter", "in 2 weeks", "by end of March", "asap" -> days from today.

`read_timeline` gives the whole answer (a representative day, the earliest and latest day it
allows, and the kind of answer); `parse_timeline` is its representative day alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from dateutil.relativedelta import relativedelta

from .numbers import normalise_numbers, require_text

_MONTHS = {
    "january": 1,
    "jan": 1,
    "february": 2,
    "feb": 2,
    "march": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "may": 5,
    "june": 6,
    "jun": 6,
    "july": 7,
    "jul": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sept": 9,
    "sep": 9,
    "october": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_WEEKDAYS = {
    "monday": 0,
    "tuesday": 1,
    "tues": 1,
    "wednesday": 2,
    "thursday": 3,
    "thurs": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}
_SEASON_START_MONTH = {"spring": 3, "summer": 6, "fall": 9, "autumn": 9, "winter": 12}
_ORDINALS = {
    "first": 1,
    "1st": 1,
    "second": 2,
    "2nd": 2,
    "third": 3,
    "3rd": 3,
    "fourth": 4,
    "4th": 4,
    "last": 4,
    "final": 4,
}
# Which part of a period is meant: "early 2027", "mid-March", "end of the quarter".
_PART = (
    r"(?:(?P<part>early|beginning\s+of|start\s+of|mid|middle\s+of|late|later|end\s+of|"
    r"the\s+end\s+of|close\s+of)\s*(?:the\s+)?)?"
)
_YEAR_SUFFIX = r"(?:,?\s*(?:of\s+)?(?P<year>20\d{2}|'\d{2}\b|next\s+year|this\s+year))?"


class _When(NamedTuple):
    """What a time phrase means: the day it stands for and the days it allows (`latest` None:
    no end, as in "not before March")."""

    target: date
    earliest: date
    latest: date | None


def _on(day: date) -> _When:
    return _When(day, day, day)


# A rule's converter: what a matched phrase means, or None if the match is not a time.
_ToWhen = Callable[[re.Match, date], _When | None]
_NEGATED_BEFORE_RE = re.compile(r"(?:\bnot|n't|\bno)\s+(?:\w+\s+)?$")

# Phrases that give a number of days directly.
_FIXED_DAYS = [
    (
        r"\b(?:right\s+now|immediately|right\s+away|straight\s+away|at\s+once|yesterday|today|"
        r"urgent(?:ly)?|this\s+instant)\b|(?<!for\s)(?<!just\s)(?<!by\s)\bnow\b",
        0,
    ),
    (r"\btomorrow\b", 1),
    (r"\basap\b|\ba\.s\.a\.p\b|\bas\s+soon\s+as\s+(?:possible|we\s+can|you\s+can)\b|\bsoonest\b", 7),
    (r"\b(?:very\s+)?soon\b|\bshortly\b", 30),
]


def _years_to_try(today: date, year_text: str | None) -> list[int]:
    """The calendar years a period may fall in: the stated one, or last year to two ahead."""
    if year_text:
        if year_text.startswith("next"):
            return [today.year + 1]
        if year_text.startswith("this"):
            return [today.year]
        return [2000 + int(year_text[1:])] if year_text.startswith("'") else [int(year_text)]
    return [today.year - 1, today.year, today.year + 1, today.year + 2]


def _point_in_period(start: date, end: date, part: str | None, today: date) -> _When:
    """The day meant by a period ("March", "Q3", "next year") and the part of it named.

    A period means its first day ("early" too), "mid" its middle, "late" the start of its
    last third, "end of" its last day. A whole year is the exception: "next year" or "in 2027"
    said on its own is a window of twelve months, and its first day would call a purchase
    that may be most of a year away "31 days" on 1 December; it means its middle, while the
    window's first day stays the earliest start. If the day meant has passed but the period
    has not ended, the visitor means "during the rest of it": halfway between today and its
    end. A named part is one day; a whole period allows any day of it from today on.
    """
    part = re.sub(r"\s+", " ", part or "")
    whole_year = (end - start).days >= 364
    if part.endswith("end of") or part == "close of":
        target = end
    elif part in ("mid", "middle of") or (not part and whole_year):
        target = start + (end - start) / 2
    elif part == "late":
        target = start + (end - start) * 2 / 3
    else:
        target = start
    if target < today <= end:
        target = today + (end - today) / 2
    if part:
        return _on(target)
    return _When(target, max(start, today), end)


def _pick_period(periods: list[tuple[date, date]], today: date, next_one: bool = False) -> tuple[date, date]:
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


def _named_month(m: re.Match, today: date) -> _When | None:
    # "may" and "march" are also verbs: as months they need a preposition, part or year.
    if m["month"] in ("may", "march", "mar") and m.group().strip() == m["month"]:
        return None
    periods = [_month_period(y, _MONTHS[m["month"]]) for y in _years_to_try(today, m["year"])]
    return _point_in_period(*_pick_period(periods, today), m["part"], today)


def _quarter(m: re.Match, today: date) -> _When:
    quarter = int(m["q"]) if m["q"] else _ORDINALS[m["ordinal"]]
    periods = [_quarter_period(y, quarter) for y in _years_to_try(today, m["year"])]
    return _point_in_period(*_pick_period(periods, today), m["part"], today)


def _half_year(m: re.Match, today: date) -> _When:
    first_month = 1 if (m["h"] == "1" or _ORDINALS.get(m["ordinal"]) == 1) else 7
    periods = [_months_from(y, first_month, 6) for y in _years_to_try(today, m["year"])]
    return _point_in_period(*_pick_period(periods, today), m["part"], today)


def _season(m: re.Match, today: date) -> _When | None:
    """Meteorological seasons of the northern hemisphere (summer = June to August)."""
    if m["season"] == "fall" and not (m["which"] or m["part"] or m["year"]):
        return None  # "fall" alone is more likely the verb
    first_month = _SEASON_START_MONTH[m["season"]]
    periods = [_months_from(y, first_month, 3) for y in _years_to_try(today, m["year"])]
    return _point_in_period(*_pick_period(periods, today, m["which"] == "next"), m["part"], today)


def _calendar_year(m: re.Match, today: date) -> _When:
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
    step = {
        "week": relativedelta(weeks=1),
        "month": relativedelta(months=1),
        "quarter": relativedelta(months=3),
        "year": relativedelta(years=1),
    }[unit]
    start = period[0] + step * steps
    return start, start + step - timedelta(days=1)


def _relative_period(m: re.Match, today: date) -> _When | None:
    """ "this/next/the end of the week|month|quarter|year", "the year after next"."""
    if not (m["which"] or m["part"] or m["after_next"]):
        return None  # a bare "month" or "year" names no particular one
    steps = 2 if m["after_next"] else 1 if m["which"] in ("next", "the following", "following") else 0
    start, end = _shift_period(_current_period(m["unit"], today), m["unit"], steps)
    return _point_in_period(start, end, m["part"], today)


def _not_this_period(m: re.Match, today: date) -> _When:
    """ "not this year" means from the start of the next one, with no end."""
    start = _shift_period(_current_period(m["unit"], today), m["unit"], 1)[0]
    return _When(start, start, None)


def _end_of_current(m: re.Match, today: date) -> _When:
    """ "eoy", "quarter-end", "eom": the last day of the current period."""
    word = m.group()
    unit = "year" if "y" in word else "quarter" if "q" in word else "month"
    return _on(_current_period(unit, today)[1])


def _duration(m: re.Match, today: date) -> _When:
    """ "in 2 weeks", "within 1.5 years": today plus that span; "6-12 months" is a window from
    its lower bound (the day meant) to its upper one."""
    earliest = _after(today, m["count"], m["unit"][0])
    latest = _after(today, m["upper"], m["unit"][0]) if m["upper"] else earliest
    return _When(earliest, earliest, max(earliest, latest))


def _after(today: date, count_text: str, unit: str) -> date:
    count = float(count_text.replace(",", "."))
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


def _fixed_days(days: int) -> _ToWhen:
    def to_when(m: re.Match, today: date) -> _When | None:
        if _NEGATED_BEFORE_RE.search(m.string, 0, m.start()):
            return None  # "not urgent", "not right now"
        return _on(today + timedelta(days=days))

    return to_when


def _one_day(to_date: Callable[[re.Match, date], date]) -> _ToWhen:
    """A converter for phrases that name one day ("Feb 15th", "by Friday")."""
    return lambda m, today: _on(to_date(m, today))


# Phrases that name a time; the first one in the text counts.
_TIMELINE_RULES: list[tuple[re.Pattern, _ToWhen]] = [
    (
        re.compile(
            r"\b(?P<iso>(?P<iso_y>20\d{2})-(?P<iso_m>\d{1,2})-(?P<iso_d>\d{1,2}))\b"
            r"|\b(?P<slash>(?P<s1>\d{1,2})/(?P<s2>\d{1,2})/(?P<s_y>\d{4}|\d{2}))\b"
            rf"|\b(?:(?P<day_a>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month_a>{_MONTH})\.?"
            rf"|(?P<month_b>{_MONTH})\.?\s+(?:the\s+)?(?P<day_b>\d{{1,2}})(?:st|nd|rd|th)?)\b"
            r"(?:,?\s+(?P<year>20\d{2}))?"
        ),
        _one_day(_written_date),
    ),
    (
        re.compile(
            r"\b(?P<count>\d+(?:[.,]\d+)?)\s*(?:(?:-|–|to|or)\s*(?P<upper>\d+(?:[.,]\d+)?)\s*)?"
            r"(?P<unit>days?|weeks?|wks?|months?|mos?|mths?|quarters?|years?|yrs?)\b"
        ),
        _duration,
    ),
    (
        re.compile(r"\bnot\s+(?:this|until\s+this|before\s+this)\s+(?P<unit>week|month|quarter|year)\b"),
        _not_this_period,
    ),
    (
        re.compile(
            rf"\b{_PART}(?:(?P<which>this|next|the\s+following|following|current|the\s+current|"
            r"within\s+the)\s+)?(?:(?:fiscal|financial|calendar)\s+)?(?P<unit>week|month|quarter|year)\b"
            r"(?P<after_next>\s+after\s+next)?"
        ),
        _relative_period,
    ),
    (
        re.compile(
            rf"\b{_PART}(?:q(?P<q>[1-4])|(?P<ordinal>first|second|third|fourth|1st|2nd|3rd|"
            rf"4th|last|final)\s+quarter)\b{_YEAR_SUFFIX}"
        ),
        _quarter,
    ),
    (
        re.compile(
            rf"\b{_PART}(?:h(?P<h>[12])|(?P<ordinal>first|second|1st|2nd)\s+half)\b"
            rf"(?:\s+of)?(?:\s+the\s+year)?{_YEAR_SUFFIX}"
        ),
        _half_year,
    ),
    (
        re.compile(
            rf"(?:\b(?:in|by|before|until|till|til|than|around|from|for|after|during|of|this|next)\s+)?"
            rf"\b{_PART}(?P<month>{_MONTH})\b\.?{_YEAR_SUFFIX}"
        ),
        _named_month,
    ),
    (
        re.compile(
            rf"\b{_PART}(?:(?P<which>this|next|the|in\s+the)\s+)?"
            rf"(?P<season>spring|summer|autumn|fall|winter)\b{_YEAR_SUFFIX}"
        ),
        _season,
    ),
    (re.compile(rf"\b{_PART}(?P<year>20\d{{2}})\b"), _calendar_year),
    (re.compile(r"\b(?:eoy|eoq|eom|year[- ]end|quarter[- ]end|month[- ]end)\b"), _end_of_current),
    (re.compile(rf"\b(?P<weekday>{'|'.join(_WEEKDAYS)})\b"), _one_day(_weekday)),
    (re.compile(r"\bnew\s+year\b"), _one_day(lambda m, today: date(today.year + 1, 1, 1))),
]
# "now", "asap", "soon": used only when no phrase above names a time, because "we're looking
# right now, but would buy in 3 months" means 3 months.
_FIXED_DAY_RULES: list[tuple[re.Pattern, _ToWhen]] = [
    (re.compile(pattern), _fixed_days(days)) for pattern, days in _FIXED_DAYS
]

# Quantities and units written out, rewritten before the rules run.
_TIMELINE_REWRITES = [
    # Chat spellings of time words: "nxt mnth", "2 wks", "this yr", "tmrw".
    (re.compile(r"\bnxt\b"), "next"),
    (re.compile(r"\b(?:mnth|mth|mo)(s?)\b"), r"month\1"),
    (re.compile(r"\bwk(s?)\b"), r"week\1"),
    (re.compile(r"\byr(s?)\b"), r"year\1"),
    (re.compile(r"\b(?:tmrw|tmr|tomoz|2moro)\b"), "tomorrow"),
    # "within the next month" is a span from today (up to 30 days), not the 1st of next month.
    (
        re.compile(r"\b(?:within|in|over|during)\s+the\s+(?:next|coming)\s+(?=(?:day|week|month|quarter|year)\b)"),
        "within 1 ",
    ),
    (re.compile(r"\bfortnight\b"), "2 weeks"),
    (re.compile(r"\bhalf\s+(?:a\s+)?year\b"), "6 months"),
    (re.compile(r"\ban?\s+(?=(?:day|week|month|quarter|year)s?\b)"), "1 "),
    (re.compile(r"\b(?:a\s+)?couple(?:\s+of)?\b"), "2"),
    (re.compile(r"\b(?:a\s+few|few|several|some|the\s+coming|coming)\b(?=\s+(?:days|weeks|months|years)\b)"), "3"),
    (re.compile(r"\b(\d+(?:\.\d+)?)\s+and\s+a\s+half\s+"), r"\1.5 "),
    (re.compile(r"\b(\d+(?:\.\d+)?)\s+(day|week|month|year)s?\s+and\s+a\s+half\b"), r"\1.5 \2s"),
    (re.compile(r"\bmid\s*-\s*"), "mid "),
]


# "Not before September", "no earlier than Q3", "won't be until next year", "March at the
# earliest": the phrase named is where a window opens that has no end.
_NOT_BEFORE_RE = re.compile(
    r"(?:\bnot|n't|\bnever|\b(?:dont|doesnt|wont|wouldnt|cant|couldnt|isnt|arent|shouldnt))\s+"
    r"(?:\w+\s+){0,3}?(?:before|until|till|til|prior\s+to|"
    r"(?:any\s+)?(?:earlier|sooner)\s+than)\b"
    r"|\bno\s+(?:earlier|sooner)\s+than\b|\bonly\s+(?:after|from)\b"
    r"|(?P<after>\bat\s+the\s+(?:very\s+)?earliest\b)"
)
# Answers to the timeline question that name no date on purpose: "just researching", "no
# rush", "eventually", "not urgent". A date in the same answer still wins.
_OPEN_ENDED_RE = re.compile(
    r"\b(just |only )?(researching|research|browsing|looking around|exploring|gathering info\w*|"
    r"no (rush|hurry|urgency|timeline|time ?frame|deadline|date|plans?( yet)?)|not in a hurry|"
    r"not (urgent|a priority|for a while)|nothing (planned|set)|some ?day|eventually|down the road|"
    r"at some point|long[- ]term|no specific (time|date)|not decided|undecided|open[- ]ended|whenever|"
    r"no (purchase|buying|plan to buy)( \w+)?( planned)?|not (planning|looking) to buy)\b"
)


@dataclass(frozen=True)
class Timeline:
    """A timeline answer in days from today. `days` is the one day that stands for it (what
    the score bands compare), `earliest_days` the soonest the purchase could start (what the
    SQL gate compares), `latest_days` the last day it allows (None: no end stated). All three
    are None for an open-ended answer. `qualifier` says which kind of answer it was:
    "exact" ("in 2 weeks", "Feb 15th"), "window" ("next year", "March", "6-12 months"),
    "not_before" ("not before September", "not this year") or "open_ended" ("eventually")."""

    days: int | None
    earliest_days: int | None
    latest_days: int | None
    qualifier: str


def read_timeline(text: str, today: date) -> Timeline | None:
    """The whole timeline answer (see `Timeline`), or None when the text says nothing about
    time. `parse_timeline` documents how phrases become days; on top of that:
    - "not before X", "no earlier than X", "not until X", "X at the earliest": the window
      opens where X does and has no end; the day meant is X's own ("not before next year"
      opens on 1 January and means the middle of next year).
    - "just researching", "eventually", "not urgent", "no rush" without a date: open-ended.
    """
    text = require_text(text, "parse_timeline")
    if not isinstance(today, date):
        raise TypeError(f"parse_timeline() expects today as datetime.date, got {type(today).__name__}")
    lowered = text.lower()
    # "one day" is "someday", not a day from now; decided before "one" becomes "1".
    text = normalise_numbers(re.sub(r"(?<!in\s)(?<!within\s)\b(?:one|some)\s+day\b", "someday", lowered))
    for pattern, replacement in _TIMELINE_REWRITES:
        text = pattern.sub(replacement, text)

    open_ended = bool(_OPEN_ENDED_RE.search(lowered))
    not_before = _NOT_BEFORE_RE.search(text)
    # A prefix qualifier applies to the first phrase after it; "at the earliest" to the first.
    start_at = not_before.start() if not_before and not not_before["after"] else 0
    when = _first_when(text, today, open_ended, start_at)
    if when is None and start_at:
        when, not_before = _first_when(text, today, open_ended), None  # "March, but not before we sign"
    if when is None:
        return Timeline(None, None, None, "open_ended") if open_ended else None
    if not_before:
        when = _When(max(when.target, when.earliest), when.earliest, None)

    def days(day: date) -> int:
        return max(0, (day - today).days)

    if when.latest is None:
        qualifier = "not_before"
    else:
        qualifier = "exact" if when.earliest == when.latest else "window"
    latest = None if when.latest is None else days(when.latest)
    return Timeline(days(when.target), days(when.earliest), latest, qualifier)


def parse_timeline(text: str, today: date) -> int | None:
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
    - A whole year said on its own ("next year", "sometime in 2027") means its middle: it is
      a window of twelve months, not its first day (`read_timeline` keeps the window).
    - A period already under way ("this quarter", "this month", "March" in mid-March) means
      halfway between today and its end.
    - A period or date without a year is its next occurrence: "January" said in November is
      next January, "Feb 15th" said in March is next year's.
    - A stated date in the past gives 0 (they needed it already).
    - "not before X" and its kin mean X (see `read_timeline`).
    - When several phrases appear, the first one in the text counts; "now", "asap" and "soon"
      count only when no other phrase names a time.
    Anything else ("just researching", "no rush, just looking", "not sure") gives None.
    """
    timeline = read_timeline(text, today)
    return None if timeline is None else timeline.days


def _first_when(text: str, today: date, open_ended: bool, start_at: int = 0) -> _When | None:
    """What the first time phrase at or after `start_at` means. "now", "asap" and "soon"
    count only when no other phrase names a time ("looking right now, buying in 3 months")
    and the answer is not open-ended ("not a priority right now")."""
    when = _first_of(_TIMELINE_RULES, text, today, start_at)
    if when is None and not open_ended:
        when = _first_of(_FIXED_DAY_RULES, text, today, start_at)
    return when


def _first_of(rules: list[tuple[re.Pattern, _ToWhen]], text: str, today: date, start_at: int) -> _When | None:
    """The meaning of the phrase that starts first in the text (the longest, on a tie)."""
    found: list[tuple[int, int, _When]] = []
    for pattern, to_when in rules:
        for m in pattern.finditer(text, start_at):
            try:
                when = to_when(m, today)
            except (ValueError, OverflowError):  # "in 99999 years" is past the calendar's end
                continue
            if when is not None:
                found.append((m.start(), -len(m.group()), when))
                break
    return min(found, key=lambda item: item[:2])[2] if found else None
