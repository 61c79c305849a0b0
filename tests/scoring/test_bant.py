"""Table tests of the BANT normalisers with answers as website visitors type them."""

from datetime import date

import pytest

from scoring.bant import Budget, parse_authority, parse_budget, parse_company_size, parse_timeline

# ---------------------------------------------------------------------------------------------
# Budget: (text, amount, currency, period); amount None means "no usable amount".
# ---------------------------------------------------------------------------------------------
BUDGET_CASES = [
    ("50k", 50_000, "USD", None),
    ("$50,000", 50_000, "USD", None),
    ("about 50K per year", 50_000, "USD", "year"),
    ("2.5k/mo", 2_500, "USD", "month"),
    ("$2,500 monthly", 2_500, "USD", "month"),
    ("€10-15k a year", 10_000, "EUR", "year"),
    ("between 10 and 20k", 10_000, "USD", None),
    ("10 to 20 thousand dollars", 10_000, "USD", None),
    ("we have 10 to 20k usd annually", 10_000, "USD", "year"),
    ("10k-20k", 10_000, "USD", None),
    ("fifty thousand", 50_000, "USD", None),
    ("Fifty grand", 50_000, "USD", None),
    ("twenty-five thousand", 25_000, "USD", None),
    ("one hundred and fifty thousand", 150_000, "USD", None),
    ("between five and ten thousand euros", 5_000, "EUR", None),
    ("a couple grand a month", 2_000, "USD", "month"),
    ("half a million", 500_000, "USD", None),
    ("1.5m", 1_500_000, "USD", None),
    ("roughly 2mm annually", 2_000_000, "USD", "year"),
    ("£30k per annum", 30_000, "GBP", "year"),
    ("30 thousand pounds", 30_000, "GBP", None),
    ("around 20 000 euros", 20_000, "EUR", None),
    ("CHF 80'000 per year", 80_000, "CHF", "year"),
    ("₹5 lakh", 500_000, "INR", None),
    ("2 crore rupees", 20_000_000, "INR", None),
    ("¥3,000,000", 3_000_000, "JPY", None),
    ("CAD 40k", 40_000, "CAD", None),
    ("A$25k a year", 25_000, "AUD", "year"),
    ("EUR 1.500 per month", 1_500, "EUR", "month"),
    ("Budget is 5K EUR per month for the team", 5_000, "EUR", "month"),
    ("100k+", 100_000, "USD", None),
    ("up to 75k", 75_000, "USD", None),
    ("at least 20k, maybe more", 20_000, "USD", None),
    ("5000", 5_000, "USD", None),
    ("we've set aside 12,500 usd for this", 12_500, "USD", None),
    ("$1,234.56", 1_234.56, "USD", None),
    ("our budget for 2027 is 40k", 40_000, "USD", None),
    ("for 50 seats we could do 20k", 20_000, "USD", None),
    ("500-2k per month", 500, "USD", "month"),
    ("ten to fifteen k", 10_000, "USD", None),
    ("~$8k/yr", 8_000, "USD", "year"),
    ("15k quarterly", 60_000, "USD", "year"),
    ("we spend like 3 grand a month on our current tool", 3_000, "USD", "month"),
    ("Q3 we get 30k", 30_000, "USD", None),
    ("idk maybe 20,5k", 20_500, "USD", None),
    ("we were thinking somewhere around 30-40k for the first year", 30_000, "USD", "year"),
    ("£2k pcm", 2_000, "GBP", "month"),
    ("budget approved: 250,000 EUR", 250_000, "EUR", None),
    ("USD 45k/yr", 45_000, "USD", "year"),
    ("like 5 grand", 5_000, "USD", None),
    ("we havent got a budget", 0, "USD", None),
    ("budget is not an issue", None, None, None),
    ("we have a small budget", None, None, None),
    ("no budget yet", 0, "USD", None),
    ("Nothing allocated.", 0, "USD", None),
    ("zero", 0, "USD", None),
    ("none yet", 0, "USD", None),
    ("we don't have one", 0, "USD", None),
    ("$0", 0, "USD", None),
    ("roughly 75k for year one", 75000, "USD", "year"),
    ("prob 3k a month tops", 3000, "USD", "month"),
    ("We've budgeted $120K", 120000, "USD", None),
    ("somewhere between 40 and 60 grand", 40000, "USD", None),
    ("eh, maybe fifteen hundred a month", 1500, "USD", "month"),
    ("€5k", 5000, "EUR", None),
    ("250 quid a month", 250, "GBP", "month"),
    ("Nope, no budget", 0, "USD", None),
    ("haven't decided", None, None, None),
    ("whatever makes sense", None, None, None),
    ("$10k-$15k", 10000, "USD", None),
    ("about a hundred thousand", 100000, "USD", None),
    ("8,000/yr", 8000, "USD", "year"),
    ("40K AUD", 40000, "AUD", None),
    ("we could stretch to 30k if it works", 30000, "USD", None),
    ("less than 5k", 5000, "USD", None),
    ("2-3 million", 2000000, "USD", None),
    ("not much honestly, maybe 500 bucks", 500, "USD", None),
    ("tight, like 1k", 1000, "USD", None),
    ("budget's around 9.5k", 9500, "USD", None),
    ("not sure", None, None, None),
    ("depends on the price", None, None, None),
    ("asdfgh", None, None, None),
    ("no budget limit, whatever it takes", None, None, None),
    ("", None, None, None),
    ("idk, ask my boss", None, None, None),
    ("🤷", None, None, None),
]


