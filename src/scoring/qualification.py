"""From answers, company fit and behaviour to a tier (sql | mql | unqualified) with reasons.

The rules live in `config/scoring.yml` (see its comments); `load_qualification_rules` checks
them once at start-up. `decide` is pure: the same facts and rules always give the same tier,
and every point is a `ScorePart` that names the rule that gave it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from pydantic import root_validator, validator

from appconfig.yamlfile import (
    Checked,
    ConfigError,
    ConfigModel,
    Flag,
    Number,
    ProblemAt,
    choice,
    integer,
    number,
    parse_config,
)

TIERS = ("sql", "mql", "unqualified")
AUTHORITY_LEVELS = ("decision_maker", "influencer", "user", "none", "unknown")


@dataclass(frozen=True)
class ScorePart:
    rule: str  # e.g. "bant.authority.decision_maker"
    group: str  # bant | fit | behaviour | model
    points: float
    detail: str  # what the visitor said or did, in words
    when: str | None = None  # ISO time of the event, for behaviour parts

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class QualificationFacts:
    """The answers and fit facts `decide` scores, normalised. None means not known.
    (`handoff.LeadFacts` is the different view routing and nurture use.)"""

    need: str | None = None
    timeline_days: int | None = None  # the day that stands for the answer: the score bands use it
    timeline_earliest_days: int | None = None  # the soonest start: the SQL gate uses it (None: timeline_days)
    timeline_latest_days: int | None = None  # None: no end stated ("not before March") or not known
    timeline_open_ended: bool = False  # "just researching": answered, but no date
    authority: str = "unknown"
    budget_amount: float | None = None  # 0 = explicitly no budget
    budget_currency: str | None = None
    budget_period: str | None = None  # "month" | "year" | None (one-off or unstated)
    budget_status: str = "unstated"  # "approved" | "pending" (waiting for a yes) | "none" | "unstated"
    company_size: int | None = None
    email_is_free_mail: bool | None = None


# -- the rules file (config/scoring.yml, documented there) ----------------------------------

AuthorityLevel = Checked[str, choice(AUTHORITY_LEVELS, "authority level")]


def _bands_ordered_by(limit: str, descending: bool):
    """A validator for a `bands` list: at least one band, ordered by `limit`."""

    def check(bands: tuple) -> tuple:
        if not bands:
            raise ValueError("needs at least one band")
        limits = [getattr(band, limit) for band in bands]
        if limits != sorted(limits, reverse=descending):
            raise ValueError(f"bands must be ordered by {limit}, {'highest' if descending else 'lowest'} first")
        return bands

    return validator("bands", allow_reuse=True)(check)


class Thresholds(ConfigModel):
    sql: Number
    mql: Number

    @root_validator(skip_on_failure=True)
    def _mql_not_above_sql(cls, values):
        if values["mql"] > values["sql"]:
            raise ProblemAt(("mql",), f"must not be above the sql threshold ({values['sql']})")
        return values


class SqlGates(ConfigModel):
    authority_in: tuple[AuthorityLevel, ...]
    need_stated: Checked[bool, Flag] = False
    max_timeline_days: Checked[int, integer(minimum=0)] | None = None  # compared with the earliest possible start
    min_annual_budget_usd: Checked[float, number(minimum=0)] | None = None
    # A budget waiting for approval ("40k once the board signs off") is not money to spend yet.
    pending_budget_passes: Checked[bool, Flag] = False


class Disqualify(ConfigModel):
    authority_in: tuple[AuthorityLevel, ...]


class NeedPoints(ConfigModel):
    stated: Number
    unknown: Number


class AuthorityPoints(ConfigModel):
    decision_maker: Number
    influencer: Number
    user: Number
    none: Number
    unknown: Number


class BudgetBand(ConfigModel):
    min_annual_usd: Checked[float, number(minimum=0)]
    points: Number


class BudgetPoints(ConfigModel):
    bands: tuple[BudgetBand, ...]  # highest first: the first band the budget reaches counts
    no_budget: Number
    unknown: Number

    _ordered = _bands_ordered_by("min_annual_usd", descending=True)


class TimelineBand(ConfigModel):
    max_days: Checked[float, number(minimum=0)]
    points: Number


class TimelinePoints(ConfigModel):
    bands: tuple[TimelineBand, ...]  # soonest first: the first band the timeline is within counts
    open_ended: Number
    unknown: Number

    _ordered = _bands_ordered_by("max_days", descending=False)


class Bant(ConfigModel):
    need: NeedPoints
    authority: AuthorityPoints
    budget: BudgetPoints
    timeline: TimelinePoints


class SizeBand(ConfigModel):
    min_employees: Checked[float, number(minimum=0)]
    points: Number


class SizePoints(ConfigModel):
    bands: tuple[SizeBand, ...]  # largest first
    unknown: Number

    _ordered = _bands_ordered_by("min_employees", descending=True)


class EmailPoints(ConfigModel):
    work_domain: Number
    free_mail: Number


class Fit(ConfigModel):
    company_size: SizePoints
    email: EmailPoints


class BehaviourWeight(ConfigModel):
    weight: Checked[float, number(minimum=0)] = 1.0
    max_points: Checked[float, number(minimum=0)] | None = None
    min_points: Checked[float, number(maximum=0)] | None = None


# Counts taken from the visitor's behaviour summary (0 without one).
BEHAVIOUR_COUNTS = (
    "page_views",
    "pricing_views",
    "downloads",
    "webinar_registrations",
    "webinar_attendances",
    "email_clicks",
    "demo_requests",
)
# Facts a model column can be fed from.
MODEL_FACTS = (
    "authority",
    "need_stated",
    "timeline_days",
    "budget_annual_usd",
    "company_size",
    "email_is_free_mail",
    "behaviour_score",
    *BEHAVIOUR_COUNTS,
)


class ModelRule(ConfigModel):
    """A predictive model (trained with `python -m scoring train`) whose probability adds
    `points × probability`; `columns` maps the model's column names to lead facts."""

    path: Path  # relative paths are resolved by load_qualification_rules
    points: Checked[float, number(minimum=0)]
    columns: dict[str, Checked[str, choice(MODEL_FACTS, "fact")]]

    @validator("columns")
    def _some_columns(cls, columns):
        if not columns:
            raise ValueError("map at least one model column to a fact")
        return columns


