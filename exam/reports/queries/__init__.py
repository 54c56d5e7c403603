"""The report queries: pass rates and the dashboard, the 100% tracker, item analysis, topic
weaknesses, each person's and enterprise's file; plain data out, no HTTP, no rendering."""
