"""Compiled set kernels: shingle-set intersections and word coverage (see docs/performance.md).

Built by setup.py with boundscheck, wraparound off: the Python wrappers in
:mod:`retold.core.verify` and :mod:`retold.core.coverage` check the indices and convert the
dtypes once per batch. Every set is a sorted uint64 array; a merge gallops (exponential then
binary search) on the longer side, so a pair of very unequal sizes costs
~ |short| * log(|long| / |short|), not |long|.
"""

import numpy as np

from libc.stdint cimport int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free, malloc, realloc
from libcpp.algorithm cimport sort as std_sort
from libc.string cimport memcmp, memcpy, memset
from libcpp.vector cimport vector

from retold.core._directory cimport directory_bits, fill_directory, find_sorted
from retold.core._radix cimport radix_sort_kv, radix_sort_u64

cdef extern from *:
    void __builtin_prefetch(const void* address) noexcept nogil


cdef enum:
    # memory asked for this many steps ahead of its use in walks that jump (hash tables, postings)
    PREFETCH = 16
    # sizes differing by more than this factor: gallop on the longer side instead of stepping
    GALLOP_RATIO = 8
    # a document more than this many times longer than the set it is looked up in is covered
    # sparsely (the matches are collected and sorted) instead of marking all its windows
    SPARSE_RATIO = 4


cdef inline Py_ssize_t gallop(const uint64_t* v, Py_ssize_t lo, Py_ssize_t n, uint64_t x) noexcept nogil:
    """The first k in [lo, n) with v[k] >= x (n if none), searching exponentially from lo."""
    cdef Py_ssize_t step = 1, hi, mid
    if lo >= n or v[lo] >= x:
        return lo
    hi = lo + 1
    while hi < n and v[hi] < x:
        lo = hi
        step <<= 1
        hi = lo + step
    if hi > n:
        hi = n
    # v[lo] < x and the answer is in (lo, hi]
    while hi - lo > 1:
        mid = lo + (hi - lo) // 2
        if v[mid] < x:
            lo = mid
        else:
            hi = mid
    return hi


cdef inline Py_ssize_t step_to(const uint64_t* v, Py_ssize_t j, Py_ssize_t n, uint64_t x) noexcept nogil:
    while j < n and v[j] < x:
        j += 1
    return j


cdef void intersect(const uint64_t* a, Py_ssize_t na, const uint64_t* b, Py_ssize_t nb,
                    const uint64_t* bp, Py_ssize_t nbp, int64_t* inter, int64_t* shared) noexcept nogil:
    """How many values of the shorter of a, b (sorted, unique) are in the other; and of
    them, how many are not in bp."""
    cdef Py_ssize_t i, j = 0, k = 0
    cdef int64_t n_in = 0, n_bp = 0
    cdef uint64_t x, y
    if na > nb:
        a, b = b, a
        na, nb = nb, na
    if nb > GALLOP_RATIO * na:
        for i in range(na):
            x = a[i]
            j = gallop(b, j, nb, x)
            if j == nb:
                break
            if b[j] == x:
                n_in += 1
                if nbp:
                    k = gallop(bp, k, nbp, x)
                    n_bp += k < nbp and bp[k] == x
    else:
        # a branch-free merge (the sides are sets: equal values advance both)
        i = 0
        while i < na and j < nb:
            x = a[i]
            y = b[j]
            i += x <= y
            j += y <= x
            if x == y:
                n_in += 1
                if nbp:
                    k = gallop(bp, k, nbp, x)
                    n_bp += k < nbp and bp[k] == x
    inter[0] = n_in
    shared[0] = n_in - n_bp


def intersect_pairs(const int64_t[::1] sa, const int64_t[::1] sb, const uint64_t[::1] shingles,
                    const int64_t[::1] offsets, const uint64_t[::1] boilerplate):
    """(inter, shared) int64 arrays: for each i, |S(sa[i]) ∩ S(sb[i])| and that without the
    values in ``boilerplate``, where S(s) = shingles[offsets[s]:offsets[s+1]] (sorted, unique).
    The caller guarantees 0 <= sa[i], sb[i] < len(offsets) - 1."""
    cdef Py_ssize_t n = sa.shape[0], i
    cdef int64_t x, y
    inter_arr = np.empty(n, dtype=np.int64)
    shared_arr = np.empty(n, dtype=np.int64)
    cdef int64_t[::1] inter = inter_arr
    cdef int64_t[::1] shared = shared_arr
    cdef const uint64_t* sh = &shingles[0] if shingles.shape[0] else NULL
    cdef const uint64_t* bp = &boilerplate[0] if boilerplate.shape[0] else NULL
    cdef Py_ssize_t nbp = boilerplate.shape[0]
    with nogil:
        for i in range(n):
            x = sa[i]
            y = sb[i]
            intersect(sh + offsets[x], offsets[x + 1] - offsets[x], sh + offsets[y], offsets[y + 1] - offsets[y],
                      bp, nbp, &inter[i], &shared[i])
    return inter_arr, shared_arr


def intersect_two(const uint64_t[::1] a, const uint64_t[::1] b, const uint64_t[::1] boilerplate):
    """(|a ∩ b|, |a ∩ b minus boilerplate|) of two sorted unique arrays, as Python ints."""
    cdef int64_t inter = 0, shared = 0
    if a.shape[0] and b.shape[0]:
        intersect(&a[0], a.shape[0], &b[0], b.shape[0], &boilerplate[0] if boilerplate.shape[0] else NULL,
                  boilerplate.shape[0], &inter, &shared)
    return inter, shared


