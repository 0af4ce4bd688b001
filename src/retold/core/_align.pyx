"""Compiled steps of passage alignment (see :mod:`retold.core.align` for the method).

:func:`_align_pair` takes two texts prepared once each (:class:`retold.core.align.Prepared`:
token hashes, token character spans, and the seed n-gram keys sorted with their
positions) and runs the five steps in C: seeds by a galloping merge of the two sorted
key lists (the cost of a pair grows with the shorter text, times the log of the longer),
fragments, the chain DP, the selection of overlapping chains, gap LCS and the boundary
walk. It returns the passages in characters, with scores rounded as written out
(:func:`round_score`).
"""

# distutils: language = c++

from libc.stdint cimport int32_t, int64_t, uint64_t
from libc.stdlib cimport free, malloc, realloc
from libc.math cimport fabs, floor, rint
from libc.string cimport memcmp, memcpy
from libcpp.algorithm cimport lower_bound, sort as std_sort, upper_bound
from libcpp.queue cimport priority_queue
from libcpp.utility cimport pair
from libcpp.vector cimport vector

from retold.core._directory cimport directory_bits, fill_directory
from retold.core._radix cimport radix_sort_u64

#: chaining penalties per skipped token (see retold.core.align)
cdef double SHIFT_COST = 0.5
cdef double GAP_COST = 0.25
#: earlier fragments tried per diagonal bin as predecessors
cdef int64_t MAX_PREDECESSORS = 64
#: seeds from which the radix sort beats std::sort
cdef int64_t RADIX_MIN = 512


ctypedef struct Frag:
    int64_t a0
    int64_t b0
    int64_t length


ctypedef struct Buf:
    int64_t *data
    int64_t size
    int64_t cap


cdef int _push(Buf *buf, int64_t value) noexcept nogil:
    cdef int64_t *grown
    if buf.size == buf.cap:
        buf.cap = buf.cap * 2 if buf.cap else 64
        grown = <int64_t *> realloc(buf.data, buf.cap * sizeof(int64_t))
        if grown == NULL:
            return -1
        buf.data = grown
    buf.data[buf.size] = value
    buf.size += 1
    return 0


cdef int _sort_by_a_end(Frag *frags, int64_t n) noexcept nogil:
    """Stable sort of fragments by a_end (:func:`_group_stable`). -1 when out of memory."""
    cdef int64_t *work = <int64_t *> malloc((6 * n + 1) * sizeof(int64_t))
    cdef Frag *copy = <Frag *> malloc(n * sizeof(Frag))
    cdef int64_t *ends = work
    cdef int64_t *order = work + n
    cdef int64_t r, lo = 0, hi = 0
    if work == NULL or copy == NULL:
        free(work)
        free(copy)
        return -1
    for r in range(n):
        copy[r] = frags[r]
        ends[r] = frags[r].a0 + frags[r].length
        if r == 0 or ends[r] < lo:
            lo = ends[r]
        if r == 0 or ends[r] > hi:
            hi = ends[r]
    _group_stable(ends, n, lo, hi, order, work + 2 * n)
    for r in range(n):
        frags[r] = copy[order[r]]
    free(work)
    free(copy)
    return 0


cdef inline int64_t _floordiv(int64_t x, int64_t w) noexcept nogil:
    cdef int64_t q = x / w
    if x % w != 0 and x < 0:
        q -= 1
    return q


cdef inline int64_t _gallop(const uint64_t *keys, int64_t lo, int64_t hi, uint64_t target) noexcept nogil:
    """The first index in [lo, hi) whose key is >= target (keys sorted): exponential then
    binary search from lo, so the cost is the log of the distance moved."""
    cdef int64_t prev, nxt, step = 1, mid
    if lo >= hi or keys[lo] >= target:
        return lo
    prev = lo  # keys[prev] < target
    while True:
        nxt = prev + step
        if nxt >= hi:
            nxt = hi
            break
        if keys[nxt] >= target:
            break
        prev = nxt
        step *= 2
    lo = prev + 1
    while lo < nxt:
        mid = (lo + nxt) // 2
        if keys[mid] < target:
            lo = mid + 1
        else:
            nxt = mid
    return lo


cdef int _seeds(const uint64_t *ka, const int64_t *pa, int64_t na, const uint64_t *kb, const int64_t *pb,
                int64_t nb, int64_t max_occ, Buf *ia, Buf *ib, bint *unique) noexcept nogil:
    """Every (i, j) where a's n-gram at i equals b's at j and that n-gram occurs at most
    ``max_occ`` times in each text; ``unique``: every n-gram found in both occurs once in
    each (then each position has at most one seed)."""
    cdef int64_t i = 0, j = 0, i2, j2, x, y
    cdef uint64_t k, u, v
    cdef bint skewed = na > 8 * nb or nb > 8 * na
    unique[0] = True
    while i < na and j < nb:
        u = ka[i]
        v = kb[j]
        if u != v:
            if skewed:  # a short text against a long one: gallop on the long side
                if u < v:
                    i = _gallop(ka, i, na, v)
                else:
                    j = _gallop(kb, j, nb, u)
            else:  # comparable sizes: step without branching on which side is smaller
                i += u < v
                j += v < u
        else:
            k = ka[i]
            i2 = i + 1
            while i2 < na and ka[i2] == k:
                i2 += 1
            j2 = j + 1
            while j2 < nb and kb[j2] == k:
                j2 += 1
            if i2 - i > 1 or j2 - j > 1:
                unique[0] = False
            if i2 - i <= max_occ and j2 - j <= max_occ:
                for x in range(i, i2):
                    for y in range(j, j2):
                        if _push(ia, pa[x]) or _push(ib, pb[y]):
                            return -1
            i, j = i2, j2
    return 0


