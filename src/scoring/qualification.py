"""From answers, company fit and behaviour to a tier (sql | mql | unqualified) with reasons.

The rules live in `config/scoring.yml` (see its comments); `load_qualification_rules` checks
them once at start-up. `decide` is pure: the same facts and rules always give the same tier,
and every point is a `ScorePart` that names the rule that gave it.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Optional

from appconfig.yamlfile import ConfigError, Section, load_yaml

TIERS = ("sql", "mql", "unqualified")
AUTHORITY_LEVELS = ("decision_maker", "influencer", "user", "none", "unknown")


@dataclass(frozen=True)
class ScorePart:
    rule: str  # e.g. "bant.authority.decision_maker"
    group: str  # bant | fit | behaviour | model
    points: float
    detail: str  # what the visitor said or did, in words
    when: Optional[str] = None  # ISO time of the event, for behaviour parts

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class LeadFacts:
    """What is known about a lead, normalised. None means not known."""

    need: Optional[str] = None
    timeline_days: Optional[int] = None
    timeline_open_ended: bool = False  # "just researching": answered, but no date
    authority: str = "unknown"
    budget_amount: Optional[float] = None  # 0 = explicitly no budget
    budget_currency: Optional[str] = None
    budget_period: Optional[str] = None  # "month" | "year" | None (one-off or unstated)
    company_size: Optional[int] = None
    email_is_free_mail: Optional[bool] = None


@dataclass(frozen=True)
class Band:
    limit: float
    points: float


@dataclass(frozen=True)
class QualificationRules:
    source: str
    sql_threshold: float
    mql_threshold: float
    sql_authority: frozenset
    sql_needs_need: bool
    sql_max_timeline_days: Optional[int]
    sql_min_annual_budget_usd: Optional[float]
    disqualify_authority: frozenset
    need_points: dict
    authority_points: dict
    budget_bands: tuple  # of Band(min annual USD, points), highest first
    budget_no_budget: float
    budget_unknown: float
    timeline_bands: tuple  # of Band(max days, points), soonest first
    timeline_open_ended: float
    timeline_unknown: float
    size_bands: tuple  # of Band(min employees, points), largest first
    size_unknown: float
    work_email_points: float
    free_mail_points: float
    currency_to_usd: dict = field(default_factory=dict)
    behaviour_weight: float = 1.0
    behaviour_max_points: Optional[float] = None
    behaviour_min_points: Optional[float] = None
    model: Optional["ModelRule"] = None

    def annual_usd(self, amount: float, currency: Optional[str], period: Optional[str]) -> Optional[float]:
        rate = self.currency_to_usd.get((currency or "USD").upper())
        if rate is None:
            return None
        return amount * rate * (12 if period == "month" else 1)


@dataclass(frozen=True)
class ModelRule:
    """A predictive model (trained with `python -m scoring train`) whose probability adds
    `points × probability`; `columns` maps the model's column names to lead facts."""

    path: Path
    points: float
    columns: dict  # model column -> fact name (see MODEL_FACTS)


# Facts a model column can be fed from.
MODEL_FACTS = (
    "authority", "need_stated", "timeline_days", "budget_annual_usd", "company_size", "email_is_free_mail",
    "behaviour_score", "page_views", "pricing_views", "downloads", "webinar_registrations",
    "webinar_attendances", "email_clicks", "demo_requests",
)


@dataclass(frozen=True)
class Decision:
    tier: str
    score: float
    parts: tuple  # of ScorePart
    reasons: tuple  # of str, for people

    def parts_as_dicts(self) -> list[dict]:
        return [part.as_dict() for part in self.parts]


# -- loading -------------------------------------------------------------------------------


def _bands(section: Section, name: str, limit_key: str, descending: bool) -> tuple:
    bands = []
    for band in section.sections(name):
        band.check_keys({limit_key, "points"})
        bands.append(Band(band.number(limit_key, minimum=0), band.number("points")))
    if not bands:
        raise section.error(name, "needs at least one band")
    limits = [band.limit for band in bands]
    if limits != sorted(limits, reverse=descending):
        order = "highest first" if descending else "lowest first"
        raise section.error(name, f"bands must be ordered by {limit_key}, {order}")
    return tuple(bands)


def _levels(section: Section, name: str) -> frozenset:
    levels = section.list(name)
    for index, level in enumerate(levels):
        if level not in AUTHORITY_LEVELS:
            raise ConfigError(section.path, f"{section.where(name)}[{index}]",
                              f"unknown authority level {level!r} (expected one of: {', '.join(AUTHORITY_LEVELS)})")
    return frozenset(levels)