cdef inline int64_t covered_marks(const uint8_t* marks, const uint8_t* own, Py_ssize_t n, int64_t size) noexcept nogil:
    """Words covered by the windows marked (and own, unless own is NULL): each adds the words
    up to the next one, at most ``size``, the last one ``size``."""
    cdef Py_ssize_t i, last = -1
    cdef int64_t total = 0, d
    for i in range(n):
        if marks[i] and (own == NULL or own[i]):
            if last >= 0:
                d = i - last
                total += d if d < size else size
            last = i
    return total + size if last >= 0 else 0


def covered_words(const uint8_t[::1] windows, int64_t size):
    """Words covered by the marked windows (:func:`retold.core.coverage._covered_words`)."""
    if windows.shape[0] == 0:
        return 0
    return covered_marks(&windows[0], NULL, windows.shape[0], size)


cdef Py_ssize_t matches(const uint64_t* a, Py_ssize_t na, const uint64_t* b, Py_ssize_t nb, int64_t* ia,
                        int64_t* ib) noexcept nogil:
    """The positions (ia[t], ib[t]) of the values a and b (sorted, unique) share, in order;
    returns how many. Gallops on the longer side when the sizes differ by GALLOP_RATIO."""
    cdef Py_ssize_t i = 0, j = 0, c = 0
    cdef uint64_t x, y
    if nb > GALLOP_RATIO * na or na > GALLOP_RATIO * nb:
        if na > nb:  # walk the shorter side: swap the sides and where their positions go
            a, b, na, nb, ia, ib = b, a, nb, na, ib, ia
        for i in range(na):
            j = gallop(b, j, nb, a[i])
            if j == nb:
                break
            if b[j] == a[i]:
                ia[c] = i
                ib[c] = j
                c += 1
    else:
        while i < na and j < nb:
            x = a[i]
            y = b[j]
            if x == y:
                ia[c] = i
                ib[c] = j
                c += 1
            i += x <= y
            j += y <= x
    return c


cdef int64_t covered_groups(const int64_t* matched, Py_ssize_t c, const int64_t* ends, const int64_t* order,
                            Py_ssize_t n, const uint8_t* ow, int64_t size, uint8_t* marks, int64_t* at) noexcept nogil:
    """Words of a document covered by the windows of its set entries ``matched[:c]`` that are
    own (unless ``ow`` is NULL). Set entry k's windows are ``order[ends[k-1]:ends[k]]`` (from 0
    for k = 0), ``ow`` one flag per window in text order, ``n`` windows. ``marks`` (n bytes,
    zero, left zero) and ``at`` (n entries) are scratch: few matches in a long document are
    collected and sorted instead of marking and scanning all its windows."""
    cdef Py_ssize_t t, w, k, cnt = 0
    cdef int64_t total = 0, last = -1, d, x
    if c == 0:
        return 0
    if n <= SPARSE_RATIO * c:
        for t in range(c):
            k = matched[t]
            for w in range(ends[k - 1] if k else 0, ends[k]):
                marks[order[w]] = 1
        total = covered_marks(marks, ow, n, size)
        memset(marks, 0, n)
        return total
    for t in range(c):
        k = matched[t]
        for w in range(ends[k - 1] if k else 0, ends[k]):
            x = order[w]
            if ow == NULL or ow[x]:
                at[cnt] = x
                cnt += 1
    std_sort(at, at + cnt)
    for t in range(cnt):
        if last >= 0:
            d = at[t] - last
            total += d if d < size else size
        last = at[t]
    return total + size if cnt else 0


cdef struct Cover:
    # scratch of the coverage kernels: shared set entries (ia, ib: up to the smaller set),
    # and per window (at, marks: up to the longest document; marks zero)
    int64_t* ia
    int64_t* ib
    int64_t* at
    uint8_t* marks


cdef void _free_cover(Cover* w) noexcept nogil:
    free(w.ia)
    free(w.ib)
    free(w.at)
    free(w.marks)


cdef int _alloc_cover(Cover* w, Py_ssize_t entries, Py_ssize_t windows) noexcept nogil:
    """Room for ``entries`` shared set entries and ``windows`` windows; -1 (nothing held)
    when out of memory."""
    w.ia = <int64_t*>malloc(entries * sizeof(int64_t))
    w.ib = <int64_t*>malloc(entries * sizeof(int64_t))
    w.at = <int64_t*>malloc(windows * sizeof(int64_t))
    w.marks = <uint8_t*>calloc(windows, 1)
    if w.ia == NULL or w.ib == NULL or w.at == NULL or w.marks == NULL:
        _free_cover(w)
        return -1
    return 0


def covered_by(const int64_t[::1] order, const uint8_t[::1] own, bint use_own, const int64_t[::1] ends,
               const uint64_t[::1] shingles, const uint64_t[::1] other, int64_t size):
    """Words of a document covered by a window found in ``other`` (sorted) and own (if
    ``use_own``): its sorted set ``shingles``, set entry k's windows ``order[ends[k-1]:ends[k]]``
    (text positions), ``own`` one flag per window in text order."""
    cdef Py_ssize_t n = order.shape[0], m = shingles.shape[0], mo = other.shape[0], c
    cdef int64_t total = 0
    if n == 0 or m == 0 or mo == 0:
        return 0
    cdef Cover w
    if _alloc_cover(&w, min(m, mo), n):
        raise MemoryError()
    with nogil:
        c = matches(&shingles[0], m, &other[0], mo, w.ia, w.ib)
        total = covered_groups(w.ia, c, &ends[0], &order[0], n, &own[0] if use_own else NULL, size, w.marks, w.at)
    _free_cover(&w)
    return total