@pytest.mark.parametrize("text,amount,currency,period", BUDGET_CASES)
def test_parse_budget(text, amount, currency, period):
    budget = parse_budget(text)
    if amount is None:
        assert budget is None
    else:
        assert (budget.amount, budget.currency, budget.period) == (pytest.approx(amount), currency, period)


@pytest.mark.parametrize(
    "text,default_currency,currency",
    [
        ("40k", "eur", "EUR"),  # no currency in the text: the default, upper-cased
        ("$40k", "CAD", "CAD"),  # "$" is the default currency when that is a dollar
        ("40k dollars", "AUD", "AUD"),
        ("$40k", "EUR", "USD"),  # ...and USD otherwise
        ("£40k", "EUR", "GBP"),  # a stated currency always wins
        ("no budget yet", "GBP", "GBP"),
    ],
)
def test_parse_budget_default_currency(text, default_currency, currency):
    assert parse_budget(text, default_currency=default_currency).currency == currency


@pytest.mark.parametrize(
    "budget,annual",
    [
        (Budget(2_500, "USD", "month"), 30_000),
        (Budget(50_000, "EUR", "year"), 50_000),
        (Budget(50_000, "EUR", None), 50_000),
    ],
)
def test_budget_annual_amount(budget, annual):
    assert budget.annual_amount() == annual


# ---------------------------------------------------------------------------------------------
# Timeline: TODAY is Tuesday 10 November 2026, so "January" is next year's.
# Expected values are the intended dates; None means "no timeline".
# ---------------------------------------------------------------------------------------------
TODAY = date(2026, 11, 10)

