"""Approximate nearest-neighbour indexes (usearch, hnswlib) vs exact numpy search for the vector store.

    python bench/ann.py --rows 100000 --queries 500 --k 100 [--json out.json]

The vectors are real all-MiniLM-L6-v2 passage vectors (384-d, unit length) from an existing
newsdig index (``--source``: ``vectors.npy`` files, default the Reuters index in /tmp/reuters/idx20k
and exits with a message when none is found). ``--queries`` of them, chosen with ``--seed``, are held
out as queries (optionally with ``--query-noise``). The base of ``--rows`` rows is synthesised from
the rest: row ``i`` is real vector ``i mod P`` of the shuffled remainder plus Gaussian noise of
expected norm ``--noise`` (relative to the unit vector; ``--noise-shape isotropic`` or ``data``:
shaped by the covariance of the real vectors), renormalised. ``--noise 0`` with ``--rows`` at most
the real count gives the real vectors alone. Everything is seeded; only the multi-threaded index
builds are not bit-for-bit repeatable (insertion order between threads).

The ground truth is exact float32 search (dot products of unit vectors). Per configuration:

* build: seconds and rows/s (``--threads`` threads), RSS growth, library-reported memory, bytes on
  disk after save;
* search, one query at a time on one thread (what a search engine does), ``k`` results:
  latency p50/p95/p99/mean (ms), recall@10 (the first 10 returned vs the exact top 10) and
  recall@k (all k returned vs the exact top k);
* load: restore into RAM vs memory-mapped view (usearch), load_index (hnswlib), warm page cache;
* filtered search (``--filter-frac``, a seeded random set of allowed rows): hnswlib's native filter
  callback vs usearch over-fetch + post-filter, recall against exact filtered search.

Exact baselines: float32 ``vectors @ q`` + argpartition; float16 storage upcast in blocks of
65,536 rows before the matmul; usearch's SIMD exact search over float16 storage. Their latency is
also measured on prefixes of the base (``--exact-sizes``) to place the row threshold where exact
search leaves the latency budget. float16 storage recall vs float32 is reported.

Latency is wall-clock and also the process CPU time per query (``cpu_p50_ms``): on a shared
machine the wall figures include preemption by other processes, the CPU figures do not. The exact
numpy baselines run with 1 BLAS thread and with ``--threads``: a 2-thread matrix-vector product
waits for a descheduled helper thread on a busy machine (a ~12 ms floor seen at any size).

Long builds: with ``--workdir DIR --build-budget-s S`` a build pauses after ``S`` seconds (the
partial index saved, exit code 3) and the same command resumes it; ``--keep-indexes`` keeps the
finished index (and the ground truth is cached there), so a later run with the same data reuses
it. ``--table a.json b.json ...`` prints markdown tables of earlier runs. The runs reported in the
ANN measurement (2 shared cores; one library or configuration per run):

    python bench/ann.py --rows 100000 --libs exact,usearch --usearch-dtypes none \
        --exact-sizes 25000,50000 --json 100k-exact.json
    python bench/ann.py --rows 100000 --libs usearch --usearch-dtypes f16 --connectivity 16,32 --json 100k-f16.json
    python bench/ann.py --rows 100000 --libs usearch --usearch-dtypes f32 --connectivity 16,32 --json 100k-f32.json
    python bench/ann.py --rows 100000 --libs usearch --usearch-dtypes i8 --connectivity 16 --json 100k-i8.json
    python bench/ann.py --rows 100000 --libs hnswlib --hnsw-m 16 --json 100k-hnsw16.json   # and --hnsw-m 32
    python bench/ann.py --rows 24029 --noise 0 --libs exact,usearch,hnswlib --usearch-dtypes f16 \
        --connectivity 16 --hnsw-m 16 --json real24k.json                                   # real vectors only
    python bench/ann.py --rows 100000 --noise-shape data --libs usearch --usearch-dtypes f16 \
        --connectivity 16 --json 100k-datanoise.json                        # noise shaped like the data
    python bench/ann.py --rows 100000 --query-noise 0.6 --libs usearch --usearch-dtypes f16 \
        --connectivity 16 --json 100k-querynoise.json                       # queries farther from the passages
    W="--rows 1000000 --workdir /tmp/annw1m --build-budget-s 450 --keep-indexes --expansion 128,256,512,768,1024"
    python bench/ann.py $W --libs exact,usearch --usearch-dtypes none --exact-sizes 200000,400000 --json 1m-exact.json
    # each of these: rerun while the exit code is 3 (a paused build), then once more to measure on a quiet machine
    python bench/ann.py $W --libs usearch --usearch-dtypes f16 --connectivity 16,32 --json 1m-usearch.json
    python bench/ann.py $W --libs usearch --usearch-dtypes f16 --connectivity 16 --expansion-add 200 --json 1m-ea200.json
    python bench/ann.py $W --libs hnswlib --hnsw-m 16 --json 1m-hnsw.json
    python bench/ann.py $W --k 200 --filter-frac 0 --libs usearch --usearch-dtypes f16 --connectivity 16 \
        --expansion-add 200 --expansion 512,1024,1536 --json 1m-ea200-k200.json   # reuses the ea200 index
    python bench/ann.py --table *.json
"""

from __future__ import annotations

import os
import sys

# One BLAS pool of --threads threads (read before numpy loads; default 2).
_THREADS = "2"
for _i, _a in enumerate(sys.argv):
    if _a == "--threads" and _i + 1 < len(sys.argv):
        _THREADS = sys.argv[_i + 1]
    elif _a.startswith("--threads="):
        _THREADS = _a.split("=", 1)[1]
for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, _THREADS)

