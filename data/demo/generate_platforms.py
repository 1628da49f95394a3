#!/usr/bin/env python3
"""Generate the demo data of the three platforms of issue 23 (accreditations, GP 2.0 initiatives,
trainings) as sheets of a primer workbook, into data/demo/platforms/:

- accreditations.csv  the NPOs (and one other body) accredited by the APO or on their way: the
                      three NPO accreditations conferred at the 66th WSM in Seoul on
                      28 October 2025 (Bangladesh, Singapore, Vietnam), four under assessment,
                      six applications
- gp_initiatives.csv  GP 2.0 initiatives of 14 members across the five built-in themes and the
                      five initiative types (planned, ongoing, completed, one cancelled)
- gp_outcomes.csv     their outcomes for 2025 and 2026 (companies reached, specialists
                      certified, people trained, energy saved, emissions avoided, water saved)
- trainings.csv       courses delivered in 2026 by every member; Vietnam's in the priority
                      sectors of its primer (electronics and ICT, textiles and garments, food
                      processing, agriculture, logistics), for its tripartite coalition of
                      government, enterprises and universities and training institutions

Why: `apo-dashboard serve --demo` loads them (through the import, with the rest of the demo) so
that the accreditation wall, the GP mapping and the training database show something
plausible straight away, and so that key results fed by data have rows to derive from.

What is real: the member list, and that Bangladesh, Singapore and Vietnam received accreditation
certificates at the 66th WSM (../shared/seeds/000_*.txt). Certificate numbers, scores, dates
other than the conferment, initiatives, courses and every figure are invented. No personal data:
courses are counted, never listed by participant.

Every date is before 7 December 2026 (the demo may be loaded later, never earlier: "today" must
not be before any of them). Deterministic: Python 3.11 standard library only, a fixed seed.

    python3 data/demo/generate_platforms.py
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

OUT = Path(__file__).resolve().parent / "platforms"
SEED = 20251028  # the day of the conferment ceremony at the 66th WSM
LAST_DAY = dt.date(2026, 11, 27)  # no course ends later

# The NPO of each member, as its short name and its full name.
NPO = {
    "BGD": ("NPO Bangladesh", "National Productivity Organisation, Bangladesh"),
    "KHM": ("NPCC", "National Productivity Centre of Cambodia"),
    "TWN": ("CPC", "China Productivity Center"),
    "FJI": ("NTPC", "National Training and Productivity Centre, Fiji National University"),
    "HKG": ("HKPC", "Hong Kong Productivity Council"),
    "IND": ("NPC", "National Productivity Council"),
    "IDN": ("Directorate of Productivity", "Directorate of Productivity Development, Ministry of Manpower"),
    "IRN": ("NIPO", "National Iranian Productivity Organization"),
    "JPN": ("JPC", "Japan Productivity Center"),
    "KOR": ("KPC", "Korea Productivity Center"),
    "LAO": ("DOSMEP", "Department of SME Promotion, Ministry of Industry and Commerce"),
    "MYS": ("MPC", "Malaysia Productivity Corporation"),
    "MNG": ("MPO", "Mongolian Productivity Organization"),
    "NPL": ("NPEDC", "National Productivity and Economic Development Centre"),
    "PAK": ("NPO Pakistan", "National Productivity Organization, Pakistan"),
    "PHL": ("DAP", "Development Academy of the Philippines"),
    "SGP": ("Enterprise Singapore", "Enterprise Singapore"),
    "LKA": ("NPS", "National Productivity Secretariat"),
    "THA": ("FTPI", "Thailand Productivity Institute"),
    "TUR": ("General Directorate of Productivity", "General Directorate of Productivity, Ministry of Industry and Technology"),
    "VNM": ("VNPI", "Vietnam National Productivity Institute"),
}
MEMBERS = list(NPO)

# --------------------------------------------------------------------------------------------
# Accreditations
# --------------------------------------------------------------------------------------------
SCHEME = "APO accreditation of NPOs"
TRAINING_SCHEME = "APO accreditation of productivity training institutions"
CRITERIA = ["governance", "services", "measurement", "client_outcomes"]
ACCREDITATIONS = [
    # id, iso3, body (None: the NPO), kind, scheme, status, applied_on, assessment_date,
    # certificate, note
    ("bgd-npo", "BGD", None, "npo", SCHEME, "accredited", "2024-10-02", "2025-05-14", "APO-ACC-2025-001",
     "Conferred at the 66th WSM"),
    ("sgp-enterprise-sg", "SGP", None, "npo", SCHEME, "accredited", "2024-09-16", "2025-04-22", "APO-ACC-2025-002",
     "Conferred at the 66th WSM"),
    ("vnm-vnpi", "VNM", None, "npo", SCHEME, "accredited", "2024-11-15", "2025-06-20", "APO-ACC-2025-003",
     "Conferred at the 66th WSM"),
    ("mys-mpc", "MYS", None, "npo", SCHEME, "under_assessment", "2025-03-03", "2026-09-08", None,
     "Site visit held; report due to the Accreditation Body"),
    ("tha-ftpi", "THA", None, "npo", SCHEME, "under_assessment", "2025-05-19", "2026-10-13", None, ""),
    ("lka-nps", "LKA", None, "npo", SCHEME, "under_assessment", "2025-07-01", "2026-11-03", None, ""),
    ("phl-dap", "PHL", None, "npo", SCHEME, "under_assessment", "2025-08-25", "2026-06-16", None,
     "Returned once for further evidence on services"),
    ("khm-npcc", "KHM", None, "npo", SCHEME, "applied", "2026-02-09", None, None, ""),
    ("mng-mpo", "MNG", None, "npo", SCHEME, "applied", "2026-03-30", None, None, ""),
    ("npl-npedc", "NPL", None, "npo", SCHEME, "applied", "2026-05-12", None, None, ""),
    ("fji-ntpc", "FJI", None, "npo", SCHEME, "applied", "2026-06-29", None, None, ""),
    ("idn-productivity", "IDN", None, "npo", SCHEME, "applied", "2026-09-21", None, None, ""),
    ("vnm-training-centre", "VNM", "VNPI Productivity Training Centre", "other", TRAINING_SCHEME, "applied",
     "2026-10-05", None, None, "Training arm of VNPI, for the national productivity training database"),
]
CONFERRED_ON = "2025-10-28"
OCCASION = "66th WSM, Seoul"
VALID_UNTIL = "2028-10-27"

# --------------------------------------------------------------------------------------------
# GP 2.0 initiatives
# --------------------------------------------------------------------------------------------
# metric → (low, high) per year of a typical initiative of each type
OUTCOMES_BY_TYPE = {
    "demonstration_project": [("companies_reached", 6, 30), ("energy_saved", 120, 1800),
                              ("emissions_avoided", 60, 900)],
    "training": [("people_trained", 40, 400), ("companies_reached", 10, 60)],
    "specialist_certification": [("specialists_certified", 8, 60), ("people_trained", 20, 120)],
    "policy_or_standard": [("companies_reached", 20, 200)],
    "database": [("companies_reached", 30, 300)],
}
WATER_THEMES = {"sustainable_agriculture", "circular_economy"}
INITIATIVES = [
    # id, iso3, title, theme, type, sector, start, end, status
    ("vnm-gp-demo-2026", "VNM", "GP demonstration in food processing SMEs", "energy_efficiency",
     "demonstration_project", "food_processing", 2026, 2027, "ongoing"),
    ("vnm-gp-textiles-2025", "VNM", "Cleaner production in textile dyeing", "circular_economy",
     "demonstration_project", "textiles_garments", 2025, 2026, "completed"),
    ("vnm-gp-specialists-2025", "VNM", "GP specialists for the electronics supply chain", "green_supply_chains",
     "specialist_certification", "electronics_ict", 2025, 2027, "ongoing"),
    ("tha-gp-agri-2025", "THA", "Water-saving rice farming with GP methods", "sustainable_agriculture",
     "demonstration_project", "agriculture", 2025, 2027, "ongoing"),
    ("tha-gp-ecolabel-2026", "THA", "Eco-label guidelines for processed food", "eco_products",
     "policy_or_standard", "food_processing", 2026, 2027, "ongoing"),
    ("twn-gp-kit-2025", "TWN", "Green productivity training kit for SMEs", "energy_efficiency",
     "training", "manufacturing", 2025, 2026, "completed"),
    ("twn-gp-circular-2026", "TWN", "Circular packaging pilots with retailers", "circular_economy",
     "demonstration_project", "services", 2026, 2028, "ongoing"),
    ("jpn-gp-supply-2025", "JPN", "Supplier decarbonization programme", "green_supply_chains",
     "training", "manufacturing", 2025, 2027, "ongoing"),
    ("kor-gp-database-2025", "KOR", "Eco-product database of certified suppliers", "eco_products",
     "database", "manufacturing", 2025, 2028, "ongoing"),
    ("mys-gp-energy-2025", "MYS", "Energy audits for palm oil mills", "energy_efficiency",
     "demonstration_project", "agriculture", 2025, 2026, "completed"),
    ("mys-gp-specialists-2026", "MYS", "Certified energy managers for SMEs", "energy_efficiency",
     "specialist_certification", "manufacturing", 2026, 2027, "ongoing"),
    ("ind-gp-msme-2025", "IND", "Green productivity clinics for MSMEs", "energy_efficiency",
     "training", "manufacturing", 2025, 2027, "ongoing"),
    ("ind-gp-standard-2026", "IND", "Resource-efficiency standard for foundries", "circular_economy",
     "policy_or_standard", "manufacturing", 2026, 2027, "ongoing"),
    ("idn-gp-agri-2026", "IDN", "Organic fertilizer from agro-waste", "sustainable_agriculture",
     "demonstration_project", "agriculture", 2026, 2027, "ongoing"),
    ("phl-gp-tourism-2025", "PHL", "Green resorts programme", "eco_products",
     "training", "tourism", 2025, 2026, "completed"),
    ("lka-gp-tea-2025", "LKA", "Energy efficiency in tea factories", "energy_efficiency",
     "demonstration_project", "agriculture", 2025, 2027, "ongoing"),
    ("bgd-gp-textiles-2026", "BGD", "Water stewardship in garment washing plants", "green_supply_chains",
     "demonstration_project", "textiles_garments", 2026, 2027, "ongoing"),
    ("khm-gp-rice-2026", "KHM", "Rice husk energy for rice mills", "sustainable_agriculture",
     "demonstration_project", "agriculture", 2026, 2028, "ongoing"),
    ("sgp-gp-database-2026", "SGP", "Carbon accounting data for SME suppliers", "green_supply_chains",
     "database", "logistics", 2026, 2027, "ongoing"),
    ("tur-gp-circular-2025", "TUR", "Industrial symbiosis in organized industrial zones", "circular_economy",
     "demonstration_project", "manufacturing", 2025, 2026, "cancelled"),
    ("tur-gp-specialists-2026", "TUR", "GP specialists for industrial zones", "circular_economy",
     "specialist_certification", "manufacturing", 2026, 2027, "ongoing"),
    ("npl-gp-hydro-2027", "NPL", "Micro-hydro for agro-processing", "energy_efficiency",
     "demonstration_project", "agriculture", 2027, 2028, "planned"),
]

# --------------------------------------------------------------------------------------------
# Trainings (2026)
# --------------------------------------------------------------------------------------------
TOPICS = {
    "electronics_ict": ["Lean for electronics assembly", "Digital transformation of SME suppliers",
                        "Industry 4.0 readiness assessment"],
    "textiles_garments": ["Lean production in garment factories", "Energy management in dyeing",
                          "Quality circles for textile mills"],
    "food_processing": ["Lean for food processors", "Food-safety systems and productivity",
                        "Kaizen on the processing line"],
    "agriculture": ["Smart farming for cooperatives", "Post-harvest loss reduction",
                    "Productivity of smallholder farms"],
    "logistics": ["Warehouse productivity", "Supply-chain digitalization", "Cold-chain management"],
    "manufacturing": ["Total productive maintenance", "Lean six sigma green belt", "5S and visual management"],
    "services": ["Service productivity measurement", "Customer journey redesign"],
    "public_sector": ["Public-sector productivity", "Good regulatory practice"],
    "healthcare": ["Lean hospitals"],
    "tourism": ["Service excellence in hospitality"],
    "energy": ["Energy audits for SMEs"],
    "cross_sector": ["Productivity specialists course", "Productivity measurement for NPO staff"],
}
VNM_SECTORS = ["electronics_ict", "textiles_garments", "food_processing", "agriculture", "logistics"]
MEMBER_SECTORS = {
    "BGD": ["textiles_garments", "manufacturing", "agriculture"],
    "KHM": ["agriculture", "textiles_garments", "tourism"],
    "TWN": ["electronics_ict", "manufacturing", "services"],
    "FJI": ["tourism", "agriculture", "public_sector"],
    "HKG": ["services", "electronics_ict", "logistics"],
    "IND": ["manufacturing", "energy", "public_sector"],
    "IDN": ["manufacturing", "agriculture", "services"],
    "IRN": ["manufacturing", "energy", "healthcare"],
    "JPN": ["manufacturing", "services", "healthcare"],
    "KOR": ["electronics_ict", "manufacturing", "services"],
    "LAO": ["agriculture", "tourism", "cross_sector"],
    "MYS": ["public_sector", "services", "manufacturing"],
    "MNG": ["agriculture", "energy", "cross_sector"],
    "NPL": ["agriculture", "tourism", "cross_sector"],
    "PAK": ["textiles_garments", "manufacturing", "agriculture"],
    "PHL": ["services", "public_sector", "food_processing"],
    "SGP": ["logistics", "services", "electronics_ict"],
    "LKA": ["textiles_garments", "agriculture", "public_sector"],
    "THA": ["food_processing", "manufacturing", "agriculture"],
    "TUR": ["manufacturing", "textiles_garments", "services"],
}
COURSES = {"VNM": 12}  # others: 2 to 4


# --------------------------------------------------------------------------------------------
def write(name: str, header: list[str], rows: list[list]) -> None:
    with open(OUT / name, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        w.writerow(header)
        w.writerows(rows)


def num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.1f}"


def accreditations(rng: random.Random) -> list[list]:
    rows = []
    for aid, iso3, body, kind, scheme, status, applied, assessed, cert, note in ACCREDITATIONS:
        scores = ""
        if assessed is not None and status != "applied":
            scores = ";".join(f"{c}={rng.randint(64, 92)}" for c in CRITERIA)
        conferred = status == "accredited"
        rows.append([
            aid, iso3, body or NPO[iso3][1], kind, scheme, status, applied, assessed or "", scores,
            cert or "", CONFERRED_ON if conferred else "", OCCASION if conferred else "",
            VALID_UNTIL if conferred else "", note,
        ])
    return rows


def initiatives(rng: random.Random) -> tuple[list[list], list[list]]:
    rows, outcomes = [], []
    for iid, iso3, title, theme, kind, sector, start, end, status in INITIATIVES:
        rows.append([iid, iso3, title, theme, kind, sector, start, end, status])
        if status == "planned":
            continue
        metrics = list(OUTCOMES_BY_TYPE[kind])
        if theme in WATER_THEMES and kind == "demonstration_project":
            metrics.append(("water_saved", 2_000, 40_000))
        last = 2025 if status == "cancelled" else min(end, 2026)
        for year in range(max(start, 2025), last + 1):
            for metric, lo, hi in metrics:
                value = rng.uniform(lo, hi)
                # in an initiative's first year, about half of a full year's reach
                if year == start and end > start:
                    value *= 0.55
                if metric in ("energy_saved", "emissions_avoided"):
                    value = round(value, 1)
                elif metric == "water_saved":
                    value = round(value / 10) * 10
                else:
                    value = round(value)
                outcomes.append([iid, metric, year, num(value)])
    return rows, outcomes


def trainings(rng: random.Random) -> list[list]:
    rows = []
    for iso3 in MEMBERS:
        short = NPO[iso3][0]
        sectors = VNM_SECTORS if iso3 == "VNM" else MEMBER_SECTORS[iso3]
        n = COURSES.get(iso3, rng.randint(2, 4))
        # course start days spread over the year, in order
        starts = sorted(rng.sample(range(10, (LAST_DAY - dt.date(2026, 1, 1)).days - 30), n))
        for k, day in enumerate(starts, start=1):
            sector = sectors[(k - 1) % len(sectors)]
            topic = rng.choice(TOPICS[sector])
            mode = rng.choices(["in_person", "online", "blended"], [60, 20, 20])[0]
            days = rng.choice([1, 2, 3, 5, 5, 10]) if mode != "online" else rng.choice([1, 2, 3])
            start = dt.date(2026, 1, 1) + dt.timedelta(days=day)
            end = start + dt.timedelta(days=days - 1)
            hours = days * (8 if mode == "in_person" else 6 if mode == "blended" else 4)
            if sector == "public_sector":
                gov, ent, uni = rng.randint(18, 40), rng.randint(0, 4), rng.randint(0, 3)
            elif iso3 == "VNM" or rng.random() < 0.7:
                # the tripartite coalition: government, enterprises, universities
                gov = rng.randint(2, 8)
                ent = rng.randint(12, 40)
                uni = rng.randint(2, 10)
            else:
                gov, ent, uni = rng.randint(0, 25), rng.randint(10, 35), 0
            total = gov + ent + uni
            female = round(total * rng.uniform(0.3, 0.62))
            unspecified = rng.choice([0, 0, 0, 1, 2])
            male = total - female - unspecified
            smes = round(ent * rng.uniform(0.55, 0.9))
            certified = round(total * rng.uniform(0.1, 0.35)) if "specialist" in topic.lower() or days >= 5 else 0
            title = topic if mode == "in_person" else f"{topic} ({mode.replace('_', ' ')})"
            rows.append([
                f"{iso3.lower()}-tr-2026-{k:03d}", iso3, title, short, sector, topic,
                start.isoformat(), end.isoformat(), mode, hours, gov, ent, uni, female, male,
                unspecified, smes, certified,
            ])
    return rows


def main() -> None:
    rng = random.Random(SEED)
    OUT.mkdir(exist_ok=True)
    acc = accreditations(rng)
    write("accreditations.csv",
          ["id", "iso3", "body", "body_kind", "scheme", "status", "applied_on", "assessment_date",
           "criteria_scores", "certificate", "conferred_on", "occasion", "valid_until", "note"],
          acc)
    gp, outcomes = initiatives(rng)
    write("gp_initiatives.csv",
          ["id", "iso3", "title", "theme", "type", "sector", "start_year", "end_year", "status"], gp)
    write("gp_outcomes.csv", ["initiative", "metric", "year", "value"], outcomes)
    tr = trainings(rng)
    write("trainings.csv",
          ["id", "iso3", "title", "provider", "sector", "topic", "start_date", "end_date", "mode",
           "hours", "government", "enterprises", "universities", "female", "male", "unspecified",
           "smes", "certified_specialists"], tr)
    print(f"wrote {len(acc)} accreditations, {len(gp)} GP initiatives with {len(outcomes)} "
          f"outcomes, {len(tr)} trainings to {OUT}")


if __name__ == "__main__":
    main()
