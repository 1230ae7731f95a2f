"""The controlled vocabulary of a sub-national budget: revenue sources and expenditure lines, with English and
Khmer labels, and which level (district or commune) each applies to.

The national transfers are the District/Municipal Fund (districts, khans, krongs) and the Commune/Sangkat Fund
(communes, sangkats), each with a general-administration and a development component; the development lines are
the money that pays for the infrastructure projects on the map.
"""
from collections import namedtuple

KINDS = ("revenue", "expenditure")
BUDGET_LEVELS = ("district", "commune")
Line = namedtuple("Line", "en km levels")

# revenue source code -> (English, Khmer, levels it applies to); in the order the infographic lists them
REVENUE_SOURCES = {
    "dm_fund_general": Line("District/Municipal Fund: general administration",
                            "មូលនិធិស្រុកក្រុង៖ រដ្ឋបាលទូទៅ", ("district",)),
    "dm_fund_development": Line("District/Municipal Fund: development", "មូលនិធិស្រុកក្រុង៖ អភិវឌ្ឍន៍", ("district",)),
    "cs_fund_general": Line("Commune/Sangkat Fund: general administration",
                            "មូលនិធិឃុំសង្កាត់៖ រដ្ឋបាលទូទៅ", ("commune",)),
    "cs_fund_development": Line("Commune/Sangkat Fund: development", "មូលនិធិឃុំសង្កាត់៖ អភិវឌ្ឍន៍", ("commune",)),
    "national_programmes": Line("Other national transfers (programmes, delegated functions)",
                                "ការផ្ទេរផ្សេងទៀតពីថ្នាក់ជាតិ", BUDGET_LEVELS),
    "own_taxes": Line("Own-source revenue: taxes", "ចំណូលផ្ទាល់៖ ពន្ធ", BUDGET_LEVELS),
    "own_fees": Line("Own-source revenue: fees and charges", "ចំណូលផ្ទាល់៖ កម្រៃ និងថ្លៃសេវា", BUDGET_LEVELS),
    "development_partners": Line("Development partners and NGOs", "ដៃគូអភិវឌ្ឍន៍ និងអង្គការក្រៅរដ្ឋាភិបាល",
                                 BUDGET_LEVELS),
    "carry_over": Line("Carry-over from the previous year", "សមតុល្យយោងពីឆ្នាំមុន", BUDGET_LEVELS),
}

# expenditure line code -> (English, Khmer, levels)
EXPENDITURE_LINES = {
    "general_administration": Line("General administration", "រដ្ឋបាលទូទៅ", BUDGET_LEVELS),
    "development": Line("Development and investment", "អភិវឌ្ឍន៍ និងវិនិយោគ", BUDGET_LEVELS),
    "social_services": Line("Social services (education, health, welfare)",
                            "សេវាសង្គម (អប់រំ សុខាភិបាល សុខុមាលភាព)", BUDGET_LEVELS),
    "public_order": Line("Public order and safety", "សណ្តាប់ធ្នាប់ និងសុវត្ថិភាពសាធារណៈ", BUDGET_LEVELS),
    "environment": Line("Environment and sanitation", "បរិស្ថាន និងអនាម័យ", BUDGET_LEVELS),
    "reserve": Line("Reserve (contingency)", "ថវិកាបម្រុង", BUDGET_LEVELS),
}

LINES = {"revenue": REVENUE_SOURCES, "expenditure": EXPENDITURE_LINES}
KIND_LABELS = {"revenue": ("Revenue", "ចំណូល"), "expenditure": ("Expenditure", "ចំណាយ")}
# the expenditure line whose money pays for the projects (the infographic's "share that went into the projects")
DEVELOPMENT_LINE = "development"
# the template's total row of a kind: its amounts must equal the sum of the kind's lines
TOTAL_LINE = "total"
TOTAL_LABELS = ("Total", "សរុប")