import argparse
import gc
import glob
import json
import math
import platform
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

DEFAULT_SOURCE = "/tmp/reuters/idx20k/snapshots/*/vectors.npy"
BLOCK = 65_536  # rows upcast at a time by the float16 exact baseline
WARMUP = 20


# ---------------------------------------------------------------- data

def load_real(patterns: list[str]) -> tuple[np.ndarray, list[str]]:
    files: list[str] = []
    for pattern in patterns:
        files.extend(sorted(glob.glob(pattern)))
    files = sorted(dict.fromkeys(files))
    if not files:
        sys.exit(f"no vectors.npy matches {patterns}: build a newsdig index first "
                 "(e.g. python bench/add.py --base-index /tmp/reuters/idx20k) or pass --source")
    parts = [np.asarray(np.load(f, allow_pickle=False), dtype=np.float32) for f in files]
    real = np.concatenate(parts)
    norms = np.linalg.norm(real, axis=1)
    real = real[norms > 0.5] / norms[norms > 0.5, None]  # drop zero rows (deleted documents)
    return np.ascontiguousarray(real, dtype=np.float32), files


def normalise(m: np.ndarray) -> np.ndarray:
    m /= np.maximum(np.linalg.norm(m, axis=1, keepdims=True), 1e-12)
    return m


def noise_matrix(real: np.ndarray, shape: str) -> np.ndarray:
    """A (d×d) map taking standard normal rows to noise of expected squared norm 1."""
    d = real.shape[1]
    if shape == "isotropic":
        return np.eye(d, dtype=np.float32) / math.sqrt(d)
    cov = np.cov(real, rowvar=False).astype(np.float64)
    vals, vecs = np.linalg.eigh(cov)
    vals = np.clip(vals, 0, None)
    m = (vecs * np.sqrt(vals)).T  # z @ m has covariance cov
    return (m / math.sqrt(vals.sum())).astype(np.float32)


def make_data(real: np.ndarray, args) -> tuple[np.ndarray, np.ndarray, dict]:
    rng = np.random.default_rng(args.seed)
    order = rng.permutation(len(real))
    if args.queries >= len(real):
        sys.exit(f"--queries {args.queries} >= {len(real)} real vectors")
    queries = real[order[:args.queries]].copy()
    parents = real[order[args.queries:]]
    shaping = noise_matrix(real, args.noise_shape)
    if args.query_noise > 0:
        qrng = np.random.default_rng(args.seed + 2)  # its own stream: the base does not depend on it
        queries += args.query_noise * (qrng.standard_normal(queries.shape, dtype=np.float32) @ shaping)
        normalise(queries)
    base = np.empty((args.rows, real.shape[1]), dtype=np.float32)
    step = 131_072
    for start in range(0, args.rows, step):
        stop = min(start + step, args.rows)
        block = parents[np.arange(start, stop) % len(parents)]
        if args.noise > 0:
            block = block + args.noise * (rng.standard_normal(block.shape, dtype=np.float32) @ shaping)
            normalise(block)
        base[start:stop] = block
    child_cos = float(np.mean(np.sum(base[:min(len(base), 20000)]
                                     * parents[np.arange(min(len(base), 20000)) % len(parents)], axis=1)))
    info = {"real_vectors": len(real), "parents": len(parents),
            "children_per_parent": round(args.rows / len(parents), 2),
            "mean_cos_child_parent": round(child_cos, 4)}
    return base, np.ascontiguousarray(queries), info


# ---------------------------------------------------------------- exact search

