#!/usr/bin/env python3
"""Write the sample member-library exports used by the demo (``make run``).

Run it from anywhere::

    .venv/bin/python samples/make_samples.py

It writes, next to itself:

* ``riverside.mrc``      binary MARC21 (UTF-8), member ``riverside`` (RDA, full ISBD punctuation, LCC)
* ``westfield.mrc``      binary MARC21 (UTF-8, decomposed Unicode), member ``westfield`` (AACR2, Dewey)
* ``lakeside.xml``       MARCXML collection, member ``lakeside`` (punctuation stripped, Dewey and CLC)
* ``lakeside-kbart.txt`` KBART phase II, member ``lakeside``'s e-journal and e-book package
* ``eastlake.iso``       binary UNIMARC in the CNMARC style, UTF-8, member ``eastlake``

The bibliographic facts are written by hand below (see SOURCES.md). The output is deterministic: the same
input gives byte-identical files, so 005 and every date in the records are constants. Every ISBN and ISSN is
checked with python-stdnum before anything is written; a bad check digit stops the run.
"""

from __future__ import annotations

import io
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from lxml import etree
from pymarc import Field, Indicators, Leader, MARCReader, Record, Subfield, XMLWriter, parse_xml_to_array
from stdnum import isbn as stdisbn
from stdnum import issn as stdissn

HERE = Path(__file__).resolve().parent


class SampleError(Exception):
    """A fact in the tables below is wrong (bad ISBN/ISSN, bad fixed-field length, unknown key)."""


# ---------------------------------------------------------------------------------------------------------
# Identifier checks
# ---------------------------------------------------------------------------------------------------------


def checked_isbn(value: str, where: str) -> str:
    """Return ``value`` unchanged if it is a valid ISBN-10 or ISBN-13 (hyphens allowed), else fail."""
    try:
        stdisbn.validate(value)
    except Exception as exc:
        raise SampleError(f"{where}: invalid ISBN {value!r}: {exc}") from exc
    return value


def checked_issn(value: str, where: str) -> str:
    try:
        stdissn.validate(value)
    except Exception as exc:
        raise SampleError(f"{where}: invalid ISSN {value!r}: {exc}") from exc
    return value


def isbn_as(value: str, form: str) -> str:
    """Render an ISBN as ``13`` (digits), ``10`` (digits, when it has one) or ``hyphen`` (as printed)."""
    compact = stdisbn.compact(value)
    if form == "13":
        return stdisbn.to_isbn13(compact)
    if form == "10":
        ten = stdisbn.to_isbn10(compact) if len(compact) == 13 and compact.startswith("978") else compact
        return ten if len(ten) == 10 else compact
    if form == "hyphen":
        return stdisbn.format(compact, convert=False)
    raise SampleError(f"unknown ISBN form {form!r}")


# ---------------------------------------------------------------------------------------------------------
# The shared bibliography: one entry per manifestation (a specific edition as published)
# ---------------------------------------------------------------------------------------------------------

# Personal names as heading, with dates where the project is sure of them (riverside adds them; others don't).
DATES = {
    "Knuth, Donald Ervin": "1938-",
    "Ritchie, Dennis M.": "1941-2011",
    "Brooks, Frederick P., Jr.": "1931-2022",
    "Ullman, Jeffrey D.": "1942-",
    "Hofstadter, Douglas R.": "1945-",
    "Diamond, Jared M.": "1937-",
    "Harari, Yuval Noah": "1976-",
    "Kahneman, Daniel": "1934-2024",
    "Kuhn, Thomas S.": "1922-1996",
    "Dawkins, Richard": "1941-",
    "Hawking, Stephen": "1942-2018",
    "Sagan, Carl": "1934-1996",
    "Liu, Cixin": "1963-",
    "Liu, Ken": "1976-",
    "Yu, Hua": "1960-",
    "García Márquez, Gabriel": "1927-2014",
    "Hosseini, Khaled": "1965-",
    "Rowling, J. K.": "1965-",
    "Orwell, George": "1903-1950",
    "Pynchon, Thomas": "1937-",
    "Austen, Jane": "1775-1817",
    "Fitzgerald, F. Scott": "1896-1940",
    "Lee, Harper": "1926-2016",
    "Melville, Herman": "1819-1891",
    "White, E. B.": "1899-1985",
    "Bach, Johann Sebastian": "1685-1750",
    "Kubrick, Stanley": "1928-1999",
    "Clarke, Arthur C.": "1917-2008",
}


@dataclass(frozen=True)
class Book:
    """A printed English-language manifestation, as MARC21 (and the UNIMARC member) describe it."""

    key: str
    title: str
    resp: str
    """Statement of responsibility transcribed in full (RDA); AACR2 members shorten 4+ names to '... [et al.]'."""
    authors: tuple[str, ...]
    place: str
    publisher: str
    year: int
    isbn: str
    pages: str
    height: int
    country: str
    """MARC country code for 008/15-17."""
    lcc: str
    ddc: str
    subjects: tuple[str, ...]
    subtitle: str = ""
    part_number: str = ""
    part_name: str = ""
    added: tuple[tuple[str, str], ...] = ()
    """Other contributors: (heading, relator)."""
    edition: str = ""
    copyright: bool = False
    """The date is a copyright date (RDA: ``[2009]`` plus 264 _4 ``©2009``; AACR2: ``c2009``)."""
    qualifier: str = ""
    illustrated: bool = True
    fiction: bool = False
    juvenile: bool = False
    series: str = ""
    uniform: tuple[str, str] | None = None
    """240 uniform title for translations: (original title, language)."""