class QualificationRules(ConfigModel):
    version: Checked[int, integer()]
    thresholds: Thresholds
    sql_gates: SqlGates
    disqualify: Disqualify
    bant: Bant
    fit: Fit
    currency_to_usd: dict[str, Checked[float, number(minimum=0)]]
    behaviour: BehaviourWeight = BehaviourWeight()
    model: ModelRule | None = None

    @validator("version")
    def _known_version(cls, version):
        if version != 1:
            raise ValueError("only version 1 is understood")
        return version

    @validator("currency_to_usd")
    def _iso_codes(cls, rates):
        for code in rates:
            if not (len(code) == 3 and code.isalpha() and code.isupper()):
                raise ProblemAt((code,), "must be a three-letter ISO 4217 code in capitals, e.g. EUR")
        if "USD" not in rates:
            raise ValueError("must include USD")
        return rates

    @property
    def disqualify_authority(self) -> tuple[str, ...]:
        return self.disqualify.authority_in

    def annual_usd(self, amount: float, currency: str | None, period: str | None) -> float | None:
        rate = self.currency_to_usd.get((currency or "USD").upper())
        if rate is None:
            return None
        return amount * rate * (12 if period == "month" else 1)


def load_qualification_rules(path: Path | str) -> QualificationRules:
    rules = parse_config(QualificationRules, path)
    if rules.model is None:
        return rules
    model_path = rules.model.path
    if not model_path.is_absolute():
        model_path = Path(path).resolve().parent.parent / model_path  # relative to the project
    if not model_path.exists():
        raise ConfigError(
            path, "model.path", f"no model file at {model_path} (train one with `python -m scoring train`)"
        )
    return rules.copy(update={"model": rules.model.copy(update={"path": model_path})})