def covered_pairs(const int64_t[::1] xa, const int64_t[::1] xb, const int64_t[::1] order, const uint8_t[::1] own,
                  const int64_t[::1] window_offsets, const uint8_t[::1] use_own, const int64_t[::1] ends,
                  const uint64_t[::1] sets, const int64_t[::1] set_offsets, int64_t size):
    """:func:`covered_by` both ways for the document pairs (xa[i], xb[i]) in one call: (found_a,
    found_b) int64. The two sides share one intersection of their sets. Document d's windows
    are ``[window_offsets[d], window_offsets[d+1])`` of ``order``/``own`` (order: positions
    within the document, grouped by set entry), its sorted set ``sets[set_offsets[d]:set_offsets[d+1]]``
    with ``ends`` (the end of each entry's group in its document's ``order``). The caller
    checks the indices."""
    cdef Py_ssize_t n = xa.shape[0], nd = window_offsets.shape[0] - 1, i, d, c, big_n = 1, big_m = 1
    cdef int64_t x, y, wx, wy, sx, sy
    found_a = np.zeros(n, dtype=np.int64)
    found_b = np.zeros(n, dtype=np.int64)
    cdef int64_t[::1] fa = found_a
    cdef int64_t[::1] fb = found_b
    if n == 0 or order.shape[0] == 0 or sets.shape[0] == 0:
        return found_a, found_b
    for d in range(nd):
        big_n = max(big_n, window_offsets[d + 1] - window_offsets[d])
        big_m = max(big_m, set_offsets[d + 1] - set_offsets[d])
    cdef Cover w
    if _alloc_cover(&w, big_m, big_n):
        raise MemoryError()
    cdef const int64_t* od = &order[0]
    cdef const uint8_t* ow = &own[0]
    cdef const int64_t* en = &ends[0]
    cdef const uint64_t* st = &sets[0]
    with nogil:
        for i in range(n):
            x = xa[i]
            y = xb[i]
            wx = window_offsets[x]
            wy = window_offsets[y]
            sx = set_offsets[x]
            sy = set_offsets[y]
            c = matches(st + sx, set_offsets[x + 1] - sx, st + sy, set_offsets[y + 1] - sy, w.ia, w.ib)
            fa[i] = covered_groups(w.ia, c, en + sx, od + wx, window_offsets[x + 1] - wx,
                                   ow + wx if use_own[x] else NULL, size, w.marks, w.at)
            fb[i] = covered_groups(w.ib, c, en + sy, od + wy, window_offsets[y + 1] - wy,
                                   ow + wy if use_own[y] else NULL, size, w.marks, w.at)
    _free_cover(&w)
    return found_a, found_b


cdef tuple _keys_counts(const uint64_t* keys, const uint32_t* counts, Py_ssize_t m):
    """(keys uint64, counts uint32) numpy arrays copied from the first ``m`` of two buffers."""
    cdef uint64_t[::1] key_view
    cdef uint32_t[::1] count_view
    out_keys = np.empty(m, dtype=np.uint64)
    out_counts = np.empty(m, dtype=np.uint32)
    if m:
        key_view = out_keys
        count_view = out_counts
        memcpy(&key_view[0], keys, m * sizeof(uint64_t))
        memcpy(&count_view[0], counts, m * sizeof(uint32_t))
    return out_keys, out_counts


def shingle_postings(const uint64_t[::1] hashes, const int32_t[::1] docs):
    """Exact postings of the occurrences (hashes[i], docs[i]) (docs non-negative): (distinct
    hashes ascending (uint64), starts and sizes (int64), members (int32)), group g being the
    documents ``members[starts[g]:starts[g] + sizes[g]]`` of ``distinct[g]``, ascending.

    One radix sort of the pairs by (hash, doc) (:func:`radix_sort_kv`, 12 bytes a pair plus
    as much buffer): the distinct hashes, their document frequencies and the postings come
    out of the same sort."""
    cdef Py_ssize_t n = hashes.shape[0], i, m = 0
    if docs.shape[0] != n:
        raise ValueError("hashes and docs differ in length")
    keys_arr = np.array(hashes, dtype=np.uint64, copy=True)
    members_arr = np.array(docs, dtype=np.int32, copy=True)
    if n == 0:
        return keys_arr, np.empty(0, np.int64), np.empty(0, np.int64), members_arr
    cdef uint64_t[::1] keys = keys_arr
    cdef int32_t[::1] members = members_arr
    cdef int failed = 0
    with nogil:
        failed = radix_sort_kv(&keys[0], &members[0], n)
        if not failed:
            m = 1
            for i in range(1, n):
                if keys[i] != keys[i - 1]:
                    m += 1
    if failed:
        raise MemoryError()
    starts_arr = np.empty(m, dtype=np.int64)
    distinct_arr = np.empty(m, dtype=np.uint64)
    cdef int64_t[::1] starts = starts_arr
    cdef uint64_t[::1] distinct = distinct_arr
    with nogil:
        starts[0] = 0
        distinct[0] = keys[0]
        m = 1
        for i in range(1, n):
            if keys[i] != keys[i - 1]:
                starts[m] = i
                distinct[m] = keys[i]
                m += 1
    del keys
    del keys_arr
    return distinct_arr, starts_arr, np.diff(starts_arr, append=n), members_arr


