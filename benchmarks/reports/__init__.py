"""Reports on a province-sized data set (issue 9): generate it on PostgreSQL, time every report.

    python -m benchmarks.reports [--keep] [--url URL] [--runs 5]

See ``__main__`` for the options and ``benchmarks/RESULTS.md`` for the figures.
"""