@dataclass(frozen=True)
class Decision:
    tier: str
    score: float
    parts: tuple  # of ScorePart
    reasons: tuple  # of str, for people

    def parts_as_dicts(self) -> list[dict]:
        return [part.as_dict() for part in self.parts]


# -- scoring -------------------------------------------------------------------------------


def _money(amount: float, currency: str | None, period: str | None) -> str:
    per = {"month": " a month", "year": " a year"}.get(period or "", "")
    return f"{amount:,.0f} {currency or 'USD'}{per}"


def _stated_budget(facts: QualificationFacts) -> str:
    """ "budget 40,000 USD", or "budget 40,000 USD pending approval"."""
    pending = " pending approval" if facts.budget_status == "pending" else ""
    if facts.budget_amount is None:
        return f"budget not stated{pending}"
    return f"budget {_money(facts.budget_amount, facts.budget_currency, facts.budget_period)}{pending}"


def _in_days_or_months(days: int) -> str:
    if days < 60:
        return "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
    return f"in {round(days / 30.44)} months"


def _earliest_start(facts: QualificationFacts) -> int | None:
    """The soonest the purchase could start; records stored before windows were kept have
    only timeline_days."""
    return facts.timeline_days if facts.timeline_earliest_days is None else facts.timeline_earliest_days


def _timeline_detail(facts: QualificationFacts) -> str:
    earliest = _earliest_start(facts)
    if earliest is None or earliest == facts.timeline_days:
        return f"timeline {facts.timeline_days} days"
    return f"timeline {facts.timeline_days} days, earliest start {_in_days_or_months(earliest)}"


def bant_parts(rules: QualificationRules, facts: QualificationFacts) -> list[ScorePart]:
    parts = []
    if facts.need:
        parts.append(ScorePart("bant.need.stated", "bant", rules.bant.need.stated, f"need: {facts.need[:120]}"))
    else:
        parts.append(ScorePart("bant.need.unknown", "bant", rules.bant.need.unknown, "need not stated"))

    level = facts.authority if facts.authority in AUTHORITY_LEVELS else "unknown"
    parts.append(
        ScorePart(
            f"bant.authority.{level}",
            "bant",
            getattr(rules.bant.authority, level),
            f"authority: {level.replace('_', ' ')}",
        )
    )

    if facts.budget_amount is None:
        parts.append(ScorePart("bant.budget.unknown", "bant", rules.bant.budget.unknown, "budget not stated"))
    elif facts.budget_amount == 0:
        parts.append(ScorePart("bant.budget.no_budget", "bant", rules.bant.budget.no_budget, "no budget yet"))
    else:
        stated = _stated_budget(facts)
        annual = rules.annual_usd(facts.budget_amount, facts.budget_currency, facts.budget_period)
        if annual is None:
            parts.append(
                ScorePart(
                    "bant.budget.unknown",
                    "bant",
                    rules.bant.budget.unknown,
                    f"{stated}: no rate for {facts.budget_currency}",
                )
            )
        else:
            band = next((b for b in rules.bant.budget.bands if annual >= b.min_annual_usd), None)
            if band is None:
                parts.append(ScorePart("bant.budget.below_bands", "bant", 0, stated))
            else:
                parts.append(
                    ScorePart(
                        f"bant.budget.min_{band.min_annual_usd:g}",
                        "bant",
                        band.points,
                        f"{stated} (≈ {annual:,.0f} USD a year)",
                    )
                )

    if facts.timeline_days is not None:
        timeline_band = next((b for b in rules.bant.timeline.bands if facts.timeline_days <= b.max_days), None)
        if timeline_band is None:
            parts.append(ScorePart("bant.timeline.beyond_bands", "bant", 0, _timeline_detail(facts)))
        else:
            parts.append(
                ScorePart(
                    f"bant.timeline.max_{timeline_band.max_days:g}",
                    "bant",
                    timeline_band.points,
                    _timeline_detail(facts),
                )
            )
    elif facts.timeline_open_ended:
        parts.append(
            ScorePart(
                "bant.timeline.open_ended", "bant", rules.bant.timeline.open_ended, "no timeline: just researching"
            )
        )
    else:
        parts.append(ScorePart("bant.timeline.unknown", "bant", rules.bant.timeline.unknown, "timeline not stated"))
    return parts


