"""What changed between a baseline run and this one: per question, and in the configuration.

Pure functions over the JSON shapes ``rag eval`` writes (``as_baseline``: ``{"summary", "questions",
"fingerprint"}``; per-question records of ``score_question``), so the report can say *which*
questions changed, how, and which setting (prompt hash, model, embedder, knob) changed with them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

_MISSING = "(not recorded)"


def flatten(tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested dicts to dotted keys: ``flatten({"a": {"b": 1}, "c": 2})`` -> ``{"a.b": 1, "c": 2}``.

    An empty dict stays as a value (``{}``), so "became empty" is still a difference.
    """
    out: dict[str, Any] = {}
    for k, v in tree.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping) and v:
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


def config_diff(baseline: Mapping[str, Any] | None, current: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """Settings that differ between two fingerprints, as ``(dotted key, baseline, current)``, sorted.

    A key only one side has shows ``"(not recorded)"`` on the other.
    ``config_diff({"prompts": {"answer.md": "a1"}}, {"prompts": {"answer.md": "b2"}})``
    -> ``[("prompts.answer.md", "a1", "b2")]``.
    """
    old, new = flatten(baseline or {}), flatten(current)
    return [
        (k, old.get(k, _MISSING), new.get(k, _MISSING))
        for k in sorted(set(old) | set(new))
        if old.get(k, _MISSING) != new.get(k, _MISSING)
    ]


def changed_questions(
    baseline: Mapping[str, Mapping[str, Any]],
    records: Sequence[Mapping[str, Any]],
    expect: Mapping[str, Sequence[Sequence[str]]] | None = None,
) -> list[dict[str, Any]]:
    """Questions whose outcome (right/wrong, answered/abstained) or answer text changed.

    ``baseline`` maps a question id to what the baseline recorded (``correct``, ``abstained``,
    and, in baselines written since the report shows answers, ``answer`` and ``confidence``);
    ``records`` are this run's. Each change lists the question, its expected facts, both answers
    and the kinds of change: ``newly_wrong``, ``newly_right``, ``newly_abstained``,
    ``newly_answered``, ``answer_changed``; regressions (newly wrong) first, then by id.
    """
    out = []
    for r in records:
        b = baseline.get(r["id"])
        if b is None:
            continue
        kinds = []
        if b["correct"] and not r["correct"]:
            kinds.append("newly_wrong")
        if not b["correct"] and r["correct"]:
            kinds.append("newly_right")
        if not b["abstained"] and r["abstained"]:
            kinds.append("newly_abstained")
        if b["abstained"] and not r["abstained"]:
            kinds.append("newly_answered")
        if "answer" in b and b["answer"] != r["answer"]:
            kinds.append("answer_changed")
        if not kinds:
            continue
        out.append(
            {
                "id": r["id"],
                "question": r.get("question", ""),
                "expect": [list(a) for a in (expect or {}).get(r["id"], [])],
                "changes": kinds,
                "baseline": {
                    "answer": b.get("answer", _MISSING),
                    "correct": b["correct"],
                    "abstained": b["abstained"],
                    "confidence": b.get("confidence"),
                },
                "now": {
                    "answer": r["answer"],
                    "correct": r["correct"],
                    "abstained": r["abstained"],
                    "confidence": r.get("confidence"),
                },
            }
        )
    return sorted(out, key=lambda c: ("newly_wrong" not in c["changes"], c["id"]))


def regressions(
    deltas: Mapping[str, tuple[float, float, float]], tolerances: Mapping[str, float]
) -> dict[str, float]:
    """Gated metrics below their floor, metric -> floor (baseline minus tolerance).

    ``regressions({"mrr": (0.8, 0.7, -0.1)}, {"mrr": 0.05})`` -> ``{"mrr": 0.75}``.
    """
    return {
        m: b - tolerances[m]
        for m, (b, c, _) in deltas.items()
        if m in tolerances and c < b - tolerances[m] - 1e-9
    }


def reliability(
    confidences: Sequence[float], outcomes: Sequence[bool], bins: int = 10
) -> list[tuple[float, float, int]]:
    """Reliability-diagram points: per equal-width confidence bin with members, (mean confidence,
    share of outcomes true, count). ``reliability([0.1, 0.15, 0.9], [False, True, True], bins=2)``
    -> ``[(0.125, 0.5, 2), (0.9, 1.0, 1)]``. Confidence is clipped to [0, 1]."""
    groups: dict[int, list[tuple[float, bool]]] = {}
    for c, o in zip(confidences, outcomes, strict=True):
        x = min(max(float(c), 0.0), 1.0)
        groups.setdefault(min(int(x * bins), bins - 1), []).append((x, bool(o)))
    return [
        (sum(x for x, _ in g) / len(g), sum(1 for _, o in g if o) / len(g), len(g))
        for _, g in sorted(groups.items())
    ]