cdef Frag *_fragments(Buf *ia, Buf *ib, int64_t n, bint unique, int64_t len_a, int64_t *count) noexcept nogil:
    """Seeds merged into maximal exact runs on each diagonal, sorted by end (a_end, b_end).

    Seeds sorted by (diagonal, i) as one integer; a seed starting at most ``n`` after the
    previous one on its diagonal continues its fragment (their n-grams touch or overlap).
    When seeds are ``unique`` (one per position), two on a diagonal at most ``n`` apart
    have seeds at every position between (those n-grams match too), so fragments are the
    runs of seeds at consecutive positions on both sides, found in order of a without
    sorting: disjoint on a, so already in order of their ends.
    """
    cdef int64_t s = ia.size, span = 0, r, d, x, first, last, cur, cur_d, mask, nfrag = 0
    cdef int bits = 0
    cdef int64_t *key
    cdef int64_t *mate
    cdef Frag *frags
    count[0] = 0
    if s == 0:
        return NULL
    if unique:
        mate = <int64_t *> malloc(len_a * sizeof(int64_t))
        frags = <Frag *> malloc(s * sizeof(Frag))
        if mate == NULL or frags == NULL:
            free(mate)
            free(frags)
            return NULL
        for r in range(len_a):
            mate[r] = -1
        for r in range(s):
            mate[ia.data[r]] = ib.data[r]
        x = 0
        while x < len_a:
            if mate[x] < 0:
                x += 1
                continue
            first = x
            x += 1
            while x < len_a and mate[x] == mate[x - 1] + 1:
                x += 1
            frags[nfrag].a0 = first
            frags[nfrag].b0 = mate[first]
            frags[nfrag].length = x - first - 1 + n
            nfrag += 1
        free(mate)
        count[0] = nfrag
        return frags
    for r in range(s):
        if ia.data[r] >= span:
            span = ia.data[r] + 1
        if ib.data[r] >= span:
            span = ib.data[r] + 1
    while (1 << bits) < span:
        bits += 1
    mask = (1 << bits) - 1
    key = <int64_t *> malloc(s * sizeof(int64_t))
    frags = <Frag *> malloc(s * sizeof(Frag))
    if key == NULL or frags == NULL:
        free(key)
        free(frags)
        return NULL
    # (diagonal + span, i) packed in one integer: diagonal + span < 2 * span, i < span
    for r in range(s):
        key[r] = ((ib.data[r] - ia.data[r] + span) << bits) | ia.data[r]
    if s < RADIX_MIN:
        std_sort(key, key + s)
    elif radix_sort_u64(<uint64_t *> key, s):  # the keys are >= 0
        free(key)
        free(frags)
        return NULL
    # runs of seeds on one diagonal, each at most n after the previous one
    d = key[0] >> bits
    x = key[0] & mask  # the run's first position on a
    last = x
    for r in range(1, s + 1):
        if r < s:
            cur_d = key[r] >> bits
            cur = key[r] & mask
            if cur_d == d and cur <= last + n:
                last = cur
                continue
        frags[nfrag].a0 = x
        frags[nfrag].b0 = x + d - span
        frags[nfrag].length = last - x + n
        nfrag += 1
        if r < s:
            d, x, last = cur_d, cur, cur
    free(key)
    # by end (a_end, b_end); fragments are disjoint on a diagonal, so no two share an end.
    # They are in order of diagonal, so a stable sort by a_end is (a_end, b_end) order.
    if _sort_by_a_end(frags, nfrag):
        free(frags)
        return NULL
    count[0] = nfrag
    return frags


cdef void _group_stable(const int64_t *key, int64_t n, int64_t lo, int64_t hi, int64_t *out,
                        int64_t *scratch) noexcept nogil:
    """``out``: the indices 0..n-1 ordered by ``key`` (in [lo, hi]), ties in index order: a
    counting sort when the range is at most 4 n, else std::sort on (key, index) pairs
    (``scratch``: room for 4 n + 1 integers)."""
    cdef int64_t k, c, total, span = hi - lo + 1
    cdef pair[int64_t, int64_t] *order = <pair[int64_t, int64_t] *> scratch
    if span <= 4 * n:
        for k in range(span):
            scratch[k] = 0
        for k in range(n):
            scratch[key[k] - lo] += 1
        total = 0
        for k in range(span):
            c = scratch[k]
            scratch[k] = total
            total += c
        for k in range(n):
            out[scratch[key[k] - lo]] = k
            scratch[key[k] - lo] += 1
        return
    for k in range(n):
        order[k].first = key[k]
        order[k].second = k
    std_sort(order, order + n)
    for k in range(n):
        out[k] = order[k].second


cdef int _rank_pairs(const double *score, int64_t n, uint64_t *ranked) noexcept nogil:
    """``ranked``: the indices by score, best first, ties by index (any scores). -1 when out of memory."""
    cdef pair[double, int64_t] *order = <pair[double, int64_t] *> malloc(n * sizeof(pair[double, int64_t]))
    cdef int64_t k
    if order == NULL:
        return -1
    for k in range(n):
        order[k].first = -score[k]
        order[k].second = k
    std_sort(order, order + n)
    for k in range(n):
        ranked[k] = order[k].second
    free(order)
    return 0