def fit_parts(rules: QualificationRules, facts: QualificationFacts) -> list[ScorePart]:
    parts = []
    if facts.company_size is None:
        parts.append(
            ScorePart("fit.company_size.unknown", "fit", rules.fit.company_size.unknown, "company size not stated")
        )
    else:
        band = next((b for b in rules.fit.company_size.bands if facts.company_size >= b.min_employees), None)
        if band is not None:
            parts.append(
                ScorePart(
                    f"fit.company_size.min_{band.min_employees:g}",
                    "fit",
                    band.points,
                    f"{facts.company_size} employees",
                )
            )
    if facts.email_is_free_mail is True:
        parts.append(ScorePart("fit.email.free_mail", "fit", rules.fit.email.free_mail, "free-mail address"))
    elif facts.email_is_free_mail is False:
        parts.append(ScorePart("fit.email.work_domain", "fit", rules.fit.email.work_domain, "work email domain"))
    return parts


def behaviour_parts(rules: QualificationRules, behaviour_parts: Iterable[dict]) -> list[ScorePart]:
    """Behaviour points (config/behaviour.yml) weighted and bounded for the qualification score.
    A bound shows as its own part, so the parts still add up to the total."""
    parts = [
        ScorePart(
            f"behaviour.{part['rule']}",
            "behaviour",
            round(part["points"] * rules.behaviour.weight, 2),
            part.get("detail") or part["rule"],
            part.get("when"),
        )
        for part in behaviour_parts
        if part.get("points")
    ]
    total = sum(part.points for part in parts)
    if rules.behaviour.max_points is not None and total > rules.behaviour.max_points:
        parts.append(
            ScorePart(
                "behaviour.max_points",
                "behaviour",
                rules.behaviour.max_points - total,
                f"behaviour counts at most {rules.behaviour.max_points:g} points",
            )
        )
    if rules.behaviour.min_points is not None and total < rules.behaviour.min_points:
        parts.append(
            ScorePart(
                "behaviour.min_points",
                "behaviour",
                rules.behaviour.min_points - total,
                f"behaviour takes away at most {-rules.behaviour.min_points:g} points",
            )
        )
    return parts


def model_facts(
    rules: QualificationRules, facts: QualificationFacts, behaviour_total: float = 0.0, summary: object | None = None
) -> dict:
    """The values of MODEL_FACTS for this lead (None when not known)."""
    annual = None
    if facts.budget_amount is not None:
        annual = rules.annual_usd(facts.budget_amount, facts.budget_currency, facts.budget_period)
    values = {
        "authority": facts.authority,
        "need_stated": facts.need is not None,
        "timeline_days": facts.timeline_days,
        "budget_annual_usd": annual,
        "company_size": facts.company_size,
        "email_is_free_mail": facts.email_is_free_mail,
        "behaviour_score": behaviour_total,
    }
    for name in BEHAVIOUR_COUNTS:
        values[name] = getattr(summary, name, 0) if summary is not None else 0
    return values


def model_record(rule: ModelRule, values: dict) -> dict:
    """One record keyed by the model's own column names."""
    return {column: values.get(fact) for column, fact in rule.columns.items()}


