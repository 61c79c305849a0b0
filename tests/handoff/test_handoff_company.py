"""Routing facts from the company: the registrable company domain (free mail left out, else a
company answer that is a domain or URL), the industry from config/industries.yml, both
stored on the lead and used by routing (account owner via the company domain, industry rules)."""

from __future__ import annotations

import pytest

from appconfig.yamlfile import ConfigError
from handoff import latest_assignment, route_lead
from handoff.company import (
    FreeMail,
    Industries,
    company_domain_for,
    derive_company_facts,
    domain_in_answer,
    load_free_mail,
    load_industries,
    registrable_domain,
    store_company_facts,
)
from handoff.facts import LeadFacts

from .conftest import MONDAY

FREE_MAIL = FreeMail(frozenset({"gmail.com", "hotmail.co.uk", "t-online.de"}))
INDUSTRIES = Industries(
    domains={"stmarys-clinic.example": "healthcare", "acme.co.uk": "manufacturing"},
    suffixes={"edu": "education", "uk": "uk business", "ac.uk": "education", "gov": "government"},
)


@pytest.mark.parametrize(
    "text, domain",
    [
        ("acme.io", "acme.io"),
        ("Acme.IO", "acme.io"),
        ("www.acme.com", "acme.com"),
        ("mail.eu.acme.com", "acme.com"),
        ("acme.co.uk", "acme.co.uk"),  # a two-label public suffix
        ("shop.acme.co.uk", "acme.co.uk"),
        ("ox.ac.uk", "ox.ac.uk"),
        ("acme.com.au", "acme.com.au"),
        ("https://www.acme.co.uk/about", "acme.co.uk"),
        ("Https://www.acme.co.uk/about", "acme.co.uk"),  # as parse_company_name capitalises it
        ("http://acme.io:8443/pricing?x=1", "acme.io"),
        ("acme.io/about", "acme.io"),
        ("<acme.io>,", "acme.io"),
        ("jane@mail.acme.co.uk", "acme.co.uk"),
        ("hudson-health.example", "hudson-health.example"),  # unknown top level: the list's "*" rule
        ("bücher.de", "xn--bcher-kva.de"),
        # junk: not a host name, or only a public suffix
        ("Acme Corp", None),
        ("I work at acme.io", None),
        ("acme", None),
        ("co.uk", None),
        ("com", None),
        ("1.2.3.4", None),
        ("acme.c0m", None),
        ("-acme.com", None),
        ("acme..com", None),
        ("http://", None),
        ("n/a", None),
        ("", None),
        (None, None),
    ],
)
def test_registrable_domain(text, domain):
    assert registrable_domain(text) == domain


@pytest.mark.parametrize(
    "answer, domain",
    [
        ("acme.io", "acme.io"),
        ("Acme.co.uk", "acme.co.uk"),
        ("Https://www.acme.co.uk/about", "acme.co.uk"),
        ("https://www.hudson-health.example/about", "hudson-health.example"),  # a URL: any ending
        ("www.hudson-health.example", "hudson-health.example"),
        ("hudson-health.example", None),  # bare, and .example is on no list
        ("Node.js", None),  # a product name, not a domain
        ("Acme Corp", None),
        (None, None),
    ],
)
def test_a_company_answer_counts_as_a_domain_when_it_is_written_as_one(answer, domain):
    assert domain_in_answer(answer) == domain


@pytest.mark.parametrize(
    "email_domain, company, expected",
    [
        ("acme.io", "Other Corp", ("acme.io", "email address")),
        ("mail.acme.co.uk", None, ("acme.co.uk", "email address")),
        ("acme.io", "https://other.example", ("acme.io", "email address")),  # the work email wins
        ("gmail.com", "acme.io", ("acme.io", "company answer")),
        ("eu.gmail.com", "Https://www.acme.co.uk/about", ("acme.co.uk", "company answer")),
        ("hotmail.co.uk", "Acme Corp", (None, None)),
        ("t-online.de", None, (None, None)),  # an internet provider's address
        ("gmail.com", "gmail.com", (None, None)),  # free mail typed as the company says nothing either
        (None, "acme.io", ("acme.io", "company answer")),
        ("gmail.com", "Node.js", (None, None)),
        (None, None, (None, None)),
    ],
)
def test_company_domain_from_email_unless_free_mail_else_from_the_company_answer(email_domain, company, expected):
    assert company_domain_for(email_domain, company, FREE_MAIL) == expected