# fmt: off
B = Book
BOOKS: dict[str, Book] = {
    b.key: b
    for b in [
        B("clrs3", "Introduction to algorithms",
          "Thomas H. Cormen, Charles E. Leiserson, Ronald L. Rivest, Clifford Stein",
          ("Cormen, Thomas H.", "Leiserson, Charles E.", "Rivest, Ronald L.", "Stein, Clifford"),
          "Cambridge, Massachusetts", "MIT Press", 2009, "9780262033848", "xix, 1292", 24, "mau",
          "QA76.6 .C662 2009", "005.1", ("Computer programming", "Computer algorithms"),
          edition="Third edition", copyright=True, qualifier="hardcover : alk. paper"),
        B("sicp2", "Structure and interpretation of computer programs",
          "Harold Abelson and Gerald Jay Sussman with Julie Sussman",
          ("Abelson, Harold", "Sussman, Gerald Jay", "Sussman, Julie"),
          "Cambridge, Massachusetts", "MIT Press", 1996, "0262011530", "xxiii, 657", 24, "mau",
          "QA76.6 .A255 1996", "005.13/3", ("Computer programming", "LISP (Computer program language)"),
          edition="Second edition", copyright=True, qualifier="MIT Press : hardcover",
          series="MIT electrical engineering and computer science series"),
        B("kr2", "The C programming language", "Brian W. Kernighan, Dennis M. Ritchie",
          ("Kernighan, Brian W.", "Ritchie, Dennis M."),
          "Englewood Cliffs, New Jersey", "Prentice Hall", 1988, "0131103628", "xii, 272", 24, "nju",
          "QA76.73.C15 K47 1988", "005.13/3", ("C (Computer program language)",),
          edition="Second edition", copyright=True, qualifier="paperback", series="Prentice Hall software series"),
        B("gof", "Design patterns", "Erich Gamma, Richard Helm, Ralph Johnson, John Vlissides",
          ("Gamma, Erich", "Helm, Richard", "Johnson, Ralph", "Vlissides, John"),
          "Reading, Massachusetts", "Addison-Wesley", 1995, "0201633612", "xv, 395", 25, "mau",
          "QA76.64 .D47 1995", "005.1/2",
          ("Object-oriented programming (Computer science)", "Computer software -- Reusability"),
          subtitle="elements of reusable object-oriented software", copyright=True,
          series="Addison-Wesley professional computing series"),
        B("taocp1", "The art of computer programming", "Donald E. Knuth", ("Knuth, Donald Ervin",),
          "Reading, Massachusetts", "Addison-Wesley", 1997, "0201896834", "xx, 650", 25, "mau",
          "QA76.6 .K64 1997", "005.1", ("Computer programming", "Computer algorithms"),
          part_number="Volume 1", part_name="Fundamental algorithms", edition="Third edition"),
        B("csapp3", "Computer systems", "Randal E. Bryant, David R. O'Hallaron",
          ("Bryant, Randal E.", "O'Hallaron, David R."),
          "Boston", "Pearson", 2016, "9780134092669", "xxxiii, 1086", 24, "mau",
          "QA76.5 .B795 2016", "004", ("Computer systems", "Computer programming"),
          subtitle="a programmer's perspective", edition="Third edition", copyright=True),
        B("aima3", "Artificial intelligence", "Stuart J. Russell, Peter Norvig",
          ("Russell, Stuart J.", "Norvig, Peter"),
          "Upper Saddle River, New Jersey", "Prentice Hall", 2010, "9780136042594", "xviii, 1132", 26, "nju",
          "Q335 .R86 2010", "006.3", ("Artificial intelligence",),
          subtitle="a modern approach", edition="Third edition", copyright=True, qualifier="alk. paper",
          series="Prentice Hall series in artificial intelligence"),
        B("prml", "Pattern recognition and machine learning", "Christopher M. Bishop", ("Bishop, Christopher M.",),
          "New York", "Springer", 2006, "9780387310732", "xx, 738", 24, "nyu",
          "Q327 .B52 2006", "006.4", ("Pattern perception", "Machine learning"),
          copyright=True, qualifier="hardcover", series="Information science and statistics"),
        B("cleancode", "Clean code", "Robert C. Martin", ("Martin, Robert C.",),
          "Upper Saddle River, New Jersey", "Prentice Hall", 2009, "9780132350884", "xxix, 431", 24, "nju",
          "QA76.76.D47 M3765 2009", "005.1", ("Agile software development", "Computer software -- Reliability"),
          subtitle="a handbook of agile software craftsmanship", copyright=True, qualifier="pbk. : alk. paper"),
        B("pragprog", "The pragmatic programmer", "Andrew Hunt, David Thomas", ("Hunt, Andrew", "Thomas, David"),
          "Reading, Massachusetts", "Addison-Wesley", 2000, "020161622X", "xxiv, 321", 24, "mau",
          "QA76.6 .H857 2000", "005.1", ("Computer programming",),
          subtitle="from journeyman to master", copyright=True),
        B("refactoring", "Refactoring", "Martin Fowler ; with contributions by Kent Beck [and others]",
          ("Fowler, Martin",),
          "Reading, Massachusetts", "Addison-Wesley", 1999, "0201485672", "xxi, 431", 25, "mau",
          "QA76.76.R42 F69 1999", "005.1/4",
          ("Software refactoring", "Object-oriented programming (Computer science)"),
          subtitle="improving the design of existing code", added=(("Beck, Kent", "contributor"),),
          copyright=True, series="The Addison-Wesley object technology series"),
        B("cc2", "Code complete", "Steve McConnell", ("McConnell, Steve",),
          "Redmond, Washington", "Microsoft Press", 2004, "0735619670", "xxvii, 914", 23, "wau",
          "QA76.76.D47 M39 2004", "005.1", ("Computer software -- Development",),
          edition="Second edition", copyright=True),
        B("mmm", "The mythical man-month", "Frederick P. Brooks, Jr.", ("Brooks, Frederick P., Jr.",),
          "Reading, Massachusetts", "Addison-Wesley", 1995, "0201835959", "xiii, 322", 24, "mau",
          "QA76.758 .B75 1995", "005.1/068", ("Software engineering",),
          subtitle="essays on software engineering", edition="Anniversary edition", copyright=True),
        B("dragon2", "Compilers", "Alfred V. Aho, Monica S. Lam, Ravi Sethi, Jeffrey D. Ullman",
          ("Aho, Alfred V.", "Lam, Monica S.", "Sethi, Ravi", "Ullman, Jeffrey D."),
          "Boston", "Pearson/Addison Wesley", 2007, "0321486811", "xxiv, 1009", 24, "mau",
          "QA76.76.C65 A37 2007", "005.4/53", ("Compilers (Computer programs)",),
          subtitle="principles, techniques, & tools", edition="Second edition", copyright=True),
        B("db6", "Database system concepts", "Abraham Silberschatz, Henry F. Korth, S. Sudarshan",
          ("Silberschatz, Abraham", "Korth, Henry F.", "Sudarshan, S."),
          "New York", "McGraw-Hill", 2011, "9780073523323", "xxvi, 1349", 24, "nyu",
          "QA76.9.D3 S5637 2011", "005.74", ("Database management",),
          edition="Sixth edition", copyright=True),
        B("pearls2", "Programming pearls", "Jon Bentley", ("Bentley, Jon Louis",),
          "Reading, Massachusetts", "Addison-Wesley", 2000, "0201657880", "xi, 239", 24, "mau",
          "QA76.6 .B453 2000", "005.1", ("Computer programming",), edition="Second edition"),
        B("geb20", "Gödel, Escher, Bach", "Douglas R. Hofstadter", ("Hofstadter, Douglas R.",),
          "New York", "Basic Books", 1999, "0465026567", "xxi, 777", 24, "nyu",
          "QA9.8 .H63 1999", "510/.1", ("Metamathematics", "Symmetry", "Artificial intelligence"),
          subtitle="an eternal golden braid", edition="20th anniversary edition", qualifier="paperback"),
        B("geb79", "Gödel, Escher, Bach", "Douglas R. Hofstadter", ("Hofstadter, Douglas R.",),
          "New York", "Basic Books", 1979, "0465026850", "xxi, 777", 24, "nyu",
          "QA9.8 .H63", "510/.1", ("Metamathematics", "Symmetry", "Artificial intelligence"),
          subtitle="an eternal golden braid", copyright=True),
        B("ggs97", "Guns, germs, and steel", "Jared Diamond", ("Diamond, Jared M.",),
          "New York", "W.W. Norton & Company", 1997, "0393038912", "480", 25, "nyu",
          "HM206 .D48 1997", "303.4", ("Social evolution", "Civilization -- History", "Ethnology"),
          subtitle="the fates of human societies"),
        B("ggs99", "Guns, germs, and steel", "Jared Diamond", ("Diamond, Jared M.",),
          "New York", "W.W. Norton", 1999, "0393317552", "480", 24, "nyu",
          "HM206 .D48 1999", "303.4", ("Social evolution", "Civilization -- History", "Ethnology"),
          subtitle="the fates of human societies", qualifier="pbk."),
        B("sapiens", "Sapiens", "Yuval Noah Harari", ("Harari, Yuval Noah",),
          "New York", "Harper", 2015, "9780062316097", "443", 24, "nyu",
          "GN281 .H3713 2015", "909", ("Human beings -- History", "Civilization -- History"),
          subtitle="a brief history of humankind", copyright=True, qualifier="hardback"),
        B("tfs", "Thinking, fast and slow", "Daniel Kahneman", ("Kahneman, Daniel",),
          "New York", "Farrar, Straus and Giroux", 2011, "9780374275631", "499", 24, "nyu",
          "BF441 .K238 2011", "153.4/2", ("Thought and thinking", "Decision making", "Intuition")),
        B("kuhn3", "The structure of scientific revolutions", "Thomas S. Kuhn", ("Kuhn, Thomas S.",),
          "Chicago", "University of Chicago Press", 1996, "0226458083", "xiv, 212", 21, "ilu",
          "Q175 .K95 1996", "501", ("Science -- Philosophy", "Science -- History"),
          edition="Third edition", qualifier="pbk.", illustrated=False),
        B("selfish", "The selfish gene", "Richard Dawkins", ("Dawkins, Richard",),
          "Oxford", "Oxford University Press", 2006, "0199291152", "xxiii, 360", 20, "enk",
          "QH437 .D38 2006", "591.5", ("Genetics", "Evolution (Biology)", "Sociobiology"),
          edition="30th anniversary edition", qualifier="pbk."),
        B("bhot", "A brief history of time", "Stephen W. Hawking ; introduction by Carl Sagan",
          ("Hawking, Stephen",),
          "Toronto", "Bantam Books", 1988, "055305340X", "x, 198", 24, "onc",
          "QB981 .H377 1988", "523.1", ("Cosmology", "Big bang theory", "Black holes (Astronomy)"),
          subtitle="from the big bang to black holes", added=(("Sagan, Carl", "writer of introduction"),)),
        B("threebody", "The three-body problem", "Cixin Liu ; translated by Ken Liu", ("Liu, Cixin",),
          "New York", "Tor", 2014, "9780765377067", "399", 25, "nyu",
          "PL2946.C59 S3613 2014", "895.13/52",
          ("Life on other planets -- Fiction", "China -- History -- Cultural Revolution, 1966-1976 -- Fiction"),
          added=(("Liu, Ken", "translator"),), qualifier="hardcover", illustrated=False, fiction=True,
          uniform=("San ti", "English")),
        B("tolive", "To live",
          "Yu Hua ; translated from the Chinese and with an afterword by Michael Berry", ("Yu, Hua",),
          "New York", "Anchor Books", 2003, "1400031869", "250", 21, "nyu",
          "PL2928.H78 H8613 2003", "895.1/352", ("China -- Social conditions -- 1949-1976 -- Fiction",),
          subtitle="a novel", added=(("Berry, Michael", "translator"),), qualifier="pbk.", illustrated=False,
          fiction=True, uniform=("Huo zhe", "English")),
        B("solitude", "One hundred years of solitude",
          "Gabriel García Márquez ; translated from the Spanish by Gregory Rabassa", ("García Márquez, Gabriel",),
          "New York", "Harper Perennial Modern Classics", 2006, "0060883286", "417", 21, "nyu",
          "PQ8180.17.A73 C513 2006", "863/.64", ("Families -- Colombia -- Fiction",),
          added=(("Rabassa, Gregory", "translator"),), qualifier="pbk.", illustrated=False, fiction=True,
          uniform=("Cien años de soledad", "English")),
        B("kiterunner", "The kite runner", "Khaled Hosseini", ("Hosseini, Khaled",),
          "New York", "Riverhead Books", 2003, "1573222453", "324", 24, "nyu",
          "PS3608.O832 K58 2003", "813/.6", ("Afghanistan -- Fiction", "Friendship -- Fiction"),
          illustrated=False, fiction=True),
        B("hp1us", "Harry Potter and the sorcerer's stone",
          "by J.K. Rowling ; illustrations by Mary GrandPré", ("Rowling, J. K.",),
          "New York", "Arthur A. Levine Books", 1998, "0590353403", "309", 24, "nyu",
          "PZ7.R79835 Har 1998", "[Fic]", ("Wizards -- Fiction", "Magic -- Fiction", "Schools -- Fiction"),
          added=(("GrandPré, Mary", "illustrator"),), fiction=True, juvenile=True),
        B("hp1uk", "Harry Potter and the philosopher's stone", "J.K. Rowling", ("Rowling, J. K.",),
          "London", "Bloomsbury", 1997, "0747532699", "223", 20, "enk",
          "PZ7.R79835 Har 1997", "823/.914", ("Wizards -- Fiction", "Magic -- Fiction", "Schools -- Fiction"),
          illustrated=False, fiction=True, juvenile=True),
        B("n1984", "Nineteen eighty-four", "George Orwell ; with a foreword by Thomas Pynchon", ("Orwell, George",),
          "New York", "Plume", 2003, "0452284236", "xxv, 339", 21, "nyu",
          "PR6029.R8 N49 2003", "823/.912", ("Totalitarianism -- Fiction", "Dystopias -- Fiction"),
          edition="Centennial edition", added=(("Pynchon, Thomas", "writer of foreword"),),
          qualifier="pbk.", illustrated=False, fiction=True),
        B("pride", "Pride and prejudice",
          "Jane Austen ; edited with an introduction and notes by Vivien Jones", ("Austen, Jane",),
          "London", "Penguin Books", 2003, "0141439513", "xlii, 435", 20, "enk",
          "PR4034 .P7 2003", "823/.7", ("Courtship -- Fiction", "Sisters -- Fiction"),
          added=(("Jones, Vivien", "editor"),), illustrated=False, fiction=True, series="Penguin classics"),
        B("gatsby", "The great Gatsby", "F. Scott Fitzgerald", ("Fitzgerald, F. Scott",),
          "New York", "Scribner", 2004, "0743273567", "180", 21, "nyu",
          "PS3511.I9 G7 2004", "813/.52", ("Rich people -- Fiction", "First loves -- Fiction"),
          qualifier="pbk.", illustrated=False, fiction=True),
        B("mockingbird", "To kill a mockingbird", "Harper Lee", ("Lee, Harper",),
          "New York", "Perennial Classics", 2002, "0060935464", "323", 21, "nyu",
          "PS3562.E353 T6 2002", "813/.54", ("Race relations -- Fiction", "Fathers and daughters -- Fiction"),
          qualifier="pbk.", illustrated=False, fiction=True),
        B("iir", "Introduction to information retrieval",
          "Christopher D. Manning, Prabhakar Raghavan, Hinrich Schütze",
          ("Manning, Christopher D.", "Raghavan, Prabhakar", "Schütze, Hinrich"),
          "Cambridge", "Cambridge University Press", 2008, "9780521865715", "xxi, 482", 26, "enk",
          "QA76.9.T48 M26 2008", "025.04",
          ("Text processing (Computer science)", "Information retrieval", "Document clustering"),
          qualifier="hardback"),
        B("elements", "The elements of style",
          "William Strunk, Jr., E.B. White ; with a foreword by Roger Angell",
          ("Strunk, William, Jr.", "White, E. B."),
          "Boston", "Allyn and Bacon", 2000, "020530902X", "xviii, 105", 19, "mau",
          "PE1408 .S772 2000", "808/.042", ("English language -- Rhetoric", "English language -- Style"),
          edition="Fourth edition", illustrated=False),
        B("moby", "Moby-Dick, or, The whale", "Herman Melville", ("Melville, Herman",),
          "New York", "Penguin Books", 2003, "0142437247", "720", 20, "nyu",
          "PS2384 .M6 2003", "813/.3", ("Whaling -- Fiction", "Whales -- Fiction"),
          illustrated=False, fiction=True, series="Penguin classics"),
        B("dl", "Deep learning", "Ian Goodfellow, Yoshua Bengio, and Aaron Courville",
          ("Goodfellow, Ian", "Bengio, Yoshua", "Courville, Aaron"),
          "Cambridge, Massachusetts", "The MIT Press", 2016, "9780262035613", "xxii, 775", 24, "mau",
          "Q325.5 .G66 2016", "006.3/1", ("Machine learning",),
          copyright=True, qualifier="hardcover : alk. paper", series="Adaptive computation and machine learning"),
        B("esl", "The elements of statistical learning", "Trevor Hastie, Robert Tibshirani, Jerome Friedman",
          ("Hastie, Trevor", "Tibshirani, Robert", "Friedman, J. H."),
          "New York", "Springer", 2009, "9780387848570", "xxii, 745", 24, "nyu",
          "Q325.75 .H37 2009", "006.3/1",
          ("Supervised learning (Machine learning)", "Statistics", "Data mining"),
          subtitle="data mining, inference, and prediction", edition="Second edition", copyright=True,
          series="Springer series in statistics"),
    ]
}
del B
# fmt: on

# The electronic ISBN of the Springer e-book of ``esl`` (print ISBN in BOOKS).
ESL_EISBN = "9780387848587"