def exact_topk(base: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-k rows (best first) and scores of every query, base upcast to float32 in blocks."""
    nq = len(queries)
    best_i = np.zeros((nq, 0), dtype=np.int64)
    best_s = np.zeros((nq, 0), dtype=np.float32)
    q = np.ascontiguousarray(queries.T, dtype=np.float32)
    for start in range(0, len(base), 131_072):
        block = np.asarray(base[start:start + 131_072], dtype=np.float32)
        s = block @ q  # rows × nq
        kk = min(k, len(block))
        part = np.argpartition(-s, kk - 1, axis=0)[:kk].T  # nq × kk
        cand_i = np.concatenate([best_i, part + start], axis=1)
        cand_s = np.concatenate([best_s, np.take_along_axis(s.T, part, axis=1)], axis=1)
        keep = np.argpartition(-cand_s, min(k, cand_s.shape[1]) - 1, axis=1)[:, :k]
        best_i = np.take_along_axis(cand_i, keep, axis=1)
        best_s = np.take_along_axis(cand_s, keep, axis=1)
    order = np.lexsort((best_i, -best_s), axis=1)
    return np.take_along_axis(best_i, order, axis=1), np.take_along_axis(best_s, order, axis=1)


def recall(found: list[np.ndarray], truth: np.ndarray, at: int) -> float:
    hits = [len(np.intersect1d(np.asarray(f[:at], dtype=np.int64), t[:at])) / min(at, len(t))
            for f, t in zip(found, truth)]
    return round(float(np.mean(hits)), 4)


def similarity_gap(found: list[np.ndarray], base: np.ndarray, queries: np.ndarray, truth_s: np.ndarray,
                   at: int) -> dict:
    """How much cosine the approximate top-``at`` loses: per query, the mean exact similarity of the
    true top ``at`` minus that of the returned ones (0 when the misses are exact ties)."""
    gaps = []
    for f, q, ts in zip(found, queries, truth_s):
        rows = np.asarray(f[:at], dtype=np.int64)
        got = np.sort(base[rows] @ q)[::-1] if len(rows) else np.zeros(0, dtype=np.float32)
        got = np.concatenate([got, np.zeros(at - len(got), dtype=np.float32)])  # missing results count as 0
        gaps.append(float(ts[:at].mean() - got.mean()))
    gaps = np.maximum(np.asarray(gaps), 0.0)  # float rounding can make a tie look like a tiny gain
    return {f"sim_gap@{at}_mean": round(float(gaps.mean()), 5), f"sim_gap@{at}_p95": round(float(
            np.percentile(gaps, 95)), 5), f"sim_gap@{at}_max": round(float(gaps.max()), 5)}


def percentiles(times: list[float]) -> dict:
    ms = np.asarray(times) * 1000
    out = {"p50_ms": round(float(np.percentile(ms, 50)), 3), "p95_ms": round(float(np.percentile(ms, 95)), 3),
           "p99_ms": round(float(np.percentile(ms, 99)), 3), "mean_ms": round(float(ms.mean()), 3)}
    if hasattr(times, "cpu"):  # CPU time of the process: what the query costs without preemption by others
        cpu = np.asarray(times.cpu) * 1000
        out.update({"cpu_p50_ms": round(float(np.percentile(cpu, 50)), 3),
                    "cpu_p95_ms": round(float(np.percentile(cpu, 95)), 3)})
    return out


def timed_queries(fn, queries: np.ndarray, limit: int | None = None, warmup: int = WARMUP,
                  budget_s: float = float("inf"), min_queries: int = 30) -> tuple[list[np.ndarray], list[float]]:
    """Results and latencies of single queries; stops after ``budget_s`` once ``min_queries`` are timed."""
    qs = queries if limit is None else queries[:limit]
    for q in qs[:warmup]:
        fn(q)
    found, times, cpu = [], [], []
    started = time.perf_counter()
    for q in qs:
        c0, t0 = time.process_time(), time.perf_counter()
        rows = fn(q)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        found.append(rows)
        if len(times) >= min_queries and t0 - started > budget_s:
            break
    return found, Timings(times, cpu)


class Timings(list):
    """Wall-clock seconds per query, with the process CPU seconds of each in ``cpu``."""

    def __init__(self, wall: list[float], cpu: list[float]) -> None:
        super().__init__(wall)
        self.cpu = cpu


def numpy_f32_search(vectors: np.ndarray, k: int):
    def search(q: np.ndarray) -> np.ndarray:
        scores = vectors @ q
        top = np.argpartition(-scores, k - 1)[:k]
        return top[np.argsort(-scores[top], kind="stable")]
    return search


def numpy_f16_blocked_search(vectors16: np.ndarray, k: int):
    scratch = np.empty((min(BLOCK, len(vectors16)), vectors16.shape[1]), dtype=np.float32)
    scores = np.empty(len(vectors16), dtype=np.float32)

    def search(q: np.ndarray) -> np.ndarray:
        for start in range(0, len(vectors16), BLOCK):
            block = vectors16[start:start + BLOCK]
            buf = scratch[:len(block)]
            buf[...] = block  # float16 -> float32
            np.matmul(buf, q, out=scores[start:start + len(block)])
        top = np.argpartition(-scores, k - 1)[:k]
        return top[np.argsort(-scores[top], kind="stable")]
    return search


def usearch_exact_search(vectors: np.ndarray, k: int, threads: int):
    from usearch.index import MetricKind
    from usearch.index import search as us_search

    def search(q: np.ndarray) -> np.ndarray:
        return us_search(vectors, q.astype(vectors.dtype), k, MetricKind.IP, exact=True, threads=threads).keys
    return search


def blas_threads(n: int):
    """A context limiting BLAS to ``n`` threads (threadpoolctl), or a no-op without it."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        import contextlib
        return contextlib.nullcontext()
    return threadpool_limits(n, user_api="blas")


def run_exact(base: np.ndarray, base16: np.ndarray, queries: np.ndarray, truth: np.ndarray, truth16: np.ndarray,
              args) -> list[dict]:
    out = []
    sizes = sorted({s for s in args.exact_sizes if 0 < s < len(base)} | {len(base)})
    nq = min(args.exact_queries, len(queries))
    for n in sizes:
        full = n == len(base)
        t_n = truth if full else exact_topk(base[:n], queries[:nq], args.k)[0]
        t = args.threads
        tn = f"{t} thread{'s' if t > 1 else ''}"
        kinds = [("numpy f32 matmul (BLAS 1 thread)", numpy_f32_search(base[:n], args.k), "f32", 1),
                 (f"numpy f32 matmul (BLAS {tn})", numpy_f32_search(base[:n], args.k), "f32", t),
                 ("numpy f16 storage, 65,536-row upcast blocks (BLAS 1 thread)",
                  numpy_f16_blocked_search(base16[:n], args.k), "f16", 1)]
        if "usearch" in args.libs:
            kinds.append(("usearch exact f16 (1 thread)", usearch_exact_search(base16[:n], args.k, 1), "f16", 1))
            kinds.append((f"usearch exact f16 ({tn})", usearch_exact_search(base16[:n], args.k, t), "f16", t))
        kinds = list({name: (name, *rest) for name, *rest in kinds}.values())
        for name, fn, storage, threads in kinds:
            with blas_threads(threads):
                found, times = timed_queries(fn, queries, nq, warmup=3, budget_s=args.exact_budget_s)
            row = {"kind": "exact", "config": name, "rows": n, "storage": storage, "queries_timed": len(times),
                   **percentiles(times),
                   "recall@10": recall(found, t_n, 10), f"recall@{args.k}": recall(found, t_n, args.k),
                   "index_bytes": int(n * base.shape[1] * (4 if storage == "f32" else 2))}
            out.append(row)
            print(f"  exact {name:48s} rows={n:>8,d} p50={row['p50_ms']:8.2f} p95={row['p95_ms']:8.2f} "
                  f"p99={row['p99_ms']:8.2f} ms  r@10={row['recall@10']:.4f} r@{args.k}={row[f'recall@{args.k}']:.4f}",
                  flush=True)
    return out


# ---------------------------------------------------------------- ANN libraries

def rss() -> int:
    import ctypes

    import psutil
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)  # freed heap pages back to the OS first
    except OSError:
        pass
    return psutil.Process().memory_info().rss


