"""Exams (with makeups), attempts and their answers, in the exact shape the app stores them.

Candidates answer by a simple item-response model: each person has an ability, each question
a difficulty and a discrimination (a few discriminate negatively, as a wrong key would), so
that item analysis, pass rates and topic weaknesses come out believable.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field
from datetime import timedelta

from benchmarks.reports.copying import Copy, esc, row
from benchmarks.reports.copying import field as as_field
from benchmarks.reports.register import Register

LETTERS = "ABCDEFGH"
GUESS = {"single": 0.25, "multiple": 0.1, "truefalse": 0.5, "fill": 0.0}
RULES = (("single", 20), ("multiple", 10), ("truefalse", 10))
POINTS = 2.5
#: Each main exam is for every post in one group of towns (a fifth of the district).
GROUPS = 5
GROUP_NAMES = ("东部片区", "西部片区", "南部片区", "北部片区", "中部片区")


@dataclass
class Outcome:
    """What later stages need from the attempts: first passes and counts."""

    #: person id -> [(exam id, attempt id, submitted, score)] of their valid passes, in order.
    passes: dict[int, list] = field(default_factory=dict)
    exam_titles: dict[int, str] = field(default_factory=dict)
    exams: list[tuple] = field(default_factory=list)  # (id, opens_at, town group, makeup_of)
    attempts: int = 0
    answers: int = 0
    cancelled: int = 0


class Fragments:
    """Per question, version and option order: the pieces of paper, page, result and answers,
    serialised once (the app's own JSON shapes) and reused for every paper that draws them."""

    def __init__(self, reg: Register, rng: random.Random):
        self.reg, self.rng, self.cache = reg, rng, {}
        self.orders = {}
        for qid, (kind, versions, *_rest) in reg.questions.items():
            count = len(versions[-1][1])
            self.orders[qid] = (
                [tuple(rng.sample(range(count), count)) for _ in range(6)]
                if kind in ("single", "multiple") and count > 1
                else [()]
            )

    def get(self, qid: int, version: int, order_index: int):
        key = (qid, version, order_index)
        found = self.cache.get(key)
        if found is None:
            found = self.cache[key] = self._make(qid, version, order_index)
        return found

    def _make(self, qid: int, version: int, order_index: int):
        kind, versions, topics, a, b = self.reg.questions[qid]
        version_id, options, answer, stem = versions[version]
        order = self.orders[qid][order_index % len(self.orders[qid])]
        blanks = len(answer) if kind == "fill" else 0
        paper = json.dumps(
            {
                "question_id": qid,
                "version_id": version_id,
                "points": POINTS,
                "option_order": list(order),
                "kind": kind,
                "options": len(options),
                "blanks": blanks,
            }
        )
        shown = [options[i] for i in order] if order else list(options)
        page = json.dumps(
            {
                "question_id": qid,
                "kind": kind,
                "stem": stem,
                "points": POINTS,
                "blanks": blanks,
                "options": [{"letter": LETTERS[i], "text": t} for i, t in enumerate(shown)],
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )[1:]
        if kind in ("single", "multiple"):
            position = {original: p for p, original in enumerate(order or range(len(options)))}
            right = "".join(sorted(LETTERS[position[LETTERS.index(c)]] for c in answer))
            every = LETTERS[: len(options)]
            if kind == "single":
                wrong = [c for c in every if c != right]
                wrong = wrong[:1] * 3 + wrong  # one distractor draws most wrong answers
            else:
                wrong = [
                    right[:-1],
                    right + next(c for c in every if c not in right),
                    next(c for c in every if c not in right),
                ]
            right_json, wrong_json = json.dumps(right), [json.dumps(w) for w in wrong if w]
        elif kind == "truefalse":
            right_json, wrong_json = json.dumps(answer), [json.dumps(not answer)]
        else:
            right_json, wrong_json = esc(json.dumps([answer[0][0]])), [esc(json.dumps(["三十二"]))]
        result_right = json.dumps(
            {"question_id": qid, "points": POINTS, "score": POINTS, "correct": True}
        )
        result_wrong = json.dumps(
            {"question_id": qid, "points": POINTS, "score": 0.0, "correct": False}
        )
        return (
            paper,
            page,
            f"\t{qid}\t{right_json}\t",
            [f"\t{qid}\t{w}\t" for w in wrong_json],
            result_right,
            result_wrong,
            topics,
            a,
            b,
            GUESS[kind],
        )


def plan_exams(reg: Register) -> list[dict]:
    """26 main exams over two years, a makeup three weeks after every other one, the last main
    exam's makeup still to come, and next month's main exam published but not yet held."""
    start = (reg.now - timedelta(days=700)).replace(hour=1, minute=0, second=0, microsecond=0)
    exams, next_id = [], 1
    for k in range(26):
        opens = start + timedelta(days=20 + round(k * 660 / 26))
        main = {
            "id": next_id,
            "k": k,
            "opens": opens,
            "group": k % GROUPS,
            "makeup_of": None,
            "title": f"{opens.year}年第{k % 13 + 1}期安全生产知识考试（{GROUP_NAMES[k % GROUPS]}）",
        }
        exams.append(main)
        next_id += 1
        if k % 2 == 0 or k == 25:
            when = opens + timedelta(days=21)
            if k == 25:
                when = max(when, reg.now + timedelta(days=7))
            exams.append(
                {
                    "id": next_id,
                    "k": k,
                    "opens": when.replace(hour=1),
                    "group": main["group"],
                    "makeup_of": main["id"],
                    "title": main["title"][:-1] + "·补考）",
                }
            )
            next_id += 1
    upcoming = (reg.now + timedelta(days=14)).replace(hour=1, minute=0, second=0, microsecond=0)
    exams.append(
        {
            "id": next_id,
            "k": 26,
            "opens": upcoming,
            "group": 26 % GROUPS,
            "makeup_of": None,
            "title": f"{upcoming.year}年第{upcoming.month}期安全生产知识考试（{GROUP_NAMES[26 % GROUPS]}）",
        }
    )
    return exams


def group_towns(reg: Register, group: int) -> list[int]:
    return [t for t in reg.towns if t % GROUPS == group]


def exam_rows(reg: Register, exams: list[dict]) -> list[str]:
    blueprint = json.dumps(
        {
            "rules": [{"count": n, "kind": kind, "points": POINTS} for kind, n in RULES],
            "fixed": [],
            "shuffle_questions": True,
            "shuffle_options": True,
        }
    )
    lines = []
    for e in exams:
        opens = e["opens"]
        eligibility = json.dumps(
            {
                "roles": [],
                "sector_ids": [],
                "town_ids": group_towns(reg, e["group"]),
                "enterprise_ids": [],
                "person_ids": [],
            }
        )
        lines.append(
            row(
                e["id"],
                e["title"],
                blueprint,
                opens,
                opens + timedelta(days=2, hours=8),
                60,
                80.0,
                1,
                eligibility,
                "after_close",
                "all_or_nothing",
                False,
                opens - timedelta(days=20),
                opens - timedelta(days=25),
                reg.admin_id,
                e["makeup_of"],
                True,
                5,
                True,
                None,
                None,
                False,
                None,
            )
        )
    return lines


EXAM_COLUMNS = (
    "id, title, blueprint, opens_at, closes_at, duration_minutes, pass_mark, attempts_allowed, "
    "eligibility, review_policy, scoring_policy, one_question_per_page, published_at, created_at, "
    "created_by_id, makeup_of_id, focus_tracking, focus_loss_limit, one_device, allowed_networks, "
    "access_code, requires_training, prerequisite_course_id"
)
ATTEMPT_COLUMNS = (
    "id, exam_id, user_id, number, seed, paper, paper_json, started_at, deadline, submitted_at, "
    "auto_submitted, score, total_points, passed, result, device_id, new_device_allowed, "
    "device_changes, focus_losses, review_shown_at, last_seen_at, cancelled_at, cancel_reason, "
    "cancelled_by_id"
)


def load_attempts(
    attempt_conn, answer_conn, reg: Register, rng: random.Random, exams: list[dict], target: int
) -> Outcome:
    """Every held exam's attempts and answers, streamed to two COPYs at once."""
    out = Outcome()
    frags = Fragments(reg, rng)
    by_kind = {kind: [q for q, v in reg.questions.items() if v[0] == kind] for kind, _n in RULES}
    ability = [0.0] + [rng.gauss(0.2, 0.9) for _ in range(len(reg.person_role) - 1)]
    pools = {
        group: [
            p
            for p in range(1, len(reg.person_role))
            if reg.person_enterprise[p]
            and reg.enterprise_town[reg.person_enterprise[p]] % GROUPS == group
        ]
        for group in range(GROUPS)
    }
    attempts = Copy(attempt_conn, "attempt", ATTEMPT_COLUMNS)
    answers = Copy(
        answer_conn, "attempt_answer", "id, attempt_id, question_id, response, seq, saved_at"
    )
    state = {"attempt": 1, "answer": 1, "fail_rate": 0.22}
    failed: dict[int, list[int]] = {}
    mains_left = sum(1 for e in exams if e["makeup_of"] is None and e["opens"] < reg.now)
    makeups_held = sum(1 for e in exams if e["makeup_of"] and e["opens"] < reg.now)
    for exam in exams:
        out.exam_titles[exam["id"]] = exam["title"]
        out.exams.append((exam["id"], exam["opens"], exam["group"], exam["makeup_of"]))
        if exam["opens"] >= reg.now:
            continue
        old_versions = exam["opens"] < reg.now - timedelta(days=400)
        if exam["makeup_of"] is None:
            share = makeups_held / max(mains_left, 1)
            n = round(
                (target - out.attempts) / (mains_left * (1 + share * state["fail_rate"] * 0.9))
            )
            mains_left -= 1
            pool = pools[exam["group"]]
            people, boost = rng.sample(pool, min(n, len(pool) * 97 // 100)), 0.0
        else:
            makeups_held -= 1
            people, boost = (
                [p for p in failed.get(exam["makeup_of"], ()) if rng.random() < 0.9],
                0.5,
            )
        fails = _sit(
            exam,
            people,
            boost,
            old_versions,
            reg,
            rng,
            frags,
            by_kind,
            ability,
            attempts,
            answers,
            state,
            out,
        )
        failed[exam["id"]] = fails
        if exam["makeup_of"] is None and people:
            state["fail_rate"] = len(fails) / len(people)
    attempts.close()
    answers.close()
    return out


def _sit(
    exam,
    people,
    boost,
    old_versions,
    reg,
    rng,
    frags,
    by_kind,
    ability,
    attempts,
    answers,
    state,
    out,
):
    """Attempts of one exam; returns the people who failed it (valid attempts only)."""
    fails = []
    random_, exp, sample = rng.random, math.exp, rng.sample
    exam_id, opens = exam["id"], exam["opens"]
    page_head = json.dumps(
        {
            "exam_id": exam_id,
            "title": exam["title"],
            "total_points": 100.0,
            "one_question_per_page": False,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )[:-1]
    for pid in people:
        theta = ability[pid] + boost
        started = opens + timedelta(minutes=rng.randrange(0, 2 * 24 * 60 + 8 * 60 - 60))
        used = random_() < 0.03
        submitted = started + timedelta(minutes=60 if used else rng.randrange(18, 60))
        attempt_id = state["attempt"]
        chosen = [q for kind, n in RULES for q in sample(by_kind[kind], n)]
        rng.shuffle(chosen)
        paper, page, items, lines, by_topic = [], [], [], [], {}
        correct_count = 0
        stamps = [as_field(started + timedelta(minutes=m)) for m in (5, 12, 20, 30)]
        answer_id = state["answer"]
        for number, qid in enumerate(chosen, start=1):
            version = 0 if old_versions else -1
            f = frags.get(qid, version, int(random_() * 6))
            p_paper, p_page, right, wrongs, r_right, r_wrong, topics, a, b, c = f
            paper.append(p_paper)
            page.append(f'{{"number":{number},{p_page}')
            z = a * (theta - b)
            p = c + (1 - c) / (1 + exp(-z)) if z > -30 else c
            ok = random_() < p
            if ok:
                correct_count += 1
                items.append(r_right)
                mid = right
            else:
                items.append(r_wrong)
                mid = (
                    wrongs[int(random_() * len(wrongs))] if random_() < 0.99 else f"\t{qid}\tnull\t"
                )
            for t in topics:
                s = by_topic.setdefault(t, [0.0, 0.0])
                s[0] += POINTS if ok else 0.0
                s[1] += POINTS
            lines.append(
                f"{answer_id}\t{attempt_id}{mid}{1 + (number & 3)}\t{stamps[number & 3]}\n"
            )
            answer_id += 1
        score = round(correct_count * POINTS, 2)
        passed = score >= 80.0
        result = (
            '{"items": ['
            + ", ".join(items)
            + '], "by_topic": {'
            + ", ".join(f'"{t}": [{round(s, 2)}, {pts}]' for t, (s, pts) in by_topic.items())
            + "}}"
        )
        cancelled = random_() < 0.003
        answers.extend("".join(lines), len(lines))
        attempts.add(
            "\t".join(
                (
                    str(attempt_id),
                    str(exam_id),
                    str(reg.person_user[pid]),
                    "1",
                    str(rng.randrange(2**31)),
                    "[" + ", ".join(paper) + "]",
                    page_head + ',"questions":[' + ",".join(page) + "]}",
                    as_field(started),
                    as_field(started + timedelta(minutes=60)),
                    as_field(submitted),
                    "t" if used else "f",
                    repr(score),
                    "100.0",
                    "t" if passed else "f",
                    result,
                    f"dev{attempt_id}",
                    "f",
                    "0",
                    str(rng.choice((0, 0, 0, 0, 1, 2))),
                    "\\N",
                    as_field(submitted),
                    as_field(submitted + timedelta(hours=2)) if cancelled else "\\N",
                    "考试中违规使用手机，取消成绩" if cancelled else "\\N",
                    "1" if cancelled else "\\N",
                )
            )
            + "\n"
        )
        state["attempt"] += 1
        state["answer"] = answer_id
        out.attempts += 1
        out.answers += len(chosen)
        if cancelled:
            out.cancelled += 1
        elif passed:
            out.passes.setdefault(pid, []).append((exam_id, attempt_id, submitted, score))
        else:
            fails.append(pid)
    return fails
