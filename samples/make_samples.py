#!/usr/bin/env python3
"""Write the sample member-library exports used by the demo (``make run``).

Run it from anywhere::

    .venv/bin/python samples/make_samples.py [--out FOLDER] [--facts FOLDER]

It writes, next to itself (or in ``--out``):

* ``riverside.mrc``      binary MARC21 (UTF-8), member ``riverside`` (RDA, full ISBD punctuation, LCC)
* ``westfield.mrc``      binary MARC21 (UTF-8, decomposed Unicode), member ``westfield`` (AACR2, Dewey)
* ``lakeside.xml``       MARCXML collection, member ``lakeside`` (punctuation stripped, Dewey and CLC)
* ``lakeside-kbart.txt`` KBART phase II, member ``lakeside``'s e-journal and e-book package
* ``eastlake.iso``       binary UNIMARC in the CNMARC style, UTF-8, member ``eastlake``

The bibliographic facts are in ``facts/*.toml`` (see SOURCES.md); the builders are in ``samplegen/``. The output
is deterministic: the same facts give byte-identical files. Every ISBN and ISSN is checked with python-stdnum
before anything is written; a bad check digit stops the run with exit status 1.
"""

from __future__ import annotations

import sys

from samplegen.cli import main

if __name__ == "__main__":
    sys.exit(main())
