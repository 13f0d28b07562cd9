"""The word lists the lexical method reads: stopwords, synonym and antonym groups, negation cues,
roles, number words, units and currencies, and the stemmer that folds words onto them.
"""
from __future__ import annotations

import re
from functools import lru_cache


STOPWORDS = frozenset("""
a about above across also although am an and any are as at be because been being both but by
can could did do does doing done during each either etc for from had has have having he her
here hers him his how however i if in into is it its itself just let may me might must my
of on once only or other our ours out over own per quite rather really same shall she should
so some such than that the their theirs them then there these they this those though through
thus to too under until upon us very via was we were what when where whether which while who
whom whose why will with within would yet you your yours overall about roughly approximately
around nearly almost just e g i e eg ie etc instead additionally furthermore moreover
therefore hence simply actually basically generally currently typically usually probably
perhaps maybe likely already
""".split())

# Light synonyms: each word maps to the first word of its group (before stemming).
_SYNONYM_GROUPS = """
terminate end cancel termination cancellation
begin start commence commencement
finish complete completion
buy purchase acquire
pay payable payment cover due
cost fee charge price
revenue sales turnover income
profit earnings
use utilize utilise employ
need require requirement necessary
change modify alter amend amendment modification
fix repair resolve
check verify validate
bug defect flaw
error exception
function method
fast quick rapid
slow sluggish
large big
small little
show display
get obtain receive
give provide supply
say state
effective valid
leave holiday vacation
keep retain withhold
notify tell inform
death fatality
answer respond reply response
extra additional further
employee staff
customer client
assign transfer assignment
breach violation violate
enough sufficient adequate
help assist assistance
main primary principal
show demonstrate
invoice bill
close shut closure
minimum least
contribute account
stderr standard_error
pr pull_request
""".strip().splitlines()

# Antonyms: "positive words | negative words"; a negative word folds to the first positive
# word and flips polarity ("costs fell" = "costs did not rise").
_ANTONYMS = """
increase rise grow climb go_up | decrease decline fall drop reduce shrink cut go_down
higher | lower
more | less fewer
above | below
before | after
gain profit | loss
include | exclude
allow permit | prohibit forbid ban
require mandatory compulsory obligatory | optional
accept | reject
approve consent | deny block
strengthen improve | weaken worsen deteriorate
surplus | deficit
win | lose
compatible | incompatible
possible | impossible
visible | invisible
present | absent
recommend | discourage
enable | disable
safe | unsafe
secure | insecure
valid | invalid
correct | incorrect
mutable | immutable
legal | illegal
liable | exempt
""".strip().splitlines()

# "without", "lack(s)" are not here: they deny a thing, not the claim ("stored without hashing" =
# "stored in plain text"); slots.privatives sets them against "with X" / "has X" instead.
NEGATION_CUES = frozenset(
    "not no never none nothing neither nor cannot "
    "unable isn't aren't wasn't weren't doesn't don't didn't won't can't couldn't shouldn't "
    "mustn't hasn't haven't hadn't wouldn't nobody nowhere".split())
# Bounds and set phrases that contain a negation word but negate nothing.
NEGATION_IDIOMS = re.compile(
    r"\b(?:no|not) (?:later|earlier|more|less|fewer|sooner|longer than|greater) than\b|"
    r"\bnot only\b|\bwhether or not\b|\bno matter\b|\bwithout limitation\b|\bnot to exceed\b|"
    r"\bif not\b|\bno later\b|\bnot exceed\b|\b(?:at|for|with) no (?:extra |additional )?(?:charge|cost)\b", re.I)  # "shall not exceed $500,000" is a cap, not a denial