cdef int _chains(Frag *frags, int64_t nf, int64_t max_gap, int64_t max_shift, int64_t min_tokens,
                 Buf *seg_a, Buf *seg_b, Buf *seg_len, Buf *chain_end) noexcept nogil:
    """Best monotone chains of fragments: the DP over predecessors in three diagonal bins,
    then best-first backtracking, each fragment used once; chains of at least
    ``min_tokens`` matched tokens are appended as segments (``chain_end``: one past each
    chain's last segment)."""
    cdef int64_t width = max_shift + 1
    cdef int64_t k, g, o, v, r, lo, cnt, st, u, nu = 0, min_home = 0, max_home = 0, x, p, c, matched, first_seg
    cdef int64_t a0, b0, fl, a1, b1, min_end, ga1, gb1, clip, gap_a, gap_b, shift, best_g, best_clip, home_k
    cdef double best, total
    cdef bint fits
    cdef double *score = <double *> malloc(nf * sizeof(double))
    cdef int64_t *pred = <int64_t *> malloc(nf * sizeof(int64_t))
    cdef int64_t *clips = <int64_t *> malloc(nf * sizeof(int64_t))
    cdef int64_t *home = <int64_t *> malloc(nf * sizeof(int64_t))
    cdef int64_t *by_bin = <int64_t *> malloc(nf * sizeof(int64_t))
    cdef int64_t *bin_of = <int64_t *> malloc(nf * sizeof(int64_t))
    cdef int64_t *ubin = <int64_t *> malloc(nf * sizeof(int64_t))
    cdef int64_t *ustart = <int64_t *> malloc(nf * sizeof(int64_t))
    cdef int64_t *ucnt = <int64_t *> malloc(nf * sizeof(int64_t))
    cdef char *used = <char *> malloc(nf)
    cdef uint64_t *ranked = <uint64_t *> malloc(nf * sizeof(uint64_t))
    cdef int64_t *grouping = <int64_t *> malloc((4 * nf + 1) * sizeof(int64_t))
    cdef int rc = 0
    if (score == NULL or pred == NULL or clips == NULL or home == NULL or by_bin == NULL or bin_of == NULL
            or ubin == NULL or ustart == NULL or ucnt == NULL or used == NULL or ranked == NULL
            or grouping == NULL):
        rc = -1
    else:
        for k in range(nf):
            home[k] = _floordiv(frags[k].b0 - frags[k].a0, width)
            if k == 0 or home[k] < min_home:
                min_home = home[k]
            if k == 0 or home[k] > max_home:
                max_home = home[k]
        # fragments grouped by bin, in index order within a bin
        _group_stable(home, nf, min_home, max_home, by_bin, grouping)
        for r in range(nf):
            k = by_bin[r]
            v = home[k]
            if nu == 0 or ubin[nu - 1] != v:
                ubin[nu] = v
                ustart[nu] = r
                ucnt[nu] = 0
                nu += 1
            bin_of[k] = nu - 1
        for k in range(nf):
            a0, b0, fl = frags[k].a0, frags[k].b0, frags[k].length
            best, best_g, best_clip = <double> fl, -1, 0
            home_k = home[k]
            min_end = a0 - max_gap
            a1, b1 = a0 + fl, b0 + fl
            u = bin_of[k]
            for o in range(-1, 2):
                v = u + o
                if v < 0 or v >= nu or ubin[v] != home_k + o:
                    continue
                cnt, st = ucnt[v], ustart[v]
                lo = cnt - MAX_PREDECESSORS if cnt > MAX_PREDECESSORS else 0
                r = cnt - 1
                while r >= lo:
                    g = by_bin[st + r]
                    r -= 1
                    ga1 = frags[g].a0 + frags[g].length
                    if ga1 < min_end:
                        break
                    gb1 = frags[g].b0 + frags[g].length
                    if not (frags[g].a0 < a0 and frags[g].b0 < b0 and ga1 < a1 and gb1 < b1):
                        continue
                    clip = ga1 - a0
                    if gb1 - b0 > clip:
                        clip = gb1 - b0
                    if clip < 0:
                        clip = 0
                    elif clip >= fl:
                        continue
                    gap_a, gap_b = a0 + clip - ga1, b0 + clip - gb1
                    if gap_a > max_gap or gap_b > max_gap:
                        continue
                    shift = gap_a - gap_b if gap_a >= gap_b else gap_b - gap_a
                    if shift > max_shift:
                        continue
                    total = (score[g] + fl - clip - SHIFT_COST * shift
                             - GAP_COST * (gap_a if gap_a < gap_b else gap_b))
                    if total > best:
                        best, best_g, best_clip = total, g, clip
            score[k] = best
            pred[k] = best_g
            clips[k] = best_clip
            ucnt[u] += 1
        # best score first, ties by index (as a stable sort by score, descending). Scores are
        # positive multiples of 1/4 (the costs above), so below 2**30 (always, short of a text
        # of a billion tokens) (2**32 - 1 - 4 * score) << 32 | index sorts as one integer
        fits = True
        for k in range(nf):
            used[k] = 0
            if score[k] >= 1073741824.0:
                fits = False
        if fits:
            for k in range(nf):
                ranked[k] = ((<uint64_t> 4294967295 - <uint64_t> (score[k] * 4)) << 32) | <uint64_t> k
            if nf < RADIX_MIN:
                std_sort(ranked, ranked + nf)
            elif radix_sort_u64(ranked, nf):
                rc = -1
            for k in range(nf):
                ranked[k] &= <uint64_t> 4294967295
        else:
            rc = _rank_pairs(score, nf, ranked)
        for r in range(nf if rc == 0 else 0):
            x = <int64_t> ranked[r]
            first_seg = seg_a.size
            matched = 0
            while x != -1 and not used[x]:
                used[x] = 1
                p = pred[x]
                c = clips[x] if p != -1 and not used[p] else 0
                if (_push(seg_a, frags[x].a0 + c) or _push(seg_b, frags[x].b0 + c)
                        or _push(seg_len, frags[x].length - c)):
                    rc = -1
                    break
                matched += frags[x].length - c
                x = p
            if rc:
                break
            if matched >= min_tokens:
                _reverse(seg_a.data + first_seg, seg_a.size - first_seg)
                _reverse(seg_b.data + first_seg, seg_b.size - first_seg)
                _reverse(seg_len.data + first_seg, seg_len.size - first_seg)
                if _push(chain_end, seg_a.size):
                    rc = -1
                    break
            else:
                seg_a.size = seg_b.size = seg_len.size = first_seg
    free(score)
    free(pred)
    free(clips)
    free(home)
    free(by_bin)
    free(bin_of)
    free(ubin)
    free(ustart)
    free(ucnt)
    free(used)
    free(ranked)
    free(grouping)
    return rc


ctypedef struct Seg:
    int64_t a0
    int64_t b0
    int64_t length


#: a queued chain: ((matched, -a0), (-b0, chain)), so the max-heap pops the most matched
#: tokens first, ties by the smaller first segment (a0, then b0), as the reference's heap
ctypedef pair[pair[int64_t, int64_t], pair[int64_t, int64_t]] Queued


cdef cppclass Intervals:
    """Disjoint accepted [start, end) intervals on one side, sorted by start (so by end too)."""
    vector[int64_t] starts
    vector[int64_t] ends

    int64_t first(int64_t start) nogil:
        """The first interval that can overlap anything at or after ``start``."""
        cdef int64_t k = (upper_bound(this.starts.begin(), this.starts.end(), start) - this.starts.begin()) - 1
        return k if k > 0 else 0

    bint hits(int64_t start, int64_t end) nogil:
        """Whether any interval overlaps [start, end) (as ``_Intervals.hits`` is non-empty)."""
        cdef int64_t k = this.first(start)
        while k < <int64_t> this.starts.size() and this.starts[k] < end:
            if this.ends[k] > start:
                return True
            k += 1
        return False


cdef int _add(Intervals *side, int64_t start, int64_t end) except -1:
    cdef int64_t k = lower_bound(side.starts.begin(), side.starts.end(), start) - side.starts.begin()
    side.starts.insert(side.starts.begin() + k, start)
    side.ends.insert(side.ends.begin() + k, end)
    return 0