def group_pair_counts(const int32_t[::1] members, const int64_t[::1] starts, const int64_t[::1] sizes, int64_t n,
                      const int64_t[::1] lengths, const int64_t[::1] need, const int64_t[::1] weights):
    """Pairs of documents that share groups, with how many: (keys, counts), keys ``a * n + b``
    (a < b) ascending, counts uint32.

    Group g is ``members[starts[g]:starts[g] + sizes[g]]``, documents in ``[0, n)`` ascending
    within it, and stands for ``weights[g]`` groups (identical lists counted once:
    :func:`distinct_groups`). A pair is kept when its count reaches
    ``need[min(lengths[a], lengths[b])]`` (indices clipped to the table). Instead of listing
    every pair hit and sorting them, each document a walks its groups and counts its
    partners b > a in one dense array (the way an inverted-index join counts scores per
    query), so memory is O(n + occurrences + output).
    """
    cdef Py_ssize_t ng = starts.shape[0], g, p, q, e, i, k, m = 0, cap = 1024, nt
    cdef int64_t a, b, la, lb, mn, w, last_need = need.shape[0] - 1
    cdef int64_t* deg = <int64_t*>calloc(n + 1, sizeof(int64_t))
    cdef int32_t* occ = NULL
    cdef int32_t* cnt = <int32_t*>calloc(n if n > 0 else 1, sizeof(int32_t))
    cdef int64_t* touched = <int64_t*>malloc((n if n > 0 else 1) * sizeof(int64_t))
    cdef uint64_t* out_keys = <uint64_t*>malloc(cap * sizeof(uint64_t))
    cdef uint32_t* out_counts = <uint32_t*>malloc(cap * sizeof(uint32_t))
    cdef void* grown
    cdef bint failed = False
    cdef uint64_t[::1] ew
    cdef Py_ssize_t total = members.shape[0]
    if members.shape[0] >= 2**31:
        raise ValueError("more than 2**31 - 1 occurrences in one call")
    for g in range(ng):
        if weights[g] < 0 or weights[g] >= 2**32:
            raise ValueError("a weight outside [0, 2**32)")
    if sizes.shape[0] != ng or weights.shape[0] != ng:
        raise ValueError("starts, sizes and weights differ in length")
    try:
        if deg == NULL or cnt == NULL or touched == NULL or out_keys == NULL or out_counts == NULL:
            raise MemoryError()
        with nogil:
            # doc -> its occurrences (positions in members), by a counting sort
            for g in range(ng):
                for p in range(starts[g], starts[g] + sizes[g]):
                    deg[members[p] + 1] += 1
            for i in range(n):
                deg[i + 1] += deg[i]
            occ = <int32_t*>malloc((deg[n] if deg[n] > 0 else 1) * sizeof(int32_t))
            if occ == NULL:
                failed = True
            else:
                for g in range(ng):
                    for p in range(starts[g], starts[g] + sizes[g]):
                        occ[deg[members[p]]] = p
                        deg[members[p]] += 1
                for i in range(n, 0, -1):
                    deg[i] = deg[i - 1]
                deg[0] = 0
        if failed:
            raise MemoryError()
        # each occurrence's group end and weight, packed: one read where the walk lands
        end_weight = np.empty(members.shape[0], dtype=np.uint64)
        ew = end_weight
        with nogil:
            for g in range(ng):
                for p in range(starts[g], starts[g] + sizes[g]):
                    ew[p] = (<uint64_t>(starts[g] + sizes[g]) << 32) | <uint64_t>weights[g]
            for a in range(n):
                nt = 0
                for k in range(deg[a], deg[a + 1]):
                    if k + PREFETCH < total:  # the walk jumps: ask for a later occurrence's group now
                        __builtin_prefetch(&ew[occ[k + PREFETCH]])
                        __builtin_prefetch(&members[occ[k + PREFETCH]])
                    p = occ[k]
                    e = <Py_ssize_t>(ew[p] >> 32)
                    w = <int64_t>(ew[p] & 0xFFFFFFFFULL)
                    for q in range(p + 1, e):
                        b = members[q]
                        if cnt[b] == 0:
                            touched[nt] = b
                            nt += 1
                        cnt[b] += w
                if nt == 0:
                    continue
                # keep the partners that reach the threshold (most do not), then sort those
                la = lengths[a]
                k = 0
                for i in range(nt):
                    b = touched[i]
                    lb = lengths[b]
                    mn = la if la < lb else lb
                    if mn > last_need:
                        mn = last_need
                    if cnt[b] >= need[mn]:
                        touched[k] = b
                        k += 1
                    else:
                        cnt[b] = 0
                std_sort(touched, touched + k)
                for i in range(k):
                    b = touched[i]
                    if m == cap:
                        cap *= 2
                        grown = realloc(out_keys, cap * sizeof(uint64_t))
                        if grown == NULL:
                            failed = True
                            break
                        out_keys = <uint64_t*>grown
                        grown = realloc(out_counts, cap * sizeof(uint32_t))
                        if grown == NULL:
                            failed = True
                            break
                        out_counts = <uint32_t*>grown
                    out_keys[m] = <uint64_t>a * <uint64_t>n + <uint64_t>b
                    out_counts[m] = <uint32_t>cnt[b]
                    m += 1
                    cnt[b] = 0
                if failed:
                    break
        if failed:
            raise MemoryError()
        return _keys_counts(out_keys, out_counts, m)
    finally:
        free(deg)
        free(occ)
        free(cnt)
        free(touched)
        free(out_keys)
        free(out_counts)


