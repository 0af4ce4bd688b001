"""Compiled writing of the pairs table's JSON Lines (see :func:`retold.io.writers.pair_lines`).

A block of pairs becomes one UTF-8 buffer: ids and relations are pasted from their JSON
forms (encoded once), integers are written digit by digit, and scores (rounded to
``k / 10**4``) are pasted from a table of their Python ``repr``. The caller sends only
blocks whose every score is in that table; the text is exactly what the Python writer
gives, line for line (tested).
"""

from libc.stdint cimport int64_t
from libc.stdlib cimport free, realloc
from libc.string cimport memcpy
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE

# the fixed parts of a line, in order
cdef bytes OPEN = b'{"a": ', B = b', "b": ', JACCARD = b', "jaccard": ', CONT_A = b', "containment_a": '
cdef bytes CONT_B = b', "containment_b": ', COV_A = b', "coverage_a": ', COV_B = b', "coverage_b": '
cdef bytes RELATION = b', "relation": ', SHARED = b', "shared": ', PASSAGES = b', "passages": ['
cdef bytes SEP = b', ', A_START = b'{"a_start": ', A_END = b', "a_end": ', B_START = b', "b_start": '
cdef bytes B_END = b', "b_end": ', SCORE = b', "score": ', CLOSE_PASSAGE = b'}'
cdef bytes CHARS_A = b'], "aligned_chars_a": ', CHARS_B = b', "aligned_chars_b": ', END = b'}\n'


cdef struct Out:
    char* data
    Py_ssize_t size
    Py_ssize_t cap


cdef int _grow(Out* out, Py_ssize_t more) except -1:
    cdef Py_ssize_t cap = out.cap
    cdef char* grown
    if out.size + more <= cap:
        return 0
    while cap < out.size + more:
        cap = 2 * cap + 64
    grown = <char*>realloc(out.data, cap)
    if grown == NULL:
        raise MemoryError()
    out.data = grown
    out.cap = cap
    return 0


cdef inline int _put(Out* out, const char* text, Py_ssize_t n) except -1:
    _grow(out, n)
    memcpy(out.data + out.size, text, n)
    out.size += n
    return 0


cdef inline int _put_bytes(Out* out, bytes text) except -1:
    return _put(out, PyBytes_AS_STRING(text), PyBytes_GET_SIZE(text))


cdef int _put_int(Out* out, int64_t value) except -1:
    cdef char digits[24]
    cdef int k = 24
    cdef bint negative = value < 0
    cdef unsigned long long v = <unsigned long long>(-(value + 1)) + 1 if negative else <unsigned long long>value
    while True:
        k -= 1
        digits[k] = <char>(48 + v % 10)
        v //= 10
        if v == 0:
            break
    if negative:
        k -= 1
        digits[k] = b"-"
    return _put(out, &digits[k], 24 - k)


def pair_block(list ids, const int64_t[::1] a, const int64_t[::1] b, const int64_t[:, ::1] scores,
               list relations, const int64_t[::1] relation, const int64_t[::1] shared, list score_texts,
               const int64_t[::1] passage_offsets, const int64_t[:, ::1] spans, const int64_t[::1] passage_scores,
               bint with_passages):
    """The lines (UTF-8, each ending in a newline) of a block of pairs: pair i joins
    ``ids[a[i]]`` and ``ids[b[i]]`` (JSON strings as bytes), its five scores are
    ``score_texts[scores[i, j]]`` (jaccard, containment_a, containment_b, coverage_a,
    coverage_b), its relation ``relations[relation[i]]``; with passages, pair i's are rows
    ``passage_offsets[i]`` to ``passage_offsets[i+1]`` of ``spans`` (a_start, a_end,
    b_start, b_end) with scores ``score_texts[passage_scores[row]]``."""
    cdef Py_ssize_t n = a.shape[0], i, p
    cdef Out out
    cdef int64_t chars_a, chars_b
    out.data = NULL
    out.size = 0
    out.cap = 0
    try:
        for i in range(n):
            _put_bytes(&out, OPEN)
            _put_bytes(&out, ids[a[i]])
            _put_bytes(&out, B)
            _put_bytes(&out, ids[b[i]])
            _put_bytes(&out, JACCARD)
            _put_bytes(&out, score_texts[scores[i, 0]])
            _put_bytes(&out, CONT_A)
            _put_bytes(&out, score_texts[scores[i, 1]])
            _put_bytes(&out, CONT_B)
            _put_bytes(&out, score_texts[scores[i, 2]])
            _put_bytes(&out, COV_A)
            _put_bytes(&out, score_texts[scores[i, 3]])
            _put_bytes(&out, COV_B)
            _put_bytes(&out, score_texts[scores[i, 4]])
            _put_bytes(&out, RELATION)
            _put_bytes(&out, relations[relation[i]])
            _put_bytes(&out, SHARED)
            _put_int(&out, shared[i])
            if with_passages:
                _put_bytes(&out, PASSAGES)
                chars_a = 0
                chars_b = 0
                for p in range(passage_offsets[i], passage_offsets[i + 1]):
                    if p > passage_offsets[i]:
                        _put_bytes(&out, SEP)
                    _put_bytes(&out, A_START)
                    _put_int(&out, spans[p, 0])
                    _put_bytes(&out, A_END)
                    _put_int(&out, spans[p, 1])
                    _put_bytes(&out, B_START)
                    _put_int(&out, spans[p, 2])
                    _put_bytes(&out, B_END)
                    _put_int(&out, spans[p, 3])
                    _put_bytes(&out, SCORE)
                    _put_bytes(&out, score_texts[passage_scores[p]])
                    _put_bytes(&out, CLOSE_PASSAGE)
                    chars_a += spans[p, 1] - spans[p, 0]
                    chars_b += spans[p, 3] - spans[p, 2]
                _put_bytes(&out, CHARS_A)
                _put_int(&out, chars_a)
                _put_bytes(&out, CHARS_B)
                _put_int(&out, chars_b)
            _put_bytes(&out, END)
        return out.data[:out.size] if out.size else b""
    finally:
        free(out.data)