cdef int _trim(const Seg *segs, int64_t n, Intervals *side_a, Intervals *side_b, vector[Seg] *out) except -1:
    """The parts of the segments outside every accepted interval, on both sides
    (``align_reference._trim``)."""
    cdef vector[pair[int64_t, int64_t]] blocked
    cdef int64_t i, k, a0, b0, length, d, pos, s, e
    cdef Seg piece
    for i in range(n):
        a0, b0, length = segs[i].a0, segs[i].b0, segs[i].length
        d = b0 - a0
        blocked.clear()
        k = side_a.first(a0)
        while k < <int64_t> side_a.starts.size() and side_a.starts[k] < a0 + length:
            if side_a.ends[k] > a0:
                blocked.push_back(pair[int64_t, int64_t](side_a.starts[k], side_a.ends[k]))
            k += 1
        k = side_b.first(b0)
        while k < <int64_t> side_b.starts.size() and side_b.starts[k] < b0 + length:
            if side_b.ends[k] > b0:
                blocked.push_back(pair[int64_t, int64_t](side_b.starts[k] - d, side_b.ends[k] - d))
            k += 1
        std_sort(blocked.begin(), blocked.end())
        pos = a0
        for k in range(<int64_t> blocked.size()):
            s, e = blocked[k].first, blocked[k].second
            if s > pos:
                piece.a0, piece.b0, piece.length = pos, pos + d, min(s, a0 + length) - pos
                out.push_back(piece)
            pos = max(pos, e)
        if pos < a0 + length:
            piece.a0, piece.b0, piece.length = pos, pos + d, a0 + length - pos
            out.push_back(piece)
    return 0


cdef int _split(const Seg *segs, int64_t n, Intervals *side_a, Intervals *side_b, int64_t max_gap,
                int64_t max_shift, bint clear, vector[int64_t] *cuts) except -1:
    """Where to cut the segments into pieces (``align_reference._split``): ``cuts`` gets the
    start of every piece, then ``n``."""
    cdef int64_t i, ga1, gb1, gx, gy
    cuts.clear()
    for i in range(n):
        if i:
            ga1 = segs[i - 1].a0 + segs[i - 1].length
            gb1 = segs[i - 1].b0 + segs[i - 1].length
            gx, gy = segs[i].a0 - ga1, segs[i].b0 - gb1
            if (max(gx, gy) <= max_gap and abs(gx - gy) <= max_shift
                    and (clear or (not side_a.hits(ga1, segs[i].a0) and not side_b.hits(gb1, segs[i].b0)))):
                continue
        cuts.push_back(i)
    cuts.push_back(n)
    return 0


cdef int64_t _matched_tokens(const Seg *segs, int64_t n) noexcept nogil:
    cdef int64_t i, m = 0
    for i in range(n):
        m += segs[i].length
    return m


cdef int _queue(priority_queue[Queued] *heap, vector[Seg] *pool, vector[int64_t] *bounds, int64_t lo,
                int64_t hi) except -1:
    """Queue pool[lo:hi] as a new chain."""
    cdef int64_t c = bounds.size() // 2
    bounds.push_back(lo)
    bounds.push_back(hi)
    heap.push(Queued(pair[int64_t, int64_t](_matched_tokens(pool.data() + lo, hi - lo), -pool[0][lo].a0),
                     pair[int64_t, int64_t](-pool[0][lo].b0, c)))
    return 0


cdef int _select(Buf *seg_a, Buf *seg_b, Buf *seg_len, Buf *chain_end, int64_t max_gap, int64_t max_shift,
                 int64_t min_chain) except -1:
    """Accept chains best-first; trim and re-queue those overlapping accepted ones (the
    reference's ``_select``, which it must equal: a hypothesis test holds them equal). The
    chains in the buffers are replaced by the accepted ones, in the order accepted."""
    cdef vector[Seg] pool, trimmed
    cdef vector[int64_t] bounds, cuts, accepted
    cdef priority_queue[Queued] heap
    cdef Intervals side_a, side_b
    cdef Seg seg
    cdef int64_t c, s, s0, lo, hi, n, k, p
    cdef bint same
    s0 = 0
    for c in range(chain_end.size):
        for s in range(s0, chain_end.data[c]):
            seg.a0, seg.b0, seg.length = seg_a.data[s], seg_b.data[s], seg_len.data[s]
            pool.push_back(seg)
        _queue(&heap, &pool, &bounds, s0, chain_end.data[c])
        s0 = chain_end.data[c]
    while not heap.empty():
        c = heap.top().second.second
        heap.pop()
        lo, hi = bounds[2 * c], bounds[2 * c + 1]
        n = hi - lo
        trimmed.clear()
        if (side_a.hits(pool[lo].a0, pool[hi - 1].a0 + pool[hi - 1].length)
                or side_b.hits(pool[lo].b0, pool[hi - 1].b0 + pool[hi - 1].length)):
            _trim(pool.data() + lo, n, &side_a, &side_b, &trimmed)
            _split(trimmed.data(), trimmed.size(), &side_a, &side_b, max_gap, max_shift, False, &cuts)
        else:  # clear of every accepted passage: nothing to trim, no gap holds one
            for s in range(lo, hi):
                trimmed.push_back(pool[s])
            _split(trimmed.data(), n, &side_a, &side_b, max_gap, max_shift, True, &cuts)
        same = cuts.size() == 2 and <int64_t> trimmed.size() == n
        k = 0
        while same and k < n:
            same = (trimmed[k].a0 == pool[lo + k].a0 and trimmed[k].b0 == pool[lo + k].b0
                    and trimmed[k].length == pool[lo + k].length)
            k += 1
        if same:
            accepted.push_back(c)
            _add(&side_a, pool[lo].a0, pool[hi - 1].a0 + pool[hi - 1].length)
            _add(&side_b, pool[lo].b0, pool[hi - 1].b0 + pool[hi - 1].length)
            continue
        for p in range(<int64_t> cuts.size() - 1):
            if _matched_tokens(trimmed.data() + cuts[p], cuts[p + 1] - cuts[p]) >= min_chain:
                lo = pool.size()
                for s in range(cuts[p], cuts[p + 1]):
                    pool.push_back(trimmed[s])
                _queue(&heap, &pool, &bounds, lo, pool.size())
    seg_a.size = seg_b.size = seg_len.size = chain_end.size = 0
    for c in accepted:
        for s in range(bounds[2 * c], bounds[2 * c + 1]):
            if _push(seg_a, pool[s].a0) or _push(seg_b, pool[s].b0) or _push(seg_len, pool[s].length):
                raise MemoryError
        if _push(chain_end, seg_a.size):
            raise MemoryError
    return 0


def select_chains(list chains, int64_t max_gap, int64_t max_shift, int64_t min_chain):
    """The compiled selection of chains (lists of (a0, b0, length) segments), as
    ``align_reference._select`` returns it (for tests)."""
    cdef Buf bufs[4]
    cdef int64_t c, s
    for c in range(4):
        bufs[c].data = NULL
        bufs[c].size = bufs[c].cap = 0
    try:
        for chain in chains:
            for a0, b0, length in chain:
                if _push(&bufs[0], a0) or _push(&bufs[1], b0) or _push(&bufs[2], length):
                    raise MemoryError
            if _push(&bufs[3], bufs[0].size):
                raise MemoryError
        _select(&bufs[0], &bufs[1], &bufs[2], &bufs[3], max_gap, max_shift, min_chain)
        out = []
        for c in range(bufs[3].size):
            out.append([(bufs[0].data[s], bufs[1].data[s], bufs[2].data[s])
                        for s in range(bufs[3].data[c - 1] if c else 0, bufs[3].data[c])])
        return out
    finally:
        for c in range(4):
            free(bufs[c].data)


