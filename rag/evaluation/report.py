"""The eval report an engineer decides from: ``report.md`` and ``report.html`` plus PNG charts.

In order: the verdict (gate passed or the failures), the charts (metrics against the gate's
floors, calibration, correct by kind, latency), what changed in the configuration since the
baseline (prompt hashes, model, embedder, every answerer knob, the answer model's sha), each
changed question (its text, the expected facts, the baseline answer and the new one), then every
metric and every question. Answers are article text, so they are data here too: fenced in
Markdown, HTML-escaped in HTML.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rag.evaluation.diff import changed_questions, config_diff, regressions
from rag.evaluation.gate import GateResult, render_table

RATE_KEYS = (
    "answer_correct",
    "abstain_accuracy",
    "retrieval_hit_at_k",
    "mrr",
    "citation_verbatim",
    "citation_precision",
)
CHARTS = (
    ("metrics.png", "Metrics against the baseline; red ticks are the gate's floors (baseline - tolerance)"),
    ("calibration.png", "Calibration: reported confidence against the share answered correctly"),
    ("kinds.png", "Correct by question kind"),
    ("latency.png", "Answer latency"),
)


def _fence(text: str) -> str:
    """``text`` in a code fence longer than any backtick run inside it (shown as its characters)."""
    ticks = "`" * max(3, max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    return f"{ticks}text\n{text}\n{ticks}"


def _cell(text: Any) -> str:
    return html.escape(str(text)).replace("|", "&#124;").replace("\n", " ")


def _facts(expect: Sequence[Sequence[str]]) -> str:
    return (
        " and ".join("(" + " or ".join(f"“{a}”" for a in alts) + ")" for alts in expect)
        or "(none: unanswerable)"
    )


def _state(side: Mapping[str, Any]) -> str:
    conf = side.get("confidence")
    return (
        ("correct" if side["correct"] else "wrong")
        + (", abstained" if side["abstained"] else ", answered")
        + (f", confidence {conf:.3f}" if isinstance(conf, int | float) else "")
    )


def _by_kind(records: Sequence[Mapping[str, Any]], correct: Mapping[str, bool]) -> dict[str, float]:
    kinds: dict[str, list[bool]] = {}
    for r in records:
        if r["id"] in correct:
            kinds.setdefault(r.get("kind") or "other", []).append(bool(correct[r["id"]]))
    return {k: sum(v) / len(v) for k, v in kinds.items()}


def draw_charts(
    out: Path,
    summary: Mapping[str, Any],
    records: Sequence[Mapping[str, Any]],
    baseline: Mapping[str, Any] | None,
    tolerances: Mapping[str, float],
) -> list[str]:
    """Write the PNG charts into ``out``; returns their file names."""
    from rag.evaluation.charts import calibration_chart, kinds_chart, latency_chart, metrics_chart

    current = {k: float(summary[k]) for k in RATE_KEYS if k in summary}
    current |= {
        f"ragas_{k}": float(v) for k, v in summary.get("ragas", {}).items() if isinstance(v, int | float)
    }
    base_sum = baseline["summary"] if baseline else {}
    base = {k: float(v) for k, v in base_sum.items() if isinstance(v, int | float)} if baseline else None
    metrics_chart(current, base, tolerances, out / "metrics.png")
    answered = [(float(r["confidence"]), bool(r["correct"])) for r in records if not r["abstained"]]
    bq = baseline["questions"] if baseline else {}
    b_answered = [
        (float(v["confidence"]), bool(v["correct"]))
        for v in bq.values()
        if "confidence" in v and not v["abstained"]
    ]
    calibration_chart(answered, b_answered or None, out / "calibration.png")
    now_kinds = _by_kind(records, {r["id"]: r["correct"] for r in records})
    base_kinds = _by_kind(records, {k: v["correct"] for k, v in bq.items()}) if bq else None
    kinds_chart(now_kinds, base_kinds, out / "kinds.png")
    p50 = base_sum.get("latency_p50_ms")
    latency_chart(
        [r["latency_ms"] for r in records], float(p50) if p50 is not None else None, out / "latency.png"
    )
    return [name for name, _ in CHARTS]


def report_data(
    summary: Mapping[str, Any],
    records: Sequence[Mapping[str, Any]],
    fingerprint: Mapping[str, Any],
    gate: GateResult | None,
    baseline: Mapping[str, Any] | None,
    expect: Mapping[str, Sequence[Sequence[str]]],
    tolerances: Mapping[str, float],
) -> dict[str, Any]:
    """Everything the two renderings show, computed once."""
    return {
        "verdict": "no baseline" if gate is None else ("GATE PASSED" if gate.passed else "GATE FAILED"),
        "failures": list(gate.failures) if gate else [],
        "regressions": regressions(gate.deltas, tolerances) if gate else {},
        "config": config_diff(baseline.get("fingerprint") if baseline else None, fingerprint)
        if baseline
        else [],
        "changed": changed_questions(baseline["questions"], records, expect) if baseline else [],
        "gate_table": render_table(gate) if gate else "",
    }


def markdown_report(summary: Mapping[str, Any], records: Sequence[Mapping[str, Any]],
                    fingerprint: Mapping[str, Any], data: Mapping[str, Any]) -> str:  # fmt: skip
    lines = ["# Evaluation report", "", f"**{data['verdict']}**", ""]
    lines += [f"- {f}" for f in data["failures"]]
    lines += [f"\n![{cap}]({name})\n" for name, cap in CHARTS]
    lines += ["## Configuration changes since the baseline", ""]
    if data["config"]:
        lines += ["| setting | baseline | now |", "|---|---|---|"]
        lines += [
            f"| {_cell(k)} | {_cell(json.dumps(a))} | {_cell(json.dumps(b))} |" for k, a, b in data["config"]
        ]
    else:
        lines.append(
            "None: the fingerprints agree." if data["verdict"] != "no baseline" else "No baseline given."
        )
    lines += ["", f"## Changed questions ({len(data['changed'])})", ""]
    for c in data["changed"]:
        lines += [
            f"### {c['id']}: {', '.join(k.replace('_', ' ') for k in c['changes'])}",
            "",
            f"**Question:** {_cell(c['question'])}  ",
            f"**Expected facts:** {_cell(_facts(c['expect']))}",
            "",
            f"**Baseline** ({_state(c['baseline'])}):",
            "",
            _fence(str(c["baseline"]["answer"])),
            "",
            f"**Now** ({_state(c['now'])}):",
            "",
            _fence(c["now"]["answer"]),
            "",
        ]
    if data["gate_table"]:
        lines += ["## Against the baseline", "", _fence(data["gate_table"]), ""]
    lines += ["## Summary", "", "| metric | value |", "|---|---|"]
    for k, v in summary.items():
        for kk, vv in v.items() if isinstance(v, dict) else [(k, v)]:
            name = f"{k}.{kk}" if isinstance(v, dict) else k
            lines.append(f"| {name} | {vv:.4f} |" if isinstance(vv, float) else f"| {name} | {_cell(vv)} |")
    lines += ["", "## Questions", "", "| id | kind | ok | abstained | answer |", "|---|---|---|---|---|"]
    for r in records:
        ok = "✓" if r["correct"] else "✗"
        lines.append(
            f"| {r['id']} | {r.get('kind', '')} | {ok} | {r['abstained']} | {_cell(r['answer'][:160])} |"
        )
    lines += [
        "",
        "## Configuration fingerprint",
        "",
        _fence(json.dumps(fingerprint, indent=2, sort_keys=True)),
        "",
    ]
    return "\n".join(lines)


def html_report(summary: Mapping[str, Any], fingerprint: Mapping[str, Any], data: Mapping[str, Any]) -> str:
    e = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>Evaluation report</title><style>"
        "body{font-family:sans-serif;max-width:1000px;margin:auto;padding:1em}td,th{border:1px solid #ccc;"
        "padding:3px 6px;vertical-align:top}table{border-collapse:collapse}pre{white-space:pre-wrap;"
        "background:#f4f4f4;padding:6px}.bad{color:#c62828}img{max-width:100%}</style></head><body>",
        "<h1>Evaluation report</h1>",
        f"<p class='{'bad' if data['failures'] else ''}'><b>{e(data['verdict'])}</b></p>",
        "<ul>" + "".join(f"<li class='bad'>{e(f)}</li>" for f in data["failures"]) + "</ul>",
    ]
    parts += [
        f"<figure><img src='{n}' alt='{e(c)}'><figcaption>{e(c)}</figcaption></figure>" for n, c in CHARTS
    ]
    parts.append("<h2>Configuration changes since the baseline</h2>")
    if data["config"]:
        rows = "".join(
            f"<tr><td>{e(k)}</td><td>{e(json.dumps(a))}</td><td>{e(json.dumps(b))}</td></tr>"
            for k, a, b in data["config"]
        )
        parts.append(f"<table><tr><th>setting</th><th>baseline</th><th>now</th></tr>{rows}</table>")
    else:
        parts.append("<p>None: the fingerprints agree (or no baseline was given).</p>")
    parts.append(f"<h2>Changed questions ({len(data['changed'])})</h2>")
    for c in data["changed"]:
        parts.append(
            f"<h3 class='{'bad' if 'newly_wrong' in c['changes'] else ''}'>{e(c['id'])}: "
            f"{e(', '.join(k.replace('_', ' ') for k in c['changes']))}</h3>"
            f"<p><b>Question:</b> {e(c['question'])}<br><b>Expected facts:</b> {e(_facts(c['expect']))}</p>"
            f"<p><b>Baseline</b> ({e(_state(c['baseline']))})</p><pre>{e(str(c['baseline']['answer']))}</pre>"
            f"<p><b>Now</b> ({e(_state(c['now']))})</p><pre>{e(c['now']['answer'])}</pre>"
        )
    if data["gate_table"]:
        parts.append(f"<h2>Against the baseline</h2><pre>{e(data['gate_table'])}</pre>")
    flat = {k: v for k, v in summary.items() if not isinstance(v, dict)}
    rows = "".join(f"<tr><td>{e(k)}</td><td>{e(str(v))}</td></tr>" for k, v in flat.items())
    parts.append(f"<h2>Summary</h2><table>{rows}</table>")
    parts.append(
        f"<h2>Configuration fingerprint</h2><pre>{e(json.dumps(fingerprint, indent=2, sort_keys=True))}</pre>"
    )
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(
    out: Path,
    summary: Mapping[str, Any],
    records: Sequence[Mapping[str, Any]],
    fingerprint: Mapping[str, Any],
    gate: GateResult | None,
    baseline: Mapping[str, Any] | None,
    expect: Mapping[str, Sequence[Sequence[str]]],
    tolerances: Mapping[str, float],
) -> None:
    """``report.md``, ``report.html``, ``changes.json`` (the changed questions and config diff)
    and the PNG charts in ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    draw_charts(out, summary, records, baseline, tolerances)
    data = report_data(summary, records, fingerprint, gate, baseline, expect, tolerances)
    (out / "report.md").write_text(markdown_report(summary, records, fingerprint, data), encoding="utf-8")
    (out / "report.html").write_text(html_report(summary, fingerprint, data), encoding="utf-8")
    changes = {"config": data["config"], "questions": data["changed"], "regressions": data["regressions"]}
    (out / "changes.json").write_text(
        json.dumps(changes, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
