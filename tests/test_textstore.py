"""The temporary text store gives back exactly what was put in."""

from hypothesis import given, strategies as st

from retold.textstore import TextStore


@given(st.lists(st.text(), max_size=20))
def test_round_trip(texts):
    with TextStore() as store:
        idx = [store.append(t) for t in texts]
        assert [store.get(i) for i in reversed(idx)] == list(reversed(texts))
        store.append("more")
        assert [store.get(i) for i in idx] == texts
    assert not __import__("os").path.exists(store.path)
