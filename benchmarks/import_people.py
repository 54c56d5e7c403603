"""How long a district-size register import takes: check (parse + validate) and apply.

    python benchmarks/import_people.py [--people 3000] [--database-url URL]

Builds an .xlsx with N/3 enterprises and N people (valid identifiers), then times, on a
fresh database: reading the file, building the plan, applying it (first import), and
applying it again (the idempotent re-import). Prints one line per phase.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1]))

from openpyxl import Workbook  # noqa: E402

from exam.demo.data import make_credit_code, make_id_number, make_mobile, make_name  # noqa: E402


def build_file(people: int, rng: random.Random) -> bytes:
    from datetime import date

    workbook = Workbook()
    ent = workbook.active
    ent.title = "企业"
    ent.append(
        [
            "企业名称",
            "统一社会信用代码",
            "行业领域",
            "镇街",
            "地址",
            "联系人",
            "联系电话",
            "从业人数",
        ]
    )
    codes = []
    for i in range(max(1, people // 3)):
        code = make_credit_code(rng)
        codes.append(code)
        ent.append(
            [
                f"基准测试企业{i:05d}有限公司",
                code,
                rng.choice(["危险化学品", "粉尘涉爆", "建筑施工"]),
                "城关街道",
                "工业路1号",
                "王五",
                make_mobile(rng),
                100,
            ]
        )
    ppl = workbook.create_sheet("人员")
    ppl.append(
        [
            "姓名",
            "身份证号",
            "手机号",
            "岗位",
            "所在企业统一社会信用代码",
            "所在企业名称",
            "任职日期",
        ]
    )
    seen = set()
    for i in range(people):
        while True:
            born = date(rng.randint(1966, 1996), rng.randint(1, 12), rng.randint(1, 28))
            id_number = make_id_number(rng, born, rng.random() < 0.7)
            if id_number not in seen:
                seen.add(id_number)
                break
        ppl.append(
            [
                make_name(rng, True),
                id_number,
                make_mobile(rng),
                ["主要负责人", "安全总监", "安全生产管理人员"][i % 3],
                codes[i // 3 % len(codes)],
                "",
                "2023-01-01",
            ]
        )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=3000)
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    os.environ.setdefault("ANPEI_INSTANCE_PATH", tempfile.mkdtemp())

    from flask_migrate import upgrade

    from exam import create_app
    from exam.core.extensions import db
    from exam.core.timeutil import local_today
    from exam.people import services
    from exam.people.importing import build_plan
    from exam.people.models import Town
    from question_bank.spreadsheets import read_spreadsheet

    data = build_file(args.people, random.Random(7))
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.test_request_context():
        upgrade()
        db.session.add(Town(name="城关街道"))
        db.session.commit()
        t0 = time.perf_counter()
        sheets = read_spreadsheet("bench.xlsx", data)
        t1 = time.perf_counter()
        plan = build_plan(sheets, services.lookups(), local_today())
        t2 = time.perf_counter()
        assert plan.ok, plan.errors[:3]
        report = services.apply_import(plan, local_today())
        db.session.commit()
        t3 = time.perf_counter()
        again = services.apply_import(
            build_plan(read_spreadsheet("bench.xlsx", data), services.lookups(), local_today()),
            local_today(),
        )
        db.session.commit()
        t4 = time.perf_counter()
    print(
        f"backend={db.engine.dialect.name if False else url.split(':')[0]} people={args.people} "
        f"enterprises={report.enterprises_created} file={len(data) / 1024:.0f}KiB"
    )
    print(f"read   {t1 - t0:7.2f} s")
    print(f"check  {t2 - t1:7.2f} s")
    print(f"import {t3 - t2:7.2f} s  ({report.people_created} people created)")
    print(
        f"again  {t4 - t3:7.2f} s  ({again.people_unchanged} unchanged, {again.people_created} created)"
    )


if __name__ == "__main__":
    main()
