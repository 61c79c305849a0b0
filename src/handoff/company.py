"""What routing learns about the visitor's company before it routes: the company's web domain
and, from it, the industry.

- The company domain is the registrable domain (per the Public Suffix List, so
  "mail.acme.co.uk" is "acme.co.uk") of the visitor's email address, unless that address is a
  free-mail or ISP one (`config/free_mail.yml`); otherwise of a company answer that is itself
  a domain or a URL ("acme.io", "https://www.acme.co.uk/about"; not "Node.js").
- The industry comes from `config/industries.yml`: a table of company domains, then suffix
  rules such as `edu: education`. An industry the visitor stated in the conversation is kept.

    free_mail = load_free_mail("config/free_mail.yml")
    industries = load_industries("config/industries.yml")
    lead = store_company_facts(db, visitor_id, free_mail, industries)   # the lead's dict, updated

Industry is not guessed from words in the company's name ("Memory Bank Software" is no bank):
only a domain the operator listed, or a suffix rule, says it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from publicsuffixlist import PublicSuffixList
from pydantic import validator
from sqlalchemy import select

from appconfig.yamlfile import ConfigModel, ProblemAt, Text, kind, parse_config
from leaddb import LeadStore
from leaddb.leads import Lead
from leaddb.store import lead_as_dict

# Where a lead's industry came from (leads.industry_source).
FROM_DOMAIN_TABLE = "domain table"
FROM_SUFFIX_RULE = "suffix rule"
FROM_CONVERSATION = "conversation"  # stated by the visitor: never replaced by a derived guess
DERIVED_SOURCES = frozenset({FROM_DOMAIN_TABLE, FROM_SUFFIX_RULE})

# Where the company domain came from (CompanyFacts.domain_source; not stored).
FROM_EMAIL = "email address"
FROM_COMPANY_ANSWER = "company answer"

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_TOP_LABEL = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")  # no digits-only TLD: "1.2.3.4" is no domain
_WRAPPING = " \t\r\n\"'`<>()[]{},;!?"


@cache
def _public_suffixes() -> PublicSuffixList:
    # The list shipped with the package (no download). A top-level domain the list does not
    # know counts as a one-label suffix, as the list's own algorithm says ("*"): demo domains
    # such as acme.example keep working.
    return PublicSuffixList()


def host_of(text: str) -> str | None:
    """The host name in a domain, URL or email address, in lower-case ASCII (IDNA), or None
    when the text is not one: spaces, bad labels, an IP address, a single label."""
    text = text.strip(_WRAPPING).rstrip(".")
    if not text or any(character.isspace() for character in text):
        return None
    if "://" not in text:
        text = "//" + text.rsplit("@", 1)[-1]  # "acme.io/about", "jane@acme.io"
    try:
        host = urlsplit(text.lower()).hostname
    except ValueError:
        return None
    if not host:
        return None
    try:
        host = host.rstrip(".").encode("idna").decode("ascii")
    except UnicodeError:
        return None
    labels = host.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels) or not _TOP_LABEL.match(labels[-1]):
        return None
    return host


def registrable_domain(text: str | None) -> str | None:
    """The domain a company registers, from a domain, URL or address: "www.acme.co.uk" and
    "https://shop.acme.co.uk/about" give "acme.co.uk"; a public suffix alone ("co.uk") or
    anything that is not a host name gives None."""
    if not text or not isinstance(text, str):
        return None
    host = host_of(text)
    return _public_suffixes().privatesuffix(host) if host else None


@cache
def _listed_suffixes() -> PublicSuffixList:
    return PublicSuffixList(accept_unknown=False)


def domain_in_answer(text: str | None) -> str | None:
    """The registrable domain of a company answer that is itself a domain or a URL. Written
    bare ("acme.io") it must end in a suffix on the list, so "Node.js" is no domain; written
    as a URL (with a scheme, or www.) any ending counts, as for an email address."""
    if not isinstance(text, str) or (host := host_of(text)) is None:
        return None
    as_url = text.strip(_WRAPPING).lower().startswith(("http://", "https://", "www."))
    if not as_url and _listed_suffixes().publicsuffix(host) is None:
        return None
    return registrable_domain(host)


# -- config/free_mail.yml -----------------------------------------------------------------------


def _domain_problem(value: Any) -> str | None:
    """Why `value` cannot be a domain in an operator's list, or None."""
    if not isinstance(value, str):
        return f"must be a domain like gmail.com, got {kind(value)} {value!r}"
    if host_of(value) != value.strip().lower() or "/" in value or "@" in value:
        return f"{value!r} is not a domain like gmail.com"
    return None