@pytest.mark.parametrize(
    "domain, expected",
    [
        ("stmarys-clinic.example", ("healthcare", "domain table", "stmarys-clinic.example")),
        ("acme.co.uk", ("manufacturing", "domain table", "acme.co.uk")),  # the table before suffix rules
        ("mit.edu", ("education", "suffix rule", ".edu")),
        ("ox.ac.uk", ("education", "suffix rule", ".ac.uk")),  # the longest suffix wins
        ("other.co.uk", ("uk business", "suffix rule", ".uk")),
        ("nasa.gov", ("government", "suffix rule", ".gov")),
        ("acme.com", None),
        ("edu.example", None),  # "edu" as a label, not as the suffix
        (None, None),
    ],
)
def test_industry_lookup(domain, expected):
    match = INDUSTRIES.industry_for(domain)
    assert (match and (match.industry, match.source, match.detail)) == expected


def test_an_industry_from_the_conversation_is_kept_and_a_derived_one_is_refreshed():
    stated = {"email_domain": "mit.edu", "industry": "Biotech", "industry_source": "conversation"}
    assert derive_company_facts(stated, FREE_MAIL, INDUSTRIES).industry == "Biotech"
    stale = {"email_domain": "mit.edu", "industry": "healthcare", "industry_source": "domain table"}
    facts = derive_company_facts(stale, FREE_MAIL, INDUSTRIES)
    assert (facts.company_domain, facts.industry, facts.industry_source) == ("mit.edu", "education", "suffix rule")
    gone = {"email_domain": "gmail.com", "industry": "healthcare", "industry_source": "suffix rule"}
    assert derive_company_facts(gone, FREE_MAIL, INDUSTRIES).industry is None


# -- the two operator files --------------------------------------------------------------------


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_files_load(tmp_path):
    free_mail = load_free_mail(write(tmp_path, "free_mail.yml", "domains:\n  - Gmail.com\n  - hotmail.co.uk\n"))
    assert free_mail.domains == {"gmail.com", "hotmail.co.uk"}
    assert "mail.gmail.com" in free_mail and "acme.io" not in free_mail
    industries = load_industries(
        write(
            tmp_path,
            "industries.yml",
            "domains:\n  Acme.io: Software\nsuffixes:\n  .edu: Education\n  ac.uk: education\n",
        )
    )
    assert industries.domains == {"acme.io": "software"}
    assert industries.suffixes == {"edu": "education", "ac.uk": "education"}


@pytest.mark.parametrize(
    "text, key, problem",
    [
        ("domains: gmail.com\n", "domains", "must be a list, got text 'gmail.com'"),
        ("domains: []\n", "domains", "must list at least one domain"),
        ("domains:\n  - gmail.com\n  - gmail\n", "domains[1]", "'gmail' is not a domain like gmail.com"),
        ("domains:\n  - https://gmail.com/\n", "domains[0]", "'https://gmail.com/' is not a domain like gmail.com"),
        ("domains:\n  - 42\n", "domains[0]", "must be a domain like gmail.com, got a number 42"),
        ("domains:\n  - gmail.com\n  - GMAIL.com\n", "domains[1]", "'GMAIL.com' is listed twice"),
        ("domain:\n  - gmail.com\n", "domains", "is required"),  # a misspelt key leaves the list missing
    ],
)
def test_a_broken_free_mail_file_names_the_key_and_the_problem(tmp_path, text, key, problem):
    path = write(tmp_path, "free_mail.yml", text)
    with pytest.raises(ConfigError) as raised:
        load_free_mail(path)
    assert (raised.value.path, raised.value.key, raised.value.problem) == (str(path), key, problem)
    assert str(raised.value) == f"{path}: {key}: {problem}"