@dataclass(frozen=True)
class ZhBook:
    """A Chinese-language manifestation, as CNMARC (eastlake) and MARC21 (lakeside) describe it."""

    key: str
    title: str
    resp: str
    """200 $f / 245 $c, as on the title page."""
    people: tuple[tuple[str, str, str], ...]
    """(name as catalogued, role 著/译/..., original-script form for foreign authors or '')."""
    place: str
    publisher: str
    year: int
    isbn: str
    price: str
    extent: str
    height: int
    clc: str
    subjects: tuple[tuple[str, str, str], ...]
    """(topic, geographic, period) for 606 $a $y $z."""
    part_number: str = ""
    part_name: str = ""
    other: str = ""
    """200 $e: other title information (CNMARC puts 原书第3版 here too)."""
    edition: str = ""
    parallel: str = ""
    """200 $d: the original English title printed as a parallel title."""
    resp2: str = ""
    """200 $g: subsequent statement (translators, editors)."""
    original_language: str = ""
    intermediate_language: str = ""
    series: str = ""
    fiction: bool = False
    illustrated: bool = False


# fmt: off
Z = ZhBook
FICTION_CN = (("科学幻想小说", "中国", "当代"),)
NOVEL_CN = (("长篇小说", "中国", "当代"),)
ZH_BOOKS: dict[str, ZhBook] = {
    z.key: z
    for z in [
        Z("santi1", "三体", "刘慈欣著", (("刘慈欣", "著", ""),), "重庆", "重庆出版社", 2008,
          "978-7-5366-9293-0", "CNY23.00", "302页", 21, "I247.55", FICTION_CN,
          series="中国科幻基石丛书", fiction=True),
        Z("santi2", "三体", "刘慈欣著", (("刘慈欣", "著", ""),), "重庆", "重庆出版社", 2008,
          "978-7-5366-9396-8", "CNY32.00", "470页", 21, "I247.55", FICTION_CN,
          part_number="Ⅱ", part_name="黑暗森林", series="中国科幻基石丛书", fiction=True),
        Z("santi3", "三体", "刘慈欣著", (("刘慈欣", "著", ""),), "重庆", "重庆出版社", 2010,
          "978-7-229-03093-3", "CNY38.00", "513页", 21, "I247.55", FICTION_CN,
          part_number="Ⅲ", part_name="死神永生", series="中国科幻基石丛书", fiction=True),
        Z("huozhe", "活着", "余华著", (("余华", "著", ""),), "北京", "作家出版社", 2012,
          "978-7-5063-6543-7", "CNY20.00", "191页", 21, "I247.57", NOVEL_CN, fiction=True),
        Z("weicheng", "围城", "钱锺书著", (("钱锺书", "著", ""),), "北京", "人民文学出版社", 1991,
          "978-7-02-002475-9", "CNY19.00", "359页", 20, "I246.57", (("长篇小说", "中国", "现代"),), fiction=True),
        Z("pingfan", "平凡的世界", "路遥著", (("路遥", "著", ""),), "北京", "北京十月文艺出版社", 2012,
          "978-7-5302-1200-4", "CNY79.80", "3册", 21, "I247.57", NOVEL_CN, fiction=True),
        Z("hongloumeng", "红楼梦", "(清)曹雪芹, 高鹗著", (("曹雪芹", "著", ""), ("高鹗", "著", "")),
          "北京", "人民文学出版社", 1996, "978-7-02-000220-7", "CNY59.70", "2册 (1606页)", 20, "I242.47",
          (("章回小说", "中国", "清代"),), resp2="中国艺术研究院红楼梦研究所校注", fiction=True),
        Z("sanguo", "三国演义", "(明)罗贯中著", (("罗贯中", "著", ""),), "北京", "人民文学出版社", 1998,
          "978-7-02-000872-8", "CNY39.50", "2册 (990页)", 20, "I242.43", (("章回小说", "中国", "明代"),),
          fiction=True),
        Z("suanfa", "算法导论", "(美)Thomas H. Cormen ... [等]著",
          (("科尔曼", "著", "Cormen, Thomas H."), ("殷建平", "译", "")),
          "北京", "机械工业出版社", 2013, "978-7-111-40701-0", "CNY128.00", "780页", 26, "TP301.6",
          (("电子计算机", "", ""), ("算法理论", "", "")), other="原书第3版", parallel="Introduction to algorithms",
          resp2="殷建平 ... [等]译", original_language="eng", series="计算机科学丛书", illustrated=True),
        Z("shenru", "深入理解计算机系统", "(美)兰德尔 E. 布莱恩特, 大卫 R. 奥哈拉伦著",
          (("布莱恩特", "著", "Bryant, Randal E."), ("奥哈拉伦", "著", "O'Hallaron, David R."),
           ("龚奕利", "译", ""), ("贺莲", "译", "")),
          "北京", "机械工业出版社", 2016, "978-7-111-54493-7", "CNY139.00", "737页", 26, "TP3",
          (("计算机系统", "", ""),), other="原书第3版", parallel="Computer systems: a programmer's perspective",
          resp2="龚奕利, 贺莲译", original_language="eng", series="计算机科学丛书", illustrated=True),
        Z("shejimoshi", "设计模式", "(美)Erich Gamma ... [等]著",
          (("伽玛", "著", "Gamma, Erich"), ("李英军", "译", "")),
          "北京", "机械工业出版社", 2000, "7-111-07575-7", "CNY35.00", "254页", 26, "TP311.5",
          (("面向对象语言", "", ""), ("程序设计", "", "")), other="可复用面向对象软件的基础",
          parallel="Design patterns: elements of reusable object-oriented software",
          resp2="李英军 ... [等]译", original_language="eng", series="计算机科学丛书", illustrated=True),
        Z("cyuyan", "C程序设计语言", "(美)Brian W. Kernighan, Dennis M. Ritchie著",
          (("克尼汉", "著", "Kernighan, Brian W."), ("里奇", "著", "Ritchie, Dennis M."),
           ("徐宝文", "译", ""), ("李志", "译", "")),
          "北京", "机械工业出版社", 2004, "7-111-12806-0", "CNY30.00", "258页", 26, "TP312",
          (("C语言", "", ""), ("程序设计", "", "")), other="第2版·新版", parallel="The C programming language",
          resp2="徐宝文, 李志译", original_language="eng", series="计算机科学丛书"),
        Z("sicpzh", "计算机程序的构造和解释", "(美)Harold Abelson, Gerald Jay Sussman, Julie Sussman著",
          (("艾伯森", "著", "Abelson, Harold"), ("萨斯曼", "著", "Sussman, Gerald Jay"), ("裘宗燕", "译", "")),
          "北京", "机械工业出版社", 2004, "7-111-13510-5", "CNY45.00", "469页", 26, "TP311.1",
          (("程序设计", "", ""),), other="原书第2版", parallel="Structure and interpretation of computer programs",
          resp2="裘宗燕译", original_language="eng", series="计算机科学丛书"),
        Z("zhuji", "编程珠玑", "(美)Jon Bentley著",
          (("本特利", "著", "Bentley, Jon"), ("黄倩", "译", ""), ("钱丽艳", "译", "")),
          "北京", "人民邮电出版社", 2008, "978-7-115-17928-9", "CNY39.00", "239页", 24, "TP311.1",
          (("程序设计", "", ""),), other="第2版", parallel="Programming pearls",
          resp2="黄倩, 钱丽艳译", original_language="eng"),
        Z("daima", "代码大全", "(美)Steve McConnell著", (("麦康奈尔", "著", "McConnell, Steve"), ("金戈", "译", "")),
          "北京", "电子工业出版社", 2006, "7-121-02298-2", "CNY128.00", "914页", 26, "TP311.5",
          (("软件开发", "", ""),), other="第2版", parallel="Code complete", resp2="金戈 ... [等]译",
          original_language="eng"),
        Z("jiqixuexi", "机器学习", "周志华著", (("周志华", "著", ""),), "北京", "清华大学出版社", 2016,
          "978-7-302-42328-7", "CNY88.00", "425页", 24, "TP181", (("机器学习", "", ""),), illustrated=True),
        Z("tongji", "统计学习方法", "李航著", (("李航", "著", ""),), "北京", "清华大学出版社", 2012,
          "978-7-302-27595-4", "CNY38.00", "235页", 24, "TP181", (("机器学习", "", ""), ("统计方法", "", ""))),
        Z("shendu", "深度学习", "(美)伊恩·古德费洛, (加)约书亚·本吉奥, (加)亚伦·库维尔著",
          (("古德费洛", "著", "Goodfellow, Ian"), ("本吉奥", "著", "Bengio, Yoshua"),
           ("库维尔", "著", "Courville, Aaron"), ("赵申剑", "译", "")),
          "北京", "人民邮电出版社", 2017, "978-7-115-46147-6", "CNY168.00", "500页", 24, "TP181",
          (("机器学习", "", ""),), parallel="Deep learning", resp2="赵申剑 ... [等]译", original_language="eng",
          illustrated=True),
        Z("renlei", "人类简史", "(以色列)尤瓦尔·赫拉利著",
          (("赫拉利", "著", "Harari, Yuval Noah"), ("林俊宏", "译", "")),
          "北京", "中信出版社", 2014, "978-7-5086-4735-7", "CNY68.00", "440页", 23, "K02",
          (("世界史", "", ""),), other="从动物到上帝", resp2="林俊宏译", original_language="heb",
          intermediate_language="eng"),
        Z("wanli", "万历十五年", "黄仁宇著", (("黄仁宇", "著", ""),), "北京", "中华书局", 2006,
          "978-7-101-05203-9", "CNY18.00", "271页", 21, "K248.3", (("中国历史", "", "明代"),), edition="增订纪念本"),
        Z("bainian", "百年孤独", "(哥伦比亚)加西亚·马尔克斯著",
          (("加西亚·马尔克斯", "著", "García Márquez, Gabriel"), ("范晔", "译", "")),
          "海口", "南海出版公司", 2011, "978-7-5442-5399-4", "CNY39.50", "360页", 21, "I775.45",
          (("长篇小说", "哥伦比亚", "现代"),), resp2="范晔译", original_language="spa", fiction=True),
        Z("fengzheng", "追风筝的人", "(美)卡勒德·胡赛尼著",
          (("胡赛尼", "著", "Hosseini, Khaled"), ("李继宏", "译", "")),
          "上海", "上海人民出版社", 2006, "978-7-208-06164-4", "CNY29.00", "362页", 21, "I712.45",
          (("长篇小说", "美国", "现代"),), resp2="李继宏译", original_language="eng", fiction=True),
        Z("jieyou", "解忧杂货店", "(日)东野圭吾著", (("东野圭吾", "著", ""), ("李盈春", "译", "")),
          "海口", "南海出版公司", 2014, "978-7-5442-7087-8", "CNY39.50", "291页", 21, "I313.45",
          (("长篇小说", "日本", "现代"),), resp2="李盈春译", original_language="jpn", fiction=True),
        Z("hpzh", "哈利·波特与魔法石", "(英)J.K.罗琳著", (("罗琳", "著", "Rowling, J. K."), ("苏农", "译", "")),
          "北京", "人民文学出版社", 2000, "978-7-02-003343-0", "CNY19.50", "232页", 21, "I561.84",
          (("儿童小说", "英国", "现代"),), resp2="苏农译", original_language="eng", fiction=True),
        Z("nuowei", "挪威的森林", "(日)村上春树著", (("村上春树", "著", ""), ("林少华", "译", "")),
          "上海", "上海译文出版社", 2007, "978-7-5327-4292-9", "CNY23.00", "384页", 21, "I313.45",
          (("长篇小说", "日本", "现代"),), resp2="林少华译", original_language="jpn", series="村上春树文集",
          fiction=True),
    ]
}
del Z
# fmt: on

