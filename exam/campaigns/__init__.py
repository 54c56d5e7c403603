"""Campaigns (专题考试活动): a named series of exams (rounds, 第一期, 第二期 …) with their makeups,
reported on as one unit (the reports' campaign figures and the congress summary)."""