# Roles in contracts, reports and code reviews; synonyms fold to one name.
ROLES = {
    "tenant": "tenant", "tenants": "tenant", "lessee": "tenant", "renter": "tenant",
    "landlord": "landlord", "landlords": "landlord", "lessor": "landlord",
    "buyer": "buyer", "buyers": "buyer", "purchaser": "buyer",
    "seller": "seller", "sellers": "seller",
    # A vendor is the supplier of a services or supply contract ("the vendor's liability" = "the Supplier's").
    "supplier": "supplier", "suppliers": "supplier", "vendor": "supplier", "vendors": "supplier",
    "customer": "customer", "customers": "customer", "client": "customer", "clients": "customer",
    "contractor": "contractor", "subcontractor": "subcontractor",
    "employer": "employer", "employee": "employee", "employees": "employee", "staff": "employee",
    "worker": "employee", "workers": "employee", "personnel": "employee",
    "licensor": "licensor", "licensee": "licensee",
    "lender": "lender", "borrower": "borrower", "guarantor": "guarantor",
    "provider": "provider", "insurer": "insurer", "insured": "insured",
    "caller": "caller", "callee": "callee", "client-side": "client", "server": "server",
    "user": "user", "users": "user", "admin": "admin", "administrator": "admin",
}

# Places: a claim about the EU is not one about the US. Names fold to one spelling; the
# acronyms match only in capitals ("US", never the pronoun "us").
_PLACE_GROUPS = """
us: United States|United States of America|USA|U.S.|U.S.A.|America|US
uk: United Kingdom|Great Britain|Britain|UK|U.K.
eu: European Union|EU|E.U.
uae: United Arab Emirates|UAE
europe: Europe
asia: Asia
africa: Africa
latin america: Latin America|South America
north america: North America
middle east: Middle East
china: China|PRC
hong kong: Hong Kong
south korea: South Korea|Korea
new york: New York|NYC
san francisco: San Francisco
los angeles: Los Angeles
new zealand: New Zealand
south africa: South Africa
new jersey: New Jersey
new mexico: New Mexico
new hampshire: New Hampshire
north carolina: North Carolina
south carolina: South Carolina
north dakota: North Dakota
south dakota: South Dakota
west virginia: West Virginia
rhode island: Rhode Island
saudi arabia: Saudi Arabia
sri lanka: Sri Lanka
costa rica: Costa Rica
czech republic: Czech Republic|Czechia
rio de janeiro: Rio de Janeiro
sao paulo: São Paulo|Sao Paulo
buenos aires: Buenos Aires
mexico city: Mexico City
cape town: Cape Town
abu dhabi: Abu Dhabi
kuala lumpur: Kuala Lumpur
tel aviv: Tel Aviv
washington dc: Washington D.C.|Washington DC
"""
_PLACE_NAMES = """England Scotland Wales Ireland France Germany Italy Spain Portugal Netherlands Belgium
Luxembourg Switzerland Austria Poland Sweden Norway Denmark Finland Greece Turkey Russia Ukraine
Canada Mexico Brazil Argentina Chile Colombia Peru India Pakistan Japan Taiwan Singapore Malaysia
Indonesia Thailand Vietnam Philippines Australia Egypt Nigeria Kenya Israel Iran Iraq Qatar
London Paris Berlin Munich Frankfurt Hamburg Rome Milan Madrid Barcelona Lisbon Amsterdam Brussels
Vienna Zurich Geneva Dublin Edinburgh Manchester Stockholm Oslo Copenhagen Helsinki Warsaw Prague
Budapest Athens Istanbul Moscow Kyiv Tokyo Osaka Seoul Beijing Shanghai Shenzhen Mumbai Delhi
Bangalore Sydney Melbourne Toronto Vancouver Montreal Chicago Boston Seattle Texas California
Florida Delaware Dubai Cairo Lagos Nairobi Delhi Jakarta Bangkok Manila Hanoi
Alabama Alaska Arizona Arkansas Colorado Connecticut Georgia Hawaii Idaho Illinois Indiana Iowa
Kansas Kentucky Louisiana Maine Maryland Massachusetts Michigan Minnesota Mississippi Missouri
Montana Nebraska Nevada Ohio Oklahoma Oregon Pennsylvania Tennessee Utah Vermont Virginia
Washington Wisconsin Wyoming Ontario Quebec Alberta Bavaria Catalonia Scandinavia
Iceland Estonia Latvia Lithuania Romania Bulgaria Hungary Croatia Serbia Slovakia Slovenia
Cyprus Malta Morocco Algeria Tunisia Ethiopia Ghana Tanzania Uganda Angola Bangladesh Nepal
Kazakhstan Uzbekistan Mongolia Venezuela Ecuador Bolivia Uruguay Paraguay Cuba Jamaica Panama
Kuwait Bahrain Oman Lebanon Syria Afghanistan Myanmar Cambodia Laos Korea
Rotterdam Antwerp Lyon Marseille Toulouse Bordeaux Naples Turin Venice Florence Porto Seville
Valencia Cologne Stuttgart Dusseldorf Krakow Gdansk Bucharest Sofia Belgrade Zagreb Riga Tallinn
Vilnius Reykjavik Glasgow Birmingham Liverpool Leeds Bristol Cardiff Belfast Luxembourg Basel
Lausanne Hamburg Doha Riyadh Jeddah Karachi Lahore Chennai Kolkata Hyderabad Pune Dhaka Colombo
Kathmandu Taipei Kyoto Nagoya Busan Guangzhou Chengdu Wuhan Hangzhou Auckland Wellington Brisbane
Perth Adelaide Ottawa Calgary Houston Dallas Austin Atlanta Miami Denver Phoenix Detroit
Philadelphia Minneapolis Pittsburgh Portland Baltimore Nashville Seattle Lima Bogota Santiago
Caracas Havana Johannesburg Casablanca Accra""".split()
# The gazetteer (generated from GeoNames: countries, demonyms, states, capitals, large cities), then the
# groups and names above, which win: "United Kingdom", "British" and "UK" are one place, "uk".
from .gazetteer import PLACES as _GAZETTEER  # noqa: E402