TIMELINE_CASES = [
    # "within / in / over the next <unit>" is a span from today, not the next calendar period.
    ("we'd like it live within the next month", date(2026, 12, 10)),
    ("in the next month or so", date(2026, 12, 10)),
    ("within the next quarter", date(2027, 2, 10)),
    ("over the coming year", date(2027, 11, 10)),
    ("immediately", TODAY),
    ("right away pls", TODAY),
    ("yesterday lol", TODAY),
    ("we need it now", TODAY),
    ("tomorrow", date(2026, 11, 11)),
    ("ASAP!!", date(2026, 11, 17)),
    ("as soon as possible", date(2026, 11, 17)),
    ("next week", date(2026, 11, 16)),  # next Monday
    ("by friday", date(2026, 11, 13)),
    ("in 2 weeks", date(2026, 11, 24)),
    ("two weeks", date(2026, 11, 24)),
    ("in a week or two", date(2026, 11, 17)),
    ("in a fortnight", date(2026, 11, 24)),
    ("a few weeks", date(2026, 12, 1)),
    ("within a month", date(2026, 12, 10)),
    ("in the next 30 days", date(2026, 12, 10)),
    ("next month", date(2026, 12, 1)),
    ("this month", date(2026, 11, 20)),  # under way: halfway to 30 November
    ("end of the month", date(2026, 11, 30)),
    ("in three months", date(2027, 2, 10)),
    ("a couple of months", date(2027, 1, 10)),
    ("within the next 2-3 months", date(2027, 1, 10)),
    ("6-12 months", date(2027, 5, 10)),
    ("half a year", date(2027, 5, 10)),
    ("1.5 years", date(2028, 5, 10)),
    ("this quarter", date(2026, 12, 5)),  # under way: halfway to 31 December
    ("sometime in Q4", date(2026, 12, 5)),
    ("next quarter", date(2027, 1, 1)),
    ("Q1", date(2027, 1, 1)),
    ("Q3 2027", date(2027, 7, 1)),
    ("end of Q2", date(2027, 6, 30)),
    ("by end of year", date(2026, 12, 31)),
    ("EOY", date(2026, 12, 31)),
    ("next year", date(2027, 7, 2)),  # a window of twelve months: its middle, not 1 January
    ("early next year", date(2027, 1, 1)),
    ("first half of next year", date(2027, 1, 1)),
    ("sometime in 2027", date(2027, 7, 2)),
    ("mid 2027", date(2027, 7, 2)),
    ("January", date(2027, 1, 1)),
    ("in jan", date(2027, 1, 1)),
    ("by March", date(2027, 3, 1)),
    ("we may buy in june", date(2027, 6, 1)),  # "may" here is a verb
    ("this summer", date(2027, 6, 1)),  # summer 2026 is over
    ("next spring", date(2027, 3, 1)),
    ("in the fall", date(2026, 11, 20)),  # autumn is under way: halfway to 30 November
    ("next fall", date(2027, 9, 1)),
    ("2027-02-01", date(2027, 2, 1)),
    ("Feb 15th", date(2027, 2, 15)),
    ("15 december", date(2026, 12, 15)),
    ("november 1st", date(2027, 11, 1)),  # already past this year
    ("3/15/2027", date(2027, 3, 15)),
    ("2025-01-01", TODAY),  # a past date: they needed it already
    ("not this year, maybe Q2", date(2027, 1, 1)),
    ("not now, maybe next year", date(2027, 7, 2)),
    ("next few months", date(2027, 2, 10)),
    ("probably in 3-6 months", date(2027, 2, 10)),
    ("after new year", date(2027, 1, 1)),
    ("end of next month", date(2026, 12, 31)),
    ("the week after next", date(2026, 11, 23)),
    ("by the end of this week", date(2026, 11, 15)),
    ("mid-march", date(2027, 3, 16)),
    ("late january", date(2027, 1, 21)),
    ("around september", date(2027, 9, 1)),
    ("spring 2027", date(2027, 3, 1)),
    ("at some point", None),
    ("when budget frees up", None),
    ("we're looking right now but would realistically buy in about 3 months", date(2027, 2, 10)),
    ("within two weeks", date(2026, 11, 24)),
    ("by end of Q1", date(2027, 3, 31)),
    ("in 4 months", date(2027, 3, 10)),
    ("we want to go live in February", date(2027, 2, 1)),
    ("start of 2027", date(2027, 1, 1)),
    ("next couple of weeks", date(2026, 11, 24)),
    ("by the summer", date(2027, 6, 1)),
    ("before christmas", None),
    ("just browsing", None),
    ("3 months or so", date(2027, 2, 10)),
    ("need something this week", date(2026, 11, 12)),
    ("end of the year ideally", date(2026, 12, 31)),
    ("right now, our contract ends friday", date(2026, 11, 13)),
    ("Jan 2027", date(2027, 1, 1)),
    ("in a year", date(2027, 11, 10)),
    ("no specific timeline", None),
    ("next 2 months", date(2027, 1, 10)),
    ("not for a while", None),
    ("april-ish", date(2027, 4, 1)),
    ("over the next 6 weeks", date(2026, 12, 22)),
    ("just researching", None),
    ("no rush, just looking", None),
    ("not sure", None),
    ("no idea tbh", None),
    ("no timeline yet", None),
    ("one day maybe", None),
    ("not urgent", None),
    ("whenever", None),
    ("", None),
]