def load_qualification_rules(path: Path | str) -> QualificationRules:
    root = load_yaml(path)
    root.check_keys({"version", "thresholds", "sql_gates", "disqualify", "bant", "fit", "currency_to_usd",
                     "behaviour", "model"})
    if root.integer("version") != 1:
        raise root.error("version", "only version 1 is understood")

    thresholds = root.section("thresholds")
    thresholds.check_keys({"sql", "mql"})
    sql, mql = thresholds.number("sql"), thresholds.number("mql")
    if mql > sql:
        raise thresholds.error("mql", f"must not be above the sql threshold ({sql})")

    gates = root.section("sql_gates")
    gates.check_keys({"authority_in", "need_stated", "max_timeline_days", "min_annual_budget_usd"})
    disqualify = root.section("disqualify")
    disqualify.check_keys({"authority_in"})

    bant = root.section("bant")
    bant.check_keys({"need", "authority", "budget", "timeline"})
    need = bant.section("need")
    need.check_keys({"stated", "unknown"})
    authority = bant.section("authority")
    authority.check_keys(AUTHORITY_LEVELS)
    budget = bant.section("budget")
    budget.check_keys({"bands", "no_budget", "unknown"})
    timeline = bant.section("timeline")
    timeline.check_keys({"bands", "open_ended", "unknown"})

    fit = root.section("fit")
    fit.check_keys({"company_size", "email"})
    size = fit.section("company_size")
    size.check_keys({"bands", "unknown"})
    email = fit.section("email")
    email.check_keys({"work_domain", "free_mail"})

    rates = root.section("currency_to_usd")
    currency_to_usd = {}
    for code in rates.keys():
        if not (isinstance(code, str) and len(code) == 3 and code.isalpha() and code.isupper()):
            raise rates.error(code, "must be a three-letter ISO 4217 code in capitals, e.g. EUR")
        currency_to_usd[code] = rates.number(code, minimum=0)
    if "USD" not in currency_to_usd:
        raise root.error("currency_to_usd", "must include USD")

    behaviour = root.section("behaviour", None)
    behaviour.check_keys({"weight", "max_points", "min_points"})
    max_points = behaviour.number("max_points", None, minimum=0)
    min_points = behaviour.number("min_points", None, maximum=0)

    return QualificationRules(
        source=str(path),
        sql_threshold=sql,
        mql_threshold=mql,
        sql_authority=_levels(gates, "authority_in"),
        sql_needs_need=gates.bool("need_stated", False),
        sql_max_timeline_days=gates.integer("max_timeline_days", None, minimum=0),
        sql_min_annual_budget_usd=gates.number("min_annual_budget_usd", None, minimum=0),
        disqualify_authority=_levels(disqualify, "authority_in"),
        need_points={key: need.number(key) for key in ("stated", "unknown")},
        authority_points={key: authority.number(key) for key in AUTHORITY_LEVELS},
        budget_bands=_bands(budget, "bands", "min_annual_usd", descending=True),
        budget_no_budget=budget.number("no_budget"),
        budget_unknown=budget.number("unknown"),
        timeline_bands=_bands(timeline, "bands", "max_days", descending=False),
        timeline_open_ended=timeline.number("open_ended"),
        timeline_unknown=timeline.number("unknown"),
        size_bands=_bands(size, "bands", "min_employees", descending=True),
        size_unknown=size.number("unknown"),
        work_email_points=email.number("work_domain"),
        free_mail_points=email.number("free_mail"),
        currency_to_usd=currency_to_usd,
        behaviour_weight=behaviour.number("weight", 1.0, minimum=0),
        behaviour_max_points=max_points,
        behaviour_min_points=min_points,
        model=_model_rule(root, Path(path)),
    )


def _model_rule(root: Section, rules_path: Path) -> Optional[ModelRule]:
    if root.raw("model", None) is None:
        return None
    model = root.section("model")
    model.check_keys({"path", "points", "columns"})
    model_path = Path(model.str("path"))
    if not model_path.is_absolute():
        model_path = rules_path.resolve().parent.parent / model_path  # relative to the project
    if not model_path.exists():
        raise model.error("path", f"no model file at {model_path} (train one with `python -m scoring train`)")
    columns = model.section("columns")
    mapping = {}
    for column in columns.keys():
        fact = columns.str(column, choices=MODEL_FACTS)
        mapping[str(column)] = fact
    if not mapping:
        raise model.error("columns", "map at least one model column to a fact")
    return ModelRule(model_path, model.number("points", minimum=0), mapping)


# -- scoring -------------------------------------------------------------------------------


def _money(amount: float, currency: Optional[str], period: Optional[str]) -> str:
    per = {"month": " a month", "year": " a year"}.get(period or "", "")
    return f"{amount:,.0f} {currency or 'USD'}{per}"


