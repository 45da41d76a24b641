"""BatchRandom: one process draws what torch draws; N processes' rows join into one process's."""

import pytest
import torch

from facegan.randomness import BatchRandom


def ranks(seed: int, world: int, rows: list[torch.Tensor] | None = None) -> list[BatchRandom]:
    gather = (lambda _: torch.cat(rows)) if rows is not None else (lambda t: t)
    return [BatchRandom(torch.Generator().manual_seed(seed), rank, world, gather=gather)
            for rank in range(world)]


def test_one_process_draws_exactly_what_torch_draws():
    random = BatchRandom.seeded(3)
    g = torch.Generator().manual_seed(3)
    assert torch.equal(random.randn(4, 2), torch.randn(4, 2, generator=g))
    assert torch.equal(random.rand(5), torch.rand(5, generator=g))
    assert torch.equal(random.randint(-2, 3, 6, 1, 1), torch.randint(-2, 3, (6, 1, 1), generator=g))
    labels = torch.arange(6)
    assert torch.equal(random.permuted(labels), labels[torch.randperm(6, generator=g)])


@pytest.mark.parametrize("world", [2, 4])
def test_the_processes_rows_make_the_one_process_draw(world):
    n = 8 // world
    single = BatchRandom.seeded(7)
    expected = [single.randn(8, 3), single.rand(8), single.randint(0, 10, 8)]
    parts = [[r.randn(n, 3), r.rand(n), r.randint(0, 10, n)] for r in ranks(7, world)]
    for i, draw in enumerate(expected):
        assert torch.equal(torch.cat([p[i] for p in parts]), draw)


def test_labels_are_shuffled_over_the_global_batch():
    labels = torch.arange(8) * 10
    expected = BatchRandom.seeded(1).permuted(labels)
    rows = list(labels.chunk(2))
    parts = [r.permuted(rows[r.rank]) for r in ranks(1, 2, rows)]
    assert torch.equal(torch.cat(parts), expected)
    assert sorted(expected.tolist()) == labels.tolist()  # other ranks' labels are drawn too


def test_several_processes_need_a_gather():
    with pytest.raises(ValueError, match="gather"):
        BatchRandom(torch.Generator(), 0, 2)
