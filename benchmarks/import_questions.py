"""How long importing 10,000 questions takes: ``anpei questions import`` on a fresh database.

    python benchmarks/import_questions.py [--questions 10000] [--database-url URL]

Writes a template .xlsx of N questions (all four kinds, topics, explanations, sources),
then runs the import command's code path (check + write + commit) and prints the times.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))


def build_questions(n: int, rng: random.Random) -> list:
    from question_bank.model import QuestionData

    questions = []
    for i in range(n):
        kind = ("single", "multiple", "truefalse", "fill")[i % 4]
        options = (
            tuple(f"第{i}题的选项{c}" for c in "ABCD") if kind in ("single", "multiple") else ()
        )
        answer = {
            "single": rng.choice("ABCD"),
            "multiple": "".join(sorted(rng.sample("ABCD", 2))),
            "truefalse": rng.random() < 0.5,
            "fill": [[f"答案{i}", f"答案 {i}"]],
        }[kind]
        questions.append(
            QuestionData(
                kind=kind,
                stem=f"基准测试第{i}题：生产经营单位应当如何落实安全生产责任？____",
                options=options,
                answer=answer,
                explanation=f"解析{i}：见《中华人民共和国安全生产法》相关条款。",
                difficulty=("easy", "medium", "hard")[i % 3],
                legal_source="《中华人民共和国安全生产法》第二十一条",
                topics=(f"G{i % 8 + 1}",),
                external_key=f"bench-{i:05d}",
            )
        )
    return questions


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=10_000)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    os.environ.setdefault("ANPEI_INSTANCE_PATH", tempfile.mkdtemp())

    from flask_migrate import upgrade

    from exam import create_app
    from exam.core.extensions import db
    from exam.questions.imports import parse_upload
    from exam.questions.services import apply_import
    from question_bank.formats.template import write_template

    data = write_template(build_questions(args.questions, random.Random(3)))
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.test_request_context():
        upgrade()
        t0 = time.perf_counter()
        plan = parse_upload("bench.xlsx", data, None)
        t1 = time.perf_counter()
        assert plan.ok, plan.problems[:3]
        report = apply_import(plan, None)
        db.session.commit()
        t2 = time.perf_counter()
        again = apply_import(parse_upload("bench.xlsx", data, None), None)
        db.session.commit()
        t3 = time.perf_counter()
    print(f"backend={url.split(':')[0]} questions={args.questions} file={len(data) / 1024:.0f}KiB")
    print(f"read+check {t1 - t0:7.2f} s")
    print(f"write      {t2 - t1:7.2f} s  ({report.created} created)")
    print(f"total      {t2 - t0:7.2f} s  (target: under 15 s for 10,000)")
    print(f"again      {t3 - t2:7.2f} s  ({again.unchanged} unchanged, {again.created} created)")


if __name__ == "__main__":
    main()
