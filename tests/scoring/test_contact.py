"""Table tests of the contact-detail parsers with answers as website visitors type them."""

import pytest

from scoring.contact import (
    EmailAddress,
    company_from_email_domain,
    explain_invalid_email,
    free_mail_domains,
    parse_company_name,
    parse_person_name,
    parse_work_email,
)

EMAIL_CASES = [
    ("sure, it's Jane.Doe@Acme.io", EmailAddress("Jane.Doe@acme.io", "acme.io", False)),
    ("jane@acme.com", EmailAddress("jane@acme.com", "acme.com", False)),
    ("JANE@ACME.IO", EmailAddress("JANE@acme.io", "acme.io", False)),
    ("my email: <bob@initech.co.uk>.", EmailAddress("bob@initech.co.uk", "initech.co.uk", False)),
    ("(ops+chat@globex.com)", EmailAddress("ops+chat@globex.com", "globex.com", False)),
    ("mailto:sales@stark-industries.com", EmailAddress("sales@stark-industries.com", "stark-industries.com", False)),
    ("jane.doe@gmail.com!", EmailAddress("jane.doe@gmail.com", "gmail.com", True)),
    ("bob@Hotmail.co.uk thanks", EmailAddress("bob@hotmail.co.uk", "hotmail.co.uk", True)),
    ("ana@proton.me", EmailAddress("ana@proton.me", "proton.me", True)),
    ("it's j@web.de", EmailAddress("j@web.de", "web.de", True)),
    ("try jane@acme first, or jane@acme.com", EmailAddress("jane@acme.com", "acme.com", False)),
    ("jane@acme", None),
    ("jane at acme dot com", None),
    ("jane @ acme.com", None),
    ("jane@@acme.com", None),
    ("@acme.com", None),
    ("jane@", None),
    ("jane@acme..com", None),
    ("jane@localhost", None),
    ("no", None),
    ("", None),
    ("<script>@</script>", None),
]


@pytest.mark.parametrize("text,expected", EMAIL_CASES)
def test_parse_work_email(text, expected):
    assert parse_work_email(text) == expected


@pytest.mark.parametrize(
    "text,reason_contains",
    [
        ("", "empty"),
        ("   ", "empty"),
        ("no thanks", "no @"),
        ("jane at acme dot com", "@ sign"),
        ("jane @ acme.com", "space"),
        ("jane@@acme.com", "more than one @"),
        ("jane@acme", "domain ending"),
        ("@acme.com", "before the @"),
        ("jane@", "after the @"),
        ("jane@acme..com", "two periods"),
    ],
)
def test_explain_invalid_email(text, reason_contains):
    reason = explain_invalid_email(text)
    assert reason_contains in reason
    assert "jane@acme.com" in reason  # every reason shows an example to copy


def test_explain_invalid_email_is_empty_for_a_valid_address():
    assert explain_invalid_email("sure: jane@acme.com") == ""


def test_free_mail_domains_are_loaded_and_normalised():
    assert {
        "gmail.com",
        "yahoo.co.uk",
        "outlook.com",
        "hotmail.com",
        "icloud.com",
        "proton.me",
        "gmx.de",
        "web.de",
        "aol.com",
        "yandex.ru",
        "mail.ru",
        "zoho.com",
        "qq.com",
        "163.com",
    } <= free_mail_domains()
    assert all(d == d.strip().lower() for d in free_mail_domains())


def test_scoring_and_routing_read_the_same_free_mail_list():
    from handoff import load_free_mail

    assert free_mail_domains() == load_free_mail("config/free_mail.yml").domains