@pytest.mark.parametrize("text,expected", TIMELINE_CASES)
def test_parse_timeline(text, expected):
    days = parse_timeline(text, TODAY)
    assert days == (None if expected is None else (expected - TODAY).days)


@pytest.mark.parametrize("text", ["asap", "ASAP please", "as soon as possible", "a.s.a.p", "urgently"])
def test_asap_is_within_two_weeks(text):
    assert 0 <= parse_timeline(text, TODAY) <= 14


@pytest.mark.parametrize(
    "today,text,expected",
    [
        (date(2027, 1, 20), "in january", date(2027, 1, 25)),  # under way: halfway to the 31st
        (date(2027, 7, 15), "next summer", date(2028, 6, 1)),
        (date(2027, 12, 31), "next month", date(2028, 1, 1)),
        (date(2027, 1, 31), "in 1 month", date(2027, 2, 28)),  # calendar month, clamped
    ],
)
def test_parse_timeline_other_days(today, text, expected):
    assert parse_timeline(text, today) == (expected - today).days


# ---------------------------------------------------------------------------------------------
# Authority
# ---------------------------------------------------------------------------------------------
AUTHORITY_CASES = [
    ("CEO", "decision_maker"),
    ("I'm the cto", "decision_maker"),
    ("ceo.", "decision_maker"),
    ("Co-founder", "decision_maker"),
    ("co founder & CTO", "decision_maker"),
    ("foudner", "decision_maker"),
    ("owner", "decision_maker"),
    ("I own the business", "decision_maker"),
    ("i founded the company 3 years ago", "decision_maker"),
    ("President", "decision_maker"),
    ("Vice President, Finance", "decision_maker"),
    ("VP of Sales", "decision_maker"),
    ("Head of Operations", "decision_maker"),
    ("director of engineering", "decision_maker"),
    ("Managing Director", "decision_maker"),
    ("partner at a law firm", "decision_maker"),
    ("I sign off on all purchases", "decision_maker"),
    ("it's my call", "decision_maker"),
    ("I decide", "decision_maker"),
    ("yes I'm the decision maker", "decision_maker"),
    ("I have the final say", "decision_maker"),
    ("developer and co-founder", "decision_maker"),
    ("Chief Revenue Officer", "decision_maker"),
    ("I run my own agency", "decision_maker"),
    ("head of IT", "decision_maker"),
    ("Sr. Director, Marketing", "decision_maker"),
    ("just me, I run the whole show", "decision_maker"),
    ("self employed", "decision_maker"),
    ("I approve purchases under 10k", "decision_maker"),
    ("me and my cofounder decide together", "decision_maker"),
    ("marketing manager", "influencer"),
    ("manger", "influencer"),
    ("team lead", "influencer"),
    ("tech lead on the platform team", "influencer"),
    ("engineering manager", "influencer"),
    ("I recommend tools to my boss", "influencer"),
    ("evaluating for my boss", "influencer"),
    ("I'm part of the buying committee", "influencer"),
    ("consultant advising a client", "influencer"),
    ("not the decision maker", "influencer"),
    ("I'm not the one who decides", "influencer"),
    ("I'm not the CEO but I report to her", "influencer"),
    ("product owner", "influencer"),
    ("project manager, need approval from the CFO", "influencer"),
    ("it's up to my manager", "influencer"),
    ("solutions architect", "influencer"),
    ("ops manager but the CFO signs", "influencer"),
    ("I report directly to the CEO", "influencer"),
    ("Chief of Staff to the CEO", "influencer"),
    ("we decide as a team", "influencer"),
    ("I am a sales manger", "influencer"),
    ("software engineer", "user"),
    ("enginer", "user"),
    ("developer", "user"),
    ("data analyst", "user"),
    ("UX designer", "user"),
    ("support specialist", "user"),
    ("sales rep", "user"),
    ("I'd just be using it", "user"),
    ("I'll be using it day to day", "user"),
    ("I'm a dev, my boss decides", "user"),
    ("student", "none"),
    ("I'm a student working on a school project", "none"),
    ("PhD student", "none"),
    ("looking for a job", "none"),
    ("are you hiring?", "none"),
    ("intern applying for a summer internship", "none"),
    ("I work at a competing vendor", "none"),
    ("competitor, just checking your pricing", "none"),
    ("journalist", "none"),
    ("writing an article about chatbots", "none"),
    ("researcher for a school project", "none"),
    ("I'm the COO", "decision_maker"),
    ("senior dev", "user"),
    ("I lead the data team", "influencer"),
    ("we need something to qualify inbound leads at night", "unknown"),  # leads are prospects
    ("sales lead for emea", "influencer"),
    ("i run revenue operations and sign off on tooling", "decision_maker"),
    ("i run the team and my boss signs off", "influencer"),
    ("our CEO will make the call", "influencer"),
    ("Owner & operator", "decision_maker"),
    ("sales ops analyst", "user"),
    ("I'm a grad student", "none"),
    ("Head of Growth", "decision_maker"),
    ("I'm doing research for an article", "none"),
    ("IT director", "decision_maker"),
    ("I help my boss pick tools", "influencer"),
    ("account manager", "influencer"),
    ("founding engineer", "user"),
    ("im the ceo's EA", "influencer"),
    ("QA tester", "user"),
    ("freelance journalist", "none"),
    ("Marketing Director", "decision_maker"),
    ("I'd be the main user", "user"),
    ("I'm on the evaluation team", "influencer"),
    ("nah", "unknown"),
    ("", "unknown"),
    ("hi", "unknown"),
    ("just curious", "unknown"),
    ("why?", "unknown"),
    ("I'm in the directory business", "unknown"),  # "director" inside another word
    ("I'm an actor", "unknown"),  # "cto" inside another word
    ("contractor", "unknown"),
    ("I am a teacher", "unknown"),
]


