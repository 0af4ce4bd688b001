"""The Spark engine's stages: RDD transformations whose bodies call the kernels of :mod:`retold.core`.

Nothing here re-implements the method; each stage only decides how records travel
between executors (shuffles keyed by shingle hash, band key, document id or pair):

- :func:`sketch`: ``mapPartitions`` over documents, :func:`~retold.core.sketch.sketch_texts`
  on batches, :func:`~retold.core.lsh.band_keys` per batch, :func:`~retold.core.rules.doc_status`;
- :func:`index_candidates`: every document's shingles are split by ``hash % P`` and
  shuffled to hash partition ``P``; each partition builds its postings with
  :func:`~retold.core.arrays.postings` and its pairs with :func:`~retold.core.lsh.pairs_in_groups`
  exactly as a partition of the local engine's index (``max_df`` marks boilerplate);
  per-pair counts are summed by a shuffle on the pair and kept when they reach
  :func:`~retold.core.rules.index_pair_threshold`;
- :func:`lsh_pairs`: band keys shuffled by ``key % P``; each partition runs
  :func:`~retold.core.lsh.lsh_candidates` on its keys (so the star rule for large buckets is
  the one in core);
- :func:`verify`: candidates joined (two shuffles on the document id) with both
  documents' shingle sets, boilerplate subsets and positions; per partition
  :func:`~retold.core.verify.intersect_counts`, :func:`~retold.core.verify.classify`,
  :func:`~retold.core.verify.needs_words`, :func:`~retold.core.coverage.words_of` /
  :func:`~retold.core.coverage.coverage_by` and :func:`~retold.core.verify.pairs_from_scores`;
- :func:`align`: pairs joined with both texts, :func:`retold.core.align.align` per pair;
- :func:`families`: the star rule of :mod:`retold.families.cluster`, computed in rounds
  (greedy maximal independent set by priority, see :func:`families`).

Documents are referred to by id (``a < b`` in Python string order, which is the order of
ranks in the local engine). Nothing depends on partition ids, task attempts, record
order within a partition, ``monotonically_increasing_id`` or Python's ``hash()``:
partitions are chosen from shingle hashes and band keys (fixed functions), per-partition
work sorts its records first, and every reduction is commutative.

A document's boilerplate shingles (df > ``max_df``) travel with the document as its own
sorted subset: every kernel only asks whether one of the document's own shingles is
boilerplate, so the subset answers exactly as the global set would, and the boilerplate
set is never collected anywhere.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from retold.config import AlignConfig, ClusterConfig, ScanConfig
from retold.core.align import align as align_texts
from retold.core.batches import batched
from retold.core.arrays import count_sorted, group_bounds, isin_sorted, postings
from retold.core.coverage import coverage_by, words_of
from retold.core.lsh import band_keys, lsh_candidates, pairs_in_groups
from retold.core.rules import doc_status, index_pair_threshold
from retold.core.sketch import sketch_texts
from retold.core.verify import NO_RELATION, Scores, classify, intersect_counts, needs_words, pairs_from_scores
from retold.families.cluster import representative_key
from retold.models import Cluster, DocInfo, Pair

_U64 = np.uint64
_EMPTY = np.empty(0, _U64)

#: documents sketched per call of the kernel inside a partition
SKETCH_BATCH = 512
#: candidate pairs verified per call of the kernels inside a partition
VERIFY_BATCH = 4096

#: the statistics of a scan, in the local engine's order
STAT_KEYS = ("distinct_shingles", "boilerplate_shingles", "boilerplate_occurrences", "shared_shingles",
             "index_pair_hits", "index_candidates", "lsh_candidates", "lsh_large_buckets", "candidates")


def _arr(raw: bytes) -> np.ndarray:
    return np.frombuffer(raw, dtype=_U64)


# -- read+sketch --------------------------------------------------------------------------

#: fault injection for the retry test: with this variable naming a directory in the executors'
#: environment, the first attempt of the first sketching task fails once (leaving DIR/failed)
FAIL_FIRST_ATTEMPT = "RETOLD_SPARK_FAIL_FIRST_ATTEMPT"


def _injected_failure() -> None:
    """Raise on the first attempt of partition 0 when :data:`FAIL_FIRST_ATTEMPT` is set (tests only)."""
    where = os.environ.get(FAIL_FIRST_ATTEMPT)
    if not where:
        return
    from pyspark import TaskContext

    ctx = TaskContext.get()
    if ctx is not None and ctx.partitionId() == 0 and ctx.attemptNumber() == 0:
        open(os.path.join(where, "failed"), "a").close()
        raise RuntimeError("injected failure of a first attempt (retold's retry test)")


def sketch_partition(rows: Iterable[tuple[str, str, str | None, str | None, str]],
                     config: ScanConfig) -> Iterator[tuple[str, tuple[DocInfo, bytes, bytes, bytes]]]:
    """(id, (DocInfo, shingle set, shingles in text order, band keys)) of each document
    ``(id, text, date, source, origin)``; arrays as raw uint64 bytes."""
    _injected_failure()
    size, min_tokens = config.shingle.size, config.shingle.min_tokens
    for batch in batched(rows, SKETCH_BATCH):
        texts = [r[1] for r in batch]
        sk = sketch_texts(texts, config.shingle, config.minhash)
        bands = band_keys(sk.signatures, config.minhash)
        tokens = sk.tokens.tolist()
        windows = [max(k - size + 1, 0) if k >= min_tokens else 0 for k in tokens]
        pos_off = np.zeros(len(batch) + 1, dtype=np.int64)
        np.cumsum(windows, out=pos_off[1:])
        off = sk.offsets
        for i, (doc_id, text, date, source, origin) in enumerate(batch):
            k, m = int(tokens[i]), int(off[i + 1] - off[i])
            info = DocInfo(doc_id, len(text), k, date, source, origin, doc_status(k, config.shingle), m)
            yield doc_id, (info, sk.shingles[off[i]:off[i + 1]].tobytes(),
                           sk.positions[pos_off[i]:pos_off[i + 1]].tobytes(), bands[i].tobytes())


def sketch(documents: Any, config: ScanConfig) -> Any:
    """RDD (id, (DocInfo, set, positions, bands)) of an RDD of (id, text, date, source, origin)."""
    return documents.mapPartitions(lambda rows: sketch_partition(rows, config))


# -- candidates: the shingle inverted index ------------------------------------------------

def _split_by(values: np.ndarray, parts: int) -> Iterator[tuple[int, np.ndarray]]:
    """(p, values with value % parts == p) for each non-empty p."""
    if len(values) == 0:
        return
    p = (values % _U64(parts)).astype(np.int64)
    order = np.argsort(p, kind="stable")
    ps = p[order]
    cuts = np.flatnonzero(np.diff(ps)) + 1
    for lo, hi in zip(np.r_[0, cuts].tolist(), np.r_[cuts, len(ps)].tolist()):
        yield int(ps[lo]), np.sort(values[order[lo:hi]])


def _index_partition(records: Iterable[tuple[int, tuple[str, int, bytes]]], max_df: int) -> Iterator[tuple]:
    """One hash partition of the inverted index (records: (p, (id, set size, its hashes here))).

    Yields ("P", (a, b), (count, smaller set size)), ("B", id, boilerplate hashes) and
    ("S", stats): the same counts as a partition of the local engine's index.
    """
    docs = sorted((r[1] for r in records), key=lambda d: d[0])
    if not docs:
        return
    n = len(docs)
    ids = [d[0] for d in docs]
    sizes = np.asarray([d[1] for d in docs], dtype=np.int64)
    arrays = [_arr(d[2]) for d in docs]
    hs = np.concatenate(arrays)
    ds = np.repeat(np.arange(n, dtype=np.int64), [len(x) for x in arrays])
    distinct, df = count_sorted(hs)
    members, starts, gsizes = postings(hs, ds, n, distinct)
    boiler = gsizes > max_df
    keep = (gsizes >= 2) & ~boiler
    keys = pairs_in_groups(members, starts[keep], gsizes[keep], n)
    boilerplate = distinct[df > max_df]
    yield ("S", {"distinct_shingles": int(len(distinct)), "boilerplate_shingles": int(len(boilerplate)),
                 "boilerplate_occurrences": int(df[df > max_df].sum()), "shared_shingles": int(keep.sum()),
                 "index_pair_hits": int(len(keys))})
    keys, counts = count_sorted(keys)
    a = (keys // _U64(n)).astype(np.int64)
    b = (keys % _U64(n)).astype(np.int64)
    smaller = np.minimum(sizes[a], sizes[b])
    for x, y, c, s in zip(a.tolist(), b.tolist(), counts.tolist(), smaller.tolist()):
        yield ("P", (ids[x], ids[y]), (c, s))
    if len(boilerplate):
        hit = isin_sorted(hs, boilerplate)
        bh, bd = hs[hit], ds[hit]  # in document order (ds ascends)
        starts, lengths = group_bounds(bd)
        for st, ln in zip(starts.tolist(), lengths.tolist()):
            yield ("B", ids[int(bd[st])], bh[st:st + ln].tobytes())


def _threshold_partition(rows: Iterable[tuple[tuple[str, str], tuple[int, int]]], config: ScanConfig
                         ) -> Iterator[tuple[str, str]]:
    for batch in batched(rows, VERIFY_BATCH):
        counts = np.asarray([r[1][0] for r in batch], dtype=np.int64)
        smaller = np.asarray([r[1][1] for r in batch], dtype=np.int64)
        ok = counts >= index_pair_threshold(smaller, config.verify)
        for i in np.flatnonzero(ok).tolist():
            yield batch[i][0]


def index_candidates(sketched: Any, config: ScanConfig, partitions: int) -> tuple[Any, Any, Any]:
    """(candidate pairs (a, b), boilerplate subsets (id, bytes), stats RDD) of the inverted index."""
    def spread(kv: tuple[str, tuple[DocInfo, bytes, bytes, bytes]]) -> Iterator[tuple[int, tuple[str, int, bytes]]]:
        doc_id, (info, shingles, _, _) = kv
        for p, part in _split_by(_arr(shingles), partitions):
            yield p, (doc_id, info.shingles, part.tobytes())

    spread_rdd = sketched.flatMap(spread).partitionBy(partitions, lambda p: p)
    tagged = spread_rdd.mapPartitions(lambda rs: _index_partition(rs, config.candidates.max_df))
    tagged = tagged.persist(_storage())
    counts = (tagged.filter(lambda t: t[0] == "P").map(lambda t: (t[1], t[2]))
              .reduceByKey(lambda x, y: (x[0] + y[0], min(x[1], y[1])), partitions))
    pairs = counts.mapPartitions(lambda rs: _threshold_partition(rs, config))
    boiler = tagged.filter(lambda t: t[0] == "B").map(lambda t: (t[1], t[2])).reduceByKey(
        lambda x, y: np.sort(np.concatenate((_arr(x), _arr(y)))).tobytes(), partitions)
    stats = tagged.filter(lambda t: t[0] == "S").map(lambda t: t[1])
    return pairs, boiler, stats


# -- candidates: LSH ----------------------------------------------------------------------

def _lsh_partition(records: Iterable[tuple[int, tuple[str, bytes]]], config: ScanConfig) -> Iterator[tuple]:
    """The band keys of one key partition: :func:`~retold.core.lsh.lsh_candidates` on one
    row per (document, key), rows in (id, key) order so that a row's rank orders ids."""
    rows = sorted(((doc_id, k) for _, (doc_id, raw) in records for k in _arr(raw).tolist()))
    if not rows:
        return
    ids = [r[0] for r in rows]
    keys = np.asarray([r[1] for r in rows], dtype=_U64)[:, None]
    found, stats = lsh_candidates(keys, np.ones(len(rows), dtype=bool), config.minhash)
    yield ("S", {"lsh_large_buckets": stats["lsh_large_buckets"]})
    m = _U64(len(rows))
    for x, y in zip((found // m).tolist(), (found % m).tolist()):
        yield ("P", (ids[x], ids[y]))


def lsh_pairs(sketched: Any, config: ScanConfig, partitions: int) -> tuple[Any, Any]:
    """(distinct LSH pairs (a, b), a self-pair possible as in the local engine; stats RDD)."""
    def spread(kv: tuple[str, tuple[DocInfo, bytes, bytes, bytes]]) -> Iterator[tuple[int, tuple[str, bytes]]]:
        doc_id, (info, _, _, bands) = kv
        if info.shingles > 0:
            for p, part in _split_by(_arr(bands), partitions):
                yield p, (doc_id, part.tobytes())

    tagged = (sketched.flatMap(spread).partitionBy(partitions, lambda p: p)
              .mapPartitions(lambda rs: _lsh_partition(rs, config)).persist(_storage()))
    pairs = tagged.filter(lambda t: t[0] == "P").map(lambda t: t[1]).distinct(partitions)
    return pairs, tagged.filter(lambda t: t[0] == "S").map(lambda t: t[1])


# -- verification --------------------------------------------------------------------------

#: what verification needs of a document: (set size, own size, set, boilerplate subset, positions)
Side = tuple[int, int, bytes, bytes, bytes]


def verify_inputs(sketched: Any, boiler: Any, partitions: int) -> Any:
    """RDD (id, :data:`Side`) of the documents that have shingles."""
    def side(kv: tuple[str, tuple[tuple[DocInfo, bytes, bytes, bytes], bytes | None]]) -> tuple[str, Side]:
        doc_id, ((info, shingles, positions, _), bp) = kv
        bp = bp or b""
        return doc_id, (info.shingles, info.shingles - len(bp) // 8, shingles, bp, positions)

    return (sketched.filter(lambda kv: kv[1][0].shingles > 0)
            .leftOuterJoin(boiler, partitions).map(side))


def _verify_partition(rows: Iterable[tuple[str, str, Side, Side]], config: ScanConfig) -> Iterator[Pair]:
    size = config.shingle.size
    for batch in batched(rows, VERIFY_BATCH):
        batch.sort(key=lambda r: (r[0], r[1]))
        k = len(batch)
        inter = np.zeros(k, np.int64)
        shared = np.zeros(k, np.int64)
        for i, (_, _, sa, sb) in enumerate(batch):
            # a's boilerplate subset decides for every common shingle (they are a's shingles)
            inter[i], shared[i] = _intersect(sa, sb)
        scores = Scores(inter, shared, np.asarray([r[2][0] for r in batch], np.int64),
                        np.asarray([r[3][0] for r in batch], np.int64),
                        np.asarray([r[2][1] for r in batch], np.int64), np.asarray([r[3][1] for r in batch], np.int64))
        rel = classify(scores, config.verify)
        rows_w = np.flatnonzero((rel != NO_RELATION) & needs_words(scores))
        wa, wb = np.empty(len(rows_w)), np.empty(len(rows_w))
        for j, i in enumerate(rows_w.tolist()):
            _, _, sa, sb = batch[i]
            da = words_of(_arr(sa[4]), _arr(sa[3]), size, _arr(sa[2]))
            db = words_of(_arr(sb[4]), _arr(sb[3]), size, _arr(sb[2]))
            wa[j], wb[j] = coverage_by(da, db.shingles), coverage_by(db, da.shingles)
        scores = scores.with_words(rows_w, wa, wb)
        rel = classify(scores, config.verify)
        keep = np.flatnonzero(rel != NO_RELATION)
        ids = [batch[i][0] for i in keep.tolist()] + [batch[i][1] for i in keep.tolist()]
        yield from pairs_from_scores(ids, np.arange(len(keep)), np.arange(len(keep), 2 * len(keep)), scores, rel, keep)


def _intersect(sa: Side, sb: Side) -> tuple[int, int]:
    return intersect_counts(_arr(sa[2]), _arr(sb[2]), _arr(sa[3]))


def verify(candidates: Any, sides: Any, config: ScanConfig, partitions: int) -> Any:
    """RDD of the reported :class:`~retold.models.Pair` records of candidate pairs (a, b)."""
    with_a = candidates.join(sides, partitions).map(lambda kv: (kv[1][0], (kv[0], kv[1][1])))
    both = with_a.join(sides, partitions).map(lambda kv: (kv[1][0][0], kv[0], kv[1][0][1], kv[1][1]))
    return both.mapPartitions(lambda rs: _verify_partition(rs, config))


# -- alignment -----------------------------------------------------------------------------

def _align_partition(rows: Iterable[tuple[Pair, str, str]], config: AlignConfig) -> Iterator[Pair]:
    for pair, ta, tb in rows:
        yield pair.with_passages(tuple(align_texts(ta, tb, config)))


def align(pairs: Any, texts: Any, config: AlignConfig, partitions: int) -> Any:
    """The pairs with their passages: each pair joined with both texts (two shuffles on the id)."""
    with_a = pairs.map(lambda p: (p.a, p)).join(texts, partitions).map(lambda kv: (kv[1][0].b, kv[1]))
    both = with_a.join(texts, partitions).map(lambda kv: (kv[1][0][0], kv[1][0][1], kv[1][1]))
    return both.mapPartitions(lambda rs: _align_partition(rs, config))


# -- families ------------------------------------------------------------------------------

_UNDECIDED, _CENTRE, _OTHER = 0, 1, 2


def _storage() -> Any:
    from pyspark import StorageLevel

    return StorageLevel.MEMORY_AND_DISK


def _materialise(rdd: Any, rounds: int) -> Any:
    """Persist ``rdd`` and cut its lineage every few rounds (checkpoint if a directory is set)."""
    rdd = rdd.persist(_storage())
    if rounds % 8 == 0:
        if rdd.context.getCheckpointDir():
            rdd.checkpoint()
        else:
            rdd.localCheckpoint()
    rdd.count()
    return rdd


def families(pairs: Any, infos: Any, config: ClusterConfig, partitions: int) -> tuple[Any, int]:
    """(RDD of :class:`~retold.models.Cluster`, rounds): the stars of :func:`retold.families.cluster.cluster`.

    ``infos``: RDD (id, DocInfo). Every document with a version pair gets the priority
    ``(-degree, -shingles, id)`` (smaller first). The sequential rule (in priority order, an
    unplaced document becomes a centre and takes its unplaced partners) makes the centres
    the lexicographically first maximal independent set of the version graph, and puts
    every other document with its best-priority neighbouring centre. In rounds: an
    undecided document whose priority beats every undecided neighbour's becomes a centre
    (no earlier document can still become a centre next to it), and the undecided
    neighbours of new centres are decided as members. Each round decides at least the
    best undecided document, so it ends; the result is the sequential one.
    """
    joining = set(config.relations)
    edges = (pairs.filter(lambda p: p.relation in joining)
             .flatMap(lambda p: ((p.a, p.b), (p.b, p.a))).distinct(partitions).persist(_storage()))
    degree = edges.mapValues(lambda _: 1).reduceByKey(lambda x, y: x + y, partitions)
    prio = degree.join(infos, partitions).map(lambda kv: (kv[0], (-kv[1][0], -kv[1][1].shingles, kv[0])))
    state = _materialise(prio.mapValues(lambda pr: (pr, _UNDECIDED)), 1)
    rounds = 0
    while True:
        undecided = state.filter(lambda kv: kv[1][1] == _UNDECIDED).mapValues(lambda v: v[0])
        if undecided.isEmpty():
            break
        rounds += 1
        # the best priority among each document's undecided neighbours
        best = edges.join(undecided, partitions).map(lambda kv: kv[1]).reduceByKey(min, partitions)
        centres = (undecided.leftOuterJoin(best, partitions)
                   .filter(lambda kv: kv[1][1] is None or kv[1][0] < kv[1][1]).mapValues(lambda _: True))
        taken = edges.join(centres, partitions).map(lambda kv: (kv[1][0], True)).distinct(partitions)

        def step(kv: tuple[str, tuple[tuple[tuple, int], bool | None]]) -> tuple[str, tuple[tuple, int]]:
            doc_id, ((pr, status), news) = kv
            return doc_id, (pr, status if status != _UNDECIDED or news is None else news)

        marks = centres.mapValues(lambda _: _CENTRE).union(
            taken.subtractByKey(centres).mapValues(lambda _: _OTHER))
        old = state
        state = _materialise(state.leftOuterJoin(marks, partitions).map(step), rounds + 1)
        old.unpersist()
    centre_prio = state.filter(lambda kv: kv[1][1] == _CENTRE).mapValues(lambda v: v[0])
    # each other document joins its best-priority neighbouring centre (edges: (centre, member))
    joins = (edges.join(centre_prio, partitions).map(lambda kv: (kv[1][0], (kv[1][1], kv[0])))
             .subtractByKey(centre_prio).reduceByKey(min, partitions).map(lambda kv: (kv[1][1], kv[0])))
    members = joins.union(centre_prio.map(lambda kv: (kv[0], kv[0])))  # (centre, member)
    keyed = members.map(lambda cm: (cm[1], cm[0])).join(infos, partitions).map(
        lambda kv: (kv[1][0], (kv[0], representative_key(kv[1][1]))))
    stars = keyed.groupByKey(partitions).mapValues(list).filter(lambda kv: len(kv[1]) > 1)
    fams = stars.map(lambda kv: (tuple(sorted(m for m, _ in kv[1])), min(kv[1], key=lambda x: x[1])[0]))
    ordered = fams.sortBy(lambda f: (-len(f[0]), f[1]), numPartitions=partitions)
    clusters = ordered.zipWithIndex().map(lambda fi: Cluster(fi[1], fi[0][1], fi[0][0]))
    edges.unpersist()
    return clusters, rounds


# -- statistics ----------------------------------------------------------------------------

def add_stats(parts: Iterable[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for part in parts:
        for k, v in part.items():
            total[k] = total.get(k, 0) + v
    return total


# -- the pair stages together ----------------------------------------------------------------

def find_pairs(sketched: Any, config: ScanConfig, partitions: int) -> tuple[Any, dict[str, int]]:
    """(persisted RDD of the reported pairs, the scan's candidate statistics) of a sketched
    RDD (see :func:`sketch`): inverted index + LSH, exact verification and word coverage."""
    storage = _storage()
    idx, boiler, idx_stats = index_candidates(sketched, config, partitions)
    lsh, lsh_stats = lsh_pairs(sketched, config, partitions)
    idx, lsh = idx.persist(storage), lsh.persist(storage)
    stats = dict.fromkeys(STAT_KEYS, 0)
    stats |= add_stats(idx_stats.collect())
    stats |= add_stats(lsh_stats.collect())
    stats["index_candidates"] = idx.count()
    stats["lsh_candidates"] = lsh.count()
    candidates = idx.union(lsh).filter(lambda ab: ab[0] != ab[1]).distinct(partitions).persist(storage)
    stats["candidates"] = candidates.count()
    pairs = verify(candidates, verify_inputs(sketched, boiler, partitions), config, partitions).persist(storage)
    pairs.count()
    for rdd in (idx, lsh, candidates):
        rdd.unpersist()
    return pairs, {k: int(stats[k]) for k in STAT_KEYS}
