# Directories of sorted hashes by their top bits (inline functions: compiled into each module
# that uses them). Hashes are uniform, so a bucket holds about one value and a lookup costs
# two loads instead of a binary search over the whole array; a binary search within the
# bucket bounds the worst case (many values sharing top bits) at log of the bucket.

from libc.stdint cimport int32_t, int64_t, uint64_t
from libc.string cimport memset


cdef inline int directory_bits(Py_ssize_t m) noexcept nogil:
    """The bits of a directory of m sorted hashes: the least (at least 1) with 2**bits >= m."""
    cdef int bits = 1
    while (<Py_ssize_t>1 << bits) < m:
        bits += 1
    return bits


cdef inline void fill_directory(const uint64_t* v, Py_ssize_t m, int bits, int32_t* directory) noexcept nogil:
    """directory[b] for b in [0, 2**bits]: how many of ``v`` (m < 2**31) have top ``bits`` bits
    < b, by counting each bucket's values: for sorted ``v``, the first k with v[k]'s top bits
    >= b; for any ``v``, where bucket b begins once it is sorted by top bits."""
    cdef Py_ssize_t k, nb = <Py_ssize_t>1 << bits
    cdef int shift = 64 - bits
    memset(directory, 0, (nb + 1) * sizeof(int32_t))
    for k in range(m):
        directory[(v[k] >> shift) + 1] += 1
    for k in range(nb):
        directory[k + 1] += directory[k]


cdef inline Py_ssize_t find_sorted(const uint64_t* v, const int32_t* directory, int bits, uint64_t x) noexcept nogil:
    """The first k with v[k] == x (-1 if none), through ``v``'s directory (:func:`fill_directory`)."""
    cdef Py_ssize_t b = <Py_ssize_t>(x >> (64 - bits)), left = directory[b], right = directory[b + 1], mid
    while left < right:
        mid = (left + right) >> 1
        if v[mid] < x:
            left = mid + 1
        else:
            right = mid
    return left if left < directory[b + 1] and v[left] == x else -1