@pytest.mark.parametrize("text,expected", AUTHORITY_CASES)
def test_parse_authority(text, expected):
    assert parse_authority(text) == expected


# ---------------------------------------------------------------------------------------------
# Company size
# ---------------------------------------------------------------------------------------------
COMPANY_SIZE_CASES = [
    ("50 employees", 50),
    ("team of 12", 12),
    ("Team of Fifteen!", 15),
    ("12", 12),
    ("5k", 5_000),
    ("5K+", 5_000),
    ("about 5,000 people", 5_000),
    ("1,200 staff", 1_200),
    ("1.5k", 1_500),
    ("just me", 1),
    ("solo", 1),
    ("solo founder", 1),
    ("I'm a freelancer", 1),
    ("a dozen", 12),
    ("two hundred", 200),
    ("one hundred and twenty", 120),
    ("a couple hundred", 200),
    ("a few hundred", 300),
    ("10+", 10),
    ("over 1,000", 1_000),
    ("50-100", 50),
    ("50 to 100 employees", 50),
    ("between 200 and 500", 200),
    ("11-50", 11),
    ("5-10k", 5_000),
    ("we're about 300", 300),
    ("~40 ppl", 40),
    ("we have 3 offices and 200 people", 200),
    ("founded in 2015, about 40 people", 40),
    ("3 years old, 20 staff", 20),
    ("50k revenue, 4 people", 4),
    ("we're a 12-person team", 12),
    ("twenty-five of us", 25),
    ("there are seven of us", 7),
    ("me and 3 others", 4),
    ("just me and my cofounder", 2),
    ("under 50", 1),  # the range 1-49
    ("less than 10", 1),
    ("hundreds", 200),
    ("thousands of employees", 2_000),
    ("dozens", 24),
    ("5 employees across 2 countries", 5),
    ("300 FTE", 300),
    ("we employ 2,500 globally", 2_500),
    ("roughly fifteen hundred", 1_500),
    ("a couple dozen", 24),
    ("40 or 50", 40),
    ("Fortune 500", None),  # a ranking, not a head count
    ("around 60 people", 60),
    ("we're 9", 9),
    ("a bit over 200", 200),
    ("15 full-time", 15),
    ("about 2k employees worldwide", 2000),
    ("tiny, 3 of us", 3),
    ("100-250", 100),
    ("we're a team of about forty", 40),
    ("10 to 20", 10),
    ("small startup, 6 people", 6),
    ("500+", 500),
    ("one person", 1),
    ("we have 35 staff", 35),
    ("approx 1.2k", 1200),
    ("twenty", 20),
    ("it's a big company", None),
    ("11 or 12", 11),
    ("over 9000", 9000),
    ("50 in the US and 30 in Europe", 50),
    ("ten thousand plus", 10000),
    ("not sure", None),
    ("small", None),
    ("big enough", None),
    ("enterprise", None),
    ("a lot", None),
    ("why do you need that?", None),
    ("2019", None),  # a year, not a head count
    ("", None),
]


