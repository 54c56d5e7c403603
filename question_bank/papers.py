"""Papers: blueprints (组卷规则), drawing a paper per candidate, and grading it (pure).

A blueprint is either a fixed list of questions or rules such as "5 single-choice questions
on topic G3 for hazardous-chemicals enterprises, 2 points each", and may carry a coverage rule
("at least 2 questions from each of the eight grips") that its topic rules must guarantee. A
paper is drawn from the pool of active questions with a recorded seed, so the same seed always
gives the same paper, and options may be shown in a shuffled order that grading maps back.

A paper totals 100 points (``FULL_MARKS``) unless its organiser confirmed another total, and
its pass mark is within reach: ``check_marks``.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from question_bank import kinds
from question_bank.model import QuestionData, ScoringPolicy
from question_bank.problems import N_, Problem


@dataclass(frozen=True)
class Rule:
    """Draw ``count`` questions of ``kind`` (optionally of a topic, sector and difficulty)."""

    count: int
    kind: str
    points: float
    #: A topic code; a question under it in the tree (any level) matches.
    topic: str | None = None
    sector: str | None = None
    difficulty: str | None = None

    def matches(self, q: PoolQuestion) -> bool:
        return (
            q.kind == self.kind
            and (self.topic is None or self.topic in q.topics)
            and (self.sector is None or self.sector in q.sectors)
            and (self.difficulty is None or q.difficulty == self.difficulty)
        )


#: What a paper is out of, unless its organiser confirms another total.
FULL_MARKS = 100.0


@dataclass(frozen=True)
class Coverage:
    """At least ``per_area`` questions on every paper from each of ``areas`` (codes of the
    topic tree's top level, the eight grips); no areas named: every area the tree has."""

    per_area: int
    areas: tuple[str, ...] = ()


@dataclass(frozen=True)
class TopicTree:
    """The topic tree as coverage needs it: each code's parent code (None for an area, in the
    tree's order) and the names to show."""

    parents: Mapping[str, str | None] = field(default_factory=dict)
    names: Mapping[str, str] = field(default_factory=dict)

    @property
    def areas(self) -> tuple[str, ...]:
        return tuple(code for code, parent in self.parents.items() if parent is None)

    def area_of(self, code: str | None) -> str | None:
        """The area a topic lies in (itself for an area); None for a code not in the tree."""
        seen: set[str] = set()
        while code in self.parents and code not in seen:
            seen.add(code)
            if self.parents[code] is None:
                return code
            code = self.parents[code]
        return None

    def name(self, code: str) -> str:
        return self.names.get(code, code)


@dataclass(frozen=True)
class Blueprint:
    """Rules, or a fixed paper of (question id, points); shuffling per candidate; an optional
    coverage rule; the total its organiser confirmed when it is not 100."""

    rules: tuple[Rule, ...] = ()
    fixed: tuple[tuple[int, float], ...] = ()
    shuffle_questions: bool = True
    shuffle_options: bool = True
    coverage: Coverage | None = None
    #: A total other than 100 the organiser confirmed ("this paper totals 120 points"); it
    #: confirms only that total, so changing the rules asks again.
    confirmed_total: float | None = None

    @property
    def total_points(self) -> float:
        total = sum(r.count * r.points for r in self.rules) + sum(p for _q, p in self.fixed)
        return round(total, 2)

    @property
    def question_count(self) -> int:
        return sum(r.count for r in self.rules) + len(self.fixed)


@dataclass(frozen=True)
class PoolQuestion:
    """What drawing needs to know of an active question (its current version)."""

    id: int
    version_id: int
    kind: str
    difficulty: str
    #: Codes of its topics and of every topic above them in the tree.
    topics: frozenset[str] = frozenset()
    sectors: frozenset[str] = frozenset()
    option_count: int = 0


@dataclass(frozen=True)
class PaperItem:
    question_id: int
    version_id: int
    points: float
    #: The original option indices in the order the candidate sees them (empty: as written).
    option_order: tuple[int, ...] = ()


@dataclass(frozen=True)
class Paper:
    seed: int
    items: tuple[PaperItem, ...]

    @property
    def total_points(self) -> float:
        return sum(item.points for item in self.items)


class BlueprintError(ValueError):
    """The pool cannot give a paper for this blueprint; ``problems`` say why."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def check_blueprint(
    blueprint: Blueprint, pool: list[PoolQuestion], tree: TopicTree | None = None
) -> list[Problem]:
    """Everything that stops papers being drawn: which rule lacks how many questions, which
    area the rules do not guarantee its share of the coverage rule (``tree``: the topic tree)."""
    tree = tree or TopicTree()
    problems = check_coverage(blueprint, pool, tree)
    if not blueprint.rules and not blueprint.fixed:
        problems.append(Problem(N_("the paper has no questions")))
    by_id = {q.id: q for q in pool}
    for question_id, points in blueprint.fixed:
        if question_id not in by_id:
            problems.append(Problem(N_("question #%(id)s is not active"), {"id": question_id}))
        if points <= 0:
            problems.append(
                Problem(
                    N_("question #%(id)s must be worth more than 0 points"), {"id": question_id}
                )
            )
    duplicates = [qid for qid, n in Counter(q for q, _p in blueprint.fixed).items() if n > 1]
    if duplicates:
        problems.append(Problem(N_("question #%(id)s is chosen twice"), {"id": duplicates[0]}))
    for number, rule in enumerate(blueprint.rules, start=1):
        if rule.count < 1 or rule.points <= 0:
            problems.append(
                Problem(
                    N_("rule %(n)s must ask for at least one question worth more than 0 points"),
                    {"n": number},
                )
            )
            continue
        available = sum(1 for q in pool if rule.matches(q) and q.id not in dict(blueprint.fixed))
        if available < rule.count:
            problems.append(
                Problem(
                    N_(
                        "rule %(n)s asks for %(count)s questions but the bank has only %(available)s "
                        "active ones that match"
                    ),
                    {"n": number, "count": rule.count, "available": available},
                )
            )
    if not problems:
        try:  # rules can overlap: make sure they can all be served at once
            _pick(blueprint, pool, random.Random(0), tree)
        except BlueprintError as error:
            problems.extend(error.problems)
    return problems


def _areas(coverage: Coverage, tree: TopicTree) -> tuple[str, ...]:
    return coverage.areas or tree.areas


def guaranteed_per_area(
    blueprint: Blueprint, pool: list[PoolQuestion], tree: TopicTree
) -> dict[str, int]:
    """How many questions every paper has from each area, however it is drawn: a rule's count
    goes to the area its topic lies in (a rule with no topic guarantees no area), a fixed
    question to every area it is filed under."""
    counts: Counter[str] = Counter()
    for rule in blueprint.rules:
        area = tree.area_of(rule.topic)
        if area is not None and rule.count > 0:
            counts[area] += rule.count
    by_id = {q.id: q for q in pool}
    for question_id, _points in blueprint.fixed:
        if question_id in by_id:
            counts.update(a for a in tree.areas if a in by_id[question_id].topics)
    return dict(counts)


def check_coverage(
    blueprint: Blueprint, pool: list[PoolQuestion], tree: TopicTree
) -> list[Problem]:
    """Whether the rules guarantee the coverage rule on every paper; names the areas short."""
    coverage = blueprint.coverage
    if coverage is None:
        return []
    if coverage.per_area < 1:
        return [Problem(N_("the coverage rule must ask for at least one question from each area"))]
    unknown = [a for a in coverage.areas if a not in tree.parents or tree.parents[a] is not None]
    if unknown:
        return [
            Problem(
                N_("the coverage rule names %(codes)s, which are not areas of the topic tree"),
                {"codes": "、".join(unknown)},
            )
        ]
    areas = _areas(coverage, tree)
    if not areas:
        return [Problem(N_("the coverage rule asks for areas but the topic tree has none"))]
    guaranteed = guaranteed_per_area(blueprint, pool, tree)
    short = [a for a in areas if guaranteed.get(a, 0) < coverage.per_area]
    if not short:
        return []
    return [
        Problem(
            N_(
                "the rules do not guarantee %(n)s questions from each area: add rules by topic "
                "for %(areas)s"
            ),
            {
                "n": coverage.per_area,
                "areas": "、".join(f"{tree.name(a)}（{guaranteed.get(a, 0)}）" for a in short),
            },
        )
    ]


def _check_drawn_coverage(
    blueprint: Blueprint, chosen: list[tuple[PoolQuestion, float]], tree: TopicTree
) -> None:
    """A drawn paper honours the coverage rule, or no paper is given (the rules guarantee it
    when ``check_coverage`` passed; a topic moved since is caught here)."""
    coverage = blueprint.coverage
    if coverage is None:
        return
    areas = _areas(coverage, tree)
    short = [a for a in areas if sum(a in q.topics for q, _p in chosen) < coverage.per_area]
    if short or not areas:
        raise BlueprintError(
            [
                Problem(
                    N_("a paper drawn has fewer than %(n)s questions from %(areas)s"),
                    {"n": coverage.per_area, "areas": "、".join(map(tree.name, short))},
                )
            ]
        )


def check_marks(blueprint: Blueprint, pass_mark: float) -> list[Problem]:
    """The paper's total and pass mark: 100 points unless the organiser confirmed this very
    total, and a pass mark no higher than the total (else nobody could pass)."""
    if blueprint.question_count == 0:
        return []  # "the paper has no questions" says it
    total = blueprint.total_points
    problems = []
    if total != FULL_MARKS and blueprint.confirmed_total != total:
        problems.append(
            Problem(
                N_(
                    "the paper totals %(total)s points, not 100: change the rules, or confirm "
                    "this total"
                ),
                {"total": f"{total:g}"},
            )
        )
    if pass_mark > total:
        problems.append(
            Problem(
                N_(
                    "the pass mark %(mark)s is more than the paper's %(total)s points: nobody "
                    "could pass"
                ),
                {"mark": f"{pass_mark:g}", "total": f"{total:g}"},
            )
        )
    return problems


def _pick(
    blueprint: Blueprint,
    pool: list[PoolQuestion],
    rng: random.Random,
    tree: TopicTree,
) -> list[tuple[PoolQuestion, float]]:
    by_id = {q.id: q for q in pool}
    chosen = [(by_id[qid], points) for qid, points in blueprint.fixed if qid in by_id]
    used = {q.id for q, _p in chosen}
    # The narrowest rules choose first, so that broad rules do not take what they need.
    order = sorted(
        range(len(blueprint.rules)),
        key=lambda i: sum(1 for q in pool if blueprint.rules[i].matches(q)),
    )
    picked: dict[int, list[PoolQuestion]] = {}
    for index in order:
        rule = blueprint.rules[index]
        candidates = sorted(
            (q for q in pool if rule.matches(q) and q.id not in used), key=lambda q: q.id
        )
        if len(candidates) < rule.count:
            raise BlueprintError(
                [
                    Problem(
                        N_(
                            "rule %(n)s shares questions with other rules: only %(available)s are left for "
                            "its %(count)s"
                        ),
                        {"n": index + 1, "available": len(candidates), "count": rule.count},
                    )
                ]
            )
        picked[index] = rng.sample(candidates, rule.count)
        used.update(q.id for q in picked[index])
    for index, rule in enumerate(blueprint.rules):
        chosen.extend((q, rule.points) for q in picked[index])
    _check_drawn_coverage(blueprint, chosen, tree)
    return chosen


def draw_paper(
    blueprint: Blueprint, pool: list[PoolQuestion], seed: int, tree: TopicTree | None = None
) -> Paper:
    """The paper for one candidate: the same seed and pool always give the same paper, and it
    honours the coverage rule (``tree``: the topic tree, which says what the areas are)."""
    rng = random.Random(seed)
    chosen = _pick(blueprint, pool, rng, tree or TopicTree())
    if blueprint.shuffle_questions:
        rng.shuffle(chosen)
    items = []
    for q, points in chosen:
        order: tuple[int, ...] = ()
        if blueprint.shuffle_options and kinds.get(q.kind).has_options and q.option_count > 1:
            order = tuple(rng.sample(range(q.option_count), q.option_count))
        items.append(PaperItem(q.id, q.version_id, points, order))
    return Paper(seed, tuple(items))


def shown_options(options: tuple[str, ...], order: tuple[int, ...]) -> tuple[str, ...]:
    """The options in the order the candidate sees them (letters A, B … in that order)."""
    return tuple(options[i] for i in order) if order else tuple(options)


def to_original(kind: str, response: object, order: tuple[int, ...]) -> object:
    """Map the letters a candidate chose on a shuffled paper back to the question's letters."""
    return kinds.get(kind).to_original(response, order)


@dataclass(frozen=True)
class ItemScore:
    question_id: int
    points: float
    score: float
    correct: bool


@dataclass(frozen=True)
class PaperResult:
    items: tuple[ItemScore, ...]
    score: float
    total_points: float
    passed: bool
    #: Topic code -> (score, points available) over the questions of that topic.
    by_topic: dict[str, tuple[float, float]] = field(default_factory=dict)


def grade_paper(
    paper: Paper,
    questions: dict[int, QuestionData],
    responses: dict[int, object],
    pass_mark: float,
    policy: str = ScoringPolicy.ALL_OR_NOTHING,
) -> PaperResult:
    """Score every question of a paper, the total, pass/fail and the per-topic breakdown.

    ``questions`` maps version ids to the versions sat; ``responses`` maps question ids to
    what the candidate answered on their (possibly shuffled) paper.
    """
    items, by_topic = [], defaultdict(lambda: [0.0, 0.0])
    for item in paper.items:
        question = questions[item.version_id]
        response = to_original(question.kind, responses.get(item.question_id), item.option_order)
        grade = kinds.grade(question, response, policy) if response not in (None, "", []) else None
        score = round(item.points * grade.fraction, 2) if grade else 0.0
        items.append(ItemScore(item.question_id, item.points, score, bool(grade and grade.correct)))
        for topic in question.topics:
            by_topic[topic][0] += score
            by_topic[topic][1] += item.points
    score = round(sum(i.score for i in items), 2)
    return PaperResult(
        tuple(items),
        score,
        paper.total_points,
        score >= pass_mark,
        {t: (round(s, 2), p) for t, (s, p) in by_topic.items()},
    )
