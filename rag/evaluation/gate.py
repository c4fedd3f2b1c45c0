"""The regression gate: compare an eval run with a baseline. Pure functions, no I/O.

A run fails the gate when a gated metric drops by more than its tolerance, or when a
question that the baseline got right is now wrong ("newly wrong"), unless that is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Higher is better for every gated metric.
DEFAULT_TOLERANCES = {
    "answer_correct": 0.0,
    "abstain_accuracy": 0.0,
    "citation_verbatim": 0.0,
    "citation_precision": 0.05,
    "retrieval_hit_at_k": 0.05,
    "mrr": 0.05,
}


@dataclass(frozen=True)
class GateResult:
    deltas: dict[str, tuple[float, float, float]]  # metric -> (baseline, current, delta)
    flips: dict[str, list[str]]  # kind -> question ids
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def flips(baseline: dict[str, dict[str, Any]], current: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """Per-question changes between two runs keyed by question id.

    ``flips({"q1": {"correct": True, "abstained": False}}, {"q1": {"correct": False, "abstained": True}})``
    -> ``{"newly_wrong": ["q1"], "newly_right": [], "newly_abstained": ["q1"], "newly_answered": [], ...}``
    """
    out: dict[str, list[str]] = {
        k: [] for k in ("newly_wrong", "newly_right", "newly_abstained", "newly_answered", "new", "removed")
    }
    for qid in sorted(set(baseline) | set(current)):
        b, c = baseline.get(qid), current.get(qid)
        if b is None:
            out["new"].append(qid)
            continue
        if c is None:
            out["removed"].append(qid)
            continue
        if b["correct"] and not c["correct"]:
            out["newly_wrong"].append(qid)
        if not b["correct"] and c["correct"]:
            out["newly_right"].append(qid)
        if not b["abstained"] and c["abstained"]:
            out["newly_abstained"].append(qid)
        if b["abstained"] and not c["abstained"]:
            out["newly_answered"].append(qid)
    return out


def compare(
    baseline: dict[str, Any],
    current: dict[str, Any],
    tolerances: dict[str, float] | None = None,
    fail_on_newly_wrong: bool = True,
) -> GateResult:
    """Gate ``current`` against ``baseline`` (both ``{"summary": {...}, "questions": {id: {...}}}``)."""
    tol = DEFAULT_TOLERANCES if tolerances is None else tolerances
    deltas: dict[str, tuple[float, float, float]] = {}
    failures: list[str] = []
    for metric in sorted(set(baseline["summary"]) & set(current["summary"])):
        b, c = baseline["summary"][metric], current["summary"][metric]
        if not isinstance(b, int | float) or not isinstance(c, int | float):
            continue
        deltas[metric] = (float(b), float(c), float(c) - float(b))
        if metric in tol and float(c) < float(b) - tol[metric] - 1e-9:
            failures.append(f"{metric} dropped from {b:.3f} to {c:.3f} (tolerance {tol[metric]:.3f})")
    fl = flips(baseline["questions"], current["questions"])
    if fail_on_newly_wrong and fl["newly_wrong"]:
        failures.append("previously correct questions now wrong: " + ", ".join(fl["newly_wrong"]))
    return GateResult(deltas, fl, failures)


def render_table(result: GateResult) -> str:
    """A plain-text table of metric deltas and question flips."""
    lines = [f"{'metric':<24}{'baseline':>10}{'current':>10}{'delta':>10}"]
    for m, (b, c, d) in result.deltas.items():
        lines.append(f"{m:<24}{b:>10.3f}{c:>10.3f}{d:>+10.3f}")
    lines.append("")
    for kind, ids in result.flips.items():
        if ids:
            lines.append(f"{kind.replace('_', ' ')} ({len(ids)}): {', '.join(ids)}")
    if result.flips.get("new"):
        lines.append(
            "(new questions are not gated: the metrics above are over the questions the baseline knows)"
        )
    lines.append("")
    lines.append("GATE PASSED" if result.passed else "GATE FAILED:\n  " + "\n  ".join(result.failures))
    return "\n".join(lines)