# ---------------------------------------------------------------------------------------------------------
# Small MARC helpers
# ---------------------------------------------------------------------------------------------------------


def cf(tag: str, data: str) -> Field:
    return Field(tag=tag, data=data)


def df(tag: str, ind: str, *pairs: str) -> Field:
    """A data field; ``ind`` is the two indicators ('10', ' 4'); empty subfield values are dropped."""
    if len(ind) != 2 or len(pairs) % 2:
        raise SampleError(f"bad field spec {tag} {ind!r} {pairs!r}")
    subs = [Subfield(code=pairs[i], value=pairs[i + 1]) for i in range(0, len(pairs), 2) if pairs[i + 1]]
    return Field(tag=tag, indicators=Indicators(ind[0], ind[1]), subfields=subs)


def nonfiling(title: str) -> str:
    for article in ("The ", "An ", "A "):
        if title.startswith(article):
            return str(len(article))
    return "0"


def end(text: str, mark: str = ".") -> str:
    """Add closing punctuation unless the text already ends in some."""
    return text if text[-1:] in ".?!-])" else text + mark


PLACE_ABBR = {
    "Cambridge, Massachusetts": "Cambridge, Mass.",
    "Reading, Massachusetts": "Reading, Mass.",
    "Englewood Cliffs, New Jersey": "Englewood Cliffs, N.J.",
    "Upper Saddle River, New Jersey": "Upper Saddle River, N.J.",
    "Redmond, Washington": "Redmond, Wash.",
}
EDITION_ABBR = {
    "Second edition": "2nd ed.",
    "Third edition": "3rd ed.",
    "Fourth edition": "4th ed.",
    "Sixth edition": "6th ed.",
    "20th anniversary edition": "20th anniversary ed.",
    "30th anniversary edition": "30th anniversary ed.",
    "Anniversary edition": "Anniversary ed.",
    "Centennial edition": "Centennial ed.",
}
COUNTRY_ISO = {"mau": "US", "nyu": "US", "nju": "US", "ilu": "US", "wau": "US", "enk": "GB", "onc": "CA"}
FORM_SUBDIVISIONS = {"Fiction", "Periodicals", "Textbooks", "Drama", "Scores", "Maps", "History"}
GEOGRAPHIC = {"China", "Colombia", "Afghanistan"}


def lcsh(heading: str, tag: str = "650", bare: bool = False, ind: str = " 0") -> Field:
    """'A -- B -- Fiction' to 650 _0 $a A $x B $v Fiction (with final period unless ``bare``); a heading
    that starts with a place goes in 651."""
    parts = heading.split(" -- ")
    if tag == "650" and parts[0] in GEOGRAPHIC:
        tag = "651"
    pairs = ["a", parts[0]]
    for p in parts[1:]:
        if p in GEOGRAPHIC:
            code = "z"
        elif p[:1].isdigit() or p.startswith(("Cultural Revolution", "20th century")):
            code = "y"
        elif p in FORM_SUBDIVISIONS and p == parts[-1] and p != "History":
            code = "v"
        else:
            code = "x"
        pairs += [code, p]
    if not bare:
        pairs[-1] = end(pairs[-1])
    return df(tag, ind, *pairs)


def display_name(heading: str) -> str:
    """'Cormen, Thomas H.' to 'Thomas H. Cormen'."""
    if heading.endswith(", Jr."):
        surname, forenames = heading[:-5].split(", ", 1)
        return f"{forenames} {surname}, Jr."
    if ", " not in heading:
        return heading
    surname, forenames = heading.split(", ", 1)
    return f"{forenames} {surname}"


def short_resp(book: Book) -> str:
    """AACR2's rule of three: with four or more authors, only the first, then '... [et al.]'."""
    if len(book.authors) > 3:
        return f"{display_name(book.authors[0])} ... [et al.]"
    return book.resp


# ---------------------------------------------------------------------------------------------------------
# MARC21 fixed fields
# ---------------------------------------------------------------------------------------------------------


def leader21(rtype: str, level: str, desc: str) -> str:
    value = f"00000n{rtype}{level} a2200000 {desc} 4500"
    if len(value) != 24:
        raise SampleError(f"bad leader {value!r}")
    return value


def f008(entered: str, dtype: str, date1: str, date2: str, country: str, material: str, lang: str) -> str:  # noqa: PLR0917
    value = f"{entered}{dtype}{date1}{date2}{country:<3}{material}{lang} d"
    if len(value) != 40 or len(material) != 17:
        raise SampleError(f"bad 008 {value!r} ({len(value)} chars)")
    return value


def book_material(
    *, illustrated: bool, form: str = " ", index: bool = True, fiction: bool = False, juvenile: bool = False
) -> str:
    """008/18-34 for books."""
    ill = "a   " if illustrated else "    "
    audience = "j" if juvenile else " "
    return f"{ill}{audience}{form}    {' '}00{'1' if index else '0'} {'1' if fiction else '0'} "


def f008_book(b: Book, entered: str, *, form: str = " ", rda: bool = True) -> str:
    dtype, date2 = ("t", f"{b.year}") if (b.copyright and rda) else ("s", "    ")
    material = book_material(
        illustrated=b.illustrated, form=form, index=not b.fiction, fiction=b.fiction, juvenile=b.juvenile
    )
    return f008(entered, dtype, str(b.year), date2, b.country, material, "eng")


# ---------------------------------------------------------------------------------------------------------
# Member-specific renderings of one English manifestation in MARC21
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Style:
    """How a MARC21 member catalogues: its codes, its rules, its habits."""

    org: str
    rules: str
    """'rda' (full ISBD punctuation, 264, 336-338), 'aacr2' (full ISBD, 260, abbreviations) or 'bare'
    (AACR2 content with the ISBD punctuation stripped by the member's export)."""
    entered: str
    """008/00-05 and the fixed 005 of every record."""
    stamp: str
    isbn_form: str
    """'13' or '10' (with the qualifier), as the member usually records it."""
    holdings_ind1: str
    normalize: str = "NFC"


@dataclass(frozen=True)
class Hold:
    """One member's copy of a manifestation: call number, location, and record-level quirks."""

    key: str
    location: str
    call: str = ""
    barcode: str = ""
    drop_subtitle: bool = False
    isbn_form: str = ""
    oclc: str = ""
    lccn: str = ""


def name_field(tag: str, heading: str, relator: str, style: Style, ind1: str = "1") -> Field:
    dates = DATES.get(heading, "") if style.rules == "rda" else ""
    if style.rules == "bare":
        return df(tag, ind1 + " ", "a", heading)
    if style.rules == "rda":
        a = heading + ","
        d = (dates + ",") if dates else ""
        return df(tag, ind1 + " ", "a", a, "d", d, "e", end(relator))
    # AACR2: no relator terms for authors
    if relator in ("author", ""):
        return df(tag, ind1 + " ", "a", end(heading))
    return df(tag, ind1 + " ", "a", heading + ",", "e", end(relator))


def f245(
    title: str, subtitle: str, resp: str, ind1: str, rules: str, *, part_number: str = "", part_name: str = ""
) -> Field:
    ind = ind1 + nonfiling(title)
    if rules == "bare":
        return df("245", ind, "a", title, "n", part_number, "p", part_name, "b", subtitle, "c", resp)
    pairs: list[str] = []
    tail = [("p", part_name)] if part_name else []
    if part_number:
        pairs += ["a", title + "."]
        pieces = [("n", part_number), *tail]
    else:
        pieces = [("a", title)]
    if subtitle:
        pieces.append(("b", subtitle))
    for i, (code, text) in enumerate(pieces):
        last = i == len(pieces) - 1
        if code == "n" and not last:
            mark = ","
        elif last:
            mark = " /" if resp else "."
        elif pieces[i + 1][0] == "b":
            mark = " :"
        else:
            mark = ""
        pairs += [code, text + mark]
    if resp:
        pairs += ["c", resp if resp.endswith(".") else resp + "."]
    return df("245", ind, *pairs)


def book_record(b: Book, h: Hold, local_id: str, style: Style) -> Record:
    rules = style.rules
    subtitle = "" if h.drop_subtitle else b.subtitle
    rec = Record()
    rec.leader = Leader(leader21("a", "m", {"rda": "i", "aacr2": "a", "bare": "a"}[rules]))
    rec.add_ordered_field(cf("001", local_id))
    rec.add_ordered_field(cf("003", style.org))
    rec.add_ordered_field(cf("005", style.stamp))
    rec.add_ordered_field(cf("008", f008_book(b, style.entered, rda=rules == "rda")))
    if h.lccn:
        rec.add_ordered_field(df("010", "  ", "a", f"  {h.lccn}"))
    form = h.isbn_form or style.isbn_form
    value = isbn_as(b.isbn, form)
    qualifier = f" ({b.qualifier})" if b.qualifier and rules != "bare" else ""
    rec.add_ordered_field(df("020", "  ", "a", value + qualifier))
    if h.oclc:
        rec.add_ordered_field(df("035", "  ", "a", f"(OCoLC){h.oclc}"))
    if rules == "rda":
        rec.add_ordered_field(df("040", "  ", "a", style.org, "b", "eng", "e", "rda", "c", style.org))
    else:
        rec.add_ordered_field(df("040", "  ", "a", style.org, "b", "eng", "c", style.org))
    if rules == "rda":
        cls, _, item = b.lcc.partition(" ")
        rec.add_ordered_field(df("050", " 4", "a", cls, "b", item))
    rec.add_ordered_field(df("082", "04", "a", b.ddc, "2", "23"))

    # Main entry: RDA takes the first author whatever their number; AACR2 enters 4+ authors under title.
    title_main = rules != "rda" and len(b.authors) > 3
    if not title_main:
        rec.add_ordered_field(name_field("100", b.authors[0], "author", style))
    if b.uniform and not title_main:
        original, language = b.uniform
        if rules == "bare":
            rec.add_ordered_field(df("240", "10", "a", original, "l", language))
        else:
            rec.add_ordered_field(df("240", "10", "a", original + ".", "l", language))
    resp = b.resp if rules == "rda" else short_resp(b)
    rec.add_ordered_field(
        f245(
            b.title, subtitle, resp, "0" if title_main else "1", rules, part_number=b.part_number, part_name=b.part_name
        )
    )
    if b.edition:
        edition = b.edition if rules == "rda" else EDITION_ABBR.get(b.edition, b.edition)
        rec.add_ordered_field(df("250", "  ", "a", edition if rules == "bare" else end(edition)))

    place = b.place if rules == "rda" else PLACE_ABBR.get(b.place, b.place)
    publisher = b.publisher if rules == "rda" else b.publisher.removeprefix("The ")
    if rules == "rda":
        date = f"[{b.year}]" if b.copyright else f"{b.year}."
        rec.add_ordered_field(df("264", " 1", "a", place + " :", "b", publisher + ",", "c", date))
        if b.copyright:
            rec.add_ordered_field(df("264", " 4", "c", f"©{b.year}"))
    elif rules == "aacr2":
        date = f"c{b.year}." if b.copyright else f"{b.year}."
        rec.add_ordered_field(df("260", "  ", "a", place + " :", "b", publisher + ",", "c", date))
    else:
        rec.add_ordered_field(df("260", "  ", "a", place, "b", publisher, "c", str(b.year)))

    if rules == "rda":
        rec.add_ordered_field(
            df(
                "300",
                "  ",
                "a",
                f"{b.pages} pages" + (" :" if b.illustrated else " ;"),
                "b",
                "illustrations ;" if b.illustrated else "",
                "c",
                f"{b.height} cm",
            )
        )
        rec.add_ordered_field(df("336", "  ", "a", "text", "b", "txt", "2", "rdacontent"))
        rec.add_ordered_field(df("337", "  ", "a", "unmediated", "b", "n", "2", "rdamedia"))
        rec.add_ordered_field(df("338", "  ", "a", "volume", "b", "nc", "2", "rdacarrier"))
    elif rules == "aacr2":
        rec.add_ordered_field(
            df(
                "300",
                "  ",
                "a",
                f"{b.pages} p." + (" :" if b.illustrated else " ;"),
                "b",
                "ill. ;" if b.illustrated else "",
                "c",
                f"{b.height} cm.",
            )
        )
    else:
        rec.add_ordered_field(
            df("300", "  ", "a", f"{b.pages} p.", "b", "ill." if b.illustrated else "", "c", f"{b.height} cm")
        )
    if b.series:
        rec.add_ordered_field(df("490", "0 ", "a", b.series))
    for subject in b.subjects:
        rec.add_ordered_field(lcsh(subject, bare=rules == "bare"))
    others = list(b.authors[1:] if not title_main else b.authors)
    for heading in others:
        rec.add_ordered_field(name_field("700", heading, "author", style))
    for heading, relator in b.added:
        rec.add_ordered_field(name_field("700", heading, relator, style))
    rec.add_ordered_field(
        df("852", style.holdings_ind1 + " ", "a", style.org, "b", h.location, "h", h.call or b.lcc, "p", h.barcode)
    )
    return normalize(rec, style.normalize)


