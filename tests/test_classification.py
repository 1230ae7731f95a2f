"""Class breaks: our vectorised Fisher-Jenks equals mapclassify's, and small inputs degrade gracefully."""
import mapclassify
import numpy as np
import pytest

from layers.base import class_breaks, class_of


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fisher_jenks_equals_mapclassify(seed):
    values = np.random.default_rng(seed).lognormal(15, 1.2, 300)
    assert class_breaks(values, "natural_breaks") == pytest.approx(sorted(mapclassify.FisherJenks(values, k=5).bins))


@pytest.mark.parametrize("values, breaks", [([], []), ([3, 3, 3], [3.0]), ([1, 2, 2, 5], [1.0, 2.0, 5.0])])
def test_few_distinct_values_give_one_class_each(values, breaks):
    assert class_breaks(values, "natural_breaks") == breaks == class_breaks(values, "quantiles")


def test_class_of_uses_upper_bounds():
    breaks = [10.0, 20.0, 30.0]
    assert [class_of(v, breaks) for v in (0, 10, 10.5, 20, 30, None)] == [0, 0, 1, 1, 2, None]
