"""The patterns that find figures in text: amounts, percentages, durations, rates, dates, versions and
bare numbers (with their scale words). `slots.extract_slots` reads them in this order, each blanking what
it found, so "£1.2m" is one amount and never also the numbers 1.2 and 1.
"""
from __future__ import annotations

import re

from .lexicon import FREQUENCIES, NUMBER_WORDS, WEEKDAYS


NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
WORDNUM = "|".join(sorted((w for w in NUMBER_WORDS if " " not in w), key=len, reverse=True))
AMOUNT = re.compile(
    r"(?P<pre>us\$|\$|\u20ac|\u00a3|\u00a5|\u20b9|\b(?:usd|eur|gbp|jpy|chf|inr|cad|aud)\b)\s?"
    rf"(?P<n1>{NUM})\s?(?P<s1>thousand|million|billion|trillion|bn|mn|k|m|b)?\b|"
    rf"(?<![\w.])(?P<n2>{NUM}|{WORDNUM})\s?(?P<s2>thousand|million|billion|trillion|bn|mn|k|m)?\s?"
    r"(?P<post>usd|eur|gbp|jpy|chf|inr|cad|aud|dollars?|euros?|pounds?|yen|rupees|pence|(?<=\d)p)\b", re.I)
# "150 basis points" = "1.5 percentage points" = 1.5 (percentage points are kept with percentages).
PERCENT = re.compile(rf"(?<![\w.])({NUM}|{WORDNUM})\s?(%|percent\b|per cent\b|pc\b|percentage points?\b|"
                      r"basis points?\b|bps\b|bp\b)", re.I)
UNIT_RE = (r"milliseconds?|ms|seconds?|secs?|s|minutes?|mins?|hours?|hrs?|h|days?|weeks?|"
            r"fortnights?|months?|years?|yrs?|decades?")
DURATION = re.compile(
    rf"(?<![\w.])(?P<n>{NUM}|{WORDNUM})(?:\s*\((?P<paren>\d+)\))?[\s-]?"
    r"(?P<kind>business|working|calendar|banking)?\s?"
    rf"(?P<unit>{UNIT_RE})(?:'s|s'|')?(?![\w])"
    r"|\b(?:within|for|after|in|than|of)\s(?:a|an|one)\s(?P<unit1>day|week|fortnight|month|year|decade)\b",
    re.I)
EVERY = re.compile(rf"\b(?:every|each|once\s+(?:in\s+)?(?:every|each|any|a))\s+(?P<n>{NUM}|{WORDNUM})"
                    rf"(?:\s*\((?P<paren>\d+)\))?[\s-]?(?P<unit>{UNIT_RE})(?:\s+period)?(?![\w])", re.I)
RATE = re.compile(r"\b(?:per|a|an|each|every)\s(?P<unit>second|minute|hour|day|week|month|year|quarter|annum)\b"
                   rf"|\b(?P<freq>{'|'.join(FREQUENCIES)})\b", re.I)
MONTH_RE = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
DATE_PATTERNS = [
    re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b"),
    re.compile(r"\b(?P<a>\d{1,2})[/.](?P<b>\d{1,2})[/.](?P<y>\d{4}|\d{2})\b"),
    re.compile(rf"\b(?P<mon>{MONTH_RE})\.?\s(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s(?P<y>\d{{4}}))?", re.I),
    re.compile(rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s(?:of\s)?(?P<mon>{MONTH_RE})\b\.?(?:,?\s(?P<y>\d{{4}}))?", re.I),
    re.compile(rf"\b(?P<mon>{MONTH_RE})\.?,?\s(?P<y>\d{{4}})\b", re.I),
    re.compile(r"\b(?:q(?P<q>[1-4])|(?P<qw>first|second|third|fourth)[\s-]quarter)"
               r"(?:\s(?:of\s)?(?:fy\s?)?(?P<y>\d{4}))?\b", re.I),
    re.compile(r"\b(?:the\s)?(?P<d>\d{1,2})(?:st|nd|rd|th)\b|\bthe\s(?P<dw>first|second|third|fourth|fifth|"
               r"sixth|seventh|eighth|ninth|tenth)\s(?:day|of)\b", re.I),
    re.compile(r"\b(?:fy\s?|fiscal\s)?(?P<y>(?:19|20)\d{2})\b", re.I),
    re.compile(rf"\b(?:in|by|from|until|since|during|of|before|after)\s(?P<mon>{MONTH_RE.replace('may|', '')})\b", re.I),
    re.compile(r"\b(?P<h>\d{1,2})(?::(?P<min>\d{2}))?\s?(?P<ampm>am|pm|a\.m\.|p\.m\.)", re.I),
    re.compile(r"\b(?P<wd>" + "|".join(WEEKDAYS) + r")s?\b", re.I),
]
BIGO = re.compile(r"\bO\(\s*([^)]{1,20})\)")
# A bare figure with its scale word: "1.2 million" = "1.2m" = "1,200,000", "3k" = "3,000", "2.5bn"; a
# multiple keeps its figure ("1.6x" = "1.6 times"), and "1.6x" is never read as 1.
SCALE_WORD = r"(?:(?P<{0}>k|bn|mn|m|b)\b|\s?(?P<{1}>thousand|million|billion|trillion)\b)?"
BARE_NUM = re.compile(rf"(?<![\w.$\u20ac\u00a3])(?P<n>{NUM}){SCALE_WORD.format('sa', 'sw')}(?:x\b)?(?![\w%]|\.\d)|"
                       rf"\b(?P<w>{WORDNUM})(?:\s(?P<ws>thousand|million|billion|trillion)\b)?\b", re.I)
VERSION = re.compile(r"(?<![\w.])v?(\d+\.\d+\.\d+(?:\.\d+)*)(?![\w.]*\d)", re.I)