def sort_u64(uint64_t[::1] values):
    """Sort ``values`` in place (what ``ndarray.sort()`` does): :func:`radix_sort_u64`."""
    cdef int failed = 0
    if values.shape[0] > 1:
        with nogil:
            failed = radix_sort_u64(&values[0], values.shape[0])
    if failed:
        raise MemoryError()


def run_starts(const uint64_t[::1] values, int shift):
    """Where each run of equal ``values[i] >> shift`` starts (int64), in a sorted array: the
    groups of packed keys without a shifted copy of them."""
    cdef Py_ssize_t n = values.shape[0], i, m = 0
    if n == 0:
        return np.empty(0, dtype=np.int64)
    out_arr = np.empty(n, dtype=np.int64)
    cdef int64_t[::1] out = out_arr
    cdef uint64_t prev, cur
    with nogil:
        prev = values[0] >> shift
        out[0] = 0
        m = 1
        for i in range(1, n):
            cur = values[i] >> shift
            if cur != prev:
                out[m] = i
                m += 1
                prev = cur
    return out_arr[:m].copy()


def sorted_windows_batch(const uint64_t[::1] positions, const int64_t[::1] offsets, const uint64_t[::1] sets,
                         const int64_t[::1] set_offsets, const uint64_t[::1] boilerplate, int64_t size):
    """For each document d (windows ``positions[offsets[d]:offsets[d+1]]``, hashes in text
    order, every one of them in its sorted set ``sets[set_offsets[d]:set_offsets[d+1]]``): its
    windows grouped by set entry (in text order within a group), the end of each entry's group,
    whether each window (in text order) is not boilerplate, and the words its own windows
    cover; as flat arrays (order int64: window within the document; ends int64 per set entry,
    within the document; own uint8) and own words int64 per document. The batch form of
    :func:`retold.core.coverage.words_of`.

    Each window finds its hash in the set through a directory of the set by its top bits
    (the hashes are uniform, so a bucket holds about one entry; a binary search within the
    bucket bounds the worst case), then a counting sort groups the windows.
    Raises ValueError if a window is not in its set."""
    cdef Py_ssize_t nd = offsets.shape[0] - 1, d, k, n, lo, slo, m, j, nbp = boilerplate.shape[0]
    cdef Py_ssize_t total = positions.shape[0], big = 0
    cdef int bits, bp_bits = directory_bits(nbp) + 2
    cdef bint missing = False
    order_arr = np.empty(total, dtype=np.int64)
    ends_arr = np.empty(sets.shape[0], dtype=np.int64)
    own_arr = np.zeros(total, dtype=np.uint8)
    own_words_arr = np.zeros(nd if nd > 0 else 0, dtype=np.int64)
    if total == 0:
        ends_arr[:] = 0
        return order_arr, ends_arr, own_arr, own_words_arr
    cdef int64_t[::1] order = order_arr
    cdef int64_t[::1] ends = ends_arr
    cdef uint8_t[::1] own = own_arr
    cdef int64_t[::1] own_words = own_words_arr
    for d in range(nd):
        if set_offsets[d + 1] - set_offsets[d] > big:
            big = set_offsets[d + 1] - set_offsets[d]
    cdef int32_t* idx = <int32_t*>malloc(total * sizeof(int32_t))
    cdef int64_t* count = <int64_t*>malloc((big + 1) * sizeof(int64_t))
    cdef uint8_t* set_own = <uint8_t*>malloc(big + 1)
    cdef int32_t* directory = <int32_t*>malloc((2 * big + 3) * sizeof(int32_t))
    cdef int32_t* bp_directory = <int32_t*>malloc(((<Py_ssize_t>1 << bp_bits) + 1) * sizeof(int32_t))
    if idx == NULL or count == NULL or set_own == NULL or directory == NULL or bp_directory == NULL:
        free(idx)
        free(count)
        free(set_own)
        free(directory)
        free(bp_directory)
        raise MemoryError()
    with nogil:
        if nbp:
            fill_directory(&boilerplate[0], nbp, bp_bits, bp_directory)
        for d in range(nd):
            lo = offsets[d]
            n = offsets[d + 1] - lo
            slo = set_offsets[d]
            m = set_offsets[d + 1] - slo
            if n <= 0:
                for k in range(m):
                    ends[slo + k] = 0
                continue
            if m == 0:
                missing = True
                break
            for k in range(m):
                count[k] = 0
                set_own[k] = nbp == 0 or find_sorted(&boilerplate[0], bp_directory, bp_bits, sets[slo + k]) < 0
            bits = directory_bits(m)
            fill_directory(&sets[slo], m, bits, directory)
            for k in range(n):
                j = find_sorted(&sets[slo], directory, bits, positions[lo + k])
                if j < 0:
                    missing = True
                    break
                idx[lo + k] = <int32_t>j
                count[j] += 1
                own[lo + k] = set_own[j]
            if missing:
                break
            j = 0
            for k in range(m):
                j += count[k]
                count[k] = j - count[k]
                ends[slo + k] = j
            for k in range(n):
                j = count[idx[lo + k]]
                count[idx[lo + k]] += 1
                order[lo + j] = k
            own_words[d] = covered_marks(&own[lo], NULL, n, size)
    free(idx)
    free(count)
    free(set_own)
    free(directory)
    free(bp_directory)
    if missing:
        raise ValueError("a window's hash is not in its document's shingle set")
    return order_arr, ends_arr, own_arr, own_words_arr


