"""Turn a visitor's free-text BANT answers into values the scoring can compare.

Four pure functions, one per BANT question the assistant asks, each in its own module:

- `parse_budget("around 50k a year")`       -> Budget(amount=50000.0, currency="USD", period="year")
- `parse_timeline("next quarter", today)`   -> whole days from `today` until the intended purchase
  (`read_timeline` gives the whole answer: that day, the earliest and latest it allows, and
  whether it was a date, a window, "not before ..." or open-ended)
- `parse_authority("I'm the CTO")`          -> "decision_maker" | "influencer" | "user" | "none" | "unknown"
- `parse_company_size("team of 12")`        -> 12

Each returns None (or "unknown") when the answer states nothing usable, so the assistant can
re-ask. Numbers may be written as words ("fifty thousand", "a dozen"); ranges give their lower
bound (`numbers` holds what the parsers share). Everything runs on regular expressions and
`dateutil.relativedelta`; no I/O.
"""

from .authority import parse_authority
from .budget import Budget, parse_budget
from .company_size import parse_company_size
from .timeline import Timeline, parse_timeline, read_timeline

__all__ = [
    "Budget",
    "parse_budget",
    "parse_timeline",
    "Timeline",
    "read_timeline",
    "parse_authority",
    "parse_company_size",
]
