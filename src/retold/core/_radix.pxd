# The radix sorts of the compiled kernels (inline functions: compiled into each module that uses them).

from libc.stdint cimport int32_t, int64_t, uint64_t
from libc.stdlib cimport calloc, free, malloc
from libc.string cimport memcpy
from libcpp.algorithm cimport sort
from libcpp.utility cimport pair

cdef enum:
    # digits of RADIX_BITS bits, RADIX_PASSES of them cover 64 bits
    RADIX_BITS = 11
    RADIX_BUCKETS = 2048
    RADIX_PASSES = 6


cdef inline bint _digit_starts(int64_t *cd, Py_ssize_t n) noexcept nogil:
    """Turn one digit's bucket counts ``cd`` into bucket starts (an exclusive prefix sum);
    True, leaving them as they are, when all ``n`` values share the digit (no pass needed)."""
    cdef int k
    cdef int64_t total = 0, c
    for k in range(RADIX_BUCKETS):
        c = cd[k]
        if c == n:
            return True
        cd[k] = total
        total += c
    return False


cdef inline int radix_sort_u64(uint64_t *values, Py_ssize_t n) noexcept nogil:
    """Sort ``values[:n]`` in place by a least-significant-digit radix sort on 11-bit digits:
    up to six passes over the data (only over the digits the values have, and none over a
    digit that is the same for every value), with one buffer of the same size. -1 when out
    of memory."""
    cdef Py_ssize_t i
    cdef int d, k, passes
    cdef uint64_t *src
    cdef uint64_t *dst
    cdef uint64_t *buf
    cdef uint64_t *tmp
    cdef int64_t *counts
    cdef int64_t *cd
    cdef uint64_t x
    if n < 2:
        return 0
    buf = <uint64_t *> malloc(n * sizeof(uint64_t))
    counts = <int64_t *> calloc(RADIX_PASSES * RADIX_BUCKETS, sizeof(int64_t))
    if buf == NULL or counts == NULL:
        free(buf)
        free(counts)
        return -1
    src = values
    dst = buf
    x = 0
    for i in range(n):
        x |= src[i]
    passes = 0  # the digits any value has
    while passes < RADIX_PASSES and (x >> (RADIX_BITS * passes)):
        passes += 1
    for i in range(n):
        x = src[i]
        for d in range(passes):
            counts[d * RADIX_BUCKETS + ((x >> (RADIX_BITS * d)) & (RADIX_BUCKETS - 1))] += 1
    for d in range(passes):
        cd = counts + d * RADIX_BUCKETS
        if _digit_starts(cd, n):
            continue
        for i in range(n):
            x = src[i]
            k = (x >> (RADIX_BITS * d)) & (RADIX_BUCKETS - 1)
            dst[cd[k]] = x
            cd[k] += 1
        tmp = src
        src = dst
        dst = tmp
    if src != values:
        memcpy(values, src, n * sizeof(uint64_t))
    free(buf)
    free(counts)
    return 0


cdef inline int radix_sort_kv(uint64_t *keys, int32_t *vals, Py_ssize_t n) noexcept nogil:
    """Sort the pairs (keys[i], vals[i]) in place by key, then by value: the same
    least-significant-digit passes as :func:`radix_sort_u64` over the keys' top 33 varying
    bits only, the values moved along; then each run of keys equal in those bits is put in
    order: by value alone where the keys are equal (the common case: a hash's documents,
    a handful each), as (key, value) pairs where they differ below the sorted bits (rare
    for hashes: about n**2 / 2**34 of them). Values are never radix-sorted: their runs are
    short. One buffer per array. -1 when out of memory."""
    cdef Py_ssize_t i
    cdef int d, k, kpasses, shift, low = 0
    cdef Py_ssize_t j, q, t
    cdef bint mixed, unordered
    cdef uint64_t y
    cdef int32_t v
    cdef pair[uint64_t, int32_t] *fix
    cdef uint64_t *ksrc
    cdef uint64_t *kdst
    cdef uint64_t *kbuf
    cdef uint64_t *ktmp
    cdef int32_t *vsrc
    cdef int32_t *vdst
    cdef int32_t *vbuf
    cdef int32_t *vtmp
    cdef int64_t *counts
    cdef int64_t *cd
    cdef uint64_t x
    cdef bint ascending = True
    if n < 2:
        return 0
    kbuf = <uint64_t *> malloc(n * sizeof(uint64_t))
    vbuf = <int32_t *> malloc(n * sizeof(int32_t))
    counts = <int64_t *> calloc(3 * RADIX_BUCKETS, sizeof(int64_t))
    if kbuf == NULL or vbuf == NULL or counts == NULL:
        free(kbuf)
        free(vbuf)
        free(counts)
        return -1
    ksrc, kdst, vsrc, vdst = keys, kbuf, vals, vbuf
    x = 0
    y = ~(<uint64_t> 0)
    for i in range(n):
        x |= ksrc[i]
        y &= ksrc[i]
        if i and vsrc[i] < vsrc[i - 1]:
            ascending = False
    x ^= y  # the bits in which keys differ
    while (x >> low) >= (<uint64_t> 1 << (3 * RADIX_BITS)):
        low += 1
    kpasses = 0
    while kpasses < 3 and (x >> (low + RADIX_BITS * kpasses)):
        kpasses += 1
    for i in range(n):
        x = ksrc[i]
        for d in range(kpasses):
            counts[d * RADIX_BUCKETS + ((x >> (low + RADIX_BITS * d)) & (RADIX_BUCKETS - 1))] += 1
    for d in range(kpasses):
        cd = counts + d * RADIX_BUCKETS
        if _digit_starts(cd, n):
            continue
        shift = low + RADIX_BITS * d
        for i in range(n):
            k = (ksrc[i] >> shift) & (RADIX_BUCKETS - 1)
            kdst[cd[k]] = ksrc[i]
            vdst[cd[k]] = vsrc[i]
            cd[k] += 1
        ktmp = ksrc
        ksrc = kdst
        kdst = ktmp
        vtmp = vsrc
        vsrc = vdst
        vdst = vtmp
    if ksrc != keys:
        memcpy(keys, ksrc, n * sizeof(uint64_t))
        memcpy(vals, vsrc, n * sizeof(int32_t))
    free(kbuf)
    free(vbuf)
    free(counts)
    if low == 0 and ascending:  # the sort was by whole keys, and stable over ascending values
        return 0
    i = 0
    while i < n:
        j = i + 1
        mixed = unordered = False
        while j < n and (keys[j] >> low) == (keys[i] >> low):
            mixed = mixed or keys[j] != keys[i]
            unordered = unordered or vals[j] < vals[j - 1]
            j += 1
        if mixed:
            fix = <pair[uint64_t, int32_t] *> malloc((j - i) * sizeof(pair[uint64_t, int32_t]))
            if fix == NULL:
                return -1
            for t in range(j - i):
                fix[t].first = keys[i + t]
                fix[t].second = vals[i + t]
            sort(fix, fix + (j - i))
            for t in range(j - i):
                keys[i + t] = fix[t].first
                vals[i + t] = fix[t].second
            free(fix)
        elif unordered and j - i <= 16:
            for q in range(i + 1, j):  # insertion sort: the run is short
                v = vals[q]
                t = q - 1
                while t >= i and vals[t] > v:
                    vals[t + 1] = vals[t]
                    t -= 1
                vals[t + 1] = v
        elif unordered:
            sort(vals + i, vals + j)
        i = j
    return 0
