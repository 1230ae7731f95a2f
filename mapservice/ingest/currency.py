"""Amounts in another currency than riel: the exchange rates per currency and fiscal year (the setting
``MAPSERVICE_EXCHANGE_RATES``) and the vectorised conversion of a record frame's amounts to whole riel, keeping
the original currency, the rate used and the original amounts."""
import json
import re

import numpy as np
import pandas as pd

from mapservice.config import ConfigError

SETTING = "MAPSERVICE_EXCHANGE_RATES"
ENTRY = re.compile(r"([A-Z]{3}):((?:\d{4}=\d+(?:\.\d+)?,?)+)")


def parse_rates(text):
    """'USD:2014=4038,2015=4068;GBP:2014=6654' -> {"USD": {2014: 4038.0, 2015: 4068.0}, "GBP": {...}}."""
    rates = {}
    for part in filter(None, (p.strip() for p in (text or "").split(";"))):
        match = ENTRY.fullmatch(part.replace(" ", ""))
        if not match:
            raise ConfigError(f'{SETTING}: "{part}" is not CUR:YEAR=RATE,YEAR=RATE (e.g. USD:2016=4059,2017=4051; '
                              "riel per unit of the currency)")
        years = dict(item.split("=") for item in match.group(2).strip(",").split(","))
        rates[match.group(1)] = {int(year): float(rate) for year, rate in years.items()}
    return rates


def rate_text(rates, currency):
    """The years with a rate for ``currency``, for messages: "2014-2019" style list."""
    return ", ".join(str(year) for year in sorted(rates.get(currency, {}))) or "none"


def convert_to_riel(amounts, currency, fiscal_year, rates):
    """(riel amounts as Int64 columns, exchange_rate, original_amounts JSON text) for rows in another currency.

    ``amounts``: a frame of float columns; ``currency``: upper-case codes (KHR rows are left as they are);
    ``fiscal_year``: the year whose rate applies. Rows without a rate must have been refused before."""
    rate = pd.Series(np.nan, index=amounts.index, dtype=float)
    for code, by_year in rates.items():
        mine = currency == code
        rate[mine] = fiscal_year[mine].map(by_year).astype(float)
    foreign = currency != "KHR"
    factor = rate.where(foreign, 1.0)
    riel = amounts.mul(factor, axis=0).round().astype("Int64")
    originals = pd.Series([None] * len(amounts), index=amounts.index, dtype=object)
    if foreign.any():
        originals[foreign] = [json.dumps({k: v for k, v in row.items() if pd.notna(v)}, separators=(",", ":"))
                              for row in amounts[foreign].to_dict("records")]
    return riel, rate.where(foreign), originals
