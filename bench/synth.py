"""A deterministic synthetic news corpus for benchmarks (never committed: generated on demand).

Articles look like the real ones: ``date YYYY-MM-DD`` then 15-40 sentences in short
paragraphs, with varied people, places, organisations, numbers and dates, so chunking,
BM25 and the answerer do realistic work. Same seed, same corpus, byte for byte.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

FIRST = """Anna Boris Carla Dmytro Elena Farid Greta Hiro Ines Jonas Kateryna Luca Maria Nikos Olga Pavel Queenie
Rafael Sofia Tomas Ulla Viktor Wen Ximena Yusuf Zofia Amir Bianca Cyril Dana Emil Fatima Goran Hana Ivo Jana""".split()
LAST = """Novak Petrenko Rossi Schmidt Kowalski Dubois Haddad Ivanova Jensen Kim Larsen Moreau Nakamura Okafor Popescu
Quintero Romero Silva Tanaka Urban Varga Weber Xu Yilmaz Zimmermann Berg Costa Duarte Eriksen Fischer""".split()
COUNTRIES = """Ukraine Poland Romania Italy France Germany Finland Denmark Britain Spain Portugal Greece Turkey Japan
Canada Brazil India Norway Sweden Austria Hungary Moldova Georgia Latvia Lithuania Estonia""".split()
CITIES = """Kyiv Warsaw Bucharest Rome Paris Berlin Helsinki Copenhagen London Madrid Lisbon Athens Ankara Tokyo
Ottawa Brasilia Delhi Oslo Stockholm Vienna Budapest Chisinau Tbilisi Riga Vilnius Tallinn Geneva Brussels""".split()
ORGS = """ministry of defense|central bank|European Commission|port authority|energy regulator|national railway|
parliament's budget committee|state grain agency|customs service|health ministry|UN refugee agency|
World Bank|IMF mission|city council|emergency service|foreign ministry""".replace("\n", "").split("|")
ROLES = "prime minister|foreign minister|defense minister|finance minister|mayor|central bank governor|spokesperson|envoy|lawmaker|governor".split(
    "|"
)
OBJECTS = """air defense systems|grain shipments|power lines|rail wagons|reconstruction loans|sanctions packages|
drone interceptors|winter fuel supplies|field hospitals|demining teams|border checkpoints|water pumps""".replace(
    "\n", ""
).split("|")
VERBS = "deliver|approve|send|finance|inspect|repair|expand|suspend|review|double".split("|")
SAY = "said|announced|told reporters|stated|confirmed|warned|insisted|noted".split("|")
UNITS = "million euros|billion dollars|tonnes|kilometers|units|percent|megawatts|trucks".split("|")
MONTHS = "Jan. Feb. March April May June July Aug. Sept. Oct. Nov. Dec.".split()
FULL_MONTHS = "January February March April May June July August September October November December".split()

TEMPLATES = [
    "{person}, the {role} of {country}, {say} on {date} that the {org} would {verb} {number} {unit} of {obj}.",
    "The {org} in {city} {say} it had {verb_past} {number} {obj} since {date}.",
    "According to {person}, {country} plans to {verb} its {obj} by {number} {unit} before {month}.",
    "Officials in {city} {say} that {number} {obj} were still waiting at the border on {date}.",
    "{person} {say} the decision to {verb} {obj} was made after talks with {country} in {city}.",
    "The {role} of {country}, {person}, rejected claims that the {org} had failed to {verb} {obj}.",
    "Earlier, the {org} {say} that talks with {country} on {obj} would resume on {date}.",
    "Critics in {country} argued that {number} {unit} was not enough to {verb} the {obj}.",
    "{person} added that {country} and {country2} would jointly {verb} {obj} worth {number} {unit}.",
    "A report by the {org} found that {number} percent of {obj} in {city} needed repairs.",
    "Negotiations in {city} ended without agreement on {obj}, {person} {say}.",
    "The {org} expects to {verb} {number} more {obj} in {month}, the {role} said.",
]


def _sentence(rng: random.Random, year: int) -> str:
    month = rng.randrange(12)
    day = rng.randint(1, 28)
    verb = rng.choice(VERBS)
    return (
        rng.choice(TEMPLATES)
        .format(
            person=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            role=rng.choice(ROLES),
            country=rng.choice(COUNTRIES),
            country2=rng.choice(COUNTRIES),
            city=rng.choice(CITIES),
            org=rng.choice(ORGS),
            say=rng.choice(SAY),
            date=f"{MONTHS[month]} {day}",
            month=FULL_MONTHS[month],
            verb=verb,
            verb_past=verb + ("d" if verb.endswith("e") else "ed"),
            number=rng.choice([rng.randint(2, 99), rng.randint(100, 9999), round(rng.uniform(1, 50), 1)]),
            unit=rng.choice(UNITS),
            obj=rng.choice(OBJECTS),
        )
        .replace(" 1 ", " one ")
    )


def article(rng: random.Random) -> tuple[dt.date, str]:
    """One synthetic article: (publication date, body)."""
    day = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(700))
    n = rng.randint(15, 40)
    sentences = [_sentence(rng, day.year) for _ in range(n)]
    paras, i = [], 0
    while i < n:
        k = rng.randint(2, 4)
        paras.append(" ".join(sentences[i : i + k]))
        i += k
    return day, "\n\n".join(paras)


def write_corpus(folder: Path, n: int, seed: int = 1234) -> Path:
    """Write ``n`` articles as ``folder/syn_00000.txt`` ... (skips if already complete)."""
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / f".complete-{n}-{seed}"
    if marker.exists():
        return folder
    rng = random.Random(seed)
    for i in range(n):
        day, body = article(rng)
        (folder / f"syn_{i:05d}.txt").write_text(f" date {day.isoformat()} {body}", encoding="utf-8")
    marker.write_text("ok")
    return folder


def questions(n: int, seed: int = 99) -> list[str]:
    """Questions in the corpus's own vocabulary (for latency, not accuracy)."""
    rng = random.Random(seed)
    forms = [
        "What did {p} say about {o}?",
        "How many {o} did the {org} {v}?",
        "When will talks with {c} on {o} resume?",
        "What did the {org} in {city} announce?",
        "Who is the {r} of {c}?",
    ]
    return [
        rng.choice(forms).format(
            p=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            o=rng.choice(OBJECTS),
            org=rng.choice(ORGS),
            v=rng.choice(VERBS),
            c=rng.choice(COUNTRIES),
            city=rng.choice(CITIES),
            r=rng.choice(ROLES),
        )
        for _ in range(n)
    ]