def _keys_of(index, k: int):
    return lambda q: index.search(q, k, threads=1).keys


def _labels_of(index, k: int):
    return lambda q: index.knn_query(q, k, num_threads=1)[0][0]


class UsearchCase:
    lib = "usearch"

    def __init__(self, metric: str, dtype: str, connectivity: int, args) -> None:
        self.metric, self.dtype, self.connectivity, self.args = metric, dtype, connectivity, args
        self.name = f"usearch {metric} {dtype} M={connectivity} ef_add={args.expansion_add}"
        self.slug = f"usearch-{metric}-{dtype}-c{connectivity}-ea{args.expansion_add}"
        self.index = None

    def params(self) -> dict:
        return {"metric": self.metric, "dtype": self.dtype, "connectivity": self.connectivity,
                "expansion_add": self.args.expansion_add}

    def create(self, n: int, dim: int) -> None:
        from usearch.index import Index
        self.index = Index(ndim=dim, metric=self.metric, dtype=self.dtype, connectivity=self.connectivity,
                           expansion_add=self.args.expansion_add, expansion_search=64)

    def add(self, vectors: np.ndarray, first_key: int) -> None:
        keys = np.arange(first_key, first_key + len(vectors), dtype=np.uint64)
        self.index.add(keys, vectors, threads=self.args.threads)

    def load(self, path: Path, n: int) -> None:
        from usearch.index import Index
        self.index = Index.restore(str(path))
        self.index.expansion_add = self.args.expansion_add

    def memory(self) -> dict:
        return {"library_memory_bytes": int(self.index.memory_usage)}

    def set_ef(self, ef: int) -> None:
        self.index.expansion_search = ef

    def searcher(self, k: int):
        index = self.index

        def search(q: np.ndarray) -> np.ndarray:
            return index.search(q, k, threads=1).keys
        return search

    def filtered_searcher(self, k: int, allowed: np.ndarray, frac: float):
        index, fetch = self.index, int(min(len(allowed), math.ceil(k / frac * 1.5)))

        def search(q: np.ndarray) -> np.ndarray:
            keys = index.search(q, fetch, threads=1).keys
            return keys[allowed[keys]][:k]
        return search

    def save(self, path: Path) -> None:
        self.index.save(str(path))

    def loads(self, path: Path, queries: np.ndarray, k: int) -> dict:
        from usearch.index import Index
        out = {}
        for mode, view in (("restore", False), ("view_mmap", True)):
            t0 = time.perf_counter()
            idx = Index.restore(str(path), view=view)
            out[f"load_{mode}_s"] = round(time.perf_counter() - t0, 4)
            idx.expansion_search = self.index.expansion_search
            _, times = timed_queries(_keys_of(idx, k), queries, 100)
            out[f"p50_after_{mode}_ms"] = percentiles(times)["p50_ms"]
            out["load_ef_search"] = int(idx.expansion_search)
        return out

    def drop(self) -> None:
        self.index = None


class HnswCase:
    lib = "hnswlib"

    def __init__(self, m: int, args) -> None:
        self.m, self.args = m, args
        self.name = f"hnswlib ip f32 M={m} ef_construction={args.ef_construction}"
        self.slug = f"hnswlib-ip-f32-m{m}-efc{args.ef_construction}"
        self.index = None

    def params(self) -> dict:
        return {"metric": "ip", "dtype": "f32", "connectivity": self.m, "ef_construction": self.args.ef_construction}

    def create(self, n: int, dim: int) -> None:
        import hnswlib
        self.index = hnswlib.Index(space="ip", dim=dim)
        self.index.init_index(max_elements=n, ef_construction=self.args.ef_construction, M=self.m,
                              random_seed=self.args.seed)

    def add(self, vectors: np.ndarray, first_key: int) -> None:
        self.index.add_items(vectors, np.arange(first_key, first_key + len(vectors)), num_threads=self.args.threads)

    def load(self, path: Path, n: int) -> None:
        import hnswlib
        self.index = hnswlib.Index(space="ip", dim=self.args.dim)
        self.index.load_index(str(path), max_elements=n)

    def memory(self) -> dict:
        return {}

    def set_ef(self, ef: int) -> None:
        self.index.set_ef(ef)

    def searcher(self, k: int):
        index = self.index

        def search(q: np.ndarray) -> np.ndarray:
            return index.knn_query(q, k, num_threads=1)[0][0]
        return search

    def filtered_searcher(self, k: int, allowed: np.ndarray, frac: float):
        index = self.index
        allowed_list = allowed.tolist()

        def search(q: np.ndarray) -> np.ndarray:
            return index.knn_query(q, k, num_threads=1, filter=allowed_list.__getitem__)[0][0]
        return search

    def save(self, path: Path) -> None:
        self.index.save_index(str(path))

    def loads(self, path: Path, queries: np.ndarray, k: int) -> dict:
        import hnswlib
        t0 = time.perf_counter()
        idx = hnswlib.Index(space="ip", dim=queries.shape[1])
        idx.load_index(str(path), max_elements=self.index.get_max_elements())
        out = {"load_restore_s": round(time.perf_counter() - t0, 4), "load_view_mmap_s": None}
        idx.set_ef(self.index.ef)
        out["load_ef_search"] = int(self.index.ef)
        _, times = timed_queries(_labels_of(idx, k), queries, 100)
        out["p50_after_restore_ms"] = percentiles(times)["p50_ms"]
        return out

    def drop(self) -> None:
        self.index = None