def _sql_gate_failures(rules: QualificationRules, facts: QualificationFacts) -> list[str]:
    failures = []
    if rules.sql_gates.authority_in and facts.authority not in rules.sql_gates.authority_in:
        failures.append(
            f"authority is {facts.authority.replace('_', ' ')}, "
            f"not {' or '.join(sorted(a.replace('_', ' ') for a in rules.sql_gates.authority_in))}"
        )
    if rules.sql_gates.need_stated and not facts.need:
        failures.append("no need stated")
    earliest = _earliest_start(facts)
    if rules.sql_gates.max_timeline_days is not None:
        if earliest is None:
            failures.append("no timeline" if facts.timeline_open_ended else "timeline not stated")
        elif earliest > rules.sql_gates.max_timeline_days:
            failures.append(
                f"earliest start {_in_days_or_months(earliest)} ({earliest} days) "
                f"is beyond {rules.sql_gates.max_timeline_days} days"
            )
    if facts.budget_status == "pending" and facts.budget_amount and not rules.sql_gates.pending_budget_passes:
        failures.append(_stated_budget(facts))
    if rules.sql_gates.min_annual_budget_usd is not None and facts.budget_amount is not None:
        annual = rules.annual_usd(facts.budget_amount, facts.budget_currency, facts.budget_period)
        if annual is not None and annual < rules.sql_gates.min_annual_budget_usd:
            failures.append(f"budget ≈ {annual:,.0f} USD a year is below {rules.sql_gates.min_annual_budget_usd:,.0f}")
    return failures


def decide(
    rules: QualificationRules,
    facts: QualificationFacts,
    behaviour: Iterable[dict] = (),
    model_probability: float | None = None,
) -> Decision:
    """Score the facts and pick a tier. `behaviour` is the parts list of a behaviour score
    (scoring.behaviour); `model_probability` the configured model's prediction, if any."""
    model_parts = []
    if model_probability is not None and rules.model is not None:
        model_parts.append(
            ScorePart(
                "model.probability",
                "model",
                round(model_probability * rules.model.points, 2),
                f"predicted conversion {model_probability:.0%}",
            )
        )
    parts = tuple(bant_parts(rules, facts) + fit_parts(rules, facts) + behaviour_parts(rules, behaviour) + model_parts)
    score = round(sum(part.points for part in parts), 2)
    scored = [f"{p.detail}: {p.points:+g}" for p in parts if p.points]

    if facts.authority in rules.disqualify.authority_in:
        who = {"none": "not a buyer (student, job seeker, competitor or press)"}.get(facts.authority, facts.authority)
        return Decision("unqualified", score, parts, (f"disqualified: {who}",) + tuple(scored))

    if score >= rules.thresholds.sql:
        failures = _sql_gate_failures(rules, facts)
        if not failures:
            return Decision(
                "sql", score, parts, (f"score {score:g} ≥ SQL threshold {rules.thresholds.sql:g}",) + tuple(scored)
            )
        held = f"score {score:g} reaches the SQL threshold but held at MQL: {'; '.join(failures)}"
        return Decision("mql", score, parts, (held,) + tuple(scored))
    if score >= rules.thresholds.mql:
        return Decision(
            "mql",
            score,
            parts,
            (f"score {score:g} ≥ MQL threshold {rules.thresholds.mql:g}, below SQL {rules.thresholds.sql:g}",)
            + tuple(scored),
        )
    return Decision(
        "unqualified", score, parts, (f"score {score:g} below MQL threshold {rules.thresholds.mql:g}",) + tuple(scored)
    )


def facts_from_record(record: dict) -> QualificationFacts:
    """QualificationFacts from a stored lead (a mapping with the lead database's column names).
    Records stored before the timeline window and budget status were kept lack those keys."""
    need = record.get("need")
    return QualificationFacts(
        need=need if need and need != "unknown" else None,
        timeline_days=record.get("timeline_days"),
        timeline_earliest_days=record.get("timeline_earliest_days"),
        timeline_latest_days=record.get("timeline_latest_days"),
        timeline_open_ended=bool(record.get("timeline_open_ended")),
        authority=record.get("authority") or "unknown",
        budget_amount=record.get("budget_amount"),
        budget_currency=record.get("budget_currency"),
        budget_period=record.get("budget_period"),
        budget_status=record.get("budget_status") or "unstated",  # older records: not stored
        company_size=record.get("company_size"),
        email_is_free_mail=record.get("email_is_free_mail"),
    )
