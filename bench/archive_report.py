"""Tables and the growth chart of ``bench.archive`` results (pure functions of the results dict)."""

from __future__ import annotations

import math
from typing import Any


def _get(row: dict[str, Any], *path: str) -> Any:
    cur: Any = row
    for key in path:
        if not isinstance(cur, dict) or key not in cur:
            return None
        cur = cur[key]
    return cur


def _fmt(v: Any, unit: str = "") -> str:
    return "–" if v is None else f"{v}{unit}"


def markdown(results: dict[str, Any]) -> str:
    rows = sorted(results["sizes"].items(), key=lambda kv: int(kv[0]))
    lines = [
        "# Archive-scale benchmark (`make bench-archive`)",
        "",
        f"Machine: {results.get('machine', {}).get('cpus', '?')} CPUs"
        f" ({results.get('machine', {}).get('cpu', 'model not recorded')}). Synthetic corpus (`bench/synth.py`). "
        "First-time questions were never asked before in that process; repeated ones were.",
        "",
        "| articles | sentences | ingest sent/s (embedder alone) | ratio | re-ingest | index GB (archive / lexical / Chroma) |"
        " spawn→healthz s: API / chat | serve RSS MB after questions (peak; anon + file) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for size, r in rows:
        gb = (r.get("index_bytes") or 0) / 1e9
        parts = " / ".join(
            f"{(r.get(k) or 0) / 1e9:.2f}" for k in ("archive_bytes", "lexical_bytes", "chroma_bytes")
        )
        mem = _get(r, "serve_chat", "rss_after_questions") or {}
        net = "" if r.get("ingest_vs_embedder_net") is None else f" ({r['ingest_vs_embedder_net']} net)"
        lines.append(
            f"| {size} | {r.get('chunks')} | {r.get('ingest_sentences_per_s')} ({r.get('embed_sentences_per_s')}) | "
            f"{r.get('ingest_vs_embedder')}{net} | {_fmt(r.get('reingest_s'), ' s')} "
            f"({_fmt(None if r.get('reingest_fraction') is None else round(100 * r['reingest_fraction'], 2), '%')}"
            f"{'*' if r.get('reingest_fraction_estimated') else ''}) | "
            f"{gb:.2f} ({parts}) | {_fmt(_get(r, 'serve_api', 'spawn_to_healthz_s'))} / "
            f"{_fmt(_get(r, 'serve_chat', 'spawn_to_healthz_s'))} | {_fmt(mem.get('VmRSS'))} "
            f"({_fmt(mem.get('VmHWM'))}; {_fmt(mem.get('RssAnon'))} + {_fmt(mem.get('RssFile'))}) |"
        )
    lines += [
        "",
        "| articles | in-process p50 / p95 ms: first-time | repeated | HTTP p50 / p95 ms: first-time | repeated |",
        "|---|---|---|---|---|",
    ]
    for size, r in rows:
        ip, ch = r.get("in_process", {}), r.get("serve_chat", {})
        lines.append(
            f"| {size} | {_fmt(ip.get('first_p50_ms'))} / {_fmt(ip.get('first_p95_ms'))} | "
            f"{_fmt(ip.get('repeat_p50_ms'))} / {_fmt(ip.get('repeat_p95_ms'))} | "
            f"{_fmt(ch.get('http_first_p50_ms'))} / {_fmt(ch.get('http_first_p95_ms'))} | "
            f"{_fmt(ch.get('http_repeat_p50_ms'))} / {_fmt(ch.get('http_repeat_p95_ms'))} |"
        )
    standin = [(size, r["standin_articles"]) for size, r in rows if r.get("standin_articles")]
    lines += [
        "",
        "\\* re-ingest of the unchanged archive against a full ingest at the rate measured in that run "
        '(the run ingested only the articles added since the size before). "net": that run\'s rate '
        "without the time a re-ingest takes to check the unchanged files it also read.",
    ]
    for size, n in standin:
        lines.append(
            f"At {int(size):,} articles, {n:,} articles hold stand-in vectors (`bench/standin.py`: the normalised "
            "sum of the real embedder's word vectors, for time); every other figure of that row (the ingest rate "
            "included: the last articles were ingested by `rag ingest` with the real embedder) is measured as at "
            "the other sizes."
        )
    notes = results.get("notes")
    if notes:
        lines += ["", *notes]
    lines += ["", "![growth](archive-growth.svg)", ""]
    return "\n".join(lines)


SERIES = [
    ("serve RSS after questions (MB)", ("serve_chat", "rss_after_questions", "VmRSS"), "#246"),
    ("spawn → healthy /healthz, with chat (s)", ("serve_chat", "spawn_to_healthz_s"), "#a40"),
    ("first-time answer p50, in-process (ms)", ("in_process", "first_p50_ms"), "#383"),
]


def growth_svg(results: dict[str, Any]) -> str:
    """One small panel per series: the value (y, labelled with its unit) against articles (x, log)."""
    sizes = sorted(int(s) for s in results["sizes"])
    w, h, pad = 300, 220, 48
    out = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{w * len(SERIES)}' height='{h}' "
        "font-family='sans-serif' font-size='10'>"
    ]
    if not sizes:
        return out[0] + "</svg>"
    lo, hi = math.log10(min(sizes)) - 0.2, math.log10(max(sizes)) + 0.2
    for i, (title, path, color) in enumerate(SERIES):
        x0 = i * w
        pts = [(s, _get(results["sizes"][str(s)], *path)) for s in sizes]
        pts = [(s, float(v)) for s, v in pts if v is not None]
        ymax = max([v for _, v in pts] + [1.0]) * 1.2

        def x(v: int, x0: int = x0) -> float:
            return x0 + pad + (math.log10(v) - lo) / (hi - lo) * (w - 2 * pad)

        def y(v: float, ymax: float = ymax) -> float:
            return h - pad - v / ymax * (h - 2 * pad)

        out += [
            f"<text x='{x0 + pad}' y='16' font-weight='bold'>{title}</text>",
            f"<line x1='{x0 + pad}' y1='{h - pad}' x2='{x0 + w - pad / 2}' y2='{h - pad}' stroke='#888'/>",
            f"<line x1='{x0 + pad}' y1='{pad - 10}' x2='{x0 + pad}' y2='{h - pad}' stroke='#888'/>",
            f"<text x='{x0 + w / 2 - 40}' y='{h - 8}'>articles (log scale)</text>",
            f"<text x='{x0 + 12}' y='{h / 2 + 20}' transform='rotate(-90 {x0 + 12} {h / 2 + 20})'>"
            f"{title.split('(')[-1].rstrip(')')}</text>",
            f"<text x='{x0 + pad - 4}' y='{y(0) + 3}' text-anchor='end'>0</text>",
            f"<text x='{x0 + pad - 4}' y='{y(ymax / 1.2) + 3}' text-anchor='end'>{ymax / 1.2:.0f}</text>",
        ]
        coords = [(x(s), y(v)) for s, v in pts]
        if coords:
            out.append(
                f"<polyline fill='none' stroke='{color}' stroke-width='2' points='"
                + " ".join(f"{a:.1f},{b:.1f}" for a, b in coords)
                + "'/>"
            )
        for (a, b), (_, v) in zip(coords, pts, strict=True):
            out.append(f"<circle cx='{a:.1f}' cy='{b:.1f}' r='3' fill='{color}'/>")
            out.append(f"<text x='{a + 4:.1f}' y='{b - 5:.1f}'>{v:g}</text>")
        for s in sizes:
            out.append(f"<text x='{x(s):.1f}' y='{h - pad + 14}' text-anchor='middle'>{s:,}</text>")
    out.append("</svg>")
    return "\n".join(out)
