"""A small catalogue for search tests: 30 clusters of real-looking English and Chinese data.

Five members hold them: mit, pku, thu, fudan, ntu. Titles, authors, ISBNs (valid check digits), subjects and
classifications (CLC, LCC, Dewey) are as a union catalogue would show them; 紅樓夢校注 is in traditional
characters, two "Operating system concepts" clusters differ only in who holds them, and Beowulf has no year.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from factories import make_cluster

if TYPE_CHECKING:
    from consortium.models import Cluster

__all__ = ["corpus"]


def corpus() -> list[Cluster]:
    c = make_cluster
    # fmt: off
    return [
        c("dl-en", "Deep learning", ["mit", "pku"], authors=["Goodfellow, Ian", "Bengio, Yoshua", "Courville, Aaron"],
          year=2016, language="eng", isbn="9780262035613", subjects=["Machine learning"],
          classes=["lcc:Q325.5", "ddc:006.31"], publisher="The MIT Press"),
        c("dl-zh", "深度学习", ["pku", "thu"], authors=["伊恩·古德费洛", "约书亚·本吉奥"], year=2017, language="chi",
          isbn="9787115461476", subjects=["机器学习"], classes=["clc:TP181"], publisher="人民邮电出版社"),
        c("dl-python-zh", "Python深度学习", ["fudan"], authors=["弗朗索瓦·肖莱"], year=2018, language="chi",
          isbn="9787115488763", subjects=["Python语言 — 程序设计", "机器学习"], classes=["clc:TP311.561"]),
        c("dl-python-en", "Deep learning with Python", ["mit"], authors=["Chollet, François"], year=2017,
          language="eng", format="ebook", classes=["lcc:QA76.73.P98"]),
        c("three-body-zh", "三体", ["pku", "fudan"], authors=["刘慈欣"], year=2008, language="chi",
          isbn="9787536692930", subjects=["科学幻想小说 — 中国 — 当代"], classes=["clc:I247.55"]),
        c("three-body-en", "The three-body problem", ["mit"], authors=["Liu, Cixin", "Liu, Ken"], year=2014,
          language="eng", isbn="9780765382030", subjects=["Science fiction, Chinese"],
          classes=["lcc:PL2946.L78"]),
        c("hlm-zh", "红楼梦", ["pku"], subtitle="脂砚斋重评石头记", authors=["曹雪芹", "高鹗"], year=1982,
          language="chi", isbn="9787020002207", subjects=["章回小说 — 中国 — 清代"],
          classes=["clc:I242.4"]),
        c("hlm-tw", "紅樓夢校注", ["ntu"], authors=["曹雪芹"], year=1984, language="chi", classes=["clc:I242.4"]),
        c("clrs-en", "Introduction to algorithms", ["mit", "thu"], authors=["Cormen, Thomas H.", "Rivest, Ronald L."],
          year=2009, language="eng", isbn="9780262033848", classes=["lcc:QA76.6", "ddc:005.1"],
          subjects=["Computer programming", "Data structures (Computer science)"]),
        c("clrs-zh", "算法导论", ["thu", "pku"], authors=["科尔曼"], year=2013, language="chi", isbn="9787111407010",
          subjects=["电子计算机 — 算法理论"], classes=["clc:TP301.6"]),
        c("taocp", "The art of computer programming", ["mit"], authors=["Knuth, Donald E."], year=1997,
          language="eng", isbn="9780201896831", subjects=["Computer programming", "Computer algorithms"],
          classes=["lcc:QA76.6"]),
        c("sedgewick", "Algorithms", ["fudan"], authors=["Sedgewick, Robert", "Wayne, Kevin"], year=2011,
          language="eng", isbn="9780321573513", classes=["lcc:QA76.9"]),
        c("sicp", "Structure and interpretation of computer programs", ["mit"], authors=["Abelson, Harold"],
          year=1996, language="eng", isbn="9780262510875", classes=["lcc:QA76.6"]),
        c("kr-c", "The C programming language", ["fudan", "mit"], authors=["Kernighan, Brian W.", "Ritchie, Dennis M."],
          year=1988, language="eng", isbn="9780131103627", classes=["lcc:QA76.73.C15"]),
        c("geb", "Gödel, Escher, Bach", ["mit"], subtitle="an eternal golden braid", authors=["Hofstadter, Douglas R."],
          year=1979, language="eng", isbn="9780465026562", subjects=["Artificial intelligence"],
          classes=["ddc:510"]),
        c("kahneman", "Thinking, fast and slow", ["thu"], authors=["Kahneman, Daniel"], year=2011, language="eng",
          isbn="9780374533557", subjects=["Thought and thinking", "Decision making"], classes=["ddc:153.42"]),
        c("hawking-en", "A brief history of time", ["thu"], authors=["Hawking, Stephen"], year=1988, language="eng",
          isbn="9780553380163", subjects=["Cosmology"], classes=["ddc:523.1"]),
        c("hawking-zh", "时间简史", ["pku"], authors=["霍金"], year=2010, language="chi", isbn="9787535732309",
          subjects=["宇宙学 — 普及读物"], classes=["clc:P159"]),
        c("weicheng", "围城", ["pku", "fudan"], authors=["钱锺书"], year=1991, language="chi", isbn="9787020024759",
          classes=["clc:I246.57"]),
        c("huozhe", "活着", ["thu"], authors=["余华"], year=2012, language="chi", isbn="9787506365437",
          classes=["clc:I247.57"]),
        c("austen-en", "Pride and prejudice", ["mit"], authors=["Austen, Jane"], year=2003, language="eng",
          isbn="9780141439518", classes=["lcc:PR4034"]),
        c("austen-zh", "傲慢与偏见", ["fudan"], authors=["奥斯汀"], year=2017, language="chi", classes=["clc:I561.44"]),
        c("nature", "Nature", ["mit", "pku"], format="journal", year=1869, language="eng", issn="0028-0836",
          subjects=["Science — Periodicals"]),
        c("sci-china", "中国科学. 信息科学", ["thu"], format="ejournal", year=2010, language="chi", issn="1674-733X",
          classes=["clc:TP"]),
        c("db-en", "Database system concepts", ["mit", "thu"], authors=["Silberschatz, Abraham"], year=2010,
          language="eng", format="ebook", isbn="9780073523323", classes=["lcc:QA76.9.D3"]),
        c("db-zh", "数据库系统概念", ["thu"], authors=["西尔伯沙茨"], year=2012, language="chi",
          classes=["clc:TP311.13"]),
        # The same description held by two libraries and not merged: only the reader's library tells them apart.
        c("os-pku", "Operating system concepts", ["pku"], authors=["Silberschatz, Abraham"], year=2018,
          language="eng", classes=["lcc:QA76.76.O63"]),
        c("os-thu", "Operating system concepts", ["thu"], authors=["Silberschatz, Abraham"], year=2018,
          language="eng", classes=["lcc:QA76.76.O63"]),
        c("beowulf", "Beowulf", ["ntu"], format="manuscript", language="ang"),
        c("hamlet", "Hamlet", ["fudan"], format="video", authors=["Shakespeare, William"], year=1996, language="eng"),
    ]
    # fmt: on