class FreeMailFile(ConfigModel):
    domains: tuple[Any, ...]

    @validator("domains")
    def _domains(cls, domains):
        if not domains:
            raise ValueError("must list at least one domain")
        seen: set[str] = set()
        for index, value in enumerate(domains):
            problem = _domain_problem(value)
            if problem:
                raise ProblemAt((index,), problem)
            if value.strip().lower() in seen:
                raise ProblemAt((index,), f"{value!r} is listed twice")
            seen.add(value.strip().lower())
        return tuple(sorted(seen))


@dataclass(frozen=True)
class FreeMail:
    """Free-mail and ISP domains: an address at one says nothing about the visitor's company."""

    domains: frozenset[str]

    def __contains__(self, domain: object) -> bool:
        if not isinstance(domain, str):
            return False
        domain = domain.strip().lower()
        return domain in self.domains or registrable_domain(domain) in self.domains


def load_free_mail(path: Path | str) -> FreeMail:
    """Validate the file (a ConfigError names the file, the key and the problem)."""
    return FreeMail(frozenset(parse_config(FreeMailFile, path).domains))


# -- config/industries.yml ----------------------------------------------------------------------


def _industry(at: tuple, value: Any) -> str:
    try:
        return Text.validate(value).strip().lower()
    except TypeError as error:
        raise ProblemAt(at, f"the industry {error}") from None


class IndustriesFile(ConfigModel):
    domains: dict[Any, Any] = {}
    suffixes: dict[Any, Any] = {}
    names: dict[Any, Any] = {}  # industry -> words visitors use for it, read when the chat asks

    @validator("domains")
    def _domains(cls, domains):
        table: dict[str, str] = {}
        for key, value in domains.items():
            problem = _domain_problem(key)
            if problem:
                raise ProblemAt((key,), problem)
            registrable = registrable_domain(key)
            if registrable is None:
                raise ProblemAt((key,), f"{key!r} is a public suffix, not a company's domain (use `suffixes`)")
            if registrable != key.strip().lower():
                raise ProblemAt((key,), f"write the company's registrable domain {registrable!r}, not {key!r}")
            if registrable in table:
                raise ProblemAt((key,), f"{registrable!r} is listed twice")
            table[registrable] = _industry((key,), value)
        return table

    @validator("suffixes")
    def _suffixes(cls, suffixes):
        rules: dict[str, str] = {}
        for key, value in suffixes.items():
            suffix = key.strip().lower().lstrip(".") if isinstance(key, str) else None
            if not suffix or not all(_LABEL.match(label) for label in suffix.split(".")):
                raise ProblemAt((key,), f"{key!r} is not a domain suffix like edu or ac.uk")
            if suffix in rules:
                raise ProblemAt((key,), f"suffix {suffix!r} is given twice")
            rules[suffix] = _industry((key,), value)
        return rules

    @validator("names")
    def _names(cls, names):
        words: dict[str, str] = {}
        for key, value in names.items():
            industry = _industry((key,), key)
            if not isinstance(value, list) or not value:
                raise ProblemAt((key,), "give a list of the words visitors use for this industry")
            for index, word in enumerate(value):
                try:
                    phrase = " ".join(Text.validate(word).lower().split())
                except TypeError as error:
                    raise ProblemAt((key, index), f"the word {error}") from None
                if phrase in words and words[phrase] != industry:
                    raise ProblemAt((key, index), f"{phrase!r} already names {words[phrase]!r}")
                words[phrase] = industry
        return words


@dataclass(frozen=True)
class IndustryMatch:
    industry: str
    source: str  # FROM_DOMAIN_TABLE or FROM_SUFFIX_RULE
    detail: str  # what matched, for the routing reasons: "acme.io" or ".edu"


