"""Reports for the bureau: the dashboard, pass rates, the 100% tracker, topic weaknesses, item
analysis, and one file per enterprise and per person, as pages, .xlsx and PDF."""