def cases(args) -> list:
    out = []
    if "usearch" in args.libs:
        for dtype in args.usearch_dtypes:
            metric = args.i8_metric if dtype == "i8" else args.metric
            for c in args.connectivity:
                out.append(UsearchCase(metric, dtype, c, args))
    if "hnswlib" in args.libs:
        for m in args.hnsw_m:
            out.append(HnswCase(m, args))
    return out


class Paused(Exception):
    """A build stopped at --build-budget-s; rerunning the same command continues it."""


def build(case, base: np.ndarray, args, workdir: Path, tag: str) -> dict:
    """Build (or resume, or reuse) the index of ``case``; stats of the build."""
    final, partial = workdir / f"{case.slug}-{tag}.index", workdir / f"{case.slug}-{tag}.partial"
    stats_path = workdir / f"{case.slug}-{tag}.json"
    stats = json.loads(stats_path.read_text()) if stats_path.exists() else None
    if stats and stats.get("complete") and final.exists():
        case.load(final, len(base))
        stats["reused_saved_index"] = True
        print(f"  reusing {final} (built earlier: {stats['build_s']} s)", flush=True)
        return stats
    before = rss()
    if stats and partial.exists():
        case.load(partial, len(base))
        done, build_s, sessions = stats["rows_done"], stats["build_s"], stats["build_sessions"] + 1
        build_cpu_s = stats["build_cpu_s"]
        print(f"  resuming the build at {done:,} rows", flush=True)
    else:
        case.create(len(base), base.shape[1])
        done, build_s, sessions, build_cpu_s = 0, 0.0, 1, 0.0
    session_start = time.perf_counter()
    while done < len(base):
        stop = min(len(base), done + args.build_batch)
        t0, c0 = time.perf_counter(), time.process_time()
        case.add(base[done:stop], done)
        build_s += time.perf_counter() - t0
        build_cpu_s += time.process_time() - c0
        done = stop
        if done < len(base) and time.perf_counter() - session_start > args.build_budget_s:
            case.save(partial)
            stats_path.write_text(json.dumps({"complete": False, "rows_done": done, "build_s": build_s,
                                              "build_cpu_s": build_cpu_s, "build_sessions": sessions}))
            case.drop()
            raise Paused(f"{case.name}: built {done:,} of {len(base):,} rows in {build_s:.0f} s; "
                         "rerun the same command to continue")
    grown = rss() - before
    case.save(final)
    stats = {"complete": True, "build_s": round(build_s, 2), "build_rows_per_s": round(len(base) / build_s, 1),
             "build_cpu_s": round(build_cpu_s, 2), "build_rows_per_cpu_s": round(len(base) / build_cpu_s, 1),
             "build_threads": args.threads, "build_sessions": sessions,
             "rss_growth_bytes": int(grown) if sessions == 1 else None,
             "index_bytes_on_disk": int(final.stat().st_size),
             "disk_bytes_per_row": round(final.stat().st_size / len(base), 1), **case.memory()}
    stats_path.write_text(json.dumps(stats))
    partial.unlink(missing_ok=True)
    print(f"  built {case.name}: {build_s:.1f} s ({len(base) / build_s:,.0f} rows/s, {sessions} session(s)), "
          f"{stats['index_bytes_on_disk'] / 2**20:,.1f} MiB on disk, RSS growth "
          f"{'n/a (resumed)' if stats['rss_growth_bytes'] is None else f'{grown / 2**20:,.1f} MiB'}", flush=True)
    return stats


def run_ann(case, base: np.ndarray, queries: np.ndarray, truth: np.ndarray, truth_s: np.ndarray, args,
            workdir: Path, tag: str, allowed: np.ndarray | None, truth_filtered: np.ndarray | None) -> list[dict]:
    stats = build(case, base, args, workdir, tag)
    stats.pop("complete", None)
    path = workdir / f"{case.slug}-{tag}.index"
    common = {"kind": "ann", "library": case.lib, "config": case.name, **case.params(), "rows": len(base), **stats}
    rows = []
    for ef in args.expansion:
        case.set_ef(ef)
        found, times = timed_queries(case.searcher(args.k), queries)
        row = {**common, "ef_search": ef, "k": args.k, **percentiles(times),
               "recall@10": recall(found, truth, 10), f"recall@{args.k}": recall(found, truth, args.k),
               **similarity_gap(found, base, queries, truth_s, 10),
               **similarity_gap(found, base, queries, truth_s, args.k)}
        if allowed is not None and ef == args.filter_ef:
            ffound, ftimes = timed_queries(case.filtered_searcher(args.k, allowed, args.filter_frac), queries)
            fp = percentiles(ftimes)
            row.update({"filter_frac": args.filter_frac,
                        "filter_method": "native filter callback" if case.lib == "hnswlib"
                        else f"over-fetch {math.ceil(args.k / args.filter_frac * 1.5)} + post-filter",
                        "filtered_p50_ms": fp["p50_ms"], "filtered_p95_ms": fp["p95_ms"],
                        "filtered_recall@10": recall(ffound, truth_filtered, 10),
                        f"filtered_recall@{args.k}": recall(ffound, truth_filtered, args.k),
                        "filtered_short_results": int(sum(len(f) < args.k for f in ffound))})
        rows.append(row)
        print(f"    ef={ef:4d} p50={row['p50_ms']:7.3f} p95={row['p95_ms']:7.3f} p99={row['p99_ms']:7.3f} ms  "
              f"r@10={row['recall@10']:.4f} r@{args.k}={row[f'recall@{args.k}']:.4f} "
              f"cos gap@10 {row['sim_gap@10_mean']:.5f} (p95 {row['sim_gap@10_p95']:.5f})"
              + (f"  | filtered {args.filter_frac:.0%}: p50={row['filtered_p50_ms']:.2f} "
                 f"p95={row['filtered_p95_ms']:.2f} ms r@10={row['filtered_recall@10']:.4f} "
                 f"r@{args.k}={row[f'filtered_recall@{args.k}']:.4f} short={row['filtered_short_results']}"
                 if 'filtered_p50_ms' in row else ""), flush=True)
    case.set_ef(args.load_ef)
    loads = case.loads(path, queries, args.k)
    for row in rows:
        row.update(loads)
    print(f"    load: {loads}", flush=True)
    case.drop()
    if not args.keep_indexes:
        path.unlink()
        (workdir / f"{case.slug}-{tag}.json").unlink(missing_ok=True)
    gc.collect()
    return rows


