import pytest

from digitkit import checks, seeding


def test_check_positive_names_the_bad_value():
    checks.check_positive(a=1, b=0.5)
    with pytest.raises(ValueError, match="b must be positive. Received: b=0"):
        checks.check_positive(a=1, b=0)
    with pytest.raises(ValueError, match="Received: c=None"):
        checks.check_positive(c=None)


@pytest.mark.parametrize("bad", [0, 1.5, True, None])
def test_check_whole_refuses_fractions_bools_and_small_numbers(bad):
    with pytest.raises(ValueError, match=f"Received: n={bad!r}"):
        checks.check_whole(n=bad)


def test_check_whole_accepts_whole_numbers_from_the_minimum():
    checks.check_whole(n=3, m=1.0)
    checks.check_whole(0, n=0)


def test_layer_seeds_differ_per_layer_and_stay_none_without_a_seed():
    assert seeding.layer_seed(0, 1) != seeding.layer_seed(0, 2) != seeding.layer_seed(1, 1)
    assert seeding.layer_seed(None, 3) is None
    assert seeding.initializer(2, 5).seed == seeding.layer_seed(2, 5)


def test_check_filters_gives_a_tuple_of_two_positive_whole_numbers():
    assert checks.check_filters([128, 64]) == (128, 64)
    for bad in [(64,), (64, 0), (64, 32.0), (True, 4), "64,32", None]:
        with pytest.raises(ValueError, match="filters must be two positive whole numbers"):
            checks.check_filters(bad)
