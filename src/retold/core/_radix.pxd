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
    """Sort the pairs (keys[i], vals[i]) (vals non-negative) in place by key, then by value:
    the same least-significant-digit passes as :func:`radix_sort_u64`, first over the values'
    digits (none when they already ascend), then over the keys' top 33 varying bits only,
    the values moved along; keys that differ only below those bits (rare for hashes: about
    n**2 / 2**34 of them) are then put in order by sorting their runs. One buffer per
    array. -1 when out of memory."""
    cdef Py_ssize_t i
    cdef int d, k, kpasses, vpasses, shift, low = 0
    cdef Py_ssize_t j, run
    cdef uint64_t y
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
    cdef uint64_t x, vx
    cdef bint ascending = True
    if n < 2:
        return 0
    kbuf = <uint64_t *> malloc(n * sizeof(uint64_t))
    vbuf = <int32_t *> malloc(n * sizeof(int32_t))
    counts = <int64_t *> calloc((RADIX_PASSES + 3) * RADIX_BUCKETS, sizeof(int64_t))
    if kbuf == NULL or vbuf == NULL or counts == NULL:
        free(kbuf)
        free(vbuf)
        free(counts)
        return -1
    ksrc, kdst, vsrc, vdst = keys, kbuf, vals, vbuf
    x = 0
    y = ~(<uint64_t> 0)
    vx = 0
    for i in range(n):
        x |= ksrc[i]
        y &= ksrc[i]
        vx |= <uint64_t> vsrc[i]
        if i and vsrc[i] < vsrc[i - 1]:
            ascending = False
    x ^= y  # the bits in which keys differ
    while (x >> low) >= (<uint64_t> 1 << (3 * RADIX_BITS)):
        low += 1
    kpasses = 0
    while kpasses < 3 and (x >> (low + RADIX_BITS * kpasses)):
        kpasses += 1
    vpasses = 0
    while not ascending and vpasses < 3 and (vx >> (RADIX_BITS * vpasses)):
        vpasses += 1
    # digit d < vpasses: the values' digit d; then the keys' digit d - vpasses
    for i in range(n):
        for d in range(vpasses):
            counts[d * RADIX_BUCKETS + ((<uint64_t> vsrc[i] >> (RADIX_BITS * d)) & (RADIX_BUCKETS - 1))] += 1
        x = ksrc[i]
        for d in range(kpasses):
            counts[(vpasses + d) * RADIX_BUCKETS + ((x >> (low + RADIX_BITS * d)) & (RADIX_BUCKETS - 1))] += 1
    for d in range(vpasses + kpasses):
        cd = counts + d * RADIX_BUCKETS
        if _digit_starts(cd, n):
            continue
        if d < vpasses:
            shift = RADIX_BITS * d
            for i in range(n):
                k = (<uint64_t> vsrc[i] >> shift) & (RADIX_BUCKETS - 1)
                kdst[cd[k]] = ksrc[i]
                vdst[cd[k]] = vsrc[i]
                cd[k] += 1
        else:
            shift = low + RADIX_BITS * (d - vpasses)
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
    if low == 0:
        return 0
    # runs equal in the sorted bits but not in the key: sort each as (key, value) pairs
    i = 0
    while i < n:
        j = i + 1
        run = 0
        while j < n and (keys[j] >> low) == (keys[i] >> low):
            if keys[j] != keys[i]:
                run = 1
            j += 1
        if run:
            fix = <pair[uint64_t, int32_t] *> malloc((j - i) * sizeof(pair[uint64_t, int32_t]))
            if fix == NULL:
                return -1
            for k in range(j - i):
                fix[k].first = keys[i + k]
                fix[k].second = vals[i + k]
            sort(fix, fix + (j - i))
            for k in range(j - i):
                keys[i + k] = fix[k].first
                vals[i + k] = fix[k].second
            free(fix)
        i = j
    return 0