def normalize(rec: Record, form: str) -> Record:
    """Put every text value of the record in Unicode normalization ``form`` (NFC or NFD)."""
    for field in rec.fields:
        if field.control_field:
            continue
        field.subfields = [Subfield(s.code, unicodedata.normalize(form, s.value)) for s in field.subfields]
    return rec


# ---------------------------------------------------------------------------------------------------------
# Riverside (binary MARC21, RDA): books, e-books, a DVD, a score, a map and a journal
# ---------------------------------------------------------------------------------------------------------

RIVERSIDE = Style(
    org="XxRVS", rules="rda", entered="190614", stamp="20240115093000.0", isbn_form="13", holdings_ind1="0"
)

RIVERSIDE_BOOKS = [
    Hold("clrs3", "engineering", oclc="900100101", lccn="2009900101"),
    Hold("sicp2", "engineering", oclc="900100102"),
    Hold("kr2", "engineering", oclc="900100103", lccn="1988900103"),
    Hold("gof", "engineering", oclc="900100104"),
    Hold("taocp1", "engineering"),
    Hold("csapp3", "engineering"),
    Hold("aima3", "engineering", oclc="900100107"),
    Hold("prml", "engineering"),
    Hold("cleancode", "engineering", oclc="900100109"),
    Hold("pragprog", "engineering"),
    Hold("refactoring", "engineering"),
    Hold("cc2", "engineering", oclc="900100112"),
    Hold("mmm", "engineering", oclc="900100113"),
    Hold("dragon2", "engineering"),
    Hold("db6", "engineering"),
    Hold("pearls2", "engineering"),
    Hold("geb20", "main-stacks"),
    Hold("ggs97", "main-stacks", oclc="900100118", lccn="1997900118"),
    Hold("sapiens", "main-stacks", oclc="900100119"),
    Hold("tfs", "main-stacks", oclc="900100120", lccn="2011900120"),
    Hold("kuhn3", "main-stacks"),
    Hold("selfish", "main-stacks"),
    Hold("bhot", "main-stacks", oclc="900100123"),
    Hold("threebody", "east-asian"),
    Hold("tolive", "east-asian"),
    Hold("solitude", "main-stacks", oclc="900100126"),
    Hold("kiterunner", "main-stacks", oclc="900100127"),
    Hold("hp1us", "curriculum", oclc="900100128"),
    Hold("n1984", "main-stacks", oclc="900100129"),
    Hold("pride", "main-stacks", oclc="900100130"),
    Hold("gatsby", "main-stacks", oclc="900100131"),
    Hold("mockingbird", "main-stacks", oclc="900100132"),
    Hold("iir", "engineering"),
]


def riverside_id(n: int) -> str:
    return f"991{n:06d}0103606"


def riverside_barcode(n: int) -> str:
    return f"3910000{n:07d}"


def riverside_ebook(n: int, b: Book, url: str, *, eisbn: str = "") -> Record:
    """An online version of a printed book: 006/007 for the electronic aspect, 008/23 'o', 776 to the print."""
    rec = Record()
    rec.leader = Leader(leader21("a", "m", "i"))
    rec.add_ordered_field(cf("001", riverside_id(n)))
    rec.add_ordered_field(cf("003", RIVERSIDE.org))
    rec.add_ordered_field(cf("005", RIVERSIDE.stamp))
    rec.add_ordered_field(cf("006", "m     o  d        "))
    rec.add_ordered_field(cf("007", "cr |n|||||||||"))
    rec.add_ordered_field(cf("008", f008_book(b, RIVERSIDE.entered, form="o")))
    if eisbn:
        rec.add_ordered_field(df("020", "  ", "a", f"{eisbn} (electronic bk.)"))
    rec.add_ordered_field(df("040", "  ", "a", RIVERSIDE.org, "b", "eng", "e", "rda", "c", RIVERSIDE.org))
    cls, _, item = b.lcc.partition(" ")
    rec.add_ordered_field(df("050", " 4", "a", cls, "b", item))
    rec.add_ordered_field(df("082", "04", "a", b.ddc, "2", "23"))
    rec.add_ordered_field(name_field("100", b.authors[0], "author", RIVERSIDE))
    rec.add_ordered_field(f245(b.title, b.subtitle, b.resp, "1", "rda"))
    if b.edition:
        rec.add_ordered_field(df("250", "  ", "a", end(b.edition)))
    date = f"[{b.year}]" if b.copyright else f"{b.year}."
    rec.add_ordered_field(df("264", " 1", "a", b.place + " :", "b", b.publisher + ",", "c", date))
    rec.add_ordered_field(df("300", "  ", "a", f"1 online resource ({b.pages} pages) :", "b", "illustrations"))
    rec.add_ordered_field(df("336", "  ", "a", "text", "b", "txt", "2", "rdacontent"))
    rec.add_ordered_field(df("337", "  ", "a", "computer", "b", "c", "2", "rdamedia"))
    rec.add_ordered_field(df("338", "  ", "a", "online resource", "b", "cr", "2", "rdacarrier"))
    if b.series:
        rec.add_ordered_field(df("490", "0 ", "a", b.series))
    for subject in b.subjects:
        rec.add_ordered_field(lcsh(subject))
    rec.add_ordered_field(lcsh("Electronic books", tag="655", ind=" 4"))
    for heading in b.authors[1:]:
        rec.add_ordered_field(name_field("700", heading, "author", RIVERSIDE))
    print_title = f"{b.title} : {b.subtitle}." if b.subtitle else f"{b.title}."
    rec.add_ordered_field(
        df(
            "776",
            "08",
            "i",
            "Print version:",
            "a",
            b.authors[0],
            "t",
            print_title,
            "d",
            f"{b.place} : {b.publisher}, {b.year}",
            "z",
            b.isbn,
        )
    )
    rec.add_ordered_field(df("856", "40", "u", url, "z", "Online access"))
    return rec


def riverside_dvd(n: int) -> Record:
    rec = Record()
    rec.leader = Leader(leader21("g", "m", "i"))
    rec.add_ordered_field(cf("001", riverside_id(n)))
    rec.add_ordered_field(cf("003", RIVERSIDE.org))
    rec.add_ordered_field(cf("005", RIVERSIDE.stamp))
    rec.add_ordered_field(cf("007", "vd cvaizs"))
    # 18-20 running time, 22 audience (g general), 33 type (v videorecording), 34 technique (l live action)
    rec.add_ordered_field(cf("008", f008(RIVERSIDE.entered, "p", "2007", "1968", "cau", "149 g          vl", "eng")))
    rec.add_ordered_field(df("040", "  ", "a", RIVERSIDE.org, "b", "eng", "e", "rda", "c", RIVERSIDE.org))
    rec.add_ordered_field(df("050", " 4", "a", "PN1997", "b", ".T86 2007"))
    rec.add_ordered_field(df("082", "04", "a", "791.43/72", "2", "23"))
    rec.add_ordered_field(
        df(
            "245",
            "00",
            "a",
            "2001, a space odyssey /",
            "c",
            "Metro-Goldwyn-Mayer presents ; a Stanley Kubrick production ; screenplay by "
            "Stanley Kubrick and Arthur C. Clarke ; produced and directed by Stanley Kubrick.",
        )
    )
    rec.add_ordered_field(df("246", "3 ", "a", "Two thousand one, a space odyssey"))
    rec.add_ordered_field(df("250", "  ", "a", "Two-disc special edition."))
    rec.add_ordered_field(df("264", " 1", "a", "Burbank, CA :", "b", "Warner Home Video,", "c", "[2007]"))
    rec.add_ordered_field(
        df("300", "  ", "a", "2 videodiscs (approximately 149 min.) :", "b", "sound, color ;", "c", "4 3/4 in.")
    )
    rec.add_ordered_field(df("336", "  ", "a", "two-dimensional moving image", "b", "tdi", "2", "rdacontent"))
    rec.add_ordered_field(df("337", "  ", "a", "video", "b", "v", "2", "rdamedia"))
    rec.add_ordered_field(df("338", "  ", "a", "videodisc", "b", "vd", "2", "rdacarrier"))
    rec.add_ordered_field(df("500", "  ", "a", "Originally released as a motion picture in 1968."))
    rec.add_ordered_field(lcsh("Science fiction films"))
    rec.add_ordered_field(lcsh("Space flight -- Drama"))
    rec.add_ordered_field(
        df(
            "700",
            "1 ",
            "a",
            "Kubrick, Stanley,",
            "d",
            "1928-1999,",
            "e",
            "film director,",
            "e",
            "film producer,",
            "e",
            "screenwriter.",
        )
    )
    rec.add_ordered_field(
        df("700", "1 ", "a", "Clarke, Arthur C.", "q", "(Arthur Charles),", "d", "1917-2008,", "e", "screenwriter.")
    )
    rec.add_ordered_field(
        df("852", "0 ", "a", RIVERSIDE.org, "b", "media", "h", "PN1997 .T86 2007 DVD", "p", riverside_barcode(n))
    )
    return rec


def riverside_score(n: int) -> Record:
    rec = Record()
    rec.leader = Leader(leader21("c", "m", "i"))
    rec.add_ordered_field(cf("001", riverside_id(n)))
    rec.add_ordered_field(cf("003", RIVERSIDE.org))
    rec.add_ordered_field(cf("005", RIVERSIDE.stamp))
    # 18-19 form of composition (fg fugues), 20 format of music (z other), 21 parts (n), 33 transposition (n)
    rec.add_ordered_field(
        cf("008", f008(RIVERSIDE.entered, "s", "1983", "    ", "nyu", "fgzn" + " " * 11 + "n ", "zxx"))
    )
    rec.add_ordered_field(df("040", "  ", "a", RIVERSIDE.org, "b", "eng", "e", "rda", "c", RIVERSIDE.org))
    rec.add_ordered_field(df("050", " 4", "a", "M24", "b", ".B13 W4 1983"))
    rec.add_ordered_field(df("082", "04", "a", "786.2", "2", "23"))
    rec.add_ordered_field(df("100", "1 ", "a", "Bach, Johann Sebastian,", "d", "1685-1750,", "e", "composer."))
    rec.add_ordered_field(df("240", "10", "a", "Wohltemperierte Klavier"))
    rec.add_ordered_field(
        df(
            "245",
            "14",
            "a",
            "The well-tempered clavier :",
            "b",
            "books I and II, complete /",
            "c",
            "Johann Sebastian Bach.",
        )
    )
    rec.add_ordered_field(df("264", " 1", "a", "New York :", "b", "Dover Publications,", "c", "1983."))
    rec.add_ordered_field(df("300", "  ", "a", "1 score ;", "c", "31 cm"))
    rec.add_ordered_field(df("336", "  ", "a", "notated music", "b", "ntm", "2", "rdacontent"))
    rec.add_ordered_field(df("337", "  ", "a", "unmediated", "b", "n", "2", "rdamedia"))
    rec.add_ordered_field(df("338", "  ", "a", "volume", "b", "nc", "2", "rdacarrier"))
    rec.add_ordered_field(df("348", "  ", "a", "score", "2", "rdafnm"))
    rec.add_ordered_field(df("500", "  ", "a", "Reprint of the Bach-Gesellschaft edition."))
    rec.add_ordered_field(lcsh("Fugues (Harpsichord) -- Scores"))
    rec.add_ordered_field(lcsh("Preludes (Harpsichord) -- Scores"))
    rec.add_ordered_field(
        df("852", "0 ", "a", RIVERSIDE.org, "b", "music", "h", "M24 .B13 W4 1983", "p", riverside_barcode(n))
    )
    return rec