@pytest.mark.parametrize(
    "text, key, problem",
    [
        ("domains:\n  acme: software\n", "domains.acme", "'acme' is not a domain like gmail.com"),
        (
            "domains:\n  www.acme.co.uk: software\n",
            "domains.www.acme.co.uk",
            "write the company's registrable domain 'acme.co.uk', not 'www.acme.co.uk'",
        ),
        (
            "domains:\n  co.uk: software\n",
            "domains.co.uk",
            "'co.uk' is a public suffix, not a company's domain (use `suffixes`)",
        ),
        ("domains:\n  acme.io: ''\n", "domains.acme.io", "the industry must be non-empty text, got text"),
        ("domains:\n  acme.io: [software]\n", "domains.acme.io", "the industry must be non-empty text, got a list"),
        ("domains:\n  acme.io: a\n  ACME.io: b\n", "domains.ACME.io", "'acme.io' is listed twice"),
        ("suffixes:\n  'edu au': education\n", "suffixes.edu au", "'edu au' is not a domain suffix like edu or ac.uk"),
        ("suffixes:\n  edu:\n", "suffixes.edu", "the industry must be non-empty text, got nothing"),
        ("suffixes:\n  edu: a\n  .edu: b\n", "suffixes..edu", "suffix 'edu' is given twice"),
        ("suffixes: [edu]\n", "suffixes", "must be a mapping, got a list"),
        ("domain:\n  acme.io: software\n", "domain", "unknown key (expected one of: domains, names, suffixes)"),
        ("names:\n  banking: bank\n", "names.banking", "give a list of the words visitors use for this industry"),
        ("names:\n  banking: [bank, '']\n", "names.banking[1]", "the word must be non-empty text, got text"),
        ("names:\n  a: [bank]\n  b: [Bank]\n", "names.b[0]", "'bank' already names 'a'"),
    ],
)
def test_a_broken_industries_file_names_the_key_and_the_problem(tmp_path, text, key, problem):
    path = write(tmp_path, "industries.yml", text)
    with pytest.raises(ConfigError) as raised:
        load_industries(path)
    assert (raised.value.path, raised.value.key, raised.value.problem) == (str(path), key, problem)


# -- stored on the lead, used by routing (real database) ------------------------------------------


def answer(store, visitor_id, **fields):
    for column, value in fields.items():
        store.record_answer(visitor_id, column, str(value), {column: value})


def test_the_facts_are_stored_on_the_lead(store):
    answer(store, "v1", email="jane@mail.stmarys-clinic.example", email_domain="mail.stmarys-clinic.example")
    lead = store_company_facts(store, "v1", FREE_MAIL, INDUSTRIES)
    assert (lead["company_domain"], lead["industry"], lead["industry_source"]) == (
        "stmarys-clinic.example",
        "healthcare",
        "domain table",
    )
    assert store.get_lead("v1")["company_domain"] == "stmarys-clinic.example"
    # The visitor corrects the address to a free-mail one and names no domain: nothing is left.
    answer(store, "v1", email="jane@gmail.com", email_domain="gmail.com", company="St Mary's Clinic")
    store_company_facts(store, "v1", FREE_MAIL, INDUSTRIES)
    lead = store.get_lead("v1")
    assert (lead["company_domain"], lead["industry"], lead["industry_source"]) == (None, None, None)
    assert store_company_facts(store, "nobody", FREE_MAIL, INDUSTRIES) == {"visitor_id": "nobody"}


def test_industry_from_the_domain_routes_to_the_industry_rule_and_the_audit_says_where_it_came_from(roster, store):
    # A US mid-size lead: without an industry the territory_segment rule would take it.
    answer(store, "v1", email="cfo@stmarys-clinic.example", email_domain="stmarys-clinic.example", company_size=300)
    lead = store_company_facts(store, "v1", FREE_MAIL, INDUSTRIES)
    decision = route_lead(roster, LeadFacts.from_lead(lead, country="US"), store, MONDAY)
    assert (decision.rep_id, decision.rule) == ("newyork", "healthcare")
    assert "industry healthcare (domain table on stmarys-clinic.example)" in decision.reasons[0]
    assert latest_assignment(store, "v1") == decision  # the stored audit has the same reasons


def test_a_suffix_rule_is_named_in_the_reasons(roster, store):
    answer(store, "v1", email="dean@mit.edu", email_domain="mit.edu", company_size=300)
    lead = store_company_facts(store, "v1", FREE_MAIL, INDUSTRIES)
    decision = route_lead(roster, LeadFacts.from_lead(lead, country="US"), store, MONDAY)
    assert decision.rule == "territory_segment"  # no rule asks for education
    assert "industry education (suffix rule on mit.edu)" in decision.reasons[0]


def test_a_gmail_visitor_whose_company_answer_is_the_domain_reaches_the_account_owner(roster, store):
    answer(store, "v1", email="ceo@gmail.com", email_domain="gmail.com", company="Https://www.owned-gmbh.example/team")
    lead = store_company_facts(store, "v1", FREE_MAIL, INDUSTRIES)
    assert lead["company_domain"] == "owned-gmbh.example"
    decision = route_lead(roster, LeadFacts.from_lead(lead), store, MONDAY)
    assert (decision.rep_id, decision.rule) == ("berlin", "account_owner")
    assert decision.reasons == ("owned-gmbh.example (the company domain) is an account owned by Bea Berlin",)
