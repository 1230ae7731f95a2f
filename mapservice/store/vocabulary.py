"""Controlled vocabularies of a project record, with Khmer and English labels and their OC4IDS codes."""

# sector code -> (English, Khmer, OC4IDS projectSector code)
SECTORS = {
    "rural_road": ("Rural road", "ផ្លូវជនបទ", "transport.road"),
    "culvert": ("Culvert", "លូ", "transport.road"),
    "bridge": ("Bridge", "ស្ពាន", "transport.road"),
    "well": ("Well / water supply", "អណ្តូងទឹក", "waterAndWaste"),
    "irrigation": ("Irrigation canal", "ប្រឡាយធារាសាស្ត្រ", "economy"),
    "drainage": ("Drainage", "ប្រព័ន្ធលូបង្ហូរទឹក", "waterAndWaste"),
    "school": ("School building", "អគារសិក្សា", "education"),
    "health_post": ("Health post", "ប៉ុស្តិ៍សុខភាព", "health"),
    "market": ("Market", "ផ្សារ", "economy"),
    "public_building": ("Commune office / public building", "អគារសាធារណៈ", "governance"),
}

# OC4IDS projectType codes
PROJECT_TYPES = {
    "construction": ("Construction", "សាងសង់ថ្មី"),
    "rehabilitation": ("Rehabilitation", "ជួសជុល"),
    "replacement": ("Replacement", "ជំនួស"),
    "expansion": ("Expansion", "ពង្រីក"),
}

# OC4IDS projectStatus codes used for sub-national projects
STATUSES = {
    "identification": ("Identification", "កំណត់អត្តសញ្ញាណ"),
    "preparation": ("Preparation", "រៀបចំ"),
    "implementation": ("Implementation", "កំពុងអនុវត្ត"),
    "completion": ("Completed", "បានបញ្ចប់"),
    "cancelled": ("Cancelled", "បានលុបចោល"),
}

EIA_STATUSES = {
    "not_required": ("Not required", "មិនតម្រូវ"),
    "pending": ("Pending", "កំពុងរង់ចាំ"),
    "approved": ("Approved", "បានអនុម័ត"),
    "not_done": ("Required but not done", "តម្រូវតែមិនបានធ្វើ"),
}

FUNDING_SOURCES = {
    "cs_fund": ("Commune/Sangkat Fund", "មូលនិធិឃុំសង្កាត់"),
    "district_fund": ("District/Municipal Fund", "មូលនិធិស្រុកក្រុង"),
    "development_partner": ("Development partner", "ដៃគូអភិវឌ្ឍន៍"),
    "community": ("Community contribution", "វិភាគទានសហគមន៍"),
}
