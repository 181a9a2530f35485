"""Reader-behaviour analytics for staff: aggregates only, from readers who consented to ``analytics``, every cell
backed by at least ten distinct readers (differences of cells included).

- :mod:`~consortium.analytics.facts`: what is counted, read from the consenting readers under the purpose;
- :mod:`~consortium.analytics.cells`: counting into cells and suppression (primary, top-down, complementary);
- :mod:`~consortium.analytics.report`: the published report, its frozen months, selections and CSV;
- :mod:`~consortium.analytics.service`: the job that builds and keeps it, and what staff read;
- :mod:`~consortium.analytics.contribution`: a member's loans by other members' readers, from the kept report;
- :mod:`~consortium.analytics.ports`: where the report is kept.
"""
