"""The sample-file generator: hand-written facts in ``samples/facts/*.toml``, one builder per output.

* :mod:`.facts` loads and checks the facts, :mod:`.identifiers` checks ISBNs and ISSNs;
* :mod:`.fields` holds the field helpers shared by the builders, :mod:`.marc21` the MARC21 book record;
* :mod:`.riverside`, :mod:`.westfield` (binary MARC21), :mod:`.marcxml` (lakeside), :mod:`.unimarc`
  (eastlake, CNMARC) and :mod:`.kbart` (lakeside's package) build one file each;
* :mod:`.cli` writes them all and reads them back (``samples/make_samples.py`` calls it).
"""