def riverside_map(n: int) -> Record:
    rec = Record()
    rec.leader = Leader(leader21("e", "m", "i"))
    rec.add_ordered_field(cf("001", riverside_id(n)))
    rec.add_ordered_field(cf("003", RIVERSIDE.org))
    rec.add_ordered_field(cf("005", RIVERSIDE.stamp))
    rec.add_ordered_field(cf("007", "aj canzn"))
    # 25 type of cartographic material (a single map), 31 index (0)
    rec.add_ordered_field(
        cf("008", f008(RIVERSIDE.entered, "s", "2019", "    ", "xxu", " " * 7 + "a" + " " * 5 + "0" + " " * 3, "eng"))
    )
    rec.add_ordered_field(df("034", "1 ", "a", "a", "b", "5000"))
    rec.add_ordered_field(df("040", "  ", "a", RIVERSIDE.org, "b", "eng", "e", "rda", "c", RIVERSIDE.org))
    rec.add_ordered_field(df("050", " 4", "a", "G3804.R5:2R5", "b", "2019 .R5"))
    rec.add_ordered_field(
        df("110", "2 ", "a", "Riverside University.", "b", "Facilities Office,", "e", "cartographer.")
    )
    rec.add_ordered_field(
        df(
            "245",
            "10",
            "a",
            "Riverside University campus and vicinity /",
            "c",
            "Riverside University Facilities Office.",
        )
    )
    rec.add_ordered_field(df("255", "  ", "a", "Scale 1:5,000."))
    rec.add_ordered_field(df("264", " 1", "a", "Riverside :", "b", "Riverside University,", "c", "2019."))
    rec.add_ordered_field(df("300", "  ", "a", "1 map :", "b", "color ;", "c", "60 x 84 cm, folded to 22 x 11 cm"))
    rec.add_ordered_field(df("336", "  ", "a", "cartographic image", "b", "cri", "2", "rdacontent"))
    rec.add_ordered_field(df("337", "  ", "a", "unmediated", "b", "n", "2", "rdamedia"))
    rec.add_ordered_field(df("338", "  ", "a", "sheet", "b", "nb", "2", "rdacarrier"))
    rec.add_ordered_field(df("500", "  ", "a", "Sample record: the university and its map are fictional."))
    rec.add_ordered_field(
        df("852", "0 ", "a", RIVERSIDE.org, "b", "maps", "h", "G3804.R5:2R5 2019 .R5", "p", riverside_barcode(n))
    )
    return rec


def riverside_journal(n: int) -> Record:
    rec = Record()
    rec.leader = Leader(leader21("a", "s", "i"))
    rec.add_ordered_field(cf("001", riverside_id(n)))
    rec.add_ordered_field(cf("003", RIVERSIDE.org))
    rec.add_ordered_field(cf("005", RIVERSIDE.stamp))
    # 18 frequency (m), 19 regularity (r), 21 type (p periodical), 33 script (a roman), 34 entry (0 successive)
    rec.add_ordered_field(
        cf("008", f008(RIVERSIDE.entered, "c", "1958", "9999", "nyu", "mr p" + " " * 7 + "0" + " " * 3 + "a0", "eng"))
    )
    rec.add_ordered_field(df("022", "0 ", "a", "0001-0782", "l", "0001-0782"))
    rec.add_ordered_field(df("035", "  ", "a", "(OCoLC)900100140"))
    rec.add_ordered_field(df("040", "  ", "a", RIVERSIDE.org, "b", "eng", "e", "rda", "c", RIVERSIDE.org))
    rec.add_ordered_field(df("050", " 4", "a", "QA76", "b", ".A772"))
    rec.add_ordered_field(df("082", "04", "a", "004", "2", "23"))
    rec.add_ordered_field(df("210", "0 ", "a", "Commun. ACM"))
    rec.add_ordered_field(df("245", "00", "a", "Communications of the ACM."))
    rec.add_ordered_field(df("246", "13", "a", "CACM"))
    rec.add_ordered_field(df("264", " 1", "a", "New York :", "b", "Association for Computing Machinery,", "c", "1958-"))
    rec.add_ordered_field(df("300", "  ", "a", "volumes :", "b", "illustrations ;", "c", "28 cm"))
    rec.add_ordered_field(df("310", "  ", "a", "Monthly"))
    rec.add_ordered_field(df("336", "  ", "a", "text", "b", "txt", "2", "rdacontent"))
    rec.add_ordered_field(df("337", "  ", "a", "unmediated", "b", "n", "2", "rdamedia"))
    rec.add_ordered_field(df("338", "  ", "a", "volume", "b", "nc", "2", "rdacarrier"))
    rec.add_ordered_field(df("362", "0 ", "a", "Vol. 1, no. 1 (Jan. 1958)-"))
    rec.add_ordered_field(lcsh("Electronic data processing -- Periodicals"))
    rec.add_ordered_field(lcsh("Computers -- Periodicals"))
    rec.add_ordered_field(df("710", "2 ", "a", "Association for Computing Machinery."))
    rec.add_ordered_field(
        df("852", "0 ", "a", RIVERSIDE.org, "b", "periodicals", "h", "QA76 .A772", "z", "v. 1 (1958)-")
    )
    return rec


def riverside_records() -> list[Record]:
    records = []
    n = 0
    for hold in RIVERSIDE_BOOKS:
        n += 1
        copy = Hold(**{**hold.__dict__, "barcode": riverside_barcode(n)})
        records.append(book_record(BOOKS[copy.key], copy, riverside_id(n), RIVERSIDE))
    specials = [
        lambda i: riverside_ebook(i, BOOKS["sicp2"], "https://mitpress.mit.edu/sites/default/files/sicp/index.html"),
        lambda i: riverside_ebook(i, BOOKS["dl"], "https://www.deeplearningbook.org/"),
        lambda i: riverside_ebook(i, BOOKS["esl"], "https://doi.org/10.1007/978-0-387-84858-7", eisbn=ESL_EISBN),
        riverside_dvd,
        riverside_score,
        riverside_map,
        riverside_journal,
    ]
    for make in specials:
        n += 1
        records.append(make(n))
    return records


# ---------------------------------------------------------------------------------------------------------
# Westfield (binary MARC21, AACR2, Dewey, decomposed Unicode)
# ---------------------------------------------------------------------------------------------------------

WESTFIELD = Style(
    org="XxWFL",
    rules="aacr2",
    entered="120903",
    stamp="20230601120000.0",
    isbn_form="10",
    holdings_ind1="1",
    normalize="NFD",
)


def dewey_call(b: Book, cutter_from: str = "") -> str:
    """A public-library style call number: 'FIC HOS' for fiction, '005.1 COR' otherwise."""
    name = cutter_from or b.authors[0]
    cutter = unicodedata.normalize("NFD", name.split(",")[0]).encode("ascii", "ignore").decode()[:3].upper()
    if b.fiction:
        return f"FIC {cutter}"
    return f"{b.ddc.replace('/', '')} {cutter}"


WESTFIELD_BOOKS = [
    Hold("geb79", "adult-nonfiction"),
    Hold("ggs99", "adult-nonfiction"),
    Hold("bhot", "adult-nonfiction", oclc="900100123"),
    Hold("kiterunner", "adult-fiction", oclc="900100127"),
    Hold("hp1us", "children", oclc="900100128"),
    Hold("n1984", "adult-fiction", oclc="900100129"),
    Hold("pride", "adult-fiction", oclc="900100130"),
    Hold("gatsby", "adult-fiction", oclc="900100131"),
    Hold("mockingbird", "adult-fiction", oclc="900100132"),
    Hold("sapiens", "adult-nonfiction", oclc="900100119"),
    Hold("tfs", "adult-nonfiction", oclc="900100120", lccn="2011900120"),
    Hold("cc2", "adult-nonfiction"),
    Hold("mmm", "adult-nonfiction", oclc="900100113"),
    Hold("solitude", "adult-fiction", oclc="900100126"),
    Hold("clrs3", "adult-nonfiction", oclc="900100101", lccn="2009900101"),
    Hold("kr2", "adult-nonfiction", isbn_form="13"),
]


def westfield_records() -> list[Record]:
    records = []
    for n, hold in enumerate(WESTFIELD_BOOKS, start=1):
        b = BOOKS[hold.key]
        title_main = len(b.authors) > 3
        call = f"{b.ddc.replace('/', '')} {b.title.removeprefix('The ')[:3].upper()}" if title_main else dewey_call(b)
        copy = Hold(**{**hold.__dict__, "call": call, "barcode": f"0001200{n:05d}"})
        records.append(book_record(b, copy, f"wf{n:06d}", WESTFIELD))
    return records


# ---------------------------------------------------------------------------------------------------------
# Lakeside (MARCXML, punctuation stripped; English with Dewey, Chinese with CLC in 084)
# ---------------------------------------------------------------------------------------------------------

LAKESIDE = Style(
    org="XxLKS", rules="bare", entered="170322", stamp="20240902081500.0", isbn_form="10", holdings_ind1="1"
)

LAKESIDE_EN = [
    Hold("clrs3", "central"),
    Hold("sicp2", "central"),
    Hold("kr2", "central"),
    Hold("gof", "central", drop_subtitle=True),
    Hold("aima3", "central"),
    Hold("dl", "central", isbn_form="13"),
    Hold("cleancode", "central"),
    Hold("ggs97", "central", drop_subtitle=True, isbn_form="13"),
    Hold("sapiens", "central", drop_subtitle=True),
    Hold("tfs", "central"),
    Hold("kuhn3", "central"),
    Hold("threebody", "central"),
    Hold("iir", "central", isbn_form="13"),
    Hold("kiterunner", "central"),
    Hold("hp1uk", "children"),
    Hold("elements", "central"),
    Hold("moby", "central"),
]

# (key, call number, CLC as lakeside records it, text replacements for this member's record)
LAKESIDE_ZH = [
    ("santi1", "I247.55 LIU", "I247.55", {}),
    ("huozhe", "I247.57 YU", "I247.57", {}),
    ("weicheng", "I246.57 QIAN", "I246.57", {"钱锺书": "钱钟书"}),
    ("pingfan", "I247.57 LU", "I247.57", {}),
    ("hongloumeng", "I242.47 CAO", "I242.47", {}),
    ("suanfa", "TP301.6 KE", "TP301.6", {}),
    ("jiqixuexi", "TP181 ZHOU", "TP181", {}),
    ("renlei", "K02-49 HE", "K02-49", {}),
    ("wanli", "K248.3 HUANG", "K248.3", {}),
    ("bainian", "I775.45 JIA", "I775.45", {}),
    ("fengzheng", "I712.45 HU", "I712.45", {}),
    ("jieyou", "I313.45 DONG", "I313.45", {}),
    ("hpzh", "I561.84 LUO", "I561.84", {}),
]


