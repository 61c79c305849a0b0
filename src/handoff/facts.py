"""What routing and nurture know about a lead."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional

from .geo import country_for_timezone


@dataclass(frozen=True)
class LeadFacts:
    visitor_id: str
    email: Optional[str] = None
    company: Optional[str] = None
    company_domain: Optional[str] = None  # the company's web domain, when known
    company_size: Optional[int] = None  # employees
    country: Optional[str] = None  # ISO 3166 alpha-2; guessed from `timezone` when missing
    industry: Optional[str] = None
    timezone: Optional[str] = None  # the visitor's IANA zone
    need: Optional[str] = None
    authority: Optional[str] = None  # scoring.bant.parse_authority's values
    tier: Optional[str] = None  # sql | mql | unqualified
    stage: Optional[str] = None

    @classmethod
    def from_lead(cls, lead: Mapping[str, Any], **extra: Any) -> "LeadFacts":
        """From `LeadStore.get_lead(...)`'s dict, plus facts the lead table does not hold
        (country, industry, company_domain) or that should override it."""
        fields = {name: lead.get(name) for name in cls.__dataclass_fields__ if name in lead}
        fields.update(extra)
        return cls(**fields)

    @property
    def email_domain(self) -> Optional[str]:
        if not self.email or "@" not in self.email:
            return None
        return self.email.rsplit("@", 1)[1].strip().lower() or None

    def resolved_country(self) -> tuple[Optional[str], str]:
        """(country code, how it is known) for routing reasons."""
        if self.country:
            return self.country.upper(), f"country {self.country.upper()}"
        guessed = country_for_timezone(self.timezone)
        if guessed:
            return guessed, f"country {guessed} (guessed from time zone {self.timezone})"
        return None, "country unknown"
