#!/usr/bin/python3
"""Writes the dates data set: dates in human formats -> ISO 8601.

    /usr/bin/python3 scripts/data/make_dates.py <output folder>

writes <output folder>/{train,valid,test}.tsv (scripts/fetch-data.sh calls it
with data/dates). Each line is `written date<TAB>YYYY-MM-DD`, for the
`pairs(...)` data of seqc (unit = "char"). Standard library only. The output
is a pure function of this file: the dates and formats are drawn from a
PRNG written out here (splitmix64, seed SEED), not Python's `random`, whose
algorithms may change between versions; so the bytes, and the sha256 in
fetch-data.sh, are the same on every machine.

Dates are uniform over 1900-01-01 .. 2099-12-31; formats with a two-digit
year are only used for 1950..2049 (read as 19xx from 50, 20xx below).
Slashes are US order (month/day/year); dots and dashes with numbers are
day.month.year, except year-first forms (2021.3.3, 2021/03/03). No written
date appears in two splits.
"""
import os
import sys

SEED = 20240303
COUNTS = {"train": 20000, "valid": 2000, "test": 2000}

MONTHS = ["january", "february", "march", "april", "may", "june", "july",
          "august", "september", "october", "november", "december"]
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday",
            "saturday", "sunday"]


class SplitMix64:
    """splitmix64 (Steele, Lea, Flood 2014): a 64-bit PRNG."""

    def __init__(self, seed):
        self.state = seed & 0xFFFFFFFFFFFFFFFF

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
        return z ^ (z >> 31)

    def below(self, bound):
        """An integer in [0, bound), by rejection (no modulo bias)."""
        limit = (1 << 64) - ((1 << 64) % bound)
        while True:
            value = self.next()
            if value < limit:
                return value % bound

    def choice(self, items):
        return items[self.below(len(items))]


def is_leap(year):
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def days_in_month(year, month):
    if month == 2:
        return 29 if is_leap(year) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def weekday(year, month, day):
    """0 = Monday .. 6 = Sunday (Zeller's congruence, Gregorian)."""
    if month < 3:
        month += 12
        year -= 1
    k, j = year % 100, year // 100
    h = (day + 13 * (month + 1) // 5 + k + k // 4 + j // 4 + 5 * j) % 7
    return (h + 5) % 7  # Zeller: 0 = Saturday


def ordinal(day):
    if 11 <= day % 100 <= 13:
        return f"{day}th"
    return f"{day}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(day % 10, 'th') }"


def casing(rng, text):
    """Lower, Title or UPPER case, as people write."""
    style = rng.below(6)
    if style < 3:
        return text[0].upper() + text[1:] if style == 0 else text
    if style < 5:
        return " ".join(w[:1].upper() + w[1:] for w in text.split(" "))
    return text.upper()


def formats(year, month, day):
    """Every way this file writes a date, as (needs a two-digit year, text)."""
    name = MONTHS[month - 1]
    short = name[:3]
    wd = WEEKDAYS[weekday(year, month, day)]
    yy = f"{year % 100:02d}"
    return [
        (False, f"{day} {name} {year}"),                 # 3 march 2021
        (False, f"{day:02d} {name} {year}"),             # 03 march 2021
        (False, f"{name} {day}, {year}"),                # march 3, 2021
        (False, f"{short} {day}, {year}"),               # mar 3, 2021
        (False, f"{short} {day} {year}"),                # mar 3 2021
        (False, f"{day} {short} {year}"),                # 3 mar 2021
        (False, f"{day}-{short}-{year}"),                # 3-mar-2021
        (False, f"{ordinal(day)} of {name}, {year}"),    # 3rd of march, 2021
        (False, f"{name} the {ordinal(day)}, {year}"),   # march the 3rd, 2021
        (False, f"{wd}, {name} {ordinal(day)} {year}"),  # tuesday, march 3rd 2021
        (False, f"{wd[:3]} {day} {short} {year}"),       # tue 3 mar 2021
        (False, f"{wd}, {day} {name} {year}"),           # tuesday, 3 march 2021
        (False, f"{month}/{day}/{year}"),                # 3/3/2021
        (False, f"{month:02d}/{day:02d}/{year}"),        # 03/03/2021
        (True, f"{month:02d}/{day:02d}/{yy}"),           # 03/03/21
        (True, f"{month}/{day}/{yy}"),                   # 3/3/21
        (False, f"{day}.{month}.{year}"),                # 3.3.2021
        (False, f"{day:02d}.{month:02d}.{year}"),        # 03.03.2021
        (True, f"{day:02d}.{month:02d}.{yy}"),           # 03.03.21
        (False, f"{day:02d}-{month:02d}-{year}"),        # 03-03-2021
        (False, f"{year}.{month}.{day}"),                # 2021.3.3
        (False, f"{year}/{month:02d}/{day:02d}"),        # 2021/03/03
        (False, f"{year}{month:02d}{day:02d}"),          # 20210303
        (False, f"{name} {year}, the {ordinal(day)}"),   # march 2021, the 3rd
        (True, f"{day} {short} '{yy}"),                  # 3 mar '21
    ]


def draw(rng):
    """One (written date, ISO date)."""
    year = 1900 + rng.below(200)
    month = 1 + rng.below(12)
    day = 1 + rng.below(days_in_month(year, month))
    usable = [text for two_digits, text in formats(year, month, day)
              if not two_digits or 1950 <= year <= 2049]
    text = casing(rng, rng.choice(usable))
    return text, f"{year:04d}-{month:02d}-{day:02d}"


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_dates.py <output folder>")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = SplitMix64(SEED)
    seen = set()
    for split, count in COUNTS.items():
        lines = []
        while len(lines) < count:
            text, iso = draw(rng)
            if text in seen:
                continue
            seen.add(text)
            lines.append(f"{text}\t{iso}\n")
        with open(os.path.join(out, f"{split}.tsv"), "w", encoding="ascii",
                  newline="\n") as f:
            f.writelines(lines)


if __name__ == "__main__":
    main()
