"""The eval report: Markdown plus two small hand-drawn SVG charts (no plotting dependency)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from rag.evaluation.gate import GateResult, render_table


def bar_chart_svg(metrics: dict[str, float], baseline: dict[str, float] | None, title: str) -> str:
    """Horizontal bars in [0, 1]: current (dark) and baseline (light) per metric."""
    names = list(metrics)
    row, width, left = 26, 520, 190
    h = 40 + row * len(names)
    out = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{left + width + 70}' height='{h}' font-family='sans-serif' font-size='12'>",
        f"<text x='10' y='18' font-weight='bold'>{html.escape(title)}</text>",
    ]
    for i, name in enumerate(names):
        y = 30 + i * row
        cur = max(0.0, min(1.0, metrics[name]))
        out.append(f"<text x='10' y='{y + 14}'>{html.escape(name)}</text>")
        if baseline and name in baseline:
            b = max(0.0, min(1.0, baseline[name]))
            out.append(f"<rect x='{left}' y='{y + 12}' width='{b * width:.1f}' height='8' fill='#bcd'/>")
        out.append(f"<rect x='{left}' y='{y + 2}' width='{cur * width:.1f}' height='10' fill='#246'/>")
        out.append(f"<text x='{left + cur * width + 6:.1f}' y='{y + 12}'>{metrics[name]:.3f}</text>")
    out.append("</svg>")
    return "\n".join(out)


def histogram_svg(values: Sequence[float], title: str, bins: int = 20) -> str:
    """Latency distribution as a histogram."""
    if not values:
        return "<svg xmlns='http://www.w3.org/2000/svg' width='10' height='10'/>"
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - lo) / span * bins))] += 1
    top = max(counts)
    w, h, bw = 560, 180, 560 / bins
    out = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{w + 40}' height='{h + 50}' font-family='sans-serif' font-size='12'>",
        f"<text x='10' y='16' font-weight='bold'>{html.escape(title)}</text>",
    ]
    for i, c in enumerate(counts):
        bh = c / top * h
        out.append(
            f"<rect x='{20 + i * bw:.1f}' y='{25 + h - bh:.1f}' width='{bw - 2:.1f}' height='{bh:.1f}' fill='#246'/>"
        )
    out.append(
        f"<text x='20' y='{h + 42}'>{lo:.1f} ms</text><text x='{w - 40}' y='{h + 42}'>{hi:.1f} ms</text>"
    )
    out.append("</svg>")
    return "\n".join(out)


def markdown_report(
    summary: dict[str, Any],
    records: list[dict[str, Any]],
    fingerprint: dict[str, Any],
    gate: GateResult | None,
) -> str:
    lines = [
        "# Evaluation report",
        "",
        "![metrics](metrics.svg)",
        "",
        "![latency](latency.svg)",
        "",
        "## Summary",
        "",
    ]
    flat: dict[str, Any] = {}
    for k, v in summary.items():
        if isinstance(v, dict):
            flat.update({f"{k}.{kk}": vv for kk, vv in v.items()})
        else:
            flat[k] = v
    lines += ["| metric | value |", "|---|---|"]
    lines += [f"| {k} | {v:.4f} |" if isinstance(v, float) else f"| {k} | {v} |" for k, v in flat.items()]
    if gate is not None:
        lines += ["", "## Against the baseline", "", "```", render_table(gate), "```"]
    lines += ["", "## Questions", "", "| id | kind | ok | abstained | answer |", "|---|---|---|---|---|"]
    for r in records:
        ans = r["answer"].replace("\n", " ").replace("|", "\\|")
        lines.append(
            f"| {r['id']} | {r.get('kind', '')} | {'✓' if r['correct'] else '✗'} | {r['abstained']} | {ans[:160]} |"
        )
    lines += ["", "## Configuration fingerprint", "", "```json"]
    import json

    lines += [json.dumps(fingerprint, indent=2, sort_keys=True), "```", ""]
    return "\n".join(lines)