NAME_CASES = [
    ("my name is jane doe", "Jane Doe"),
    ("I'm Bob", "Bob"),
    ("it's Ana-Maria O'Neil", "Ana-Maria O'Neil"),
    ("Jane", "Jane"),
    ("JOHN SMITH", "John Smith"),
    ("hi! sam here", "Sam"),
    ("Bob from Acme", "Bob"),
    ("Jane Doe, CTO", "Jane Doe"),
    ("ludwig van beethoven", "Ludwig van Beethoven"),
    ("Dr. Jane Smith", "Jane Smith"),
    ("J. R. R. Tolkien", "J. R. R. Tolkien"),
    ("José García", "José García"),
    ("McDonald", "McDonald"),
    ("call me priya", "Priya"),
    ("name: Li Wei.", "Li Wei"),
    ("sure, this is Tom", "Tom"),
    ("Hi, I'm Sam", "Sam"),
    ("Hello! My name is siobhan o’brien", "Siobhan O'Brien"),
    ("12345", None),
    ("jane@acme.com", None),
    ("no", None),
    ("why?", None),
    ("x" * 90, None),
    ("rather not say", None),
    ("I'm the CTO", None),
    ("none of your business", None),
    ("asdf", None),
    ("", None),
    ("my name is jane and i work at acme and we need a tool for lead scoring asap", "Jane"),
    ("agent 47", None),
    ("Fernwood Analytics", None),  # a company, answered to the name question
    ("Karoo Coffee Roasters", None),
    ("Tech Ng", "Tech Ng"),
]


@pytest.mark.parametrize("text,expected", NAME_CASES)
def test_parse_person_name(text, expected):
    assert parse_person_name(text) == expected


COMPANY_CASES = [
    ("I work at Acme Corp", "Acme Corp"),
    ("we're globex.", "Globex"),
    ("Initech GmbH", "Initech GmbH"),
    ("initech gmbh", "Initech GmbH"),
    ("Acme Inc.", "Acme Inc"),
    ("I work for Acme, we make anvils", "Acme"),
    ("at Hooli as a PM", "Hooli"),
    ("IBM", "IBM"),
    ("acme.io", "Acme.io"),
    ("sure, I work at stark industries in NYC", "Stark Industries"),
    ("our company is called Wayne Enterprises", "Wayne Enterprises"),
    ("I'm a developer at Umbrella Corp", "Umbrella Corp"),
    ("I'm with Globex", "Globex"),
    ("Acme Business Solutions", "Acme Business Solutions"),
    ("Procter & Gamble", "Procter & Gamble"),
    ("company: Tyrell Corporation", "Tyrell Corporation"),
    ("we are called soylent", "Soylent"),
    ("it's Cyberdyne Systems", "Cyberdyne Systems"),
    ("Massive Dynamic - we do biotech", "Massive Dynamic"),
    ("I work at a startup called Pied Piper", "Pied Piper"),
    ("Sure, it's Globex", "Globex"),
    ("We’re Vandelay Industries", "Vandelay Industries"),
    ("no", None),
    ("jane@acme.com", None),
    ("12345", None),
    ("rather not say", None),
    ("self-employed", None),
    ("I'm a freelancer", None),
    ("none of your business", None),
    ("", None),
    ("Hi-Tech Supply", "Hi-Tech Supply"),
    ("hi, acme", "Acme"),
    ("around 60", None),  # the size, answered to the company question
    ("~120 people", None),
    ("3M", "3M"),
    ("7-Eleven", "7-Eleven"),
]


@pytest.mark.parametrize("text,expected", COMPANY_CASES)
def test_parse_company_name(text, expected):
    assert parse_company_name(text) == expected


@pytest.mark.parametrize(
    "domain,expected",
    [
        ("acme-corp.io", "Acme Corp"),
        ("Acme.com", "Acme"),
        ("www.globex.com", "Globex"),
        ("mail.initech.co.uk", "Initech"),
        ("stark-industries.com.au", "Stark Industries"),
        ("jane@wayne-enterprises.com", "Wayne Enterprises"),
        ("gmail.com", None),
        ("yahoo.co.uk", None),
        ("localhost", None),
        ("", None),
    ],
)
def test_company_from_email_domain(domain, expected):
    assert company_from_email_domain(domain) == expected


@pytest.mark.parametrize(
    "function",
    [parse_work_email, explain_invalid_email, parse_person_name, parse_company_name, company_from_email_domain],
)
def test_non_text_raises_a_clear_type_error(function):
    with pytest.raises(TypeError, match="expects"):
        function(None)
