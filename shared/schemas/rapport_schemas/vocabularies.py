"""Default vocabularies of the free-text segment attributes (industry, company size, region, tags).

Segment values become KPI series keys on the public metric stream and Prometheus labels, so they
must be a bounded set of words, never personal data: contacts refuses any other value (422 naming
the field) and metrics never makes a series of one. Deployments configure their own lists
(``RAPPORT_CONTACTS_SEGMENT_VOCABULARIES`` and ``RAPPORT_METRICS_SEGMENT_VOCABULARIES``, JSON);
these defaults are generous enough for the values existing users typed.
"""

from __future__ import annotations

INDUSTRIES = frozenset(
    {
        "agriculture", "automotive", "banking", "construction", "consulting", "education",
        "energy", "finance", "food", "government", "healthcare", "hospitality", "insurance",
        "logistics", "manufacturing", "media", "mining", "nonprofit", "pharma", "real_estate",
        "retail", "software", "telecom", "tourism", "transport", "utilities", "wholesale", "other",
    }
)  # fmt: skip
COMPANY_SIZES = frozenset({"1-9", "10-49", "50-249", "250-999", "1000+"})  # EU SME bands
REGIONS = frozenset(
    {
        # Continental and sales regions
        "EU", "EMEA", "APAC", "LATAM", "MENA", "DACH", "africa", "asia", "europe",
        "middle_east", "north_america", "south_america", "oceania", "nordics", "benelux",
        "western_europe", "eastern_europe", "southern_europe", "northern_europe",
        "central_europe",
        # Compass points, as many CRMs split a country
        "north", "south", "east", "west", "central",
        # Regions of the seeds' and catalogs' markets
        "marmara", "ege", "akdeniz", "ic_anadolu", "karadeniz", "dogu_anadolu",
        "guneydogu_anadolu", "anatolia", "thrace", "pannonia", "budapest", "bavaria", "kanto",
        "kansai", "riyadh", "makkah", "eastern_province", "sao_paulo", "rio_de_janeiro",
        "ile_de_france", "catalonia", "madrid", "andalusia", "london", "scotland", "wales",
    }
)  # fmt: skip
TAGS = frozenset(
    {
        "vip", "b2b", "b2c", "key_account", "partner", "reseller", "prospect", "trial",
        "churn_risk", "newsletter", "beta", "enterprise", "smb", "public_sector", "wholesale",
    }
)  # fmt: skip

DEFAULT_VOCABULARIES: dict[str, frozenset[str]] = {
    "industry": INDUSTRIES,
    "company_size": COMPANY_SIZES,
    "region": REGIONS,
    "tags": TAGS,
}


def normalized(value: str) -> str:
    """Case and surrounding spaces never make a new segment: ``Retail`` is ``retail``."""
    return value.strip().lower()