def merge_sum(const uint64_t[::1] keys, const uint32_t[::1] counts, const int64_t[::1] runs):
    """Runs of sorted unique keys (run r: ``[runs[r], runs[r+1])``) with counts, merged into
    one sorted unique run with the counts of equal keys added: (keys uint64, counts uint32).
    Pairwise merges, smallest runs first, so the cost is O(n log(number of runs))."""
    cdef Py_ssize_t n = keys.shape[0], nr = runs.shape[0] - 1, r, i, j, ie, je, m, w, k
    cdef vector[int64_t] bounds
    cdef vector[int64_t] next_bounds
    cdef uint64_t* ka = <uint64_t*>malloc((n if n else 1) * sizeof(uint64_t))
    cdef uint64_t* kb = <uint64_t*>malloc((n if n else 1) * sizeof(uint64_t))
    cdef uint32_t* ca = <uint32_t*>malloc((n if n else 1) * sizeof(uint32_t))
    cdef uint32_t* cb = <uint32_t*>malloc((n if n else 1) * sizeof(uint32_t))
    cdef uint64_t* tk
    cdef uint32_t* tc
    if ka == NULL or kb == NULL or ca == NULL or cb == NULL:
        free(ka)
        free(kb)
        free(ca)
        free(cb)
        raise MemoryError()
    try:
        with nogil:
            for i in range(n):
                ka[i] = keys[i]
                ca[i] = counts[i]
            for r in range(nr + 1):
                bounds.push_back(runs[r])
            if nr == 0:
                bounds.push_back(0)
            while bounds.size() > 2:
                next_bounds.clear()
                w = 0
                next_bounds.push_back(0)
                r = 0
                while r + 1 < <Py_ssize_t>bounds.size():
                    i, ie = bounds[r], bounds[r + 1]
                    if r + 2 < <Py_ssize_t>bounds.size():
                        j, je = bounds[r + 1], bounds[r + 2]
                    else:
                        j = je = ie
                    while i < ie and j < je:
                        if ka[i] < ka[j]:
                            kb[w] = ka[i]
                            cb[w] = ca[i]
                            i += 1
                        elif ka[j] < ka[i]:
                            kb[w] = ka[j]
                            cb[w] = ca[j]
                            j += 1
                        else:
                            kb[w] = ka[i]
                            cb[w] = ca[i] + ca[j]
                            i += 1
                            j += 1
                        w += 1
                    while i < ie:
                        kb[w] = ka[i]
                        cb[w] = ca[i]
                        i += 1
                        w += 1
                    while j < je:
                        kb[w] = ka[j]
                        cb[w] = ca[j]
                        j += 1
                        w += 1
                    next_bounds.push_back(w)
                    r += 2
                bounds.swap(next_bounds)
                tk = ka
                ka = kb
                kb = tk
                tc = ca
                ca = cb
                cb = tc
        return _keys_counts(ka, ca, bounds[bounds.size() - 1] if bounds.size() else 0)
    finally:
        free(ka)
        free(kb)
        free(ca)
        free(cb)


def group_by_top_bits(const uint64_t[::1] hashes, const int64_t[::1] offsets, int bits):
    """The occurrences of sets ``hashes[offsets[i]:offsets[i+1]]`` grouped by the top ``bits``
    bits of the hash, stably (by set, then position): (hashes uint64, set numbers uint16,
    bounds int64 of ``2**bits + 1``: group g is ``bounds[g]:bounds[g+1]``). A counting sort,
    for :func:`retold.engines.local.sets.spill_block`; at most 65536 sets."""
    cdef Py_ssize_t m = hashes.shape[0], ns = offsets.shape[0] - 1, groups = (<Py_ssize_t>1) << bits, i, p, g
    cdef int shift = 64 - bits
    if ns > 65536:
        raise ValueError(f"{ns} sets (at most 65536)")
    if bits < 1 or bits > 16:
        raise ValueError("bits must be in [1, 16]")
    out = np.empty(m, dtype=np.uint64)
    docs = np.empty(m, dtype=np.uint16)
    bounds = np.zeros(groups + 1, dtype=np.int64)
    cdef uint64_t[::1] ov = out
    cdef uint16_t[::1] dv = docs
    cdef int64_t[::1] bv = bounds
    cdef int64_t* at = <int64_t*>malloc(groups * sizeof(int64_t))
    if at == NULL:
        raise MemoryError()
    try:
        with nogil:
            for p in range(m):
                bv[(hashes[p] >> shift) + 1] += 1
            for g in range(groups):
                bv[g + 1] += bv[g]
                at[g] = bv[g]
            for i in range(ns):
                for p in range(offsets[i], offsets[i + 1]):
                    g = hashes[p] >> shift
                    ov[at[g]] = hashes[p]
                    dv[at[g]] = <uint16_t>i
                    at[g] += 1
    finally:
        free(at)
    return out, docs, bounds