@pytest.mark.parametrize("text,expected", COMPANY_SIZE_CASES)
def test_parse_company_size(text, expected):
    assert parse_company_size(text) == expected


# ---------------------------------------------------------------------------------------------
# Shared behaviour
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call",
    [
        lambda: parse_budget(None),
        lambda: parse_timeline(42, TODAY),
        lambda: parse_timeline("next week", "2026-11-10"),
        lambda: parse_authority(["CEO"]),
        lambda: parse_company_size(50),
    ],
)
def test_wrong_argument_types_raise_a_clear_type_error(call):
    with pytest.raises(TypeError, match="expects"):
        call()


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "'; DROP TABLE leads; --",
        "😀😀😀",
        "x" * 20_000,
        "9" * 5_000,
        "99999999 years",
        "in 999999999999 days",
    ],
    ids=["html", "sql", "emoji", "long-word", "huge-number", "far-future", "huge-days"],
)
def test_hostile_or_odd_input_gives_a_value_not_an_exception(text):
    parse_budget(text)
    parse_timeline(text, TODAY)
    assert parse_authority(text) in {"decision_maker", "influencer", "user", "none", "unknown"}
    parse_company_size(text)


@pytest.mark.parametrize(
    ("text", "same_as"),
    [
        ("nxt month hopefuly", "next month"),
        ("in 2 wks", "in 2 weeks"),
        ("within 3 mnths", "within 3 months"),
        ("end of this yr", "end of this year"),
        ("tmrw if possible", "tomorrow"),
    ],
)
def test_chat_spellings_of_time_words(text, same_as):
    assert parse_timeline(text, TODAY) == parse_timeline(same_as, TODAY) is not None


def test_no_purchase_planned_is_open_ended_and_a_paper_is_not_a_buyer():
    from scoring.bant import parse_authority, read_timeline

    assert read_timeline("no purchase planned, it's for a paper", TODAY).qualifier == "open_ended"
    assert parse_authority("no purchase planned, it's for a paper") == "none"
    assert parse_authority("it's for my thesis") == "none"
