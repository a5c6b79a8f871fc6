"""The benchmark's input supply: every pass is new traffic, and its conversations stay whole."""

from __future__ import annotations

from benchmarks.inputs import Supply, generate
from streams.synthetic import build_world


def test_every_pass_has_new_ids_and_answers_refer_to_their_requests_in_the_same_pass() -> None:
    pool = generate(build_world(seed=1, scale="small"), 400, target_size=2000)
    pool_ids = {item.expected.msg_id for item in pool}
    answering = {i.expected.msg_id for i in pool if i.expected.answers in pool_ids}
    assert answering, "the pool has answers to requests of the pool"
    supply = Supply(pool)
    first, second = supply.take(len(pool)), supply.take(len(pool))
    for relabelled in (first, second):
        ids = [item.expected.msg_id for item in relabelled]
        assert len(set(ids)) == len(set(pool_ids)) and not set(ids) & pool_ids
        for original, item in zip(pool, relabelled, strict=True):
            assert item.expected.msg_id.encode() in item.data
            if original.expected.msg_id in answering:
                # the request it answers is in this pass, under this pass's id, in the bytes too
                assert item.expected.answers in ids
                assert str(item.expected.answers).encode() in item.data
    assert not {i.expected.msg_id for i in first} & {i.expected.msg_id for i in second}
