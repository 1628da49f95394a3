#!/usr/bin/env python3
"""Generate the demo data set of the APO Productivity Dashboard.

Writes nine CSV files next to this script: one primer workbook for the 2026-2028 SPP cycle (the
tables described in docs/DESIGN.md, "Files"), and the programmes' records beside it:

- primers.csv      one primer per APO member (all 21): status, national context, endorsement date
- key_results.csv  3-8 key results per member over the four Vision 2030 pillars
- targets.csv      a target for every key result for 2026, 2027 and 2028
- actuals.csv      reports for 2026 only, from 15 members, some corrected or updated later
- budgets.csv      APO-wide planned/spent per pillar and year, plus a few member-level rows
- projects.csv     the COE and BCN project notifications (references 515 and 520, and their
                   2026 and 2027 editions)
- programmes/      BCN applications under them, the COE registry and COE proposals (not
                   tables of a workbook: src/demo.rs loads them through the API's rules)

Why: `apo-dashboard serve --demo` loads these files (embedded in the binary) so that a workshop
or monitoring screen shows something realistic straight away: primers in every status, focus
areas shared by several members, members ahead of, on and behind target, members that have not
reported, corrected reports, budgets half spent, and the edge cases the metrics must handle
(a missing baseline, a 2026 target equal to its baseline, decrease-type key results).

Everything is fictional demo content except the member list (data/members.csv), the text of
project notifications 515 and 520 (../shared/seeds), and the outline
of Vietnam's primer signed on 30 January 2026 (its focus areas, tripartite coalition,
productivity indexes and national productivity training database); the figures are invented.

Deterministic: Python 3.11 standard library only, a fixed random seed, fixed iteration order.
Running it again rewrites byte-identical files:

    python3 data/demo/generate.py
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 20260130  # the date Vietnam signed its primer
YEARS = (2026, 2027, 2028)
BASELINE_YEAR = 2025

# Units whose values carry one decimal; every other unit counts whole things.
DECIMAL_UNITS = {"%", "days", "index", "kWh/100 pcs"}

# --------------------------------------------------------------------------------------------
# Members, in the order of data/members.csv
# --------------------------------------------------------------------------------------------
MEMBERS = [
    "BGD", "KHM", "TWN", "FJI", "HKG", "IND", "IDN", "IRN", "JPN", "KOR", "LAO",
    "MYS", "MNG", "NPL", "PAK", "PHL", "SGP", "LKA", "THA", "TUR", "VNM",
]

# status, endorsement date (endorsed primers only)
PRIMER_STATUS = {
    "BGD": ("submitted", ""),
    "KHM": ("endorsed", "2026-06-11"),
    "TWN": ("endorsed", "2026-02-05"),
    "FJI": ("draft", ""),
    "HKG": ("draft", ""),
    "IND": ("submitted", ""),
    "IDN": ("submitted", ""),
    "IRN": ("draft", ""),
    "JPN": ("endorsed", "2026-02-12"),
    "KOR": ("submitted", ""),
    "LAO": ("draft", ""),
    "MYS": ("endorsed", "2026-02-26"),
    "MNG": ("submitted", ""),
    "NPL": ("draft", ""),
    "PAK": ("draft", ""),
    "PHL": ("endorsed", "2026-04-09"),
    "SGP": ("submitted", ""),
    "LKA": ("endorsed", "2026-05-21"),
    "THA": ("endorsed", "2026-03-18"),
    "TUR": ("submitted", ""),
    "VNM": ("endorsed", "2026-01-30"),  # the signed primer of 30 January 2026
}

NATIONAL_CONTEXT = {
    "BGD": (
        "Ready-made garments dominate Bangladesh's merchandise exports, and the sector must raise "
        "productivity and compliance as the economy prepares to graduate from least-developed-country "
        "status. Energy costs, skills gaps among line supervisors and slow adoption of lean methods "
        "limit factory-level efficiency. The NPO will focus on resource-efficient garment production "
        "and on SMEs in light engineering and agro-processing."
    ),
    "KHM": (
        "Cambodia's growth rests on garments, tourism and agriculture, and most enterprises are micro "
        "and small firms, many of them informal. Rice and cassava yields remain below regional "
        "averages and post-harvest losses are high. The primer targets farm-level productivity, the "
        "formalization and upgrading of SMEs, and service quality in tourism."
    ),
    "TWN": (
        "The Republic of China's export economy is led by semiconductors and ICT manufacturing, while "
        "productivity in services and among SMEs lags the high-tech sector. Carbon-reduction "
        "commitments and rising energy costs make green productivity a priority for industrial parks. "
        "The NPO will extend digital and low-carbon transformation support to SMEs and share its "
        "experience with other APO members."
    ),
    "FJI": (
        "Tourism is Fiji's largest source of foreign exchange, and sugar cane and other crops sustain "
        "rural livelihoods. A small domestic market, distance from major markets and exposure to "
        "cyclones raise costs for firms and public services. The primer concentrates on service "
        "quality in tourism, farm productivity and productivity improvement in public agencies."
    ),
    "HKG": (
        "Hong Kong's economy is dominated by financial, trading, logistics and professional services. "
        "Labour shortages and an ageing workforce make digital adoption and process innovation the main "
        "levers for productivity growth. The NPO will help service SMEs adopt digital solutions and "
        "promote innovation and benchmarking in the services sector."
    ),
    "IND": (
        "India's manufacturing share of GDP has stayed in a narrow range despite sustained policy "
        "support, and MSMEs employ a large share of the non-farm workforce at low productivity levels. "
        "Digital public infrastructure offers a base for MSME digitalization, while energy intensity in "
        "clusters such as foundries, ceramics and textiles remains high. The primer focuses on "
        "manufacturing competitiveness, MSME upgrading, digital adoption and green productivity."
    ),
    "IDN": (
        "Indonesia aims to move up manufacturing value chains, including downstream processing of "
        "natural resources, and food processing is one of its largest industrial employers. "
        "Productivity growth among micro, small and medium enterprises is held back by limited access "
        "to technology, finance and quality certification. The primer targets productivity and quality "
        "systems in manufacturing and food processing and the upgrading of SMEs."
    ),
    "IRN": (
        "I.R. Iran has a diversified industrial base, including petrochemicals, automotive and steel, "
        "but energy intensity is high and productivity growth has been uneven. Water scarcity puts "
        "pressure on agricultural productivity. The primer emphasizes energy efficiency in industry, "
        "productivity management in manufacturing firms and water-efficient agriculture."
    ),
    "JPN": (
        "Japan faces a shrinking and ageing labour force, which makes labour-saving innovation and "
        "digitalization central to sustaining growth. Productivity in services and among SMEs trails "
        "that of large manufacturers. The NPO will promote digital transformation and service "
        "productivity in SMEs and share Japanese productivity methods with APO members."
    ),
    "KOR": (
        "The Republic of Korea combines world-class manufacturing in semiconductors, automobiles and "
        "shipbuilding with comparatively low productivity in services and SMEs. A rapidly ageing "
        "population and carbon-neutrality goals call for smart factories and energy-efficient "
        "production. The primer focuses on smart manufacturing for SMEs, data and AI skills, and green "
        "productivity."
    ),
    "LAO": (
        "Agriculture employs the majority of workers in Lao PDR, while hydropower, mining and tourism "
        "generate much of its export earnings. New rail and road links open opportunities for "
        "agricultural exports and tourism, but smallholder productivity, quality standards and SME "
        "management capabilities remain limited. The primer targets agricultural productivity, tourism "
        "services and SME development."
    ),
    "MYS": (
        "Malaysia's productivity agenda is guided by its national productivity blueprint, with "
        "manufacturing and services as the main engines of growth. Labour productivity growth has "
        "slowed and some sectors still rely on low-skilled labour. The primer targets automation and "
        "digitalization in manufacturing, productivity in services, and regulatory modernization in the "
        "public sector."
    ),
    "MNG": (
        "Mongolia's economy depends heavily on mining, which provides most export earnings but a small "
        "share of employment. Livestock herding employs a significant part of the workforce and is "
        "exposed to harsh winters. The primer seeks to raise productivity in herding and agro-processing, "
        "improve management practices in mining-supplier SMEs and build productivity statistics."
    ),
    "NPL": (
        "Nepal's economy relies on remittances, agriculture and tourism, with a small manufacturing "
        "base. Farm productivity is constrained by fragmented landholdings and limited mechanization, "
        "and efficient public service delivery is a priority under the federal structure. The primer "
        "concentrates on agriculture, tourism and public-sector productivity."
    ),
    "PAK": (
        "Textiles account for more than half of Pakistan's merchandise exports, but high energy costs "
        "and ageing machinery weigh on competitiveness. Agriculture, notably cotton and wheat, employs a "
        "large share of the workforce with yields below potential. The primer focuses on textiles and "
        "garments, agricultural productivity and SME development."
    ),
    "PHL": (
        "Services, including business process outsourcing, drive growth in the Philippines, while MSMEs "
        "make up almost all enterprises but a much smaller share of value added. Ease of doing business "
        "and efficient government services are national priorities. The primer focuses on MSME "
        "productivity, digital transformation and public-sector productivity."
    ),
    "SGP": (
        "Singapore's growth depends on productivity as labour-force growth slows, and its industry "
        "transformation maps set sector-level productivity goals. The NPO supports enterprise "
        "innovation, the adoption of AI and digital tools, and the transition to low-carbon operations. "
        "It shares this experience with other members through APO programs."
    ),
    "LKA": (
        "Sri Lanka is consolidating its recovery from the 2022 economic crisis, with tourism, apparel "
        "and plantation crops as its main foreign-exchange earners. Tea and rice productivity is "
        "constrained by ageing plantings and input costs, and SMEs need support to regain markets. The "
        "primer targets agriculture, tourism and SMEs."
    ),
    "THA": (
        "Thailand is a major exporter of processed food and a regional hub for automotive and "
        "electronics manufacturing, with tourism as a key service sector. An ageing population and "
        "slowing productivity growth underpin its Bio-Circular-Green economy model. The primer targets "
        "food-processing productivity, digital adoption by SMEs, green industry and community-based "
        "tourism."
    ),
    "TUR": (
        "Türkiye has a large, export-oriented manufacturing sector in automotive, machinery, textiles "
        "and household appliances, closely integrated with European supply chains. Carbon border "
        "adjustment in its main export market and dependence on imported energy make resource "
        "efficiency a priority. The primer focuses on manufacturing productivity, green transformation "
        "and SME competitiveness."
    ),
    "VNM": (
        "Vietnam's export growth is led by electronics and ICT assembly, textiles and garments, and "
        "processed food, yet domestic value added and labour productivity remain below regional peers. "
        "Under its primer signed on 30 January 2026, the NPO is building a tripartite coalition of "
        "government, enterprises and universities to coordinate productivity programs, will publish "
        "sector productivity indexes, and is establishing a national productivity training database "
        "of trained specialists and enterprises. Agriculture and logistics receive attention because "
        "post-harvest losses and logistics costs weigh on agri-food competitiveness."
    ),
}

# --------------------------------------------------------------------------------------------
# Key results: (pillar, focus area, title, unit, direction, baseline or None, targets 26/27/28,
# weight). A baseline of None means no baseline (both baseline columns empty).
# --------------------------------------------------------------------------------------------
I, D = "increase", "decrease"
KEY_RESULTS = {
    "BGD": [
        (3, "Textiles and garments", "Garment factories applying lean production", "factories", I, 120, (160, 210, 270), 1),
        (2, "Textiles and garments", "Average lead time in garment export processing (days)", "days", D, 21.0, (19.5, 18.0, 16.0), 1),
        (4, "Green productivity", "Energy audits completed in textile and garment units", "audits", I, 35, (60, 90, 130), 1),
        (3, "SMEs", "SME managers trained in productivity tools", "people", I, 420, (600, 800, 1000), 1),
        (1, "SMEs", "Industry associations in the national productivity council", "associations", I, None, (6, 9, 12), 1),
        (2, "Green productivity", "Energy intensity of assisted garment units (kWh per 100 pieces)", "kWh/100 pcs", D, 58.0, (55.0, 52.0, 48.0), 0.5),
    ],
    "KHM": [
        (3, "Agriculture", "Farmers trained in good agricultural practices", "people", I, 2400, (3500, 5000, 6500), 1),
        (2, "Agriculture", "Post-harvest loss in rice (%)", "%", D, 12.0, (11.0, 10.0, 9.0), 1),
        (3, "SMEs", "SMEs registered and receiving productivity coaching", "SMEs", I, 150, (250, 350, 450), 1),
        (1, "Tourism", "Tourism enterprises certified under the service quality standard", "enterprises", I, 60, (90, 130, 170), 1),
        (4, "SMEs", "Productivity case studies published", "reports", I, None, (4, 8, 12), 0.5),
    ],
    "TWN": [
        (3, "Digital transformation", "SMEs completing a digital transformation diagnosis", "SMEs", I, 800, (1000, 1250, 1500), 1),
        (4, "Green productivity", "Carbon footprint verifications facilitated for SMEs", "verifications", I, 210, (300, 400, 520), 1),
        (1, "Innovation", "Industry-academia innovation projects launched", "projects", I, 45, (55, 65, 80), 1),
        (2, "Green productivity", "Energy intensity of assisted factories (index, 2025 = 100)", "index", D, 100.0, (97.0, 94.0, 90.0), 1),
        (3, "Innovation", "Overseas NPO staff trained through APO programs", "people", I, 120, (150, 180, 220), 0.5),
        (4, "Digital transformation", "Digital transformation good practices shared on the APO knowledge platform", "reports", I, 12, (18, 24, 30), 1),
    ],
    "FJI": [
        (3, "Tourism", "Tourism workers trained in service quality", "people", I, 350, (500, 650, 800), 1),
        (3, "Agriculture", "Farmers adopting improved crop varieties", "people", I, None, (300, 500, 700), 1),
        (2, "Public sector", "Public agencies with productivity improvement plans", "agencies", I, 4, (8, 12, 16), 1),
        (2, "Tourism", "Visitor satisfaction in assisted resorts (%)", "%", I, 82.0, (84.0, 86.0, 88.0), 1),
    ],
    "HKG": [
        (3, "Digital transformation", "Service SMEs adopting cloud-based business tools", "SMEs", I, 300, (420, 560, 700), 1),
        (4, "Innovation", "Innovation and technology seminars held", "events", I, 18, (22, 26, 30), 1),
        (3, "Services", "Service-sector staff trained in productivity and customer experience", "people", I, 1200, (1500, 1800, 2100), 1),
        (4, "Services", "Service productivity benchmarking reports released", "reports", I, 2, (3, 4, 5), 0.5),
    ],
    "IND": [
        (3, "Manufacturing", "Manufacturing units implementing lean and TPM", "units", I, 260, (340, 430, 520), 1),
        (4, "Green productivity", "Energy audits completed in MSME clusters", "audits", I, 150, (220, 300, 380), 1),
        (3, "SMEs", "MSME owners trained in productivity management", "people", I, 5200, (6500, 8000, 9500), 2),
        (2, "Digital transformation", "MSMEs onboarded to the digital productivity self-assessment", "SMEs", I, None, (2000, 5000, 9000), 1),
        (1, "SMEs", "State-level productivity councils active", "councils", I, 9, (11, 13, 15), 1),
        (2, "Green productivity", "Specific energy consumption in assisted foundries (kWh per tonne)", "kWh/t", D, 620, (600, 575, 550), 1),
        (4, "Manufacturing", "Sector productivity bulletins published", "reports", I, 2, (3, 4, 4), 0.5),
    ],
    "IDN": [
        (3, "Manufacturing", "Productivity specialists certified", "people", I, 310, (380, 460, 550), 2),
        (2, "Food processing", "Food-processing firms certified to food-safety standards with NPO support", "firms", I, 85, (120, 160, 200), 1),
        (3, "SMEs", "SMEs completing productivity improvement projects", "SMEs", I, 430, (520, 620, 750), 1),
        (1, "Manufacturing", "Provincial productivity partnerships signed", "agreements", I, 6, (9, 12, 15), 1),
        (4, "Food processing", "Defect rate in assisted food-processing lines (%)", "%", D, 4.8, (4.2, 3.6, 3.0), 1),
    ],
    "IRN": [
        (2, "Green productivity", "Industrial units with energy management systems", "units", I, 40, (60, 85, 110), 1),
        (3, "Manufacturing", "Managers trained in productivity management", "people", I, 900, (1100, 1300, 1500), 1),
        (3, "Agriculture", "Farms adopting pressurized irrigation with NPO advice", "farms", I, None, (150, 300, 450), 1),
        (4, "Manufacturing", "Sector productivity studies published", "reports", I, 3, (4, 6, 8), 1),
    ],
    "JPN": [
        (3, "SMEs", "SME consultants trained in digital transformation support", "people", I, 260, (320, 380, 450), 1),
        (2, "Digital transformation", "SMEs adopting labour-saving digital tools with NPO support", "SMEs", I, 1500, (1800, 2150, 2500), 2),
        (1, "Services", "Service-sector companies joining the productivity awards program", "companies", I, 95, (110, 125, 140), 1),
        # Edge case: the 2026 target equals the baseline.
        (4, "Services", "Labour productivity statistics and reports published", "reports", I, 6, (6, 7, 8), 1),
        (3, "Digital transformation", "Overseas participants trained in Japanese productivity methods", "people", I, 180, (220, 260, 300), 0.5),
        (4, "SMEs", "Service productivity index of assisted SMEs (2025 = 100)", "index", I, 100.0, (102.0, 104.5, 107.0), 1),
    ],
    "KOR": [
        (2, "Manufacturing", "SMEs with smart factory systems at level 2 or above", "SMEs", I, 1200, (1500, 1850, 2200), 2),
        (3, "Digital transformation", "Workers trained in data and AI skills for manufacturing", "people", I, 3000, (3800, 4700, 5600), 1),
        (4, "Green productivity", "Greenhouse-gas intensity of assisted SMEs (index, 2025 = 100)", "index", D, 100.0, (96.0, 92.0, 88.0), 1),
        (1, "Manufacturing", "Large firm-SME productivity partnerships", "partnerships", I, 70, (85, 100, 120), 1),
        (4, "Digital transformation", "Productivity diagnostic reports shared with APO members", "reports", I, None, (3, 6, 9), 0.5),
    ],
    "LAO": [
        (3, "Agriculture", "Farmers trained in good agricultural practices", "people", I, 800, (1200, 1600, 2000), 1),
        (2, "Agriculture", "Agricultural cooperatives with productivity plans", "cooperatives", I, 20, (30, 40, 55), 1),
        (3, "Tourism", "Tourism SMEs trained in service quality", "SMEs", I, 60, (90, 120, 150), 1),
        (1, "SMEs", "Organizations in the SME support network", "organizations", I, 12, (15, 18, 22), 1),
    ],
    "MYS": [
        (2, "Manufacturing", "Manufacturing firms adopting automation with productivity-linked incentives", "firms", I, 400, (520, 650, 800), 1),
        (3, "Digital transformation", "SMEs adopting digital tools", "SMEs", I, 2500, (3200, 4000, 5000), 1),
        (1, "Services", "Productivity nexus industry groups active", "groups", I, 10, (12, 14, 16), 1),
        (2, "Public sector", "Average processing time for business licences (days)", "days", D, 14.0, (12.0, 10.0, 8.0), 1),
        (4, "Public sector", "Regulatory reviews completed under good regulatory practice", "reviews", I, 18, (24, 30, 36), 1),
        (3, "Services", "Productivity specialists certified", "people", I, 150, (200, 250, 300), 2),
        (4, "Manufacturing", "Labour productivity growth of assisted firms (%)", "%", I, 3.1, (3.5, 4.0, 4.5), 1),
    ],
    "MNG": [
        (3, "Agriculture", "Herder cooperatives trained in livestock productivity", "cooperatives", I, 35, (50, 70, 90), 1),
        (2, "Mining", "Mining-supplier SMEs with productivity improvement plans", "SMEs", I, 15, (25, 35, 45), 1),
        (3, "SMEs", "SME managers trained in 5S and kaizen", "people", I, 600, (800, 1000, 1200), 1),
        (4, "SMEs", "Sectors covered by national productivity statistics", "sectors", I, None, (5, 8, 12), 1),
    ],
    "NPL": [
        (3, "Agriculture", "Farmers using improved seed and mechanization services", "people", I, 1500, (2200, 3000, 3800), 1),
        (3, "Tourism", "Trekking and hospitality staff trained", "people", I, 400, (600, 800, 1000), 1),
        (2, "Public sector", "Government offices applying 5S and service charters", "offices", I, 25, (40, 60, 80), 1),
        (2, "Agriculture", "Post-harvest loss of vegetables in pilot districts (%)", "%", D, 25.0, (23.0, 20.0, 17.0), 1),
    ],
    "PAK": [
        (2, "Textiles and garments", "Textile mills completing energy and process audits", "mills", I, 30, (50, 75, 100), 1),
        (3, "Textiles and garments", "Textile workers and supervisors trained in productivity", "people", I, 1800, (2500, 3300, 4000), 1),
        (3, "Agriculture", "Cotton farmers trained in better management practices", "people", I, 5000, (7000, 9000, 11000), 1),
        (1, "SMEs", "SME cluster associations engaged in productivity programs", "associations", I, 8, (12, 16, 20), 1),
        (4, "SMEs", "Productivity case studies published", "reports", I, None, (3, 6, 10), 1),
    ],
    "PHL": [
        (3, "SMEs", "MSMEs trained through productivity toolkits", "SMEs", I, 3200, (4000, 5000, 6000), 1),
        (2, "Public sector", "Government agencies with quality management systems", "agencies", I, 110, (135, 160, 190), 1),
        (1, "SMEs", "Regional productivity councils with action plans", "councils", I, 10, (14, 16, 17), 1),
        (3, "Digital transformation", "MSMEs onboarded to e-commerce platforms", "SMEs", I, 900, (1300, 1700, 2200), 1),
        (2, "Public sector", "Average processing time for business permits (days)", "days", D, 7.0, (6.0, 5.0, 4.0), 1),
        (4, "Digital transformation", "Productivity knowledge products published", "reports", I, None, (4, 8, 12), 0.5),
    ],
    "SGP": [
        (3, "Digital transformation", "SMEs adopting AI solutions with NPO support", "SMEs", I, 600, (900, 1300, 1800), 1),
        (1, "Innovation", "Enterprise-research institute innovation partnerships", "partnerships", I, 40, (50, 60, 75), 1),
        (4, "Green productivity", "Companies completing sustainability reporting training", "companies", I, 250, (400, 550, 700), 1),
        (2, "Services", "Value added per worker in assisted service firms (index, 2025 = 100)", "index", I, 100.0, (102.0, 104.0, 106.0), 2),
        (3, "Services", "Workers trained in productivity and digital skills", "people", I, 8000, (9500, 11000, 12500), 1),
        (2, "Green productivity", "Energy use per unit of output in assisted firms (index, 2025 = 100)", "index", D, 100.0, (97.0, 94.0, 91.0), 1),
        (4, "Innovation", "Overseas NPO officials hosted on study missions", "people", I, 90, (110, 130, 150), 0.5),
        (1, "Digital transformation", "Trade associations leading digital roadmaps", "associations", I, 14, (18, 22, 26), 1),
    ],
    "LKA": [
        (3, "Agriculture", "Tea smallholders trained in good agricultural practices", "people", I, 3000, (4500, 6000, 7500), 1),
        (2, "Agriculture", "Average tea yield in pilot estates (kg per hectare)", "kg/ha", I, 1350, (1400, 1470, 1550), 1),
        (3, "Tourism", "Hotel staff trained in service quality", "people", I, 700, (1000, 1300, 1600), 1),
        (1, "SMEs", "SMEs linked to export buyers through productivity clinics", "SMEs", I, 45, (70, 95, 120), 1),
        # Edge case: the 2026 target equals the baseline.
        (4, "SMEs", "SME productivity surveys published", "reports", I, 1, (1, 2, 3), 1),
    ],
    "THA": [
        (2, "Food processing", "Food factories implementing productivity and food-safety systems", "factories", I, 180, (230, 290, 350), 1),
        (3, "Digital transformation", "SMEs adopting digital tools under the SME digital program", "SMEs", I, 1800, (2300, 2900, 3500), 1),
        (4, "Green productivity", "Factories certified under green industry criteria", "factories", I, 260, (320, 390, 460), 1),
        (1, "Tourism", "Community-based tourism groups with productivity plans", "groups", I, None, (15, 30, 45), 1),
        (2, "Food processing", "Defect rate in assisted food-processing lines (%)", "%", D, 3.5, (3.1, 2.7, 2.3), 1),
        (3, "Tourism", "Hotel and restaurant staff trained in service productivity", "people", I, 1500, (2000, 2500, 3000), 1),
    ],
    "TUR": [
        (2, "Manufacturing", "Manufacturing firms completing productivity diagnostics", "firms", I, 350, (450, 560, 680), 1),
        (4, "Green productivity", "Firms trained on carbon border adjustment requirements", "firms", I, None, (300, 650, 1000), 1),
        (3, "SMEs", "SME employees trained in lean and digital skills", "people", I, 4000, (5000, 6200, 7500), 1),
        (1, "Manufacturing", "Organized industrial zones in productivity partnerships", "zones", I, 12, (16, 20, 25), 1),
        (2, "Green productivity", "Energy intensity of assisted manufacturing firms (index, 2025 = 100)", "index", D, 100.0, (96.0, 92.0, 88.0), 1),
    ],
    "VNM": [
        (1, "Electronics and ICT", "Tripartite coalition meetings held (government, enterprises, universities)", "events", I, 1, (3, 4, 5), 1),
        (4, "Electronics and ICT", "Sector productivity indexes published", "indexes", I, 0, (2, 3, 4), 1),
        (3, "Textiles and garments", "Productivity specialists trained and certified", "people", I, 85, (160, 250, 360), 2),
        (2, "Textiles and garments", "Garment enterprises applying lean production", "enterprises", I, 40, (70, 110, 150), 1),
        (4, "Food processing", "People registered in the national productivity training database", "people", I, 0, (1500, 4000, 7000), 2),
        (2, "Food processing", "Food-processing SMEs with a productivity improvement plan", "SMEs", I, 25, (60, 100, 150), 1),
        (2, "Agriculture and logistics", "Average lead time in agri-export logistics (days)", "days", D, 9.5, (8.8, 8.0, 7.2), 1),
        (1, "Agriculture and logistics", "Enterprises and universities in the tripartite productivity coalition", "organizations", I, 12, (25, 40, 60), 1),
    ],
}

# --------------------------------------------------------------------------------------------
# 2026 reporting: the six draft primers have not reported; the others are ahead, on track or
# behind. Progress p is drawn per key result and turned into a value (see METRICS.md §1).
# --------------------------------------------------------------------------------------------
PROFILE = {
    "TWN": "ahead", "SGP": "ahead", "MYS": "ahead", "VNM": "ahead",
    "JPN": "on_track", "THA": "on_track", "PHL": "on_track", "KOR": "on_track",
    "IND": "on_track", "IDN": "on_track", "TUR": "on_track",
    "KHM": "behind", "LKA": "behind", "BGD": "behind", "MNG": "behind",
}
PROGRESS_RANGE = {"ahead": (0.95, 1.3), "on_track": (0.6, 1.05), "behind": (0.05, 0.42)}
# Key results reported for sure, with a fixed progress where given (None: drawn).
FORCED = {
    "TWN-KR1": 1.6,   # over-achieving
    "SGP-KR1": 1.45,  # over-achieving
    "JPN-KR4": None,  # 2026 target = baseline
    "LKA-KR5": 1.0,   # 2026 target = baseline, met
    "VNM-KR1": None,
    "VNM-KR2": None,
    "VNM-KR3": None,
    "VNM-KR5": None,
    "VNM-KR7": None,
}
REPORT_FROM = dt.date(2026, 3, 1)
REPORT_UNTIL = dt.date(2026, 11, 19)  # last session day; corrections stay within that day

# --------------------------------------------------------------------------------------------
# Budgets (US$) and projects
# --------------------------------------------------------------------------------------------
PILLAR_BUDGET_2026 = {1: 620_000, 2: 780_000, 3: 1_300_000, 4: 690_000}
MEMBER_BUDGETS_2026 = [  # (iso3, pillar, planned)
    ("VNM", 3, 120_000), ("LKA", 3, 85_000), ("KHM", 2, 60_000),
    ("MNG", 4, 45_000), ("FJI", 3, 38_000), ("NPL", 1, 30_000),
]

# Project notifications (issue 22): references 515 (COE) and 520 (BCN) as the seeds give them
# (../shared/seeds/003_*.txt and 004_*.txt), and their 2026 and 2027 editions (reference numbers,
# issue dates, budgets and key results invented) so that something is open in the demo.
COE_TEXT = {
    "objectives": "Establish COE within APO members by identifying and developing key competencies to enhance productivity; promote innovation, knowledge and technology transfer to continuously improve practices, strengthen existing COEs in specialized domains; encourage collaboration and best practice sharing; evaluate and assess COE performance to ensure sustained excellence and measurable success in their focus areas.",
    "rationale": "Creating a collaborative environment to spread the know-how and best practices of one APO member to others is a key methodology for improving productivity. By consolidating the expertise throughout the Asia-Pacific, the COE Program facilitates regional cooperation and serves as a catalyst for knowledge sharing, skill development, and exchanging productivity know-how.",
    "background": "The APO COE Program both enhances the competitiveness of individual members and creates a network for sharing successful productivity initiatives, thus accelerating overall development in the region. It brings together experts and resources in specific fields to drive innovation, efficiency, and excellence among APO members to collectively contribute to overall growth, competitiveness, and adaptability in the Asia-Pacific region. The COE development model is delivered in a \"1-3-1\"-year three-phase life cycle: designation; delivery; and replication. In {year}, the COE Program focuses on disseminating practices and technologies developed by COE, enhancing the collaboration and networking among COE through international platforms. Strengthening the capacity and assessing the status of existing COE's performance to determine their next stages while identifying and developing new COE in required areas of excellence will also be conducted.",
    "topics": "Promoting innovation, technology as well as knowledge transfer and sharing excellence related to specific focus areas through research, training, mentoring, workshops, benchmarking, pilot projects, and study missions; Developing and publishing training kits, manuals, and case studies; Organizing a forum for experience sharing and expanding cooperation among COE; and Assessing existing COE to determine their status in line with the COE guidelines.",
    "outcome": "Increased organizational and individual capacity of COE to build and disseminate know-how and technology in their areas of excellence, enhanced collaboration and networking among COE, and new COE created on focus areas supporting the APO Vision 2025.",
    "qualifications": "Organizations/institutions that have demonstrated outstanding competence and acted as catalysts in promoting best practices in COE focus areas as well as those appointed by the Governing Body to be APO COE.",
}
BCN_TEXT = {
    "objectives": "Facilitate bilateral meetings between APO members to increase the capacity for formulating strategies and strengthen the development of National Productivity Organizations (NPOs) through the transfer of knowledge and know-how; showcase best practices; and encourage long-term collaborations among NPOs through follow-up activities including joint/support programs.",
    "rationale": "NPOs are the key productivity-promoting institutions in APO members. They must develop and strengthen the capacity to pursue their roles effectively and efficiently. The Bilateral Cooperation between NPOs (BCN) Program functions as a collaborative sharing and learning platform to leverage strengths and build partnerships for mutual benefit among members.",
    "background": "By learning from others, different views, perspectives, and experiences can provide innovative, creative insights and ideas on productivity practices and related issues to address current needs and requirements.\n\nThe BCN Program provides opportunities for APO members to learn from each other by facilitating exchanges of high-level officials of NPOs and policymakers for mutual learning and sharing of experiences and best practices in areas related to productivity. It functions as a collaborative platform to leverage strengths and build partnerships for mutual benefit. It is expected to stimulate innovative, creative ideas to address current productivity needs and requirements and trigger follow-up collaborations, strengthening the spirit of cooperation among members.\n\nBCN projects may also be proposed proactively by the APO Secretariat to enable broader collaboration and cooperation through centralized coordination and arrangements between sending and hosting NPOs.",
    "topics": "The BCN Program covers a broad range of topics to cater to the evolving, diverse needs of APO members related to the productivity movement and innovation. The topics may be customized to suit the specific needs and interests of sending NPOs.",
    "outcome": "Enhanced institutional capacity to formulate and/or implement productivity improvement efforts through collaboration among NPOs; and development of learning and collaboration platforms by NPOs.",
    "qualifications": "High-level government officials/policymakers and NPO officials.",
}
COE_TITLE = "Development and Strengthening the Programs of the Centers of Excellence (COE)"
BCN_TITLE = "Bilateral Cooperation between NPOs (BCN)"
COMMON = {
    "hosts": "*", "venues": "All member countries", "modality": "hybrid",
    "implementing": "National Productivity Organizations; APO Secretariat", "participants": "*",
}


def coe(year, reference, issued, status, budget, krs):
    return {
        **COMMON, "code": f"{year % 100}-RC-04-GE-COE-C", "title": COE_TITLE, "pillar": 4,
        "status": status, "reference": reference, "issued": issued,
        "start_date": f"{year}-01-01", "end_date": f"{year}-12-31",
        "overseas_note": "All member countries", "local_note": "All member countries",
        "closing_dates": f"{year}-03-31 proposals: Closing date for proposal submission by existing COE",
        "open_all_year": "Application for the establishment of new COE: throughout the year",
        **{k: v.replace("{year}", str(year)) for k, v in COE_TEXT.items()},
        "budget": budget, "key_results": krs,
    }


def bcn(year, reference, issued, status, budget, krs):
    return {
        **COMMON, "code": f"{year % 100}-SN-03-GE-BCN-C", "title": BCN_TITLE, "pillar": 1,
        "status": status, "reference": reference, "issued": issued,
        "start_date": f"{year}-01-01", "end_date": f"{year}-12-31",
        "overseas_limit": "virtual=10; face_to_face=4",
        "overseas_note": "Up to 10 for a virtual activity or four for a face-to-face activity",
        "local_note": "Not applicable",
        "closing_dates": f"{year}-03-31 applications: First closing date for application; "
                         f"{year}-06-30 applications: Second closing date for application",
        **BCN_TEXT, "budget": budget, "key_results": krs,
    }


NOTIFICATIONS = [
    coe(2025, 515, "2025-01-27", "completed", "", ""),
    bcn(2025, 520, "2025-01-27", "completed", "", ""),
    coe(2026, 612, "2026-01-26", "active", "2026 APO: 180000; 2026 MNG: 15000",
        "TWN/TWN-KR2; TWN/TWN-KR6; MNG/MNG-KR4"),
    bcn(2026, 618, "2026-01-26", "active", "2026 APO: 95000; 2026 NPL: 12000",
        "SGP/SGP-KR7; LAO/LAO-KR4"),
    coe(2027, 705, "2026-11-30", "planned", "2027 APO: 185000", "TWN/TWN-KR2"),
    bcn(2027, 711, "2026-11-30", "planned", "2027 APO: 100000", "SGP/SGP-KR7"),
]
PROJECT_COLUMNS = [
    "code", "title", "pillar", "status", "program", "reference", "issued", "start_date",
    "end_date", "host_iso3", "hosts", "venues", "modality", "implementing", "participants",
    "overseas_limit", "overseas_note", "local_limit", "local_note", "closing_dates",
    "open_all_year", "objectives", "rationale", "background", "topics", "outcome",
    "qualifications", "budget", "key_results",
]

# BCN exchanges, filed under the BCN notifications on the day given (the closing date they fall
# under follows from it), then decided: the BCN projects of earlier versions of this demo.
BCN_APPLICATIONS = [
    # project, sender, host, topic, modality, participants, start, end, level, filed, status, reason
    ("25-SN-03-GE-BCN-C", "VNM", "JPN", "Lean manufacturing", "face_to_face", 4, "2025-10-06", "2025-10-10", "NPO officials", "2025-05-20", "approved", ""),
    ("25-SN-03-GE-BCN-C", "LAO", "JPN", "Lean manufacturing", "face_to_face", 3, "2025-10-06", "2025-10-10", "NPO officials", "2025-06-12", "approved", ""),
    ("26-SN-03-GE-BCN-C", "KHM", "THA", "Smart agriculture", "face_to_face", 4, "2026-05-11", "2026-05-15", "Policymakers and NPO officials", "2026-02-10", "approved", ""),
    ("26-SN-03-GE-BCN-C", "LAO", "THA", "Smart agriculture", "face_to_face", 2, "2026-05-11", "2026-05-15", "NPO officials", "2026-03-02", "approved", ""),
    ("26-SN-03-GE-BCN-C", "BGD", "SGP", "Digital tools for SMEs", "virtual", 8, "2026-08-03", "2026-08-14", "NPO officials", "2026-04-15", "approved", ""),
    ("26-SN-03-GE-BCN-C", "NPL", "SGP", "Digital tools for SMEs", "virtual", 6, "2026-08-03", "2026-08-14", "NPO officials", "2026-04-20", "approved", ""),
    ("26-SN-03-GE-BCN-C", "LKA", "SGP", "Digital tools for SMEs", "virtual", 10, "2026-08-03", "2026-08-14", "NPO officials", "2026-05-04", "approved", ""),
    ("26-SN-03-GE-BCN-C", "BGD", "TUR", "Energy management in textiles", "face_to_face", 4, "2026-09-14", "2026-09-18", "High-level government officials", "2026-05-05", "declined", "The hosting NPO cannot receive a delegation in September 2026; apply again under the 2027 notification"),
    ("26-SN-03-GE-BCN-C", "PAK", "TUR", "Energy management in textiles", "face_to_face", 3, "2026-09-14", "2026-09-18", "NPO officials", "2026-05-06", "declined", "The hosting NPO cannot receive a delegation in September 2026; apply again under the 2027 notification"),
    ("26-SN-03-GE-BCN-C", "FJI", "IDN", "Food-safety systems for processors", "virtual", 5, "2026-11-16", "2026-12-04", "NPO officials", "2026-06-01", "approved", ""),
    ("26-SN-03-GE-BCN-C", "VNM", "IDN", "Food-safety systems for processors", "virtual", 9, "2026-11-16", "2026-12-04", "NPO officials", "2026-06-03", "approved", ""),
    ("26-SN-03-GE-BCN-C", "MNG", "KOR", "Productivity measurement", "face_to_face", 4, "2026-12-07", "2026-12-11", "NPO officials", "2026-06-22", "approved", ""),
    ("26-SN-03-GE-BCN-C", "PHL", "KOR", "Productivity measurement", "face_to_face", 4, "2026-12-07", "2026-12-11", "NPO officials", "2026-06-29", "pending", ""),
    ("27-SN-03-GE-BCN-C", "VNM", "SGP", "Productivity of the electronics supply chain", "virtual", 10, "2027-04-12", "2027-04-23", "NPO officials and enterprise managers", "2026-12-01", "pending", ""),
    ("27-SN-03-GE-BCN-C", "TUR", "JPN", "Service productivity measurement", "face_to_face", 4, "2027-06-07", "2027-06-11", "High-level government officials", "2026-12-03", "pending", ""),
]
BCN_COLUMNS = ["project", "sender", "host", "topic", "modality", "participants", "start_date",
               "end_date", "level", "filed_on", "status", "reason"]

# The registry of Centers of Excellence under reference 515 (institutions as in earlier versions
# of this demo's COE projects).
COES = [
    ("twn-green-productivity", "TWN", "China Productivity Center", "Green productivity", "2025-04-01"),
    ("mys-public-sector-productivity", "MYS", "Malaysia Productivity Corporation", "Public-sector productivity", "2025-01-15"),
    ("vnm-digital-smes", "VNM", "Vietnam National Productivity Institute", "Digital transformation of SMEs", "2026-07-01"),
]
COE_PROPOSALS = [
    # coe (empty: a new COE), iso3, project, title, filed
    ("twn-green-productivity", "TWN", "26-RC-04-GE-COE-C", "Green productivity training kit for SMEs", "2026-03-10"),
    ("mys-public-sector-productivity", "MYS", "26-RC-04-GE-COE-C", "Good regulatory practice forum for COE", "2026-03-27"),
    ("", "VNM", "26-RC-04-GE-COE-C", "COE on Digital Transformation of SMEs", "2026-02-15"),
]


# --------------------------------------------------------------------------------------------
def fmt(value: float, unit: str) -> str:
    """A value as written in the CSV: one decimal for DECIMAL_UNITS, else a whole number."""
    if unit in DECIMAL_UNITS:
        return f"{value:.1f}"
    return str(int(round(value)))


def fmt_weight(w: float) -> str:
    return str(int(w)) if float(w).is_integer() else str(w)


def quantize(value: float, unit: str) -> float:
    if unit in DECIMAL_UNITS:
        value = round(value, 1)
        return min(max(value, 0.0), 100.0) if unit == "%" else max(value, 0.0)
    return float(max(int(round(value)), 0))


def value_for(p: float, base, target: float, direction: str, unit: str) -> float:
    """The actual value that gives progress p (METRICS.md §1), rounded to the unit."""
    if base is not None and target != base:
        return quantize(base + p * (target - base), unit)
    if direction == I:
        return quantize(p * target, unit)
    # decrease without a usable baseline: p = T / A below target, A <= T at or above it
    return quantize(target / p if p < 1 else target * (2 - p), unit)


def stamp(day: dt.date, minutes: int) -> str:
    t = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minutes)
    return t.strftime("%Y-%m-%dT%H:%M:00Z")


def write(name: str, header: list[str], rows: list[list]) -> None:
    with open(HERE / name, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        w.writerow(header)
        w.writerows(rows)


def main() -> None:
    rng = random.Random(SEED)

    # primers ---------------------------------------------------------------------------------
    write(
        "primers.csv",
        ["iso3", "status", "national_context", "endorsed_on"],
        [[m, PRIMER_STATUS[m][0], NATIONAL_CONTEXT[m], PRIMER_STATUS[m][1]] for m in MEMBERS],
    )

    # key results and targets -----------------------------------------------------------------
    kr_rows, target_rows = [], []
    for m in MEMBERS:
        for n, (pillar, focus, title, unit, direction, base, targets, weight) in enumerate(
            KEY_RESULTS[m], start=1
        ):
            code = f"{m}-KR{n}"
            kr_rows.append([
                m, code, pillar, focus, title, unit, direction,
                "" if base is None else BASELINE_YEAR,
                "" if base is None else fmt(base, unit),
                fmt_weight(weight),
                # The range reports may take: every demo measure is a count, a share, a time or
                # an intensity, so none is negative; a share is at most 100.
                0,
                100 if unit == "%" else "",
            ])
            for year, t in zip(YEARS, targets):
                target_rows.append([m, code, year, fmt(t, unit)])
    write(
        "key_results.csv",
        ["iso3", "kr_code", "pillar", "focus_area", "title", "unit", "direction",
         "baseline_year", "baseline_value", "weight", "min_value", "max_value"],
        kr_rows,
    )
    write("targets.csv", ["iso3", "kr_code", "year", "target"], target_rows)

    # actuals (2026) --------------------------------------------------------------------------
    actuals = []  # (reported_at, iso3, code, value)
    histories = 0
    for m in MEMBERS:
        profile = PROFILE.get(m)
        if profile is None:
            continue
        krs = KEY_RESULTS[m]
        n = len(krs)
        lo, hi = math.ceil(0.5 * n), math.floor(0.9 * n)
        count = rng.randint(lo, hi)
        codes = [f"{m}-KR{i}" for i in range(1, n + 1)]
        forced = [c for c in codes if c in FORCED]
        rest = [c for c in codes if c not in FORCED]
        chosen = forced + rng.sample(rest, max(count - len(forced), 0))
        chosen.sort(key=codes.index)

        # reporting sessions: a delegate enters several values at once, a few times a year
        first = REPORT_FROM
        endorsed = PRIMER_STATUS[m][1]
        if endorsed:
            first = max(first, dt.date.fromisoformat(endorsed) + dt.timedelta(days=7))
        span = (REPORT_UNTIL - first).days
        days = sorted(rng.sample(range(span + 1), rng.randint(2, 4)))
        sessions = [(first + dt.timedelta(days=d), rng.randint(60, 600)) for d in days]

        for code in chosen:
            idx = codes.index(code)
            _, _, _, unit, direction, base, targets, _ = krs[idx]
            t26 = targets[0]
            p = FORCED.get(code)
            if p is None:
                p = rng.uniform(*PROGRESS_RANGE[profile])
            value = value_for(p, base, t26, direction, unit)

            # most values were entered once; some have an earlier update and/or a correction
            kind = rng.choices(["once", "update", "correction", "both"], [75, 12, 8, 5])[0]
            s = rng.randrange(1, len(sessions)) if kind in ("update", "both") else rng.randrange(len(sessions))
            day, minute = sessions[s]
            if kind in ("update", "both"):
                early_day, early_min = sessions[rng.randrange(s)]
                early = value_for(p * rng.uniform(0.35, 0.75), base, t26, direction, unit)
                if early != value:  # an update that changes nothing is not worth a row
                    actuals.append((stamp(early_day, early_min), m, code, fmt(early, unit)))
                elif kind == "update":
                    kind = "once"
            if kind in ("correction", "both"):
                # a mistyped value, corrected later the same day
                wrong = quantize(value * rng.choice([0.9, 1.1, 1.2, 0.8]), unit)
                if wrong == value:
                    wrong = quantize(value + (1 if unit not in DECIMAL_UNITS else 0.3), unit)
                actuals.append((stamp(day, minute), m, code, fmt(wrong, unit)))
                minute += rng.randint(15, 240)
            if kind != "once":
                histories += 1
            actuals.append((stamp(day, minute), m, code, fmt(value, unit)))

    actuals.sort()
    write(
        "actuals.csv",
        ["iso3", "kr_code", "year", "value", "reported_at"],
        [[m, code, 2026, value, at] for at, m, code, value in actuals],
    )

    # budgets ---------------------------------------------------------------------------------
    budget_rows = []
    for year in YEARS:
        for pillar in (1, 2, 3, 4):
            growth = 1 + 0.04 * (year - 2026) + rng.uniform(-0.03, 0.03) * (year > 2026)
            planned = int(round(PILLAR_BUDGET_2026[pillar] * growth / 1000)) * 1000
            spent = int(round(planned * rng.uniform(0.45, 0.8) / 100)) * 100 if year == 2026 else 0
            budget_rows.append([pillar, year, planned, spent, ""])
    for iso3, pillar, planned in MEMBER_BUDGETS_2026:
        spent = int(round(planned * rng.uniform(0.25, 0.9) / 100)) * 100
        budget_rows.append([pillar, 2026, planned, spent, iso3])
    write("budgets.csv", ["pillar", "year", "planned", "spent", "iso3"], budget_rows)

    # programmes: notifications, BCN applications, COEs and their proposals ------------------
    write(
        "projects.csv",
        PROJECT_COLUMNS,
        [[n.get(c, "") for c in PROJECT_COLUMNS] for n in NOTIFICATIONS],
    )
    # Not tables of a workbook: in a folder of their own, which `import data/demo` leaves alone.
    (HERE / "programmes").mkdir(exist_ok=True)
    write("programmes/bcn_applications.csv", BCN_COLUMNS, [list(a) for a in BCN_APPLICATIONS])
    write("programmes/coes.csv", ["id", "iso3", "institution", "area", "designated"],
          [list(c) for c in COES])
    write("programmes/coe_proposals.csv", ["coe", "iso3", "project", "title", "filed_on"],
          [list(p) for p in COE_PROPOSALS])

    print(
        f"wrote {len(MEMBERS)} primers, {len(kr_rows)} key results, {len(target_rows)} targets, "
        f"{len(actuals)} actuals ({histories} key results with history), "
        f"{len(budget_rows)} budget rows, {len(NOTIFICATIONS)} notifications, "
        f"{len(BCN_APPLICATIONS)} BCN applications, {len(COES)} COEs to {HERE}"
    )


if __name__ == "__main__":
    main()
