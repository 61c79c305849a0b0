"""Budget answers: "50k", "$2,500/mo", "€10-15k a year", "fifty grand", "₹5 lakh"."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .numbers import NUMBER, RANGE_JOINER_RE, normalise_numbers, range_multiplier, require_text, to_float

_DOLLAR_CURRENCIES = {"USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN"}

# Currency notations (lower-cased) -> ISO 4217. "$" and "dollars" mean USD unless the
# default currency is itself a dollar, in which case they mean that one.
_CURRENCY_NOTATIONS = {
    "us$": "USD",
    "usd": "USD",
    "us dollars": "USD",
    "american dollars": "USD",
    "c$": "CAD",
    "ca$": "CAD",
    "cad": "CAD",
    "canadian dollars": "CAD",
    "canadian": "CAD",
    "a$": "AUD",
    "au$": "AUD",
    "aud": "AUD",
    "australian dollars": "AUD",
    "australian": "AUD",
    "nz$": "NZD",
    "nzd": "NZD",
    "s$": "SGD",
    "sgd": "SGD",
    "hk$": "HKD",
    "hkd": "HKD",
    "€": "EUR",
    "eur": "EUR",
    "euro": "EUR",
    "euros": "EUR",
    "£": "GBP",
    "gbp": "GBP",
    "pounds": "GBP",
    "pound": "GBP",
    "quid": "GBP",
    "sterling": "GBP",
    "chf": "CHF",
    "swiss francs": "CHF",
    "francs": "CHF",
    "fr.": "CHF",
    "₹": "INR",
    "inr": "INR",
    "rs.": "INR",
    "rs": "INR",
    "rupees": "INR",
    "¥": "JPY",
    "jpy": "JPY",
    "yen": "JPY",
    "cny": "CNY",
    "rmb": "CNY",
    "yuan": "CNY",
    "sek": "SEK",
    "nok": "NOK",
    "dkk": "DKK",
    "pln": "PLN",
    "zł": "PLN",
    "zloty": "PLN",
    "r$": "BRL",
    "brl": "BRL",
    "reais": "BRL",
    "mxn": "MXN",
    "zar": "ZAR",
    "rand": "ZAR",
    "$": "$",
    "dollars": "$",
    "dollar": "$",
    "bucks": "$",
}
_CURRENCY = "|".join(
    re.escape(n) + (r"\b" if n[-1].isalpha() else "") for n in sorted(_CURRENCY_NOTATIONS, key=len, reverse=True)
)
# Multipliers after a number -> factor. Lakh and crore also say the currency is INR.
_MULTIPLIERS = {
    "k": 1e3,
    "thousand": 1e3,
    "grand": 1e3,
    "m": 1e6,
    "mm": 1e6,
    "mil": 1e6,
    "mio": 1e6,
    "million": 1e6,
    "millions": 1e6,
    "bn": 1e9,
    "billion": 1e9,
    "lakh": 1e5,
    "lakhs": 1e5,
    "lac": 1e5,
    "crore": 1e7,
    "crores": 1e7,
}
_MULTIPLIER = "|".join(sorted(_MULTIPLIERS, key=len, reverse=True))
_AMOUNT_RE = re.compile(
    rf"(?:(?<![a-z])(?P<cur_before>{_CURRENCY})\s?)?"
    rf"(?P<number>{NUMBER})"
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
_MONTHLY_RE = re.compile(r"\bmonthly\b|\bp\.?c\.?m\b|(?:\bper|\ba|\ban|\beach|\bevery|/)\s*(?:month|mo|mth|mnth)\b")
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
# A budget that exists but is not available yet: it waits for someone's yes or a later
# budget cycle ("40k once the board signs off", "pending approval", "if finance agrees").
_APPROVER_SAYS_YES = (
    r"(?:signs?\s+(?:it\s+)?off|approves?(?:\s+it)?|agrees?|okays?|says\s+yes|(?:is|gets?|been)\s+approved|"
    r"goes\s+through|comes\s+through|is\s+released|frees\s+up|opens\s+up)\b"
)
_PENDING_RE = re.compile(
    r"\b(?:pending|awaiting|subject\s+to|waiting\s+(?:on|for))\s+(?:\w+\s+){0,2}?"
    r"(?:approval|sign[- ]?off|the\s+board|board|finance|budget|confirmation|cfo|ceo|management)\b"
    r"|\b(?:needs?|needed|needing|requires?|required)\s+(?:\w+\s+){0,2}?(?:approval|sign[- ]?off|approved)\b"
    rf"|\b(?:once|if|when|after)\s+(?:\w+\s+){{0,3}}?{_APPROVER_SAYS_YES}"
    r"|\b(?:not|n't|nothing)\s+(?:\w+\s+)?(?:yet\s+)?(?:approved|signed\s+off|confirmed|final(?:i[sz]ed)?|secured|released)\b"
    r"|\b(?:opens?|frees?)\s+up\b|\bnext\s+(?:fiscal|financial|budget)\s+(?:year|cycle|period)\b"
    r"|\bnext\s+year'?s\s+budget\b|\bnew\s+budget\s+(?:year|cycle)\b|\bto\s+be\s+(?:approved|confirmed|signed\s+off)\b"
    r"|\btbc\b|\bunapproved\b|\bprovisional(?:ly)?\b|\btentative(?:ly)?\b|\bhoping\s+(?:to\s+get|for)\b"
)
_APPROVED_RE = re.compile(
    r"\b(?:approved|signed\s+off|allocated|set\s+aside|budgeted|secured|ring-?fenced|earmarked|committed|"
    r"in\s+place|ready\s+to\s+spend|available\s+now)\b"
)


@dataclass(frozen=True)
class Budget:
    """A budget as stated: `amount` in `currency` (ISO 4217) per `period` ("month", "year" or
    None when no period was said). A quarterly amount is stored per year (x4). `status` says
    whether the money is there: "approved" ("budgeted", "signed off"), "pending" (waiting for
    approval or a later budget cycle), "none" (amount 0: no budget) or "unstated"."""

    amount: float
    currency: str
    period: str | None = None
    status: str = "unstated"

    def annual_amount(self) -> float:
        """The amount per year: monthly amounts x12; amounts without a period are taken as is."""
        return self.amount * 12 if self.period == "month" else self.amount


def _currency_of(notation: str | None, default_currency: str) -> str | None:
    if not notation:
        return None
    code = _CURRENCY_NOTATIONS[notation.strip()]
    if code == "$":
        return default_currency if default_currency in _DOLLAR_CURRENCIES else "USD"
    return code


def parse_budget(text: str, default_currency: str = "USD") -> Budget | None:
    """Read a budget answer: "50k", "$2,500/mo", "€10-15k a year", "fifty grand", "₹5 lakh".

    - A range gives its lower bound; a multiplier written once covers both ends ("10-20k").
    - "up to 50k", "under 50k", "at least 50k" give the amount named (the money available).
    - Numbers that count something else ("50 users", "2027") are not amounts.
    - Without a currency in the text, `default_currency` applies; "$" and "dollars" mean USD,
      or the default currency when that is a dollar (CAD, AUD...).
    - An explicit absence ("no budget yet", "nothing allocated", "zero", "we don't have one")
      is amount 0 with status "none"; vagueness ("not sure", "depends", "no budget limit") is None.
    - A budget waiting for a yes or a later cycle ("40k once the board signs off", "pending
      approval", "if finance agrees", "opens up next fiscal year") keeps its amount with status
      "pending"; "approved", "budgeted", "set aside" give "approved"; silence gives "unstated".
    """
    text = require_text(text, "parse_budget").lower()
    if not re.fullmatch(r"[A-Za-z]{3}", default_currency):
        raise ValueError(f"default_currency must be an ISO 4217 code such as 'USD', got {default_currency!r}")
    default_currency = default_currency.upper()
    says_no_budget = bool(_NO_BUDGET_RE.search(text))  # before "one" becomes "1"
    text = normalise_numbers(text)
    amounts = [m for m in _AMOUNT_RE.finditer(text) if _looks_like_money(m, text)]
    # The first amount with a currency or multiplier, else the first amount.
    index = next(
        (i for i, m in enumerate(amounts) if m["cur_before"] or m["cur_after"] or m["multiplier"]),
        None,
    )
    if index is None and (says_no_budget or not amounts):
        return Budget(0.0, default_currency, status="none") if says_no_budget else None
    index = index or 0

    def joined(i: int) -> bool:  # amounts i and i+1 form a range: "10 to 20k"
        return RANGE_JOINER_RE.fullmatch(text[amounts[i].end() : amounts[i + 1].start()]) is not None

    if index > 0 and joined(index - 1):
        index -= 1
    chosen = amounts[index]
    upper = amounts[index + 1] if index + 1 < len(amounts) and joined(index) else None

    amount = to_float(chosen["number"])
    multiplier = range_multiplier(chosen, upper)
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
    return Budget(float(amount), currency, period, _status(text, amount))


def _status(text: str, amount: float) -> str:
    if amount == 0:
        return "none"
    if _PENDING_RE.search(text):
        return "pending"
    return "approved" if _APPROVED_RE.search(text) else "unstated"


def _looks_like_money(match: re.Match, text: str) -> bool:
    if match["cur_before"] or match["cur_after"] or match["multiplier"]:
        return True
    if _NOT_MONEY_AFTER_RE.match(text, match.end()):
        return False
    if text[match.start() - 1 : match.start()] in ("q", "h"):  # "Q3", "H2"
        return False
    number = to_float(match["number"])
    return not (1990 <= number <= 2100 and "." not in match["number"])  # a year


def _first_currency_notation(text: str) -> str | None:
    found = _ANY_CURRENCY_RE.search(text)
    return found.group() if found else None