# ---------------------------------------------------------------- capabilities

def capabilities() -> dict:
    """Small functional checks of what the product needs: remove, add after load, filter, mmap view."""
    rng = np.random.default_rng(1)
    v = normalise(rng.standard_normal((2000, 384), dtype=np.float32))
    q = v[7]
    out: dict = {}
    tmp = Path(tempfile.mkdtemp(prefix="ann-cap-"))
    try:
        try:
            import usearch
            from usearch.index import Index
            c: dict = {"version": usearch.__version__}
            idx = Index(ndim=384, metric="ip", dtype="f16")
            idx.add(np.arange(2000, dtype=np.uint64) + 10**12, v, threads=1)  # 64-bit keys
            c["uint64_keys"] = bool(idx.search(q, 1).keys[0] == 10**12 + 7)
            c["remove"] = bool(idx.remove(10**12 + 7) == 1 and 10**12 + 7 not in idx.search(q, 10).keys)
            idx.save(str(tmp / "u.index"))
            loaded = Index.restore(str(tmp / "u.index"))
            c["removed_stays_removed_after_save_load"] = bool(10**12 + 7 not in loaded.search(q, 10).keys)
            loaded.add(np.uint64(5), q)
            c["add_after_load"] = bool(loaded.search(q, 1).keys[0] == 5)
            viewed = Index.restore(str(tmp / "u.index"), view=True)
            c["view_mmap_search"] = bool(len(viewed.search(q, 10).keys) == 10)
            # A view is read-only. usearch 2.26.6 raises for add() on a view of an index without
            # removed entries but segfaults on one with tombstones: try both in child processes.
            clean = Index(ndim=384, metric="ip", dtype="f16")
            clean.add(np.arange(2000, dtype=np.uint64), v, threads=1)
            clean.save(str(tmp / "clean.index"))
            for label, file in (("add_to_view", "clean.index"), ("add_to_view_with_tombstones", "u.index")):
                c[label] = _add_to_view_outcome(tmp / file)
            import inspect
            c["filtered_search_in_python_api"] = "filter" in inspect.signature(Index.search).parameters \
                or "predicate" in inspect.signature(Index.search).parameters
            c["hardware_acceleration"] = str(idx.hardware_acceleration)
            out["usearch"] = c
        except ImportError:
            out["usearch"] = "not installed"
        try:
            import hnswlib
            c = {"version": _version("hnswlib")}
            idx = hnswlib.Index(space="ip", dim=384)
            idx.init_index(max_elements=2000, ef_construction=100, M=16)
            idx.add_items(v, np.arange(2000, dtype=np.uint64) + 10**12)
            c["uint64_keys"] = bool(idx.knn_query(q, 1)[0][0][0] == 10**12 + 7)
            idx.mark_deleted(10**12 + 7)
            c["remove (mark_deleted)"] = bool(10**12 + 7 not in idx.knn_query(q, 10)[0][0])
            idx.save_index(str(tmp / "h.index"))
            loaded = hnswlib.Index(space="ip", dim=384)
            loaded.load_index(str(tmp / "h.index"), max_elements=2001)
            c["removed_stays_removed_after_save_load"] = bool(10**12 + 7 not in loaded.knn_query(q, 10)[0][0])
            loaded.add_items(q[None], [5])
            c["add_after_load"] = bool(loaded.knn_query(q, 1)[0][0][0] == 5)
            try:
                loaded.add_items(q[None], [6])
                c["add_beyond_max_elements"] = True
            except RuntimeError as exc:
                c["add_beyond_max_elements"] = f"no ({type(exc).__name__}: resize_index first)"
            allowed = set(range(10**12 + 100, 10**12 + 200))
            res = idx.knn_query(q, 10, filter=lambda label: label in allowed)[0][0]
            c["filtered_search_in_python_api"] = bool(all(int(r) in allowed for r in res))
            c["view_mmap_search"] = "no API (load_index reads the whole file into RAM)"
            out["hnswlib"] = c
        except ImportError:
            out["hnswlib"] = "not installed"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def _add_to_view_outcome(path: Path) -> str:
    import subprocess
    code = ("import sys, numpy as np\nfrom usearch.index import Index\n"
            "i = Index.restore(sys.argv[1], view=True)\n"
            "try:\n    i.add(np.uint64(10 ** 15), np.ones(384, dtype=np.float32) / 384 ** .5)\n    print('accepted')\n"
            "except Exception as e:\n    print(f'raises {type(e).__name__}: {e}')\n")
    done = subprocess.run([sys.executable, "-c", code, str(path)], check=False, capture_output=True, text=True)
    if done.returncode < 0:
        return f"crashes the process (signal {-done.returncode})"
    return done.stdout.strip() or f"exit {done.returncode}: {done.stderr.strip()[-200:]}"