cdef inline uint64_t _mix(uint64_t x) noexcept nogil:
    """A 64-bit finaliser (splitmix64's): every input bit reaches every output bit."""
    x ^= x >> 30
    x *= 0xBF58476D1CE4E5B9ULL
    x ^= x >> 27
    x *= 0x94D049BB133111EBULL
    x ^= x >> 31
    return x


cdef struct _Entry:
    uint64_t fp
    int64_t group


def distinct_groups(const int32_t[::1] members, const int64_t[::1] starts, const int64_t[::1] sizes,
                    const int64_t[::1] weights):
    """The groups with distinct member lists (group g is ``members[starts[g]:starts[g] +
    sizes[g]]``, standing for ``weights[g]`` groups): (the first group of each distinct list,
    int64 ascending; the summed weights of its copies, int64).

    News repeats whole member lists: every shingle a family of reprints shares has the
    same documents, so counting pairs over one list per family instead of one per shingle
    does the same sum in a fraction of the walks. Lists are found equal by a hash table of
    their fingerprints (kept in the table, so a probe reads one cache line) and compared in
    full, so a fingerprint collision never merges two different lists."""
    cdef Py_ssize_t ng = starts.shape[0], g, p, cap = 1, slot, r, nd = 0
    cdef uint64_t h, mask
    if sizes.shape[0] != ng or weights.shape[0] != ng:
        raise ValueError("starts, sizes and weights differ in length")
    while cap < 2 * ng:
        cap <<= 1
    mask = <uint64_t>(cap - 1)
    cdef _Entry* table = <_Entry*>malloc(cap * sizeof(_Entry))
    fps_arr = np.empty(ng, dtype=np.uint64)
    reps_arr = np.empty(ng, dtype=np.int64)
    totals_arr = np.zeros(ng, dtype=np.int64)
    cdef uint64_t[::1] fps = fps_arr
    cdef int64_t[::1] reps = reps_arr
    cdef int64_t[::1] total = totals_arr  # by group: the weight its list gathered
    try:
        if table == NULL:
            raise MemoryError()
        with nogil:
            for slot in range(cap):
                table[slot].group = -1
            for g in range(ng):
                h = <uint64_t>sizes[g] + 0x9E3779B97F4A7C15ULL
                for p in range(starts[g], starts[g] + sizes[g]):
                    h = (h ^ <uint64_t>members[p]) * 0x9E3779B97F4A7C15ULL
                fps[g] = _mix(h)
            for g in range(ng):
                if g + PREFETCH < ng:  # the table is larger than the caches: ask for a later slot now
                    __builtin_prefetch(&table[fps[g + PREFETCH] & mask])
                h = fps[g]
                slot = <Py_ssize_t>(h & mask)
                while True:
                    r = table[slot].group
                    if r < 0:
                        table[slot].fp = h
                        table[slot].group = g
                        reps[nd] = g
                        nd += 1
                        total[g] = weights[g]
                        break
                    if table[slot].fp == h and sizes[r] == sizes[g] and memcmp(
                            &members[starts[r]], &members[starts[g]], sizes[g] * sizeof(int32_t)) == 0:
                        total[r] += weights[g]
                        break
                    slot = (slot + 1) & <Py_ssize_t>mask
        reps_arr = reps_arr[:nd]
        return reps_arr.copy(), totals_arr[reps_arr]
    finally:
        free(table)


def gather_segments(const int32_t[::1] members, const int64_t[::1] starts, const int64_t[::1] sizes):
    """``members[starts[i]:starts[i] + sizes[i]]`` for every i, end to end (int32)."""
    cdef Py_ssize_t ns = starts.shape[0], i, at = 0, m = 0
    if sizes.shape[0] != ns:
        raise ValueError("starts and sizes differ in length")
    for i in range(ns):
        if sizes[i] < 0 or starts[i] < 0 or starts[i] + sizes[i] > members.shape[0]:
            raise IndexError(f"segment {i} outside the members")
        m += sizes[i]
    out = np.empty(m, dtype=np.int32)
    cdef int32_t[::1] ov = out
    with nogil:
        for i in range(ns):
            if sizes[i]:
                memcpy(&ov[at], &members[starts[i]], sizes[i] * sizeof(int32_t))
                at += sizes[i]
    return out


def breadth_first_numbers(const int64_t[::1] starts, const int64_t[::1] neighbours):
    """Number the nodes of a graph (node x's neighbours: ``neighbours[starts[x]:starts[x+1]]``)
    in breadth-first order: each unnumbered node, in order, starts a search that numbers its
    unnumbered neighbours in the order they are listed. int64, one per node."""
    cdef Py_ssize_t n = starts.shape[0] - 1, root, head, tail, x, k, y
    cdef int64_t count = 0
    number_arr = np.full(n if n > 0 else 0, -1, dtype=np.int64)
    if n <= 0:
        return number_arr
    for x in range(n):
        if starts[x] > starts[x + 1] or starts[x] < 0 or starts[x + 1] > neighbours.shape[0]:
            raise ValueError("starts must ascend within the neighbours")
    for k in range(neighbours.shape[0]):
        if neighbours[k] < 0 or neighbours[k] >= n:
            raise IndexError("a neighbour outside the nodes")
    cdef int64_t[::1] number = number_arr
    cdef int64_t* queue = <int64_t*>malloc(n * sizeof(int64_t))
    if queue == NULL:
        raise MemoryError()
    with nogil:
        for root in range(n):
            if number[root] >= 0:
                continue
            number[root] = count
            count += 1
            head = 0
            tail = 1
            queue[0] = root
            while head < tail:
                x = queue[head]
                head += 1
                for k in range(starts[x], starts[x + 1]):
                    y = neighbours[k]
                    if number[y] < 0:
                        number[y] = count
                        count += 1
                        queue[tail] = y
                        tail += 1
    free(queue)
    return number_arr


