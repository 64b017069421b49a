"""A packed row holds exactly what each label's whole prompt holds: the invariant the shared pass rests on."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pytest_llmeval.backends.packing import SHARED, common_length, pack, sees

prompts = st.lists(st.lists(st.integers(0, 5), min_size=1, max_size=12), min_size=1, max_size=5)


@given(prompts)
def test_every_prediction_sees_exactly_its_prompts_prefix(rows: list[list[int]]) -> None:
    row = pack(rows)
    for label, prompt in enumerate(rows):
        for target in range(1, len(prompt)):
            at = row.logit_at(label, target)
            # The predicting token is the prompt's token before the target, at that token's position…
            assert row.ids[at] == prompt[target - 1]
            assert row.positions[at] == target - 1
            # …and it sees the prompt's tokens before it, in order, and nothing else.
            seen = [key for key in range(len(row.ids)) if sees(row.owner, at, key)]
            assert [row.ids[key] for key in seen] == prompt[:target]
            assert [row.positions[key] for key in seen] == list(range(target))


@given(prompts)
def test_the_shared_part_runs_once(rows: list[list[int]]) -> None:
    row = pack(rows)
    shared = common_length(rows)
    assert row.owner[:shared] == (SHARED,) * shared
    assert len(row.ids) == shared + sum(max(len(p) - 1 - shared, 0) for p in rows)


def test_labels_differing_in_their_last_token_add_nothing() -> None:
    row = pack([[1, 7, 8, 9, 30], [1, 7, 8, 9, 31], [1, 7, 8, 9, 32]])
    assert row.ids == (1, 7, 8, 9)
    assert [row.logit_at(k, 4) for k in range(3)] == [3, 3, 3]


def test_a_merge_at_the_boundary_ends_the_shared_part_before_it() -> None:
    # "…Answer: \n" + "Paris" may tokenize the newline into the option's first token: the prompts then differ
    # from that token on, and the shared part stops there.
    row = pack([[1, 5, 6, 40, 41], [1, 5, 6, 42, 43, 44]])
    assert row.shared == 3
    assert row.ids == (1, 5, 6, 40, 42, 43)
    assert row.positions == (0, 1, 2, 3, 3, 4)