# ---------------------------------------------------------------- main

def int_list(text: str) -> list[int]:
    return [int(x.replace("_", "").replace(",", "")) for x in text.split(",") if x]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--queries", type=int, default=500)
    p.add_argument("--k", type=int, default=100)
    p.add_argument("--json", type=Path)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=2, help="build threads and BLAS threads")
    p.add_argument("--source", nargs="+", default=[DEFAULT_SOURCE], help="glob(s) of real vectors.npy files")
    p.add_argument("--noise", type=float, default=0.4, help="expected noise norm relative to a unit vector")
    p.add_argument("--noise-shape", choices=["isotropic", "data"], default="isotropic")
    p.add_argument("--query-noise", type=float, default=0.0)
    p.add_argument("--libs", default="exact,usearch,hnswlib", type=lambda s: s.split(","))
    p.add_argument("--metric", default="ip", help="usearch metric for f32/f16 (ip or cos)")
    p.add_argument("--i8-metric", default="cos", help="usearch metric for i8")
    p.add_argument("--usearch-dtypes", default="f32,f16,i8",
                   type=lambda s: [x for x in s.split(",") if x and x != "none"], help="none: no usearch index")
    p.add_argument("--connectivity", default="16,32", type=int_list, help="usearch connectivity (M)")
    p.add_argument("--expansion-add", type=int, default=128)
    p.add_argument("--hnsw-m", default="16,32", type=int_list)
    p.add_argument("--ef-construction", type=int, default=200)
    p.add_argument("--expansion", default="64,128,256,512", type=int_list,
                   help="search-time expansion (usearch expansion_search / hnswlib ef)")
    p.add_argument("--exact-sizes", default="25000,50000,100000,200000,400000,1000000", type=int_list,
                   help="prefix sizes for the exact-search latency sweep (capped at --rows)")
    p.add_argument("--exact-queries", type=int, default=200, help="queries timed per exact baseline")
    p.add_argument("--exact-budget-s", type=float, default=20.0,
                   help="stop timing one exact baseline after this many seconds (at least 30 queries)")
    p.add_argument("--filter-frac", type=float, default=0.1, help="fraction of rows allowed (0: skip)")
    p.add_argument("--filter-ef", type=int, default=128)
    p.add_argument("--load-ef", type=int, default=128, help="expansion used when timing a loaded index")
    p.add_argument("--build-batch", type=int, default=50_000, help="rows added per call")
    p.add_argument("--build-budget-s", type=float, default=float("inf"),
                   help="pause a build after this many seconds (needs --workdir); rerun to resume")
    p.add_argument("--keep-indexes", action="store_true",
                   help="keep built indexes in --workdir; a later run with the same data reuses them")
    p.add_argument("--no-capabilities", action="store_true")
    p.add_argument("--workdir", type=Path, help="where indexes are saved (default: a temporary folder)")
    p.add_argument("--table", nargs="+", type=Path, metavar="JSON",
                   help="print markdown tables of earlier runs' JSON files and exit")
    args = p.parse_args()
    if args.table:
        table(args.table)
        return 0
    if (args.keep_indexes or args.build_budget_s != float("inf")) and args.workdir is None:
        p.error("--keep-indexes and --build-budget-s need --workdir")

    started = time.time()
    real, files = load_real(args.source)
    base, queries, data_info = make_data(real, args)
    args.dim = base.shape[1]
    print(f"{len(real):,} real vectors from {len(files)} file(s); base {base.shape} "
          f"(noise {args.noise} {args.noise_shape}), {len(queries)} queries; "
          f"mean cos child-parent {data_info['mean_cos_child_parent']}", flush=True)
    tag = (f"r{args.rows}-q{args.queries}-s{args.seed}-n{args.noise}-{args.noise_shape}"  # names the base
           f"-{Path(files[0]).parent.parent.parent.name}{len(real)}")
    t0 = time.perf_counter()
    base16 = base.astype(np.float16)
    allowed = np.random.default_rng(args.seed + 1).random(len(base)) < args.filter_frac if args.filter_frac > 0 \
        else None
    cache = args.workdir / f"truth-{tag}-qn{args.query_noise}-k{args.k}-f{args.filter_frac}.npz" if args.workdir else None
    cached = cache is not None and cache.exists()
    if cached:
        saved = np.load(cache)
        truth, truth_s, truth16, truth_filtered = (saved["truth"], saved["truth_s"], saved["truth16"],
                                                   saved["truth_filtered"] if allowed is not None else None)
    else:
        truth, truth_s = exact_topk(base, queries, args.k)
        truth16, _ = exact_topk(base16, queries, args.k)
        truth_filtered = None
        if allowed is not None:
            rows_allowed = np.flatnonzero(allowed)
            truth_filtered = rows_allowed[exact_topk(base[rows_allowed], queries, args.k)[0]]
        if cache is not None:
            args.workdir.mkdir(parents=True, exist_ok=True)
            np.savez(cache, truth=truth, truth_s=truth_s, truth16=truth16,
                     truth_filtered=truth_filtered if allowed is not None else np.zeros(0))
    data_info.update({"ground_truth_s": round(time.perf_counter() - t0, 2), "ground_truth_cached": cached,
                      "mean_top1_cos": round(float(truth_s[:, 0].mean()), 4),
                      "mean_top10_cos": round(float(truth_s[:, min(9, args.k - 1)].mean()), 4),
                      f"mean_top{args.k}_cos": round(float(truth_s[:, -1].mean()), 4),
                      "f16_storage_recall@10": recall(list(truth16), truth, 10),
                      f"f16_storage_recall@{args.k}": recall(list(truth16), truth, args.k)})
    print(f"similarity profile: top1 {data_info['mean_top1_cos']}, top10 {data_info['mean_top10_cos']}, "
          f"top{args.k} {data_info[f'mean_top{args.k}_cos']}; float16 storage vs float32 exact: "
          f"r@10={data_info['f16_storage_recall@10']} r@{args.k}={data_info[f'f16_storage_recall@{args.k}']}",
          flush=True)

    report: dict = {"args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
                    "machine": {"python": platform.python_version(), "cpu_count": os.cpu_count(),
                                "processor": _cpu_model(), "numpy": np.__version__,
                                "loadavg_start": [round(x, 2) for x in os.getloadavg()]},
                    "data": {"source_files": files, **data_info}, "results": []}
    if not args.no_capabilities:
        report["capabilities"] = capabilities()
        print(f"capabilities: {json.dumps(report['capabilities'])}", flush=True)
    for lib in ("usearch", "hnswlib", "numkong"):
        report["machine"][lib] = _version(lib)

    if "exact" in args.libs:
        print("exact baselines:", flush=True)
        report["results"].extend(run_exact(base, base16, queries, truth, truth16, args))
    del base16
    gc.collect()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="ann-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    paused = None
    try:
        for case in cases(args):
            print(f"{case.name}:", flush=True)
            try:
                report["results"].extend(run_ann(case, base, queries, truth, truth_s, args, workdir, tag,
                                                 allowed, truth_filtered))
            except Paused as exc:
                paused = str(exc)
                print(f"  PAUSED: {paused}", flush=True)
                report["paused"] = paused
                break
            if args.json:  # partial results survive an interrupted run
                args.json.write_text(json.dumps(report, indent=1, default=_jsonable))
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    report["total_s"] = round(time.time() - started, 1)
    report["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, default=_jsonable))
        print(f"wrote {args.json}")
    return 3 if paused else 0


def table(paths: list[Path]) -> None:
    """Markdown tables of the results in JSON files written by earlier runs."""
    reports = [json.loads(Path(p).read_text()) for p in paths]
    print("| rows | noise | queries | top-1 / top-10 / top-k cos | f16 storage recall@10 / @k | load avg (start) |")
    print("|---:|---|---:|---|---|---|")
    seen = set()
    for r in reports:
        a, d = r["args"], r["data"]
        key = (a["rows"], a["noise"], a["noise_shape"], a["query_noise"], a["seed"])
        if key in seen:
            continue
        seen.add(key)
        k = a["k"]
        print(f"| {a['rows']:,} | {a['noise']} {a['noise_shape']}, query noise {a['query_noise']} | {a['queries']} "
              f"| {d['mean_top1_cos']} / {d['mean_top10_cos']} / {d[f'mean_top{k}_cos']} "
              f"| {d['f16_storage_recall@10']} / {d[f'f16_storage_recall@{k}']} "
              f"| {r['machine'].get('loadavg_start')} |")
    print()
    print("| rows | exact search | queries timed | p50 ms | p95 ms | p99 ms | CPU p50 ms | recall@10 | recall@k |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in reports:
        k = r["args"]["k"]
        for x in r["results"]:
            if x["kind"] == "exact":
                print(f"| {x['rows']:,} | {x['config']} | {x['queries_timed']} | {x['p50_ms']:.2f} | {x['p95_ms']:.2f} "
                      f"| {x['p99_ms']:.2f} | {x.get('cpu_p50_ms', float('nan')):.2f} | {x['recall@10']:.4f} "
                      f"| {x[f'recall@{k}']:.4f} |")
    print()
    print("| rows | index | ef | build rows/s (per CPU-s) | disk MiB | p50 ms | p95 ms | p99 ms | CPU p50 ms "
          "| recall@10 | recall@k | cos gap@10 mean / p95 | filtered p50 / p95 ms, recall@10 / @k | load / view s |")
    print("|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|")
    for r in reports:
        k = r["args"]["k"]
        for x in r["results"]:
            if x["kind"] != "ann":
                continue
            filt = (f"{x['filtered_p50_ms']:.1f} / {x['filtered_p95_ms']:.1f}, {x['filtered_recall@10']:.3f} / "
                    f"{x[f'filtered_recall@{k}']:.3f}" if "filtered_p50_ms" in x else "")
            view = x.get("load_view_mmap_s")
            print(f"| {x['rows']:,} | {x['config']} | {x['ef_search']} | {x['build_rows_per_s']:,.0f} "
                  f"({x.get('build_rows_per_cpu_s', float('nan')):,.0f}) | {x['index_bytes_on_disk'] / 2**20:,.1f} "
                  f"| {x['p50_ms']:.2f} | {x['p95_ms']:.2f} | {x['p99_ms']:.2f} | {x.get('cpu_p50_ms', float('nan')):.2f} "
                  f"| {x['recall@10']:.4f} | {x[f'recall@{k}']:.4f} "
                  f"| {x.get('sim_gap@10_mean', '')} / {x.get('sim_gap@10_p95', '')} | {filt} "
                  f"| {x['load_restore_s']:.3f} / {'-' if view is None else f'{view:.4f}'} |")


def _version(dist: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version(dist)
    except PackageNotFoundError:
        return None


def _jsonable(o):
    if isinstance(o, np.generic):
        return o.item()
    return str(o)


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


if __name__ == "__main__":
    sys.exit(main())