def lakeside_zh_record(z: ZhBook, call: str, clc: str, swaps: dict[str, str], *, local_id: str, barcode: str) -> Record:
    def s(text: str) -> str:
        for old, new in swaps.items():
            text = text.replace(old, new)
        return text

    rec = Record()
    rec.leader = Leader(leader21("a", "m", "a"))
    rec.add_ordered_field(cf("001", local_id))
    rec.add_ordered_field(cf("003", LAKESIDE.org))
    rec.add_ordered_field(cf("005", LAKESIDE.stamp))
    material = book_material(illustrated=z.illustrated, index=False, fiction=z.fiction)
    rec.add_ordered_field(cf("008", f008(LAKESIDE.entered, "s", str(z.year), "    ", "cc ", material, "chi")))
    rec.add_ordered_field(df("020", "  ", "a", isbn_as(z.isbn, "13"), "c", z.price))
    rec.add_ordered_field(df("040", "  ", "a", LAKESIDE.org, "b", "chi", "c", LAKESIDE.org))
    if z.original_language:
        rec.add_ordered_field(df("041", "1 ", "a", "chi", "h", z.original_language))
    rec.add_ordered_field(df("084", "  ", "a", clc, "2", "clc"))
    authors = [p for p in z.people if p[1] == "著"]
    others = [p for p in z.people if p[1] != "著"]
    rec.add_ordered_field(df("100", "0 ", "a", s(authors[0][0]), "e", "著"))
    rec.add_ordered_field(
        df(
            "245",
            "10",
            "a",
            s(z.title),
            "n",
            z.part_number,
            "p",
            z.part_name,
            "b",
            "" if z.other.startswith(("原书", "第")) else z.other,
            "c",
            s(z.resp) + (f" ; {z.resp2}" if z.resp2 else ""),
        )
    )
    if z.parallel:
        rec.add_ordered_field(df("246", "31", "a", z.parallel))
    edition = z.edition or (z.other if z.other.startswith(("原书", "第")) else "")
    if edition:
        rec.add_ordered_field(df("250", "  ", "a", edition))
    rec.add_ordered_field(df("260", "  ", "a", z.place, "b", z.publisher, "c", str(z.year)))
    rec.add_ordered_field(df("300", "  ", "a", z.extent, "b", "图" if z.illustrated else "", "c", f"{z.height}cm"))
    if z.series:
        rec.add_ordered_field(df("490", "0 ", "a", z.series))
    for topic, geo, period in z.subjects:
        rec.add_ordered_field(df("650", " 4", "a", topic, "z", geo, "y", period))
    for name, role, _original in [*authors[1:], *others]:
        rec.add_ordered_field(df("700", "0 ", "a", s(name), "e", role))
    rec.add_ordered_field(df("852", "8 ", "a", LAKESIDE.org, "b", "east-asian", "h", call, "p", barcode))
    return rec


def lakeside_records() -> list[Record]:
    records = []
    n = 0
    for hold in LAKESIDE_EN:
        n += 1
        b = BOOKS[hold.key]
        title_main = len(b.authors) > 3
        call = f"{b.ddc.replace('/', '')} {b.title[:3].upper()}" if title_main else dewey_call(b)
        copy = Hold(**{**hold.__dict__, "call": call, "barcode": f"LK{n:08d}"})
        records.append(book_record(b, copy, f"LKS{n:08d}", LAKESIDE))
    for key, call, clc, swaps in LAKESIDE_ZH:
        n += 1
        records.append(
            lakeside_zh_record(ZH_BOOKS[key], call, clc, swaps, local_id=f"LKS{n:08d}", barcode=f"LK{n:08d}")
        )
    return records


# ---------------------------------------------------------------------------------------------------------
# Eastlake (binary UNIMARC, CNMARC style, UTF-8)
# ---------------------------------------------------------------------------------------------------------

EASTLAKE_ORG = "ELU"
EASTLAKE_ENTERED = "20150312"
EASTLAKE_STAMP = "20150312093000.0"
UNIMARC_LEADER = "00000nam0 2200000   450 "


def unimarc_record() -> Record:
    rec = Record(force_utf8=True)
    rec.leader = Leader(UNIMARC_LEADER)
    rec.to_unicode = False  # keep leader/09 blank: UNIMARC leaves it undefined; 100/26-29 says UTF-8
    if len(UNIMARC_LEADER) != 24:
        raise SampleError("bad UNIMARC leader")
    return rec


def f100(year: int, script: str, audience: str = "km ") -> str:
    """CNMARC 100 $a: 0-7 date entered, 8 'd', 9-12 date 1, 13-16 date 2, 17-19 audience, 20 government
    publication (y none), 21 modified record (0), 22-24 cataloguing language, 25 transliteration (y none),
    26-29 character sets ('50' = ISO 10646), 30-33 additional sets, 34-35 script of title."""
    value = f"{EASTLAKE_ENTERED}d{year}    {audience}y0chiy50      {script}"
    if len(value) != 36:
        raise SampleError(f"bad CNMARC 100 {value!r} ({len(value)} chars)")
    return value


def f105(illustrated: bool, fiction: bool, index: bool = False) -> str:
    value = f"{'a' if illustrated else 'y'}   z   00{'1' if index else '0'}{'a' if fiction else 'y'}y"
    if len(value) != 13:
        raise SampleError(f"bad 105 {value!r}")
    return value


def f905(barcode: str, location: str, clc: str, book_number: str) -> Field:
    return df("905", "  ", "a", EASTLAKE_ORG, "b", barcode, "c", location, "d", clc, "e", book_number)


# (key, 种次号 book number)
EASTLAKE_ZH = [
    ("santi1", "15"),
    ("santi2", "15:2"),
    ("santi3", "15:3"),
    ("huozhe", "102"),
    ("weicheng", "31"),
    ("pingfan", "87"),
    ("hongloumeng", "8"),
    ("sanguo", "5"),
    ("suanfa", "211"),
    ("shenru", "64"),
    ("shejimoshi", "58"),
    ("cyuyan", "120"),
    ("sicpzh", "33"),
    ("zhuji", "41"),
    ("daima", "72"),
    ("jiqixuexi", "307"),
    ("tongji", "296"),
    ("shendu", "341"),
    ("renlei", "27"),
    ("wanli", "19"),
    ("bainian", "44"),
    ("fengzheng", "38"),
    ("jieyou", "52"),
    ("hpzh", "11"),
    ("nuowei", "21"),
]

# English originals in the foreign-language stacks: (key, CLC, Chinese subject headings, book number)
EASTLAKE_EN = [
    ("clrs3", "TP301.6", (("电子计算机", "", ""), ("算法理论", "", "")), "C797"),
    ("dl", "TP181", (("机器学习", "", ""),), "G655"),
    ("prml", "TP391.4", (("模式识别", "", ""), ("机器学习", "", "")), "B622"),
    ("sicp2", "TP311.1", (("程序设计", "", ""),), "A141"),
    ("esl", "TP181", (("机器学习", "", ""), ("统计方法", "", "")), "H356"),
]


def eastlake_zh_record(z: ZhBook, local_id: str, barcode: str, book_number: str) -> Record:
    rec = unimarc_record()
    rec.add_ordered_field(cf("001", local_id))
    rec.add_ordered_field(cf("005", EASTLAKE_STAMP))
    rec.add_ordered_field(df("010", "  ", "a", z.isbn, "d", z.price))
    rec.add_ordered_field(df("100", "  ", "a", f100(z.year, "ea")))
    if z.original_language:
        rec.add_ordered_field(df("101", "1 ", "a", "chi", "b", z.intermediate_language, "c", z.original_language))
    else:
        rec.add_ordered_field(df("101", "0 ", "a", "chi"))
    rec.add_ordered_field(df("102", "  ", "a", "CN"))
    rec.add_ordered_field(df("105", "  ", "a", f105(z.illustrated, z.fiction)))
    rec.add_ordered_field(df("106", "  ", "a", "r"))
    rec.add_ordered_field(
        df(
            "200",
            "1 ",
            "a",
            z.title,
            "h",
            z.part_number,
            "i",
            z.part_name,
            "d",
            z.parallel,
            "e",
            z.other,
            "f",
            z.resp,
            "g",
            z.resp2,
            "z",
            "eng" if z.parallel else "",
        )
    )
    if z.edition:
        rec.add_ordered_field(df("205", "  ", "a", z.edition))
    rec.add_ordered_field(df("210", "  ", "a", z.place, "c", z.publisher, "d", str(z.year)))
    rec.add_ordered_field(df("215", "  ", "a", z.extent, "c", "图" if z.illustrated else "", "d", f"{z.height}cm"))
    if z.series:
        rec.add_ordered_field(df("225", "2 ", "a", z.series))
    for topic, geo, period in z.subjects:
        rec.add_ordered_field(df("606", "0 ", "a", topic, "y", geo, "z", period))
    rec.add_ordered_field(df("690", "  ", "a", z.clc, "v", "5"))
    for name, role, original in z.people:
        tag = "701" if role == "著" else "702"
        rec.add_ordered_field(df(tag, " 0", "a", name, "g", f"({original})" if original else "", "4", role))
    rec.add_ordered_field(df("801", " 0", "a", "CN", "b", EASTLAKE_ORG, "c", EASTLAKE_ENTERED))
    rec.add_ordered_field(f905(barcode, "中文书库", z.clc, book_number))
    return rec


def eastlake_en_record(
    b: Book, clc: str, subjects: tuple[tuple[str, str, str], ...], *, local_id: str, barcode: str, book_number: str
) -> Record:
    rec = unimarc_record()
    rec.add_ordered_field(cf("001", local_id))
    rec.add_ordered_field(cf("005", EASTLAKE_STAMP))
    rec.add_ordered_field(df("010", "  ", "a", isbn_as(b.isbn, "hyphen"), "b", "hbk" if "hard" in b.qualifier else ""))
    rec.add_ordered_field(df("100", "  ", "a", f100(b.year, "ba")))
    rec.add_ordered_field(df("101", "0 ", "a", "eng"))
    rec.add_ordered_field(df("102", "  ", "a", COUNTRY_ISO[b.country]))
    rec.add_ordered_field(df("105", "  ", "a", f105(b.illustrated, b.fiction, index=True)))
    rec.add_ordered_field(df("106", "  ", "a", "r"))
    rec.add_ordered_field(df("200", "1 ", "a", b.title, "e", b.subtitle, "f", short_resp(b)))
    if b.edition:
        rec.add_ordered_field(df("205", "  ", "a", EDITION_ABBR.get(b.edition, b.edition)))
    rec.add_ordered_field(
        df("210", "  ", "a", PLACE_ABBR.get(b.place, b.place), "c", b.publisher.removeprefix("The "), "d", str(b.year))
    )
    rec.add_ordered_field(
        df("215", "  ", "a", f"{b.pages} p.", "c", "ill." if b.illustrated else "", "d", f"{b.height} cm")
    )
    if b.series:
        rec.add_ordered_field(df("225", "2 ", "a", b.series))
    for topic, geo, period in subjects:
        rec.add_ordered_field(df("606", "0 ", "a", topic, "y", geo, "z", period))
    rec.add_ordered_field(df("690", "  ", "a", clc, "v", "5"))
    for heading in b.authors:
        surname, _, forenames = heading.partition(", ")
        rec.add_ordered_field(df("701", " 1", "a", surname, "b", forenames, "4", "著"))
    rec.add_ordered_field(df("801", " 0", "a", "CN", "b", EASTLAKE_ORG, "c", EASTLAKE_ENTERED))
    rec.add_ordered_field(f905(barcode, "外文书库", clc, book_number))
    return rec


