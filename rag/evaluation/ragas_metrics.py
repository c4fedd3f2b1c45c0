"""ragas metrics for ``rag eval``: the non-LLM ones always (offline), the LLM-judged ones
(faithfulness, answer relevancy) only through a configured LLM endpoint (``RAG_LLM_*``).

ragas is imported inside the functions, so ``rag eval`` pays for it only when it scores.
"""

from __future__ import annotations

import warnings
from typing import Any

from rag.config import Settings
from rag.evaluation.metrics import mean, overlaps
from rag.evaluation.questions import LabelledQuestion, evidence_spans
from rag.pipeline import Pipeline


def ragas_llm_scores(
    pipeline: Pipeline, questions: list[LabelledQuestion], records: list[dict[str, Any]]
) -> dict[str, float]:
    """LLM-judged ragas metrics (faithfulness, answer relevancy) through the configured LLM endpoint.

    Any failure of the judge (a small model rarely returns the JSON ragas expects) is reported
    as ``ragas_llm_error`` rather than failing the run.
    """
    s: Settings = pipeline.settings
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from openai import OpenAI
            from ragas import EvaluationDataset, RunConfig, evaluate
            from ragas.embeddings import LlamaIndexEmbeddingsWrapper
            from ragas.llms import llm_factory
            from ragas.metrics import Faithfulness, ResponseRelevancy

            from rag.evaluation.adapters import llama_index_embedding

            client = OpenAI(
                base_url=s.llm_base_url,
                api_key=s.llm_api_key.get_secret_value() if s.llm_api_key else "unused",
                timeout=s.llm_timeout,
                max_retries=0,
            )
            llm = llm_factory(s.llm_model or "default", client=client)
            emb = LlamaIndexEmbeddingsWrapper(llama_index_embedding(pipeline.embedder))
            rows = [
                {
                    "user_input": q.question,
                    "response": r["answer"],
                    "retrieved_contexts": [c["quote"] for c in r["citations"]] or [""],
                }
                for q, r in zip(questions, records, strict=True)
                if q.answerable and not r["abstained"]
            ]
            result = evaluate(
                EvaluationDataset.from_list(rows),
                metrics=[Faithfulness(), ResponseRelevancy(strictness=1)],
                llm=llm,  # type: ignore[arg-type]
                embeddings=emb,
                run_config=RunConfig(max_workers=2, timeout=int(s.llm_timeout)),
                show_progress=False,
                raise_exceptions=False,
            )
            df = result.to_pandas()  # type: ignore[union-attr]
            out: dict[str, float] = {}
            for col in ("faithfulness", "answer_relevancy"):
                if col in df:
                    vals = [float(v) for v in df[col] if v == v]  # NaN-safe
                    out[col] = round(mean(vals), 4) if vals else None  # type: ignore[assignment]
            return out
    except Exception as e:  # the judge is optional; say why it is missing
        return {"ragas_llm_error": f"{type(e).__name__}: {str(e)[:200]}"}  # type: ignore[dict-item]


def ragas_scores(
    pipeline: Pipeline, questions: list[LabelledQuestion], records: list[dict[str, Any]], arts: dict[str, Any]
) -> dict[str, float]:
    """ragas metrics over the answerable questions: the non-LLM ones always, offline."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ragas.dataset_schema import SingleTurnSample
        from ragas.metrics import (
            IDBasedContextPrecision,
            IDBasedContextRecall,
            NonLLMContextRecall,
            RougeScore,
            StringPresence,
        )

        metrics = [
            IDBasedContextRecall(),
            IDBasedContextPrecision(),
            NonLLMContextRecall(),
            StringPresence(),
            RougeScore(),
        ]
        scores: dict[str, list[float]] = {m.name: [] for m in metrics}
        chunks = pipeline.chunks()
        for q, rec in zip(questions, records, strict=True):
            if not q.answerable:
                continue
            spans = evidence_spans(q, arts)
            relevant_ids: list[str | int] = [
                cid
                for cid, c in chunks.items()
                if any(c.article_id == a and overlaps((c.start, c.end), (s, e)) for a, s, e in spans)
            ]
            retrieved: list[str | int] = [cid for cid in rec["retrieved"] if cid in chunks]
            sample = SingleTurnSample(
                user_input=q.question,
                response=rec["answer"],
                retrieved_contexts=[chunks[str(c)].text for c in retrieved] or [""],
                retrieved_context_ids=retrieved or ["none"],
                reference_contexts=list(q.evidence),
                reference_context_ids=relevant_ids or ["none"],
                reference=" ".join(alts[0] for alts in q.expect),
            )
            for m in metrics:
                scores[m.name].append(float(m.single_turn_score(sample)))
    return {name: round(mean(vals), 4) for name, vals in scores.items()}
