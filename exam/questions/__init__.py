"""The question bank in the web app: topics, questions and their versions, review, import,
export, and candidates' practice."""
