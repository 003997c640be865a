"""The one thesis registry: stock theses, weighted criteria, custom-thesis validation and score labels."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import MISSING, dataclass, fields
from enum import StrEnum
from types import MappingProxyType
from typing import Any, TypeGuard

from techscaniq.errors import ValidationError

DEFAULT_THESIS = "digital-transformation"
CUSTOM_SLUG = "custom"
DEFAULT_CUSTOM_THRESHOLD = 65
MAX_CRITERIA = 10
TOTAL_WEIGHT = 100
NAME_MAX_CHARS = 120
DESCRIPTION_MAX_CHARS = 2000
CRITERION_ID_MAX_CHARS = 64
CRITERION_DESCRIPTION_MAX_CHARS = 1000
SHORT_TEXT_MAX_CHARS = 40
NOTES_MAX_CHARS = 5000

_KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_ROOT = "investment_thesis_data"


def _is_int(value: object) -> TypeGuard[int]:
    # bool is an int subclass, but True is not a weight.
    return isinstance(value, int) and not isinstance(value, bool)


class Category(StrEnum):
    """The seven report categories, each scored 0-100 and graded."""

    TECHNOLOGY_MODERNITY = "technology-modernity"
    SECURITY_POSTURE = "security-posture"
    INFRASTRUCTURE_SCALABILITY = "infrastructure-scalability"
    PRODUCT_DEVELOPER_ECOSYSTEM = "product-developer-ecosystem"
    COMPLIANCE_TRUST = "compliance-trust"
    TEAM_HIRING = "team-hiring"
    WEB_PRESENCE_PERFORMANCE = "web-presence-performance"

    @property
    def display_name(self) -> str:
        """The name shown in reports."""
        return CATEGORIES[self]


# Report order, with display names.
CATEGORIES: Mapping[Category, str] = MappingProxyType(
    {
        Category.TECHNOLOGY_MODERNITY: "Technology Modernity",
        Category.SECURITY_POSTURE: "Security Posture",
        Category.INFRASTRUCTURE_SCALABILITY: "Infrastructure & Scalability",
        Category.PRODUCT_DEVELOPER_ECOSYSTEM: "Product & Developer Ecosystem",
        Category.COMPLIANCE_TRUST: "Compliance & Trust",
        Category.TEAM_HIRING: "Team & Hiring",
        Category.WEB_PRESENCE_PERFORMANCE: "Web Presence & Performance",
    }
)

FOCUS_AREAS: tuple[str, ...] = (
    "scalable-architecture",
    "modern-tech-stack",
    "security-focus",
    "devops-maturity",
    "cloud-native",
    "api-driven",
    "microservices",
    "data-intensive",
    "mobile-first",
    "low-technical-debt",
    "distributed-systems",
    "high-availability",
    "test-coverage",
    "containerized",
    "documentation",
)


@dataclass(frozen=True)
class Criterion:
    """A weighted criterion; `basis` is the stock criterion id or category whose rules score it."""

    id: str
    name: str
    weight: int
    description: str
    basis: str
    signals: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "id": self.id,
            "name": self.name,
            "weight": self.weight,
            "description": self.description,
            "basis": self.basis,
            "signals": list(self.signals),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Criterion:
        """Read back a `to_dict` result."""
        return cls(
            id=data["id"],
            name=data["name"],
            weight=data["weight"],
            description=data.get("description", ""),
            basis=data.get("basis") or data["id"],
            signals=tuple(data.get("signals", ())),
        )


def _snapshot(obj: Thesis | ResolvedThesis) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        if f.name == "criteria":
            value = [c.to_dict() for c in value]
        elif isinstance(value, tuple):
            value = list(value)
        out[f.name] = value
    return out


def _from_snapshot(cls: type[Any], data: Mapping[str, Any]) -> Any:
    # No rule checks here: an old snapshot must stay readable even after the rules change.
    if not isinstance(data, Mapping):
        raise ValueError(f"a thesis snapshot must be a mapping, not {type(data).__name__}")
    kwargs: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in data:
            if f.default is MISSING:
                raise ValueError(f"thesis snapshot lacks {f.name!r}")
            continue
        value = data[f.name]
        if f.name == "criteria":
            value = tuple(Criterion.from_dict(c) for c in value)
        elif f.name == "focus_areas":
            value = tuple(value)
        kwargs[f.name] = value
    return cls(**kwargs)


@dataclass(frozen=True)
class Thesis:
    """A stock investment thesis: the lens a scan is scored through."""

    slug: str
    name: str
    description: str
    dd_focus: str
    time_horizon: str
    target_multiple: str
    threshold: int
    criteria: tuple[Criterion, ...]
    focus_areas: tuple[str, ...]

    def criterion(self, criterion_id: str) -> Criterion:
        """The criterion with this id; KeyError if absent."""
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        raise KeyError(criterion_id)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe snapshot, criteria with weights."""
        return _snapshot(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Thesis:
        """Read back a `to_dict` snapshot."""
        thesis: Thesis = _from_snapshot(cls, data)
        return thesis


@dataclass(frozen=True)
class ResolvedThesis:
    """The thesis a scan is scored against (stock or custom); stored on the scan as a snapshot."""

    slug: str
    name: str
    description: str
    threshold: int
    criteria: tuple[Criterion, ...]
    focus_areas: tuple[str, ...]
    custom: bool
    dd_focus: str = ""
    time_horizon: str = ""
    target_multiple: str = ""
    notes: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe snapshot, criteria with weights."""
        return _snapshot(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ResolvedThesis:
        """Read back a `to_dict` snapshot."""
        resolved: ResolvedThesis = _from_snapshot(cls, data)
        return resolved


def _criterion(cid: str, name: str, weight: int, judges: str, *signals: str) -> Criterion:
    return Criterion(id=cid, name=name, weight=weight, description=judges, basis=cid, signals=signals)


_STOCK_THESES: tuple[Thesis, ...] = (
    Thesis(
        slug="accelerate-organic-growth",
        name="Accelerate Organic Growth",
        description=(
            "Add fuel to a proven product: keep ARR growing 20-40 %+ a year, absorb traffic jumps, "
            "ship features faster"
        ),
        dd_focus="scalability and development velocity",
        time_horizon="3-5 years",
        target_multiple="5-10x",
        threshold=70,
        criteria=(
            _criterion(
                "cloud-architecture-scalability",
                "Cloud Architecture Scalability",
                30,
                "auto-scaling, service decomposition, headroom for 10x load",
                "cloud/CDN attribution",
                "HTTP/2",
                "multi-region hints",
                "status-page history",
            ),
            _criterion(
                "development-velocity-pipeline",
                "Development Velocity & Pipeline",
                25,
                "CI/CD maturity, test coverage, release frequency, speed of delivery",
                "changelog cadence",
                "engineering job posts naming CI/CD tools",
                "public repos",
            ),
            _criterion(
                "market-expansion-readiness",
                "Market Expansion Readiness",
                25,
                "geographic reach, customer-acquisition machinery, product-market-fit signs",
                "hreflang/locales",
                "pricing currencies",
                "marketing-automation stack",
                "customer logos",
            ),
            _criterion(
                "code-quality-technical-debt",
                "Code Quality & Technical Debt",
                20,
                "modularity, maintainability, debt that slows delivery",
                "framework versions",
                "end-of-life libraries (the rest is data room)",
            ),
        ),
        focus_areas=(
            "cloud-native",
            "scalable-architecture",
            "devops-maturity",
            "test-coverage",
            "microservices",
        ),
    ),
    Thesis(
        slug="buy-and-build",
        name="Buy-and-Build / Roll-Up",
        description=(
            "Make the company a platform for bolt-on acquisitions every 6-12 months, "
            "merging data, users and brand quickly"
        ),
        dd_focus="integration readiness",
        time_horizon="5-7 years",
        target_multiple="3-7x",
        threshold=65,
        criteria=(
            _criterion(
                "api-architecture-documentation",
                "API Architecture & Documentation",
                25,
                "API coverage, developer docs, integration-ready design",
                "OpenAPI documents",
                "docs portal",
                "SDKs",
                "webhooks",
            ),
            _criterion(
                "multi-tenant-conversion-effort",
                "Multi-tenant Conversion Effort",
                25,
                "cost and time of moving single-tenant to multi-tenant",
                "per-customer subdomains or instances",
                "signup flow (mostly data room)",
            ),
            _criterion(
                "data-model-flexibility",
                "Data Model Flexibility",
                20,
                "schema flexibility, shared authentication, data integration",
                "SSO/SCIM support",
                "import/export APIs",
                "auth provider",
            ),
            _criterion(
                "team-depth-multi-codebase",
                "Team Depth for Multi-Codebase",
                20,
                "capacity to run several codebases and integration projects",
                "engineering headcount signals",
                "open roles by function",
            ),
            _criterion(
                "operational-standardization",
                "Operational Standardization",
                10,
                "how far processes and deployment pipelines can be replicated",
                "status page",
                "documented SLAs",
                "consistent hosting",
            ),
        ),
        focus_areas=(
            "api-driven",
            "microservices",
            "documentation",
            "distributed-systems",
            "scalable-architecture",
        ),
    ),
    Thesis(
        slug="margin-expansion",
        name="Margin Expansion / Cost-Out",
        description="Raise EBITDA by taking 10-15 points of cost out through operational efficiency",
        dd_focus="efficiency levers",
        time_horizon="2-4 years",
        target_multiple="3-5x",
        threshold=60,
        criteria=(
            _criterion(
                "cloud-cost-optimization",
                "Cloud Cost Optimization",
                30,
                "hosting cost per user, infrastructure efficiency",
                "hosting/CDN mix",
                "caching and compression practice",
                "page weight",
            ),
            _criterion(
                "process-automation-potential",
                "Process Automation Potential",
                25,
                "manual QA, deployment and workflow automation",
                "job posts (manual QA roles)",
                "tooling seen",
            ),
            _criterion(
                "third-party-licensing-optimization",
                "Third-party Licensing Optimization",
                20,
                "vendor consolidation, renegotiation, build-vs-buy",
                "count of overlapping SaaS tools (analytics, chat, CRM, tag managers)",
            ),
            _criterion(
                "technical-debt-cost-impact",
                "Technical Debt Impact on Costs",
                15,
                "maintenance overhead, refactoring payback",
                "legacy frameworks",
                "outdated versions",
            ),
            _criterion(
                "operational-monitoring-analytics",
                "Operational Monitoring & Analytics",
                10,
                "monitoring maturity, cost visibility, improvement culture",
                "APM/RUM/error-tracking tools",
                "status page",
            ),
        ),
        focus_areas=(
            "cloud-native",
            "devops-maturity",
            "containerized",
            "test-coverage",
            "low-technical-debt",
        ),
    ),
    Thesis(
        slug="turnaround-distressed",
        name="Turnaround / Distressed",
        description=(
            "Repair a struggling asset and sell it in 3-4 years; flags: remediation budget required, "
            "high execution risk"
        ),
        dd_focus="risk hot-spots",
        time_horizon="3-4 years",
        target_multiple="2-5x",
        threshold=60,
        criteria=(
            _criterion(
                "critical-security-compliance-gaps",
                "Critical Security & Compliance Gaps",
                35,
                "vulnerabilities, compliance breaches, immediate risk",
                "Observatory grade",
                "TLS",
                "e-mail security",
                "certifications claimed",
            ),
            _criterion(
                "framework-obsolescence-hiring",
                "Framework Obsolescence & Hiring Impact",
                20,
                "stack modernity, ease of hiring for it",
                "framework/library versions",
                "job-post stacks",
            ),
            _criterion(
                "technical-debt-remediation-scope",
                "Technical Debt Remediation Scope",
                20,
                "time to refactor, modernisation roadmap, cost",
                "end-of-life components",
                "mixed generations of tech",
            ),
            _criterion(
                "team-capability-knowledge-risk",
                "Team Capability & Knowledge Risk",
                15,
                "key-person dependency, knowledge transfer, rebuild needs",
                "leadership page",
                "hiring volume (mostly data room)",
            ),
            _criterion(
                "platform-stability-performance",
                "Platform Stability & Performance",
                10,
                "reliability, performance, infrastructure stability",
                "TTFB",
                "errors during crawl",
                "status-page incidents",
            ),
        ),
        focus_areas=(
            "security-focus",
            "modern-tech-stack",
            "low-technical-debt",
            "documentation",
            "test-coverage",
        ),
    ),
    Thesis(
        slug="carve-out",
        name="Carve-Out from Corporate",
        description="Stand the business up alone in under 12 months with clean IP ownership",
        dd_focus="separation complexity",
        time_horizon="2-4 years",
        target_multiple="3-6x",
        threshold=65,
        criteria=(
            _criterion(
                "parent-system-dependencies",
                "Parent System Dependencies",
                25,
                "shared SSO, data lakes, infrastructure entanglement",
                "parent's domains in DNS/SPF/CNAME",
                "shared auth or mail provider",
            ),
            _criterion(
                "ip-licensing-complexity",
                "IP & Licensing Complexity",
                20,
                "licence entanglement, IP ownership clarity",
                "open-source footprint",
                "third-party components",
                "terms/copyright owner",
            ),
            _criterion(
                "separation-architecture",
                "Separation Architecture Assessment",
                20,
                "rebuild vs lift-and-shift, separable services",
                "hosting independence",
                "API surface",
            ),
            _criterion(
                "standalone-operations-readiness",
                "Standalone Operations Readiness",
                20,
                "own infrastructure and operational processes",
                "own status page",
                "support desk",
                "security.txt",
            ),
            _criterion(
                "team-independence-knowledge",
                "Team Independence & Knowledge",
                15,
                "completeness of team, knowledge transfer",
                "careers page under own brand (mostly data room)",
            ),
        ),
        focus_areas=(
            "microservices",
            "api-driven",
            "documentation",
            "distributed-systems",
            "containerized",
        ),
    ),
    Thesis(
        slug="geographic-vertical-expansion",
        name="Geographic or Vertical Expansion",
        description="Enter the EU or Asia, or a new regulated niche",
        dd_focus="localisation and compliance",
        time_horizon="3-5 years",
        target_multiple="4-8x",
        threshold=65,
        criteria=(
            _criterion(
                "multi-region-deployment",
                "Multi-region Deployment Support",
                20,
                "GDPR, data residency, geographic distribution",
                "regional endpoints",
                "CDN",
                "data-residency statements",
            ),
            _criterion(
                "internationalization-readiness",
                "Internationalization Readiness",
                20,
                "feature toggles, i18n framework, localisation",
                "hreflang",
                "locale paths",
                "currencies",
                "translation tools",
            ),
            _criterion(
                "industry-compliance",
                "Industry-specific Compliance",
                20,
                "HIPAA, SOC 2 and sector certifications",
                "trust centre",
                "compliance claims with the sentence that makes them",
            ),
            _criterion(
                "scalability-new-markets",
                "Scalability for New Markets",
                20,
                "scalability and performance across regions",
                "CDN",
                "latency from the crawl",
                "HTTP/2",
            ),
            _criterion(
                "configuration-flexibility",
                "Configuration Flexibility",
                20,
                "tenant configuration, feature flags, per-market customisation",
                "feature-flag tools",
                "plan/edition matrix",
            ),
        ),
        focus_areas=(
            "security-focus",
            "scalable-architecture",
            "cloud-native",
            "api-driven",
            "high-availability",
        ),
    ),
    Thesis(
        slug="digital-transformation",
        name="Digital Transformation / Product Extension",
        description="Modernise legacy software and add new modules",
        dd_focus="platform extensibility",
        time_horizon="4-6 years",
        target_multiple="3-8x",
        threshold=65,
        criteria=(
            _criterion(
                "service-oriented-architecture",
                "Service-Oriented Architecture",
                25,
                "microservice readiness, decomposition, API-first design",
                "API subdomains",
                "OpenAPI",
                "versioned endpoints",
            ),
            _criterion(
                "plugin-api-framework-maturity",
                "Plugin/API Framework Maturity",
                20,
                "extension architecture, third-party integrations, developer ecosystem",
                "integrations directory size",
                "marketplace",
                "SDKs",
                "webhooks",
            ),
            _criterion(
                "code-quality-feature-development",
                "Code Quality for Feature Development",
                20,
                "maintainability, tests, velocity indicators",
                "changelog cadence",
                "public repos",
            ),
            _criterion(
                "legacy-modernization-path",
                "Legacy System Modernization Path",
                20,
                "migration strategy, modernisation roadmap, debt",
                "legacy frameworks next to modern ones",
                "end-of-life versions",
            ),
            _criterion(
                "platform-extensibility-design",
                "Platform Extensibility Design",
                15,
                "module architecture, configurability, customisation",
                "plans/add-ons",
                "API coverage of features",
            ),
        ),
        focus_areas=(
            "microservices",
            "api-driven",
            "modern-tech-stack",
            "test-coverage",
            "documentation",
        ),
    ),
)


def validate_thesis(thesis: Thesis) -> None:
    """Raise ValueError listing every rule a stock thesis breaks (weights, ids, threshold, focus areas)."""
    problems: list[str] = []
    if not _KEBAB.match(thesis.slug):
        problems.append(f"slug {thesis.slug!r} is not kebab-case")
    if not thesis.criteria:
        problems.append("has no criteria")
    seen: set[str] = set()
    for c in thesis.criteria:
        if not _KEBAB.match(c.id):
            problems.append(f"criterion id {c.id!r} is not kebab-case")
        if c.id in seen:
            problems.append(f"criterion id {c.id!r} is duplicated")
        seen.add(c.id)
        if not _is_int(c.weight) or not 1 <= c.weight <= TOTAL_WEIGHT:
            problems.append(f"criterion {c.id!r} weight {c.weight!r} is not a whole number from 1 to 100")
    if all(_is_int(c.weight) for c in thesis.criteria):
        total = sum(c.weight for c in thesis.criteria)
        if total != TOTAL_WEIGHT:
            problems.append(f"weights sum to {total}, not {TOTAL_WEIGHT}")
    if not _is_int(thesis.threshold) or not 0 <= thesis.threshold <= 100:
        problems.append(f"threshold {thesis.threshold!r} is not a whole number from 0 to 100")
    unknown = [tag for tag in thesis.focus_areas if tag not in FOCUS_AREAS]
    if unknown:
        problems.append(f"unknown focus areas {unknown}")
    if problems:
        raise ValueError(f"thesis {thesis.slug!r}: " + "; ".join(problems))


def validate_registry(theses: Sequence[Thesis]) -> None:
    """Validate each thesis, and that slugs and criterion ids are unique across the registry."""
    for thesis in theses:
        validate_thesis(thesis)
    slugs = [t.slug for t in theses]
    if len(set(slugs)) != len(slugs) or CUSTOM_SLUG in slugs:
        raise ValueError(f"thesis slugs must be unique and not {CUSTOM_SLUG!r}: {slugs}")
    # A criterion id doubles as a scoring basis, so it must name one thing only.
    ids = [c.id for t in theses for c in t.criteria]
    clashes = sorted({i for i in ids if ids.count(i) > 1 or i in CATEGORIES})
    if clashes:
        raise ValueError(f"criterion ids used twice or clashing with a category: {clashes}")


validate_registry(_STOCK_THESES)

THESES: Mapping[str, Thesis] = MappingProxyType({t.slug: t for t in _STOCK_THESES})
# Where a criterion's score comes from: a stock criterion's rules or a category's rules.
SCORING_BASES: frozenset[str] = frozenset(c.id for t in _STOCK_THESES for c in t.criteria) | frozenset(
    CATEGORIES
)


def get_thesis(slug: str) -> Thesis:
    """The stock thesis with this slug; KeyError if unknown."""
    try:
        return THESES[slug]
    except KeyError:
        raise KeyError(f"unknown thesis {slug!r}") from None


def list_theses() -> list[Thesis]:
    """The stock theses in registry order."""
    return list(_STOCK_THESES)


def resolve_thesis(
    primary_criteria: str | None = None,
    investment_thesis_data: Mapping[str, Any] | None = None,
    thesis_tags: Sequence[str] | None = None,
) -> ResolvedThesis:
    """The thesis a scan runs under; custom data wins over the slug. ValidationError lists every bad field."""
    errors: dict[str, str] = {}
    tags = _focus_areas(thesis_tags, "thesis_tags", errors)
    # An empty object carries no thesis, so the slug still applies.
    if investment_thesis_data is not None and investment_thesis_data != {}:
        resolved = _resolve_custom(investment_thesis_data, tags, errors)
    else:
        resolved = _resolve_stock(primary_criteria, tags, errors)
    if errors or resolved is None:
        detail = "; ".join(f"{path}: {message}" for path, message in errors.items())
        raise ValidationError(f"invalid investment thesis: {detail}", fields=errors)
    return resolved


def _resolve_stock(
    slug: object, tags: tuple[str, ...] | None, errors: dict[str, str]
) -> ResolvedThesis | None:
    if slug is None:
        slug = DEFAULT_THESIS
    if not isinstance(slug, str):
        errors["primary_criteria"] = f"must be a thesis slug string, not {type(slug).__name__}"
        return None
    slug = slug.strip() or DEFAULT_THESIS
    thesis = THESES.get(slug)
    if thesis is None:
        errors["primary_criteria"] = f"unknown thesis {slug!r}; expected one of: {', '.join(THESES)}"
        return None
    return _from_stock(thesis, tags)


def _from_stock(thesis: Thesis, focus_areas: tuple[str, ...] | None) -> ResolvedThesis:
    return ResolvedThesis(
        slug=thesis.slug,
        name=thesis.name,
        description=thesis.description,
        threshold=thesis.threshold,
        criteria=thesis.criteria,
        focus_areas=focus_areas or thesis.focus_areas,
        custom=False,
        dd_focus=thesis.dd_focus,
        time_horizon=thesis.time_horizon,
        target_multiple=thesis.target_multiple,
    )


def _resolve_custom(
    data: object, tags: tuple[str, ...] | None, errors: dict[str, str]
) -> ResolvedThesis | None:
    if not isinstance(data, Mapping):
        errors[_ROOT] = f"must be an object, not {type(data).__name__}"
        return None
    kind = data.get("thesisType")
    base: Thesis | None = None
    if not isinstance(kind, str) or not kind.strip():
        errors[f"{_ROOT}.thesisType"] = f"required: {CUSTOM_SLUG!r} or a thesis slug"
    elif kind.strip() in THESES:
        base = THESES[kind.strip()]
    elif kind.strip() != CUSTOM_SLUG:
        errors[f"{_ROOT}.thesisType"] = (
            f"unknown thesis {kind.strip()!r}; expected {CUSTOM_SLUG!r} or one of: {', '.join(THESES)}"
        )
    is_custom = isinstance(kind, str) and kind.strip() == CUSTOM_SLUG

    name = _text(data, "customThesisName", _ROOT, errors, NAME_MAX_CHARS, required=is_custom)
    description = _text(data, "customThesisDescription", _ROOT, errors, DESCRIPTION_MAX_CHARS)
    criteria = _criteria(data.get("criteria"), errors, required=base is None)
    focus = _focus_areas(data.get("focusAreas"), f"{_ROOT}.focusAreas", errors)
    horizon = _text(data, "timeHorizon", _ROOT, errors, SHORT_TEXT_MAX_CHARS)
    multiple = _text(data, "targetMultiple", _ROOT, errors, SHORT_TEXT_MAX_CHARS)
    notes = _text(data, "notes", _ROOT, errors, NOTES_MAX_CHARS)
    default_threshold = base.threshold if base else DEFAULT_CUSTOM_THRESHOLD
    threshold = _integer(data.get("threshold"), f"{_ROOT}.threshold", errors, 0, 100)
    if errors:
        return None
    if threshold is None:
        threshold = default_threshold

    if base is None:
        return ResolvedThesis(
            slug=CUSTOM_SLUG,
            name=name,
            description=description,
            threshold=threshold,
            criteria=criteria or (),
            focus_areas=focus or tags or (),
            custom=True,
            time_horizon=horizon,
            target_multiple=multiple,
            notes=notes,
        )
    if criteria is None or _criteria_key(criteria) == _criteria_key(base.criteria):
        criteria = base.criteria
    return ResolvedThesis(
        slug=base.slug,
        name=name or base.name,
        description=description or base.description,
        threshold=threshold,
        criteria=criteria,
        focus_areas=focus or tags or base.focus_areas,
        custom=criteria != base.criteria or threshold != base.threshold,
        dd_focus=base.dd_focus,
        time_horizon=horizon or base.time_horizon,
        target_multiple=multiple or base.target_multiple,
        notes=notes,
    )


def _criteria_key(criteria: Sequence[Criterion]) -> list[tuple[str, str, int, str]]:
    return [(c.id, c.name, c.weight, c.basis) for c in criteria]


def _criteria(value: object, errors: dict[str, str], *, required: bool) -> tuple[Criterion, ...] | None:
    path = f"{_ROOT}.criteria"
    if value is None:
        if required:
            errors[path] = f"required: 1 to {MAX_CRITERIA} criteria"
        return None
    if not isinstance(value, list | tuple):
        errors[path] = f"must be a list of criteria, not {type(value).__name__}"
        return None
    if not 1 <= len(value) <= MAX_CRITERIA:
        errors[path] = f"must hold 1 to {MAX_CRITERIA} criteria, not {len(value)}"
    parsed: list[Criterion] = []
    seen: set[str] = set()
    for index, item in enumerate(value):
        item_path = f"{path}[{index}]"
        if not isinstance(item, Mapping):
            errors[item_path] = (
                f"must be an object with id, name, weight and basis, not {type(item).__name__}"
            )
            continue
        before = len(errors)
        cid = _text(item, "id", item_path, errors, CRITERION_ID_MAX_CHARS, required=True)
        if cid and not _KEBAB.match(cid):
            errors[f"{item_path}.id"] = f"{cid!r} is not kebab-case (lower-case letters, digits, hyphens)"
        elif cid in seen:
            errors[f"{item_path}.id"] = f"duplicate id {cid!r}"
        seen.add(cid)
        name = _text(item, "name", item_path, errors, NAME_MAX_CHARS, required=True)
        description = _text(item, "description", item_path, errors, CRITERION_DESCRIPTION_MAX_CHARS)
        weight = _integer(item.get("weight"), f"{item_path}.weight", errors, 1, TOTAL_WEIGHT, required=True)
        basis = _basis(item.get("basis"), cid, f"{item_path}.basis", errors)
        if len(errors) == before and weight is not None:
            parsed.append(Criterion(id=cid, name=name, weight=weight, description=description, basis=basis))
    if len(parsed) == len(value) and path not in errors:
        total = sum(c.weight for c in parsed)
        if total != TOTAL_WEIGHT:
            errors[path] = f"weights sum to {total}; they must sum to exactly {TOTAL_WEIGHT}"
            return None
        return tuple(parsed)
    return None


def _basis(value: object, criterion_id: str, path: str, errors: dict[str, str]) -> str:
    expected = f"a stock criterion id or a category ({', '.join(CATEGORIES)})"
    if value is None or (isinstance(value, str) and not value.strip()):
        # A stock criterion id scores itself; anything else must say what scores it.
        if criterion_id in SCORING_BASES:
            return criterion_id
        errors[path] = f"required: {expected}"
        return ""
    if not isinstance(value, str):
        errors[path] = f"must be a string: {expected}"
        return ""
    basis = value.strip()
    if basis not in SCORING_BASES:
        errors[path] = f"unknown basis {basis!r}; use {expected}"
    return basis


def _focus_areas(value: object, path: str, errors: dict[str, str]) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list | tuple):
        errors[path] = f"must be a list of focus areas, not {type(value).__name__}"
        return None
    tags: list[str] = []
    for index, tag in enumerate(value):
        if not isinstance(tag, str):
            errors[f"{path}[{index}]"] = f"must be a string, not {type(tag).__name__}"
        elif tag.strip() not in FOCUS_AREAS:
            errors[f"{path}[{index}]"] = (
                f"unknown focus area {tag!r}; expected one of: {', '.join(FOCUS_AREAS)}"
            )
        elif tag.strip() not in tags:
            tags.append(tag.strip())
    # An empty selection means "no preference", so the thesis's own focus areas apply.
    return tuple(tags) or None


def _text(
    data: Mapping[str, Any],
    key: str,
    parent: str,
    errors: dict[str, str],
    max_chars: int,
    *,
    required: bool = False,
) -> str:
    path = f"{parent}.{key}"
    value = data.get(key)
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[path] = f"must be a string, not {type(value).__name__}"
        return ""
    text = value.strip()
    if required and not text:
        errors[path] = "required"
    elif len(text) > max_chars:
        errors[path] = f"must be at most {max_chars} characters, not {len(text)}"
    return text


def _integer(
    value: object, path: str, errors: dict[str, str], low: int, high: int, *, required: bool = False
) -> int | None:
    if value is None:
        if required:
            errors[path] = f"required: a whole number from {low} to {high}"
        return None
    if not _is_int(value):
        errors[path] = f"must be a whole number from {low} to {high}, not {value!r}"
        return None
    if not low <= value <= high:
        errors[path] = f"must be from {low} to {high}, not {value}"
        return None
    return value


_BANDS = ((80, "Excellent"), (60, "Good"), (40, "Fair"), (20, "Poor"), (0, "Critical"))
_GRADES = ((85, "A"), (70, "B"), (55, "C"), (40, "D"), (0, "F"))
_CONFIDENCE_LABELS = ((90, "Very High"), (75, "High"), (60, "Moderate"), (40, "Low"), (0, "Very Low"))


def _label(value: int, table: tuple[tuple[int, str], ...]) -> str:
    if not _is_int(value):
        raise TypeError(f"expected an integer 0-100, not {value!r}")
    if not 0 <= value <= 100:
        raise ValueError(f"expected an integer 0-100, not {value}")
    return next(label for floor, label in table if value >= floor)


def score_band(score: int) -> str:
    """Band of a 0-100 criterion score: Excellent, Good, Fair, Poor or Critical."""
    return _label(score, _BANDS)


def grade(score: int) -> str:
    """Letter grade A-F of a 0-100 category score."""
    return _label(score, _GRADES)


def confidence_label(c: int) -> str:
    """Label of a 0-100 coverage confidence: Very High, High, Moderate, Low or Very Low."""
    return _label(c, _CONFIDENCE_LABELS)