def chunk_bounds(const int64_t[::1] a, const int64_t[::1] b, const int64_t[::1] weights, int64_t max_pairs,
                 int64_t budget):
    """Cut the pairs (a[i], b[i]) (document numbers in ``[0, len(weights))``), in order, into
    consecutive chunks of at most ``max_pairs`` pairs whose distinct documents weigh at most
    ``budget`` in all (``weights[d]`` each; a chunk holds at least one pair): the chunk
    starts, then the number of pairs (int64)."""
    cdef Py_ssize_t n = a.shape[0], nd = weights.shape[0], i, start = 0
    cdef int64_t load = 0, add, x, y
    if b.shape[0] != n:
        raise ValueError("a and b differ in length")
    if max_pairs < 1:
        raise ValueError("max_pairs must be at least 1")
    for i in range(n):
        if a[i] < 0 or a[i] >= nd or b[i] < 0 or b[i] >= nd:
            raise IndexError("a document outside the weights")
    out = [0]
    last_arr = np.full(nd if nd > 0 else 1, -1, dtype=np.int64)  # the chunk that last counted each document
    cdef int64_t[::1] last = last_arr
    for i in range(n):
        x = a[i]
        y = b[i]
        add = (weights[x] if last[x] != start else 0) + (weights[y] if last[y] != start and y != x else 0)
        if i > start and (i - start >= max_pairs or load + add > budget):
            out.append(i)
            start = i
            load = 0
            add = weights[x] + (weights[y] if y != x else 0)
        last[x] = start
        last[y] = start
        load += add
    if n:
        out.append(n)
    return np.asarray(out, dtype=np.int64)


def signatures(const uint64_t[::1] shingles, const int64_t[::1] offsets, int64_t k, uint64_t key,
               const uint64_t[::1] mult, const uint64_t[::1] add):
    """MinHash signatures (n, k) uint64 of the sets ``shingles[offsets[d]:offsets[d+1]]`` by
    fast similarity sketching (:func:`retold.core.sketch._signatures`, its NumPy twin): each
    value g = mix64(shingle ^ key) fills bucket ``((g >> 32) * k) >> 32`` in round 0; round
    r < k refills the buckets still empty with ``g * mult[r] + add[r]`` in the bucket its top
    bits give, round r >= k in bucket ``(round 0's + r - k + 1) % k``; each bucket keeps its
    least value, an empty set all ones. A document stops at its first full round."""
    cdef Py_ssize_t n = offsets.shape[0] - 1, d, i, m, lo, big = 0, r, rounds = 2 * k - 1
    cdef int64_t b, nfilled
    cdef uint64_t h
    sig_arr = np.full((n if n > 0 else 0, k), np.iinfo(np.uint64).max, dtype=np.uint64)
    if n <= 0 or k <= 0 or shingles.shape[0] == 0:
        return sig_arr
    if mult.shape[0] < rounds or add.shape[0] < rounds:
        raise ValueError("fewer round keys than 2 * k - 1")
    cdef uint64_t[:, ::1] sig = sig_arr
    for d in range(n):
        big = max(big, offsets[d + 1] - offsets[d])
    cdef uint64_t* g = <uint64_t*>malloc(big * sizeof(uint64_t))
    cdef int64_t* first = <int64_t*>malloc(big * sizeof(int64_t))
    cdef uint8_t* filled = <uint8_t*>malloc(2 * k)
    if g == NULL or first == NULL or filled == NULL:
        free(g)
        free(first)
        free(filled)
        raise MemoryError()
    cdef uint8_t* before = filled + k
    cdef uint64_t* row
    with nogil:
        for d in range(n):
            lo = offsets[d]
            m = offsets[d + 1] - lo
            if m <= 0:
                continue
            row = &sig[d, 0]
            memset(filled, 0, k)
            nfilled = 0
            for i in range(m):
                h = _mix(shingles[lo + i] ^ key)
                g[i] = h
                b = <int64_t>(((h >> 32) * <uint64_t>k) >> 32)
                first[i] = b
                if h < row[b]:
                    row[b] = h
                if not filled[b]:
                    filled[b] = 1
                    nfilled += 1
            r = 1
            while nfilled < k and r < rounds:
                memcpy(before, filled, k)
                for i in range(m):
                    h = g[i] * mult[r] + add[r]
                    if r < k:
                        b = <int64_t>(((h >> 32) * <uint64_t>k) >> 32)
                    else:
                        b = (first[i] + r - k + 1) % k
                    if not before[b]:
                        if h < row[b]:
                            row[b] = h
                        if not filled[b]:
                            filled[b] = 1
                            nfilled += 1
                r += 1
    free(g)
    free(first)
    free(filled)
    return sig_arr
