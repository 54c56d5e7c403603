"""Rendering the reports: charts, PDF pages, spreadsheets and the summary for the people's
congress."""