def bant_parts(rules: QualificationRules, facts: LeadFacts) -> list[ScorePart]:
    parts = []
    if facts.need:
        parts.append(ScorePart("bant.need.stated", "bant", rules.need_points["stated"], f"need: {facts.need[:120]}"))
    else:
        parts.append(ScorePart("bant.need.unknown", "bant", rules.need_points["unknown"], "need not stated"))

    level = facts.authority if facts.authority in AUTHORITY_LEVELS else "unknown"
    parts.append(ScorePart(f"bant.authority.{level}", "bant", rules.authority_points[level],
                           f"authority: {level.replace('_', ' ')}"))

    if facts.budget_amount is None:
        parts.append(ScorePart("bant.budget.unknown", "bant", rules.budget_unknown, "budget not stated"))
    elif facts.budget_amount == 0:
        parts.append(ScorePart("bant.budget.no_budget", "bant", rules.budget_no_budget, "no budget yet"))
    else:
        stated = _money(facts.budget_amount, facts.budget_currency, facts.budget_period)
        annual = rules.annual_usd(facts.budget_amount, facts.budget_currency, facts.budget_period)
        if annual is None:
            parts.append(ScorePart("bant.budget.unknown", "bant", rules.budget_unknown,
                                   f"budget {stated}: no rate for {facts.budget_currency}"))
        else:
            band = next((b for b in rules.budget_bands if annual >= b.limit), None)
            if band is None:
                parts.append(ScorePart("bant.budget.below_bands", "bant", 0, f"budget {stated}"))
            else:
                parts.append(ScorePart(f"bant.budget.min_{band.limit:g}", "bant", band.points,
                                       f"budget {stated} (≈ {annual:,.0f} USD a year)"))

    if facts.timeline_days is not None:
        band = next((b for b in rules.timeline_bands if facts.timeline_days <= b.limit), None)
        if band is None:
            parts.append(ScorePart("bant.timeline.beyond_bands", "bant", 0, f"timeline {facts.timeline_days} days"))
        else:
            parts.append(ScorePart(f"bant.timeline.max_{band.limit:g}", "bant", band.points,
                                   f"timeline {facts.timeline_days} days"))
    elif facts.timeline_open_ended:
        parts.append(ScorePart("bant.timeline.open_ended", "bant", rules.timeline_open_ended,
                               "no timeline: just researching"))
    else:
        parts.append(ScorePart("bant.timeline.unknown", "bant", rules.timeline_unknown, "timeline not stated"))
    return parts


def fit_parts(rules: QualificationRules, facts: LeadFacts) -> list[ScorePart]:
    parts = []
    if facts.company_size is None:
        parts.append(ScorePart("fit.company_size.unknown", "fit", rules.size_unknown, "company size not stated"))
    else:
        band = next((b for b in rules.size_bands if facts.company_size >= b.limit), None)
        if band is not None:
            parts.append(ScorePart(f"fit.company_size.min_{band.limit:g}", "fit", band.points,
                                   f"{facts.company_size} employees"))
    if facts.email_is_free_mail is True:
        parts.append(ScorePart("fit.email.free_mail", "fit", rules.free_mail_points, "free-mail address"))
    elif facts.email_is_free_mail is False:
        parts.append(ScorePart("fit.email.work_domain", "fit", rules.work_email_points, "work email domain"))
    return parts


def behaviour_parts(rules: QualificationRules, behaviour_parts: Iterable[dict]) -> list[ScorePart]:
    """Behaviour points (config/behaviour.yml) weighted and bounded for the qualification score.
    A bound shows as its own part, so the parts still add up to the total."""
    parts = [
        ScorePart(f"behaviour.{part['rule']}", "behaviour", round(part["points"] * rules.behaviour_weight, 2),
                  part.get("detail") or part["rule"], part.get("when"))
        for part in behaviour_parts
        if part.get("points")
    ]
    total = sum(part.points for part in parts)
    if rules.behaviour_max_points is not None and total > rules.behaviour_max_points:
        parts.append(ScorePart("behaviour.max_points", "behaviour", rules.behaviour_max_points - total,
                               f"behaviour counts at most {rules.behaviour_max_points:g} points"))
    if rules.behaviour_min_points is not None and total < rules.behaviour_min_points:
        parts.append(ScorePart("behaviour.min_points", "behaviour", rules.behaviour_min_points - total,
                               f"behaviour takes away at most {-rules.behaviour_min_points:g} points"))
    return parts


