"""What routing and nurture know about a lead."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .geo import country_for_timezone


@dataclass(frozen=True)
class LeadFacts:
    visitor_id: str
    email: str | None = None
    company: str | None = None
    company_domain: str | None = None  # the company's web domain, when known
    company_size: int | None = None  # employees
    country: str | None = None  # ISO 3166 alpha-2; guessed from `timezone` when missing
    industry: str | None = None
    industry_source: str | None = None  # "domain table", "suffix rule", "conversation" (handoff.company)
    timezone: str | None = None  # the visitor's IANA zone
    need: str | None = None
    authority: str | None = None  # scoring.bant.parse_authority's values
    tier: str | None = None  # sql | mql | unqualified
    stage: str | None = None

    @classmethod
    def from_lead(cls, lead: Mapping[str, Any], **extra: Any) -> LeadFacts:
        """From `LeadStore.get_lead(...)`'s dict, plus facts the lead table does not hold
        (country, industry, company_domain) or that should override it."""
        fields: dict[str, Any] = {name: lead.get(name) for name in cls.__dataclass_fields__ if name in lead}
        fields.update(extra)
        return cls(**fields)

    @property
    def email_domain(self) -> str | None:
        if not self.email or "@" not in self.email:
            return None
        return self.email.rsplit("@", 1)[1].strip().lower() or None

    def resolved_country(self) -> tuple[str | None, str]:
        """(country code, how it is known) for routing reasons."""
        if self.country:
            return self.country.upper(), f"country {self.country.upper()}"
        guessed = country_for_timezone(self.timezone)
        if guessed:
            return guessed, f"country {guessed} (guessed from time zone {self.timezone})"
        return None, "country unknown"

    def industry_text(self) -> tuple[str | None, str]:
        """(industry, how it is known) for routing reasons: "industry education (suffix rule on mit.edu)"."""
        industry = self.industry.strip().lower() if self.industry else None
        if not industry:
            return None, "industry unknown"
        if self.industry_source in ("domain table", "suffix rule") and self.company_domain:
            return industry, f"industry {industry} ({self.industry_source} on {self.company_domain})"
        if self.industry_source:
            return industry, f"industry {industry} (from the {self.industry_source})"
        return industry, f"industry {industry}"