PLACES: dict[str, str] = dict(_GAZETTEER)
for _name in _PLACE_NAMES + "Dutch:netherlands English:england Scottish:scotland Welsh:wales".split():
    _name, _, _key = _name.partition(":")
    PLACES[_name] = _key or _name.lower()
_REKEY: dict[str, str] = {}
for _line in _PLACE_GROUPS.strip().splitlines():
    _key, _names = _line.split(":")
    for _name in _names.split("|"):
        PLACES[_name.strip()] = _key.strip()
        _REKEY[_name.strip().lower()] = _key.strip()
PLACES = {name: _REKEY.get(key, key) for name, key in PLACES.items()}
PLACE_CONNECTORS = frozenset("of de del da do la le las los am upon on and".split())

MONTHS = {m: i + 1 for i, m in enumerate(
    "january february march april may june july august september october november december".split())}
MONTHS.update({m[:3]: i for m, i in list(MONTHS.items())})
MONTHS["sept"] = 9
WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
NUMBER_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty".split())}
NUMBER_WORDS.update({"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
                      "eighty": 80, "ninety": 90, "hundred": 100})
# "twenty-five", "thirty-one": contracts write compounds out ("thirty-one (31) days").
NUMBER_WORDS.update({f"{tens}-{unit}": NUMBER_WORDS[tens] + NUMBER_WORDS[unit]
                     for tens in ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
                     for unit in ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")})
ORDINALS = {w: i + 1 for i, w in enumerate(
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth".split())}
SCALE = {"thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "mn": 1e6, "billion": 1e9,
          "bn": 1e9, "b": 1e9, "trillion": 1e12}
CURRENCY = {"$": "USD", "us$": "USD", "usd": "USD", "dollar": "USD", "dollars": "USD",
             "\u20ac": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR",
             "\u00a3": "GBP", "gbp": "GBP", "pound": "GBP", "pounds": "GBP",
             "\u00a5": "JPY", "jpy": "JPY", "yen": "JPY", "chf": "CHF", "inr": "INR",
             "\u20b9": "INR", "rupees": "INR", "cad": "CAD", "aud": "AUD",
             "pence": "GBX", "p": "GBX"}  # "4.5p per share" = "4.5 pence" (GBX: pence sterling)
# Duration units in days (seconds for the sub-day ones are fractions of a day).
UNITS = {"ms": 1 / 86_400_000, "millisecond": 1 / 86_400_000, "s": 1 / 86400, "sec": 1 / 86400,
          "second": 1 / 86400, "min": 1 / 1440, "minute": 1 / 1440, "h": 1 / 24, "hr": 1 / 24,
          "hour": 1 / 24, "day": 1, "week": 7, "fortnight": 14, "month": 30, "quarter": 91,
          "year": 365, "yr": 365, "annum": 365, "decade": 3650}
FREQUENCIES = {"hourly": "hour", "daily": "day", "weekly": "week", "biweekly": "fortnight",
         "fortnightly": "fortnight", "monthly": "month", "quarterly": "quarter",
         "annually": "year", "annual": "year", "yearly": "year"}


def _build_maps():
    syn, flip = {}, {}
    for line in _SYNONYM_GROUPS:
        words = line.split()
        for w in words:
            syn[w] = words[0]
    for line in _ANTONYMS:
        pos, neg = (side.split() for side in line.split("|"))
        for w in pos:
            syn[w] = pos[0]
        for w in neg:
            flip[w] = pos[0]
    return syn, flip


_SYN, _FLIP = _build_maps()


def stem(word: str) -> str:
    """A tiny suffix stripper: enough to fold plurals, tenses and -ation/-ment nouns."""
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix, repl in (("ational", "ate"), ("ization", "ize"), ("isation", "ize"),
                         ("fulness", "ful"), ("iveness", "ive"), ("ousness", "ous"),
                         ("ations", ""), ("ation", ""), ("ements", ""), ("ement", ""),
                         ("ments", ""), ("ment", ""), ("ness", ""), ("ities", ""), ("ity", ""),
                         ("ings", ""), ("ing", ""), ("ies", "y"), ("ied", "y"), ("edly", ""),
                         ("ed", ""), ("ly", ""), ("es", ""), ("s", ""), ("e", "")):
        if suffix == "s" and word.endswith(("ss", "us", "is")):
            continue
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: len(word) - len(suffix)] + repl
            break
    if len(word) > 4 and word[-1] == word[-2] and word[-1] != "s":
        word = word[:-1]  # "stopped" -> "stopp" -> "stop"
    return word


_IRREGULAR = dict(pair.split(":") for pair in """
grew:grow grown:grow rose:rise risen:rise fell:fall fallen:fall shrank:shrink shrunk:shrink
paid:pay given:give gave:give made:make written:write wrote:write taken:take took:take
shown:show known:know done:do gone:go went:go begun:begin began:begin held:hold kept:keep
sold:sell bought:buy brought:bring spent:spend sent:send built:build chose:choose
chosen:choose broke:break broken:break won:win lost:lose met:meet ran:run found:find
told:tell thought:think left:leave led:lead drove:drive driven:drive""".split())


@lru_cache(maxsize=65536)
def canon(word: str) -> tuple[str, bool]:
    """Fold a lowercased word to its canonical stem; the flag says it is an antonym."""
    word = _IRREGULAR.get(word, word)
    if word in _FLIP:
        return stem(_FLIP[word]), True
    if word in _SYN:
        return stem(_SYN[word]), False
    s = stem(word)
    for cand in (s, s + "e"):
        if cand in _FLIP:
            return stem(_FLIP[cand]), True
        if cand in _SYN:
            return stem(_SYN[cand]), False
    return s, False


POLAR_WORDS = frozenset(stem(w) for w in _FLIP.values())