def eastlake_records() -> list[Record]:
    records = []
    n = 0
    for key, book_number in EASTLAKE_ZH:
        n += 1
        records.append(eastlake_zh_record(ZH_BOOKS[key], f"0120{n:06d}", f"C{1000400 + n * 13:07d}", book_number))
    for key, clc, subjects, book_number in EASTLAKE_EN:
        n += 1
        records.append(
            eastlake_en_record(
                BOOKS[key],
                clc,
                subjects,
                local_id=f"0120{n:06d}",
                barcode=f"W{2000100 + n * 7:07d}",
                book_number=book_number,
            )
        )
    return records


# ---------------------------------------------------------------------------------------------------------
# Lakeside KBART (phase II)
# ---------------------------------------------------------------------------------------------------------

KBART_COLUMNS = [
    "publication_title",
    "print_identifier",
    "online_identifier",
    "date_first_issue_online",
    "num_first_vol_online",
    "num_first_issue_online",
    "date_last_issue_online",
    "num_last_vol_online",
    "num_last_issue_online",
    "title_url",
    "first_author",
    "title_id",
    "embargo_info",
    "coverage_depth",
    "notes",
    "publisher_name",
    "publication_type",
    "date_monograph_published_print",
    "date_monograph_published_online",
    "monograph_volume",
    "monograph_edition",
    "first_editor",
    "parent_publication_title_id",
    "preceding_publication_title_id",
    "access_type",
]


def serial(  # noqa: PLR0917
    title: str,
    p: str,
    e: str,
    start: str,
    vol: str,
    issue: str,
    url: str,
    title_id: str,
    publisher: str,
    *,
    end_date: str = "",
    end_vol: str = "",
    end_issue: str = "",
    embargo: str = "",
    access: str = "P",
    preceding: str = "",
    notes: str = "",
) -> dict[str, str]:
    return {
        "publication_title": title,
        "print_identifier": p,
        "online_identifier": e,
        "date_first_issue_online": start,
        "num_first_vol_online": vol,
        "num_first_issue_online": issue,
        "date_last_issue_online": end_date,
        "num_last_vol_online": end_vol,
        "num_last_issue_online": end_issue,
        "title_url": url,
        "title_id": title_id,
        "embargo_info": embargo,
        "coverage_depth": "fulltext",
        "notes": notes,
        "publisher_name": publisher,
        "publication_type": "serial",
        "preceding_publication_title_id": preceding,
        "access_type": access,
    }


def monograph(  # noqa: PLR0917
    title: str,
    p: str,
    e: str,
    url: str,
    author: str,
    title_id: str,
    publisher: str,
    year: str,
    *,
    edition: str = "",
    access: str = "P",
) -> dict[str, str]:
    return {
        "publication_title": title,
        "print_identifier": p,
        "online_identifier": e,
        "title_url": url,
        "first_author": author,
        "title_id": title_id,
        "coverage_depth": "fulltext",
        "publisher_name": publisher,
        "publication_type": "monograph",
        "date_monograph_published_print": year,
        "date_monograph_published_online": year,
        "monograph_edition": edition,
        "access_type": access,
    }


# fmt: off
KBART_ROWS = [
    serial("Communications of the ACM", "0001-0782", "1557-7317", "1958-01-01", "1", "1",
           "https://dl.acm.org/toc/cacm", "cacm", "Association for Computing Machinery"),
    serial("Journal of the ACM", "0004-5411", "1557-735X", "1954-01-01", "1", "1",
           "https://dl.acm.org/toc/jacm", "jacm", "Association for Computing Machinery"),
    serial("ACM Computing Surveys", "0360-0300", "1557-7341", "1969-03-01", "1", "1",
           "https://dl.acm.org/toc/csur", "csur", "Association for Computing Machinery"),
    serial("Nature", "0028-0836", "1476-4687", "1869-11-04", "1", "1",
           "https://www.nature.com/nature", "nature", "Springer Nature"),
    serial("Science", "0036-8075", "1095-9203", "1880-07-03", "1", "1",
           "https://www.science.org/journal/science", "science", "American Association for the Advancement of Science"),
    serial("The Lancet", "0140-6736", "1474-547X", "1823-10-05", "1", "1",
           "https://www.thelancet.com/journals/lancet/issues", "lancet", "Elsevier"),
    serial("Cell", "0092-8674", "1097-4172", "1974-01-01", "1", "1",
           "https://www.cell.com/cell/archive", "cell", "Cell Press"),
    serial("Proceedings of the National Academy of Sciences of the United States of America",
           "0027-8424", "1091-6490", "1915-01-15", "1", "1", "https://www.pnas.org/toc/pnas", "pnas",
           "National Academy of Sciences", embargo="R6M", access="F",
           notes="Free after six months; the most recent six months are not covered"),
    serial("Journal of Documentation", "0022-0418", "1758-7379", "1945-06-01", "1", "1",
           "https://www.emerald.com/insight/publication/issn/0022-0418", "jd", "Emerald Publishing",
           embargo="R12M", notes="Aggregator coverage with a twelve-month embargo"),
    serial("Journal of the American Society for Information Science and Technology", "1532-2882", "1532-2890",
           "2001-01-01", "52", "1", "https://asistdl.onlinelibrary.wiley.com/journal/15322890", "asi-old",
           "Wiley", end_date="2013-12-31", end_vol="64", end_issue="12"),
    serial("Journal of the Association for Information Science and Technology", "2330-1635", "2330-1643",
           "2014-01-01", "65", "1", "https://asistdl.onlinelibrary.wiley.com/journal/23301643", "asi", "Wiley",
           preceding="asi-old"),
    serial("Science China Information Sciences", "1674-733X", "1869-1919", "2010-01-01", "53", "1",
           "https://link.springer.com/journal/11432", "11432", "Science China Press"),
    serial("中国科学：信息科学", "1674-7267", "", "2010-01-01", "", "",
           "https://www.sciengine.com/SSI", "ssi", "中国科学杂志社"),
    serial("软件学报", "1000-9825", "", "2000-01-01", "", "", "https://www.jos.org.cn/", "jos",
           "中国科学院软件研究所"),
    serial("中国图书馆学报", "1001-8867", "", "2000-01-01", "", "", "", "zgtsgxb", "中国图书馆学会"),
    serial("D-Lib Magazine", "", "1082-9873", "1995-07-01", "1", "1", "https://www.dlib.org/", "dlib",
           "Corporation for National Research Initiatives", end_date="2017-08-31", end_vol="23", end_issue="7/8",
           access="F", notes="Ceased"),
    monograph("Deep learning", "9780262035613", "", "https://mitpress.mit.edu/9780262035613/deep-learning/",
              "Goodfellow", "9780262035613", "MIT Press", "2016"),
    monograph("The elements of statistical learning: data mining, inference, and prediction", "9780387848570",
              ESL_EISBN, "https://link.springer.com/book/10.1007/978-0-387-84858-7", "Hastie",
              "10.1007/978-0-387-84858-7", "Springer", "2009", edition="2"),
    monograph("Introduction to information retrieval", "9780521865715", "9780511809071",
              "https://doi.org/10.1017/CBO9780511809071", "Manning", "CBO9780511809071",
              "Cambridge University Press", "2008"),
]
# fmt: on


def kbart_bytes() -> bytes:
    lines = ["\t".join(KBART_COLUMNS)]
    for n, row in enumerate(KBART_ROWS, start=1):
        unknown = set(row) - set(KBART_COLUMNS)
        if unknown:
            raise SampleError(f"KBART row {n}: unknown columns {sorted(unknown)}")
        for column in ("print_identifier", "online_identifier"):
            value = row.get(column, "")
            if not value:
                continue
            if row["publication_type"] == "serial":
                checked_issn(value, f"KBART row {n} {column}")
            else:
                checked_isbn(value, f"KBART row {n} {column}")
        cells = [row.get(column, "") for column in KBART_COLUMNS]
        if any("\t" in c or "\n" in c for c in cells):
            raise SampleError(f"KBART row {n}: a cell holds a tab or a newline")
        lines.append("\t".join(cells))
    return ("\n".join(lines) + "\n").encode("utf-8")


# ---------------------------------------------------------------------------------------------------------
# Checks, writing, reading back
# ---------------------------------------------------------------------------------------------------------


def check_identifiers(records: list[Record], name: str, unimarc: bool = False) -> None:
    """Every ISBN (020 $a $z, 776 $z; UNIMARC 010 $a) and ISSN (022 $a $l) must have a valid check digit."""
    for rec in records:
        where = f"{name} record {rec['001'].data}"
        if len(str(rec.leader)) != 24:
            raise SampleError(f"{where}: leader is not 24 characters")
        if not unimarc and len(rec["008"].data) != 40:
            raise SampleError(f"{where}: 008 is not 40 characters")
        for field in rec.fields:
            if field.control_field:
                continue
            if unimarc:
                pairs = {"010": "a"}
            else:
                pairs = {"020": "az", "776": "z", "022": "al"}
            codes = pairs.get(field.tag, "")
            for sub in field.subfields:
                if sub.code in codes:
                    token = sub.value.split(" ", 1)[0]
                    if field.tag == "022":
                        checked_issn(token, where)
                    else:
                        checked_isbn(token, where)
            if unimarc and field.tag == "100" and len(field["a"]) != 36:
                raise SampleError(f"{where}: 100 $a is not 36 characters")


def marc_bytes(records: list[Record]) -> bytes:
    return b"".join(rec.as_marc() for rec in records)


def marcxml_bytes(records: list[Record]) -> bytes:
    buffer = io.BytesIO()
    writer = XMLWriter(buffer)
    for rec in records:
        # Carry the record length and base address an ISO 2709 export of the same record would have.
        rec.leader = Leader(rec.as_marc()[:24].decode("ascii"))
        writer.write(rec)
    writer.close(close_fh=False)
    root = etree.fromstring(buffer.getvalue())
    etree.indent(root, space="  ")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8") + b"\n"


def read_binary(path: Path) -> list[Record]:
    with path.open("rb") as fh:
        reader = MARCReader(fh, to_unicode=True, force_utf8=True)
        records = []
        for rec in reader:
            if rec is None:
                raise SampleError(f"{path.name}: unreadable record: {reader.current_exception}")
            records.append(rec)
    return records


def write(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    print(f"wrote {path.relative_to(HERE.parent)} ({len(data):,} bytes)")


def check_tables() -> None:
    """Validate every ISBN in the fact tables before any record is built from them."""
    for b in BOOKS.values():
        checked_isbn(b.isbn, f"BOOKS[{b.key!r}]")
    for z in ZH_BOOKS.values():
        checked_isbn(z.isbn, f"ZH_BOOKS[{z.key!r}]")
    checked_isbn(ESL_EISBN, "ESL_EISBN")


def main() -> int:
    check_tables()
    outputs = {
        "riverside.mrc": riverside_records(),
        "westfield.mrc": westfield_records(),
        "lakeside.xml": lakeside_records(),
        "eastlake.iso": eastlake_records(),
    }
    for name, records in outputs.items():
        check_identifiers(records, name, unimarc=name.endswith(".iso"))
        ids = [rec["001"].data for rec in records]
        if len(set(ids)) != len(ids):
            raise SampleError(f"{name}: duplicate 001")
    kbart = kbart_bytes()

    for name, records in outputs.items():
        data = marcxml_bytes(records) if name.endswith(".xml") else marc_bytes(records)
        write(HERE / name, data)
    write(HERE / "lakeside-kbart.txt", kbart)

    # Read everything back the way the harvester will.
    for name, records in outputs.items():
        path = HERE / name
        back = parse_xml_to_array(str(path)) if name.endswith(".xml") else read_binary(path)
        if [r["001"].data for r in back] != [r["001"].data for r in records]:
            raise SampleError(f"{name}: records read back differ from those written")
        print(f"  {name}: {len(back)} records read back")
    rows = kbart.decode("utf-8").splitlines()
    print(f"  lakeside-kbart.txt: {len(rows) - 1} rows")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except SampleError as exc:
        print(f"make_samples: {exc}", file=sys.stderr)
        sys.exit(1)
