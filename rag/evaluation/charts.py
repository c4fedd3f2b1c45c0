"""The eval report's charts, drawn with matplotlib (headless: the Agg backend, PNG files).

Each chart answers one question an engineer deciding on a change asks: did a gated metric fall
below its tolerance (metrics), are the answers right as often as the confidence says
(calibration), which kinds of question moved (by kind), did it get slower (latency). Axes are
labelled; regressions are drawn in red against the gate's floors (baseline minus tolerance).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rag.evaluation.diff import reliability

RED, DARK, LIGHT, FLOOR = "#c62828", "#24466b", "#b7c9dc", "#c62828"


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)  # headless: no display, no window
    import matplotlib.pyplot as plt

    return plt


def metrics_chart(
    current: Mapping[str, float],
    baseline: Mapping[str, float] | None,
    tolerances: Mapping[str, float],
    path: Path,
) -> None:
    """Horizontal bars per metric in [0, 1]: this run (dark; red when below the floor) over the
    baseline (light), with each gated metric's floor (baseline - tolerance) as a red tick."""
    plt = _plt()
    names = list(current)
    fig, ax = plt.subplots(figsize=(8.5, 0.45 * len(names) + 1.6))
    ys = list(range(len(names)))[::-1]
    for y, name in zip(ys, names, strict=True):
        cur = current[name]
        base = baseline.get(name) if baseline else None
        floor = base - tolerances[name] if base is not None and name in tolerances else None
        bad = floor is not None and cur < floor - 1e-9
        if base is not None:
            ax.barh(y - 0.18, base, height=0.34, color=LIGHT, label="baseline" if y == ys[0] else None)
        ax.barh(
            y + 0.18, cur, height=0.34, color=RED if bad else DARK, label="this run" if y == ys[0] else None
        )
        ax.text(
            min(cur, 1.0) + 0.01,
            y + 0.18,
            f"{cur:.3f}",
            va="center",
            fontsize=8,
            color=RED if bad else "black",
        )
        if floor is not None:
            ax.plot([floor, floor], [y - 0.42, y + 0.42], color=FLOOR, linewidth=2)
    ax.plot([], [], color=FLOOR, linewidth=2, label="gate floor (baseline - tolerance)")
    ax.set_yticks(ys, names, fontsize=9)
    ax.set_xlim(0, 1.12)
    ax.set_xlabel("score (higher is better; share of questions or citations)")
    ax.set_ylabel("metric")
    ax.set_title("Metrics: this run against the baseline and the gate's tolerances")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def calibration_chart(
    current: Sequence[tuple[float, bool]], baseline: Sequence[tuple[float, bool]] | None, path: Path
) -> None:
    """Reliability diagram of the answered questions: reported confidence against the share
    answered correctly, per confidence bin (point size = questions in the bin); the diagonal is
    perfect calibration."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 5))
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfectly calibrated")
    for pairs, color, label in ((baseline, LIGHT, "baseline"), (current, DARK, "this run")):
        if not pairs:
            continue
        pts = reliability([c for c, _ in pairs], [o for _, o in pairs])
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", color=color, label=label)
        ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=[12 + 6 * p[2] for p in pts], color=color)
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("reported confidence (answered questions, binned by 0.1)")
    ax.set_ylabel("share answered correctly")
    ax.set_title("Calibration of the confidence")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def kinds_chart(current: Mapping[str, float], baseline: Mapping[str, float] | None, path: Path) -> None:
    """Share correct per question kind, baseline beside this run; a kind that fell is red."""
    plt = _plt()
    kinds = sorted(current)
    fig, ax = plt.subplots(figsize=(max(6.0, 0.8 * len(kinds) + 2), 4.2))
    xs = range(len(kinds))
    if baseline:
        ax.bar(
            [x - 0.2 for x in xs],
            [baseline.get(k, 0.0) for k in kinds],
            width=0.4,
            color=LIGHT,
            label="baseline",
        )
    colors = [RED if baseline and current[k] < baseline.get(k, 0.0) - 1e-9 else DARK for k in kinds]
    ax.bar([x + 0.2 for x in xs], [current[k] for k in kinds], width=0.4, color=colors, label="this run")
    ax.set_xticks(list(xs), kinds, rotation=30, ha="right", fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("question kind (eval/questions.jsonl)")
    ax.set_ylabel("share of questions correct")
    ax.set_title("Correct by question kind (red: fell since the baseline)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def latency_chart(latencies_ms: Sequence[float], baseline_p50: float | None, path: Path) -> None:
    """Histogram of end-to-end answer latency with this run's p50 and p95 and the baseline's p50."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 3.8))
    vals = sorted(latencies_ms) or [0.0]
    ax.hist(vals, bins=30, color=DARK)
    p50, p95 = vals[len(vals) // 2], vals[min(len(vals) - 1, int(0.95 * len(vals)))]
    ax.axvline(p50, color="black", linestyle="-", label=f"p50 {p50:.1f} ms")
    ax.axvline(p95, color="black", linestyle=":", label=f"p95 {p95:.1f} ms")
    if baseline_p50 is not None:
        ax.axvline(baseline_p50, color=RED, linestyle="--", label=f"baseline p50 {baseline_p50:.1f} ms")
    ax.set_xlabel("end-to-end answer latency (ms)")
    ax.set_ylabel("questions")
    ax.set_title("Answer latency")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