def model_facts(rules: QualificationRules, facts: LeadFacts, behaviour_total: float = 0.0,
                summary: Optional[object] = None) -> dict:
    """The values of MODEL_FACTS for this lead (None when not known)."""
    annual = None
    if facts.budget_amount is not None:
        annual = rules.annual_usd(facts.budget_amount, facts.budget_currency, facts.budget_period)
    values = {
        "authority": facts.authority, "need_stated": facts.need is not None, "timeline_days": facts.timeline_days,
        "budget_annual_usd": annual, "company_size": facts.company_size,
        "email_is_free_mail": facts.email_is_free_mail, "behaviour_score": behaviour_total,
    }
    for name in ("page_views", "pricing_views", "downloads", "webinar_registrations", "webinar_attendances",
                 "email_clicks", "demo_requests"):
        values[name] = getattr(summary, name, 0) if summary is not None else 0
    return values


def model_record(rule: ModelRule, values: dict) -> dict:
    """One record keyed by the model's own column names."""
    return {column: values.get(fact) for column, fact in rule.columns.items()}


def _sql_gate_failures(rules: QualificationRules, facts: LeadFacts) -> list[str]:
    failures = []
    if rules.sql_authority and facts.authority not in rules.sql_authority:
        failures.append(f"authority is {facts.authority.replace('_', ' ')}, "
                        f"not {' or '.join(sorted(a.replace('_', ' ') for a in rules.sql_authority))}")
    if rules.sql_needs_need and not facts.need:
        failures.append("no need stated")
    if rules.sql_max_timeline_days is not None:
        if facts.timeline_days is None:
            failures.append("no timeline" if facts.timeline_open_ended else "timeline not stated")
        elif facts.timeline_days > rules.sql_max_timeline_days:
            failures.append(f"timeline {facts.timeline_days} days is beyond {rules.sql_max_timeline_days}")
    if rules.sql_min_annual_budget_usd is not None and facts.budget_amount is not None:
        annual = rules.annual_usd(facts.budget_amount, facts.budget_currency, facts.budget_period)
        if annual is not None and annual < rules.sql_min_annual_budget_usd:
            failures.append(f"budget ≈ {annual:,.0f} USD a year is below {rules.sql_min_annual_budget_usd:,.0f}")
    return failures


def decide(
    rules: QualificationRules,
    facts: LeadFacts,
    behaviour: Iterable[dict] = (),
    model_probability: Optional[float] = None,
) -> Decision:
    """Score the facts and pick a tier. `behaviour` is the parts list of a behaviour score
    (scoring.behaviour); `model_probability` the configured model's prediction, if any."""
    parts = bant_parts(rules, facts) + fit_parts(rules, facts) + behaviour_parts(rules, behaviour)
    if model_probability is not None and rules.model is not None:
        parts.append(ScorePart("model.probability", "model", round(model_probability * rules.model.points, 2),
                               f"predicted conversion {model_probability:.0%}"))
    parts = tuple(parts)
    score = round(sum(part.points for part in parts), 2)
    scored = [f"{p.detail}: {p.points:+g}" for p in parts if p.points]

    if facts.authority in rules.disqualify_authority:
        who = {"none": "not a buyer (student, job seeker, competitor or press)"}.get(facts.authority, facts.authority)
        return Decision("unqualified", score, parts, (f"disqualified: {who}",) + tuple(scored))

    if score >= rules.sql_threshold:
        failures = _sql_gate_failures(rules, facts)
        if not failures:
            return Decision("sql", score, parts,
                            (f"score {score:g} ≥ SQL threshold {rules.sql_threshold:g}",) + tuple(scored))
        held = f"score {score:g} reaches the SQL threshold but held at MQL: {'; '.join(failures)}"
        return Decision("mql", score, parts, (held,) + tuple(scored))
    if score >= rules.mql_threshold:
        return Decision("mql", score, parts,
                        (f"score {score:g} ≥ MQL threshold {rules.mql_threshold:g}, "
                         f"below SQL {rules.sql_threshold:g}",) + tuple(scored))
    return Decision("unqualified", score, parts,
                    (f"score {score:g} below MQL threshold {rules.mql_threshold:g}",) + tuple(scored))


def facts_from_record(record: dict) -> LeadFacts:
    """LeadFacts from a stored lead (a mapping with the lead database's column names)."""
    need = record.get("need")
    return LeadFacts(
        need=need if need and need != "unknown" else None,
        timeline_days=record.get("timeline_days"),
        timeline_open_ended=bool(record.get("timeline_open_ended")),
        authority=record.get("authority") or "unknown",
        budget_amount=record.get("budget_amount"),
        budget_currency=record.get("budget_currency"),
        budget_period=record.get("budget_period"),
        company_size=record.get("company_size"),
        email_is_free_mail=record.get("email_is_free_mail"),
    )