@dataclass(frozen=True)
class Industries:
    domains: dict[str, str]  # registrable domain -> industry (lower case)
    suffixes: dict[str, str]  # "edu", "ac.uk" -> industry
    names: dict[str, str] = field(default_factory=dict)  # a visitor's word ("bank") -> industry

    def industry_in_answer(self, text: str | None) -> str | None:
        """The industry a visitor's answer names, by the file's words ("we're a bank" ->
        financial services); the earliest named when several are; None when none is."""
        lowered = " ".join(re.findall(r"[\w&+-]+", (text or "").lower()))
        best: tuple[int, int, str] | None = None
        for phrase, industry in self.names.items():
            # Whole words, a plural allowed: "banks", "hospitals".
            match = re.search(rf"(?<![\w-]){re.escape(phrase)}s?(?![\w-])", lowered)
            if match and (best is None or (match.start(), -len(phrase)) < best[:2]):
                best = (match.start(), -len(phrase), industry)
        return best[2] if best else None

    def industry_for(self, domain: str | None) -> IndustryMatch | None:
        """The table's entry for the domain, else the longest suffix rule it ends with."""
        if not domain:
            return None
        domain = domain.lower()
        if domain in self.domains:
            return IndustryMatch(self.domains[domain], FROM_DOMAIN_TABLE, domain)
        labels = domain.split(".")
        for start in range(len(labels)):  # longest suffix first: "ac.uk" before "uk"
            suffix = ".".join(labels[start:])
            if suffix in self.suffixes:
                return IndustryMatch(self.suffixes[suffix], FROM_SUFFIX_RULE, f".{suffix}")
        return None


def load_industries(path: Path | str) -> Industries:
    """Validate the file (a ConfigError names the file, the key and the problem)."""
    loaded = parse_config(IndustriesFile, path)
    return Industries(domains=dict(loaded.domains), suffixes=dict(loaded.suffixes), names=dict(loaded.names))


# -- the lead's facts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CompanyFacts:
    company_domain: str | None
    domain_source: str | None  # FROM_EMAIL or FROM_COMPANY_ANSWER
    industry: str | None
    industry_source: str | None


def company_domain_for(
    email_domain: str | None, company: str | None, free_mail: FreeMail
) -> tuple[str, str] | tuple[None, None]:
    """(company domain, where it came from): the work email's registrable domain, else the
    company answer's when that answer is a domain or URL."""
    if email_domain and email_domain not in free_mail:
        domain = registrable_domain(email_domain)
        if domain:
            return domain, FROM_EMAIL
    domain = domain_in_answer(company)
    if domain and domain not in free_mail:  # "gmail.com" typed as the company says nothing either
        return domain, FROM_COMPANY_ANSWER
    return None, None


def derive_company_facts(lead: Mapping[str, Any], free_mail: FreeMail, industries: Industries) -> CompanyFacts:
    """The facts for a lead dict (`LeadStore.get_lead`); an industry from the conversation stays."""
    email_domain = lead.get("email_domain") or (registrable_domain(lead["email"]) if lead.get("email") else None)
    domain, domain_source = company_domain_for(email_domain, lead.get("company"), free_mail)
    if lead.get("industry") and lead.get("industry_source") not in DERIVED_SOURCES:
        return CompanyFacts(domain, domain_source, lead["industry"], lead.get("industry_source") or FROM_CONVERSATION)
    match = industries.industry_for(domain)
    return CompanyFacts(domain, domain_source, match.industry if match else None, match.source if match else None)


def store_company_facts(db: LeadStore, visitor_id: str, free_mail: FreeMail, industries: Industries) -> dict[str, Any]:
    """Derive the company domain and industry from what the lead holds now, store them on the
    lead (one transaction) and return the lead's dict, ready for `LeadFacts.from_lead`."""
    with db.session() as session:
        lead = session.execute(select(Lead).where(Lead.visitor_id == visitor_id)).scalar_one_or_none()
        if lead is None:
            return {"visitor_id": visitor_id}
        facts = derive_company_facts(lead_as_dict(lead), free_mail, industries)
        lead.company_domain = facts.company_domain
        lead.industry, lead.industry_source = facts.industry, facts.industry_source
        return lead_as_dict(lead)
