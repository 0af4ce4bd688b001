# The radix sort both compiled kernels use (an inline function: compiled into each module).

from libc.stdint cimport int64_t, uint64_t
from libc.stdlib cimport calloc, free, malloc
from libc.string cimport memcpy

cdef enum:
    # digits of RADIX_BITS bits, RADIX_PASSES of them cover 64 bits
    RADIX_BITS = 11
    RADIX_BUCKETS = 2048
    RADIX_PASSES = 6


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
    cdef int64_t total, c
    cdef uint64_t x
    cdef bint skip
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
        skip = False
        total = 0
        for k in range(RADIX_BUCKETS):
            c = cd[k]
            if c == n:
                skip = True
                break
            cd[k] = total
            total += c
        if skip:
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