cdef inline void _reverse(int64_t *xs, int64_t n) noexcept nogil:
    cdef int64_t i, t
    for i in range(n // 2):
        t = xs[i]
        xs[i] = xs[n - 1 - i]
        xs[n - 1 - i] = t


cdef bint _extents_overlap(int64_t *lo, int64_t *hi, int64_t n) noexcept nogil:
    """Whether any two of the intervals [lo[i], hi[i]) overlap (``lo`` is reordered)."""
    cdef int64_t *packed = <int64_t *> malloc(n * sizeof(int64_t) * 2)
    cdef int64_t i, k
    cdef bint hit = False
    if packed == NULL:
        return True  # the caller then takes the general path
    # sort intervals by start: pack (start, index) in two words and sort by start only
    for i in range(n):
        packed[i] = lo[i] * n + i
    std_sort(packed, packed + n)
    for i in range(1, n):
        k = packed[i] % n
        if lo[k] < hi[packed[i - 1] % n]:
            hit = True
            break
    free(packed)
    return hit


cdef int64_t _lcs(const uint64_t *xs, int64_t nx, const uint64_t *ys, int64_t ny, int64_t *row) noexcept nogil:
    """Length of the longest common subsequence (``row``: ny + 1 scratch integers)."""
    cdef int64_t i, j, diag, up
    for j in range(ny + 1):
        row[j] = 0
    for i in range(nx):
        diag = 0
        for j in range(1, ny + 1):
            up = row[j]
            if xs[i] == ys[j - 1]:
                row[j] = diag + 1
            elif row[j - 1] > up:
                row[j] = row[j - 1]
            diag = up
    return row[ny]


cdef void _xdrop(const uint64_t *xs, int64_t nx, int64_t dx, const uint64_t *ys, int64_t ny, int64_t dy,
                 int64_t *table, int64_t *out) noexcept nogil:
    """How far to extend outwards (``xs[k * dx]``, ``ys[k * dy]``): out = (tokens of x, of y,
    matched). Of every prefix pair ending in a match, the one with the best score
    ``matched - (skipped x + skipped y) / 2`` (a changed word costs 1), which is
    ``2 * LCS(i, j) - (i + j) / 2``; ties: fewest tokens of x, then of y. Nothing when no
    score is positive. ``table``: (nx + 1) * (ny + 1) scratch integers."""
    cdef int64_t i, j, w = ny + 1, lcs
    cdef double best = 0.0, value
    out[0] = out[1] = out[2] = 0
    for j in range(w):
        table[j] = 0
    for i in range(1, nx + 1):
        table[i * w] = 0
        for j in range(1, ny + 1):
            if xs[(i - 1) * dx] == ys[(j - 1) * dy]:
                lcs = table[(i - 1) * w + j - 1] + 1
                table[i * w + j] = lcs
                value = 2.0 * lcs - 0.5 * (i + j)
                if value > best:
                    best = value
                    out[0], out[1], out[2] = i, j, lcs
            else:
                table[i * w + j] = table[(i - 1) * w + j] if table[(i - 1) * w + j] > table[i * w + j - 1] \
                    else table[i * w + j - 1]


cpdef double round_score(double x):
    """``round(x, 4)`` (:func:`retold.core.rules.rounded`) without a Python call unless ``x``
    is near a tie: for |x| <= 1e4, ``x * 1e4`` is within 1.2e-8 of the exact product, so
    away from a tie ``rint`` gives the correctly rounded integer k, and k / 1e4 is the double
    nearest k / 10**4, which ``round`` returns (as :func:`retold.core.verify.rounded_all`)."""
    cdef double scaled = x * 1e4
    if not fabs(x) <= 1e4 or fabs(scaled - floor(scaled) - 0.5) < 1e-6:
        return round(x, 4)
    return rint(scaled) / 1e4


cdef class Prepared:
    """A text ready to be aligned with any number of partners: token hashes, token spans
    in characters, and the seed n-gram keys sorted with their positions (numpy arrays,
    read here through raw pointers taken once)."""

    cdef readonly object hashes, starts, ends, keys, at
    cdef const uint64_t *h
    cdef const uint64_t *k
    cdef const int64_t *s
    cdef const int64_t *e
    cdef const int64_t *p
    cdef readonly int64_t n_tokens, n_keys

    def __init__(self, hashes, starts, ends, keys, at):
        cdef const uint64_t[::1] h = hashes
        cdef const uint64_t[::1] k = keys
        cdef const int64_t[::1] s = starts
        cdef const int64_t[::1] e = ends
        cdef const int64_t[::1] p = at
        if not (h.shape[0] == s.shape[0] == e.shape[0]) or k.shape[0] != p.shape[0]:
            raise ValueError("prepared arrays of unequal lengths")
        self.hashes, self.starts, self.ends, self.keys, self.at = hashes, starts, ends, keys, at
        self.n_tokens, self.n_keys = h.shape[0], k.shape[0]
        self.h = &h[0] if self.n_tokens else NULL
        self.s = &s[0] if self.n_tokens else NULL
        self.e = &e[0] if self.n_tokens else NULL
        self.k = &k[0] if self.n_keys else NULL
        self.p = &p[0] if self.n_keys else NULL


cdef inline uint64_t _mix64(uint64_t x) noexcept nogil:
    """splitmix64's finaliser (retold.core.hashing.mix64)."""
    x ^= x >> 30
    x *= <uint64_t> 0xBF58476D1CE4E5B9
    x ^= x >> 27
    x *= <uint64_t> 0x94D049BB133111EB
    return x ^ (x >> 31)


#: a bucket of keys larger than this is sorted by std::sort instead of insertion
cdef int64_t INSERTION_MAX = 16


cdef int _sorted_keys(const uint64_t *h, int64_t m, int64_t n, uint64_t fold, uint64_t *keys,
                      int64_t *at) noexcept nogil:
    """The ``m`` n-gram keys of the token hashes ``h``, sorted with their positions (equal
    keys by position). The keys are uniform, so a stable counting sort by their top bits
    leaves about one key per bucket, then each bucket is sorted by insertion (a large one,
    which only crafted text makes, by std::sort). -1 when out of memory."""
    cdef int64_t i, j, b, lo, hi, pos
    cdef int bits = directory_bits(m), shift
    cdef uint64_t key
    cdef vector[pair[uint64_t, int64_t]] big
    cdef uint64_t *raw = <uint64_t *> malloc(m * sizeof(uint64_t))
    cdef int32_t *starts = <int32_t *> malloc(((<int64_t> 1 << bits) + 1) * sizeof(int32_t))
    if raw == NULL or starts == NULL:
        free(raw)
        free(starts)
        return -1
    shift = 64 - bits
    for i in range(m):
        key = h[i]
        for j in range(1, n):
            key = key * fold + h[i + j]
        raw[i] = key
    fill_directory(raw, m, bits, starts)
    for i in range(m):  # stable scatter: positions ascend within a bucket
        b = raw[i] >> shift
        pos = starts[b]
        starts[b] += 1
        keys[pos] = raw[i]
        at[pos] = i
    lo = 0
    for b in range(<int64_t> 1 << bits):  # starts[b] is now the end of bucket b
        hi = starts[b]
        if hi - lo > INSERTION_MAX:
            big.resize(hi - lo)
            for i in range(lo, hi):
                big[i - lo].first = keys[i]
                big[i - lo].second = at[i]
            std_sort(big.begin(), big.end())
            for i in range(lo, hi):
                keys[i] = big[i - lo].first
                at[i] = big[i - lo].second
        else:
            for i in range(lo + 1, hi):
                key = keys[i]
                pos = at[i]
                j = i - 1
                while j >= lo and keys[j] > key:
                    keys[j + 1] = keys[j]
                    at[j + 1] = at[j]
                    j -= 1
                keys[j + 1] = key
                at[j + 1] = pos
        lo = hi
    free(raw)
    free(starts)
    return 0


cdef int64_t _ascii_tokens(const unsigned char *text, int64_t size, const unsigned char *normal,
                          const unsigned char *joiner, uint64_t start, uint64_t prime, uint64_t *hashes,
                          int64_t *starts, int64_t *ends) noexcept nogil:
    """The tokens of an ASCII text: runs of word characters with joiners inside them left out
    (``normal[c]``: a word character's normalised byte, 32 for every other; ``joiner[c]``: 1
    for joiners), each hashed as the scan's sketches hash it: ``mix64(start * P**len + sum
    of normalised bytes * P**(bytes after))``. Returns how many; writes their hashes (and
    [start, end) spans) where the pointers are not NULL."""
    cdef int64_t i, count = 0, last = 0
    cdef unsigned char c
    cdef bint inside = False
    cdef uint64_t h = 0
    for i in range(size + 1):
        c = text[i] if i < size else 32
        if normal[c] != 32:
            if not inside:
                inside = True
                h = start
                if starts != NULL:
                    starts[count] = i
            h = h * prime + normal[c]
            last = i
        elif inside and not joiner[c]:
            inside = False
            if hashes != NULL:
                hashes[count] = _mix64(h)
            if ends != NULL:
                ends[count] = last + 1
            count += 1
    return count


#: texts longer than this (bytes) are counted before they are tokenised, so their arrays
#: are allocated exactly; shorter ones go in one pass into room for the most tokens they
#: can hold (half their bytes, 24 bytes each), then copied
cdef int64_t ROOM_EXACT = 1 << 16


cdef int64_t _room(const unsigned char *text, int64_t size, const unsigned char *normal,
                   const unsigned char *joiner, uint64_t start, uint64_t prime) noexcept nogil:
    """Room for the tokens of a text: at most ``size // 2 + 1`` (tokens are separated), or
    their exact count (a pass of :func:`_ascii_tokens`) for a text over ``ROOM_EXACT`` bytes."""
    if size > ROOM_EXACT:
        return _ascii_tokens(text, size, normal, joiner, start, prime, NULL, NULL, NULL)
    return size // 2 + 1


def prepare_ascii(const unsigned char[::1] text, const unsigned char[::1] normal, const unsigned char[::1] joiner,
                  uint64_t start, uint64_t prime, int64_t n, uint64_t fold):
    """A :class:`Prepared` ASCII text (:func:`_ascii_tokens` into room for its tokens
    (:func:`_room`), then copied), with its seed n-gram keys sorted."""
    import numpy as np
    cdef int64_t size = text.shape[0], count, m, cap
    cdef const unsigned char *t = &text[0] if size else <const unsigned char *> b""
    cap = _room(t, size, &normal[0], &joiner[0], start, prime)
    cdef uint64_t *h = <uint64_t *> malloc(cap * sizeof(uint64_t))
    cdef int64_t *se = <int64_t *> malloc(2 * cap * sizeof(int64_t))
    if h == NULL or se == NULL:
        free(h)
        free(se)
        raise MemoryError
    count = _ascii_tokens(t, size, &normal[0], &joiner[0], start, prime, h, se, se + cap)
    hashes_arr = np.empty(count, dtype=np.uint64)
    starts_arr = np.empty(count, dtype=np.int64)
    ends_arr = np.empty(count, dtype=np.int64)
    cdef uint64_t[::1] hashes = hashes_arr
    cdef int64_t[::1] starts = starts_arr
    cdef int64_t[::1] ends = ends_arr
    if count:
        memcpy(&hashes[0], h, count * sizeof(uint64_t))
        memcpy(&starts[0], se, count * sizeof(int64_t))
        memcpy(&ends[0], se + cap, count * sizeof(int64_t))
    free(h)
    free(se)
    m = count - n + 1 if count >= n else 0
    keys_arr = np.empty(m, dtype=np.uint64)
    at_arr = np.empty(m, dtype=np.int64)
    cdef uint64_t[::1] keys = keys_arr
    cdef int64_t[::1] at = at_arr
    if m and _sorted_keys(&hashes[0], m, n, fold, &keys[0], &at[0]):
        raise MemoryError
    return Prepared(hashes_arr, starts_arr, ends_arr, keys_arr, at_arr)


def ascii_token_hashes(list texts, const unsigned char[::1] normal, const unsigned char[::1] joiner,
                       uint64_t start, uint64_t prime):
    """(token hashes of all ``texts`` (ASCII bytes), concatenated; tokens per text (int64)):
    :func:`_ascii_tokens` of each, what the sketches hash, into room for their tokens
    (:func:`_room`), then copied."""
    import numpy as np
    cdef Py_ssize_t n = len(texts), i
    cdef int64_t cap = 0, at = 0
    cdef const unsigned char[::1] text
    counts_arr = np.empty(n, dtype=np.int64)
    cdef int64_t[::1] counts = counts_arr
    for i in range(n):
        text = texts[i]
        if text.shape[0]:
            cap += _room(&text[0], text.shape[0], &normal[0], &joiner[0], start, prime)
    room_arr = np.empty(cap, dtype=np.uint64)
    cdef uint64_t[::1] room = room_arr
    for i in range(n):
        text = texts[i]
        counts[i] = _ascii_tokens(&text[0], text.shape[0], &normal[0], &joiner[0], start, prime, &room[at], NULL,
                                  NULL) if text.shape[0] else 0
        at += counts[i]
    return room_arr[:at].copy(), counts_arr


def sorted_seed_keys(const uint64_t[::1] hashes, int64_t n, uint64_t fold):
    """(keys, positions): the seed n-gram keys ``((h0 * fold + h1) * fold + ...)`` mod 2**64
    of a text's token hashes, sorted, with their positions (ascending among equal keys)."""
    import numpy as np
    cdef int64_t m = hashes.shape[0] - n + 1 if hashes.shape[0] >= n else 0
    keys_arr = np.empty(m, dtype=np.uint64)
    at_arr = np.empty(m, dtype=np.int64)
    cdef uint64_t[::1] keys = keys_arr
    cdef int64_t[::1] at = at_arr
    if m and _sorted_keys(&hashes[0], m, n, fold, &keys[0], &at[0]):
        raise MemoryError
    return keys_arr, at_arr


cdef int _align_pair(Prepared A, Prepared B, int64_t seed_size, int64_t max_occ, int64_t max_gap, int64_t max_shift,
                     int64_t min_chain, int64_t min_passage, double min_score, bint extend, vector[int64_t] *spans,
                     vector[double] *scores) except -1:
    """The passages of one pair in canonical order, appended: (a_start, a_end, b_start,
    b_end) in characters to ``spans``, the score to ``scores``, by a_start. When chains
    overlap, they are selected best-first (:func:`_select`); otherwise all are accepted as
    they are."""
    cdef Buf ia, ib, seg_a, seg_b, seg_len, chain_end
    cdef Frag *frags = NULL
    cdef int64_t nfrag = 0, nc, c, s, s0, s1, k, rb, lim_a, lim_b, gx, gy, room
    cdef int64_t *lo_a
    cdef int64_t *hi_a
    cdef int64_t *lo_b
    cdef int64_t *hi_b
    cdef int64_t *sp
    cdef int64_t *grown_sp
    cdef double *matched
    cdef double *grown_m
    cdef int64_t *by_b
    cdef int64_t *rank_b
    cdef int64_t *scratch
    cdef int64_t ext[3]
    cdef bint overlapping, unique
    cdef double sc
    ia.data = ib.data = seg_a.data = seg_b.data = seg_len.data = chain_end.data = NULL
    ia.size = ib.size = seg_a.size = seg_b.size = seg_len.size = chain_end.size = 0
    ia.cap = ib.cap = seg_a.cap = seg_b.cap = seg_len.cap = chain_end.cap = 0
    try:
        if _seeds(A.k, A.p, A.n_keys, B.k, B.p, B.n_keys, max_occ, &ia, &ib, &unique):
            raise MemoryError
        frags = _fragments(&ia, &ib, seed_size, unique, A.n_tokens, &nfrag)
        if ia.size and frags == NULL:
            raise MemoryError
        free(ia.data)
        free(ib.data)
        ia.data = ib.data = NULL
        if nfrag == 0:
            return 0
        if _chains(frags, nfrag, max_gap, max_shift, min_chain, &seg_a, &seg_b, &seg_len, &chain_end):
            raise MemoryError
        nc = chain_end.size
        if nc == 0:
            return 0
        # one span per chain: [a0, a1) x [b0, b1) and matched tokens
        sp = <int64_t *> malloc(nc * 4 * sizeof(int64_t))
        matched = <double *> malloc(nc * sizeof(double))
        if sp == NULL or matched == NULL:
            free(sp)
            free(matched)
            raise MemoryError
        try:
            overlapping = False
            if nc > 1:
                lo_a, hi_a, lo_b, hi_b = sp, sp + nc, sp + 2 * nc, sp + 3 * nc
                for c in range(nc):
                    s0 = chain_end.data[c - 1] if c else 0
                    s1 = chain_end.data[c] - 1
                    lo_a[c], hi_a[c] = seg_a.data[s0], seg_a.data[s1] + seg_len.data[s1]
                    lo_b[c], hi_b[c] = seg_b.data[s0], seg_b.data[s1] + seg_len.data[s1]
                overlapping = _extents_overlap(lo_a, hi_a, nc) or _extents_overlap(lo_b, hi_b, nc)
            if overlapping:
                _select(&seg_a, &seg_b, &seg_len, &chain_end, max_gap, max_shift, min_chain)
                if chain_end.size > nc:  # trimming splits chains: there may be more than before
                    grown_sp = <int64_t *> realloc(sp, chain_end.size * 4 * sizeof(int64_t))
                    if grown_sp == NULL:
                        raise MemoryError
                    sp = grown_sp
                    grown_m = <double *> realloc(matched, chain_end.size * sizeof(double))
                    if grown_m == NULL:
                        raise MemoryError
                    matched = grown_m
                nc = chain_end.size
                if nc == 0:
                    return 0
            # spans (as rows of 4 in sp), matched = segments + LCS of the gaps
            scratch = <int64_t *> malloc((max_gap + 1) * (max_gap + 2) * sizeof(int64_t) + 64)
            by_b = <int64_t *> malloc(nc * 2 * sizeof(int64_t))
            if scratch == NULL or by_b == NULL:
                free(scratch)
                free(by_b)
                raise MemoryError
            rank_b = by_b + nc
            try:
                for c in range(nc):
                    s0 = chain_end.data[c - 1] if c else 0
                    s1 = chain_end.data[c] - 1
                    sp[4 * c] = seg_a.data[s0]
                    sp[4 * c + 1] = seg_a.data[s1] + seg_len.data[s1]
                    sp[4 * c + 2] = seg_b.data[s0]
                    sp[4 * c + 3] = seg_b.data[s1] + seg_len.data[s1]
                    matched[c] = 0.0
                    for s in range(s0, s1 + 1):
                        matched[c] += seg_len.data[s]
                        if s > s0:
                            gx = seg_a.data[s - 1] + seg_len.data[s - 1]
                            gy = seg_b.data[s - 1] + seg_len.data[s - 1]
                            if seg_a.data[s] > gx and seg_b.data[s] > gy:
                                matched[c] += _lcs(A.h + gx, seg_a.data[s] - gx, B.h + gy, seg_b.data[s] - gy,
                                                   scratch)
                # sort spans by a0 (disjoint on a: distinct starts), then rank them by b0
                _sort_rows(sp, matched, nc, 0)
                for c in range(nc):
                    by_b[c] = sp[4 * c + 2] * nc + c
                std_sort(by_b, by_b + nc)
                for c in range(nc):
                    by_b[c] = by_b[c] % nc
                    rank_b[by_b[c]] = c
                if extend:
                    for k in range(nc):
                        rb = rank_b[k]
                        lim_a = sp[4 * (k + 1)] if k + 1 < nc else A.n_tokens
                        lim_b = sp[4 * by_b[rb + 1] + 2] if rb + 1 < nc else B.n_tokens
                        gx = min(lim_a, sp[4 * k + 1] + max_gap) - sp[4 * k + 1]
                        gy = min(lim_b, sp[4 * k + 3] + max_gap) - sp[4 * k + 3]
                        if gx > 0 and gy > 0:
                            _xdrop(A.h + sp[4 * k + 1], gx, 1, B.h + sp[4 * k + 3], gy, 1, scratch, ext)
                            sp[4 * k + 1] += ext[0]
                            sp[4 * k + 3] += ext[1]
                            matched[k] += ext[2]
                        lim_a = sp[4 * (k - 1) + 1] if k else 0
                        lim_b = sp[4 * by_b[rb - 1] + 3] if rb else 0
                        gx = sp[4 * k] - max(lim_a, sp[4 * k] - max_gap)
                        gy = sp[4 * k + 2] - max(lim_b, sp[4 * k + 2] - max_gap)
                        if gx > 0 and gy > 0:
                            _xdrop(A.h + sp[4 * k] - 1, gx, -1, B.h + sp[4 * k + 2] - 1, gy, -1, scratch, ext)
                            sp[4 * k] -= ext[0]
                            sp[4 * k + 2] -= ext[1]
                            matched[k] += ext[2]
                for c in range(nc):
                    room = min(sp[4 * c + 1] - sp[4 * c], sp[4 * c + 3] - sp[4 * c + 2])
                    sc = 2.0 * matched[c] / ((sp[4 * c + 1] - sp[4 * c]) + (sp[4 * c + 3] - sp[4 * c + 2]))
                    if room >= min_passage and sc >= min_score:
                        spans.push_back(A.s[sp[4 * c]])
                        spans.push_back(A.e[sp[4 * c + 1] - 1])
                        spans.push_back(B.s[sp[4 * c + 2]])
                        spans.push_back(B.e[sp[4 * c + 3] - 1])
                        scores.push_back(round_score(sc))
                return 0
            finally:
                free(scratch)
                free(by_b)
        finally:
            free(sp)
            free(matched)
    finally:
        free(ia.data)
        free(ib.data)
        free(frags)
        free(seg_a.data)
        free(seg_b.data)
        free(seg_len.data)
        free(chain_end.data)


cdef void _sort_rows(int64_t *sp, double *matched, int64_t n, int64_t col) noexcept nogil:
    """Insertion sort of the rows of 4 (and ``matched``) by column ``col`` (few rows)."""
    cdef int64_t i, j, t
    cdef int64_t row[4]
    cdef double m
    for i in range(1, n):
        for t in range(4):
            row[t] = sp[4 * i + t]
        m = matched[i]
        j = i - 1
        while j >= 0 and sp[4 * j + col] > row[col]:
            for t in range(4):
                sp[4 * (j + 1) + t] = sp[4 * j + t]
            matched[j + 1] = matched[j]
            j -= 1
        for t in range(4):
            sp[4 * (j + 1) + t] = row[t]
        matched[j + 1] = m


def align_many(list firsts, list seconds, int64_t seed_size, int64_t max_occ, int64_t max_gap, int64_t max_shift,
               int64_t min_chain, int64_t min_passage, double min_score, bint extend):
    """:func:`_align_pair` for the pairs (firsts[i], seconds[i]) of prepared texts, each in
    canonical order and mirrored back (what :func:`retold.core.align.align_prepared` does
    for one pair): (passages per pair, int64; their spans (a_start, a_end, b_start, b_end),
    int64 (m, 4); their scores, float64), each pair's passages by a_start. Identical texts
    (same token hashes) give one passage over all of them, score 1.0, when they have at
    least ``min_passage`` tokens."""
    import numpy as np
    cdef Py_ssize_t i, n = len(firsts), k, t, first
    cdef Prepared A, B
    cdef int64_t la, lb, x
    cdef int c
    cdef vector[int64_t] spans
    cdef vector[double] scores
    counts_arr = np.zeros(n, dtype=np.int64)
    cdef int64_t[::1] counts = counts_arr
    for i in range(n):
        A = firsts[i]
        B = seconds[i]
        la, lb = A.n_tokens, B.n_tokens
        first = scores.size()
        c = 0
        if la == lb and la:
            c = memcmp(A.h, B.h, la * sizeof(uint64_t))
            if c == 0:
                if la >= min_passage:
                    spans.push_back(A.s[0])
                    spans.push_back(A.e[la - 1])
                    spans.push_back(B.s[0])
                    spans.push_back(B.e[lb - 1])
                    scores.push_back(1.0)
                counts[i] = scores.size() - first
                continue
        elif la == lb:  # both empty
            continue
        if la > lb or (la == lb and c > 0):
            _align_pair(B, A, seed_size, max_occ, max_gap, max_shift, min_chain, min_passage, min_score, extend,
                        &spans, &scores)
            # mirrored back: swap the sides, then order by the new a_start (distinct: passages are disjoint)
            for k in range(first, <Py_ssize_t>scores.size()):
                x = spans[4 * k]
                spans[4 * k] = spans[4 * k + 2]
                spans[4 * k + 2] = x
                x = spans[4 * k + 1]
                spans[4 * k + 1] = spans[4 * k + 3]
                spans[4 * k + 3] = x
            if <Py_ssize_t>scores.size() > first:
                _sort_rows(spans.data() + 4 * first, scores.data() + first, scores.size() - first, 0)
        else:
            _align_pair(A, B, seed_size, max_occ, max_gap, max_shift, min_chain, min_passage, min_score, extend,
                        &spans, &scores)
        counts[i] = scores.size() - first
    m = scores.size()
    spans_arr = np.empty((m, 4), dtype=np.int64)
    scores_arr = np.empty(m, dtype=np.float64)
    cdef int64_t[:, ::1] sv = spans_arr
    cdef double[::1] cv = scores_arr
    for k in range(m):
        for t in range(4):
            sv[k, t] = spans[4 * k + t]
        cv[k] = scores[k]
    return counts_arr, spans_arr, scores_arr
