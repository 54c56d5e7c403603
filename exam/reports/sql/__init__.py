"""SQL pieces the reports share: local dates and months on both databases, JSON records."""
