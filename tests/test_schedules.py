import pytest

from digitkit import schedules


def test_staged_cosine_warms_up_peaks_and_restarts():
    schedule = schedules.staged_cosine(1000, stages=((1, 1e-3), (1, 5e-4)), warmup=100)
    lr = lambda step: float(schedule(step))  # noqa: E731
    assert lr(0) == 0.0 and lr(50) == pytest.approx(5e-4) and lr(100) == pytest.approx(1e-3)
    assert lr(499) < 1e-5  # decayed to about 0 at the end of the first stage
    assert lr(500) == 0.0 and lr(600) == pytest.approx(5e-4)  # restart: warm-up to the second peak
    assert lr(1000) < 1e-9


def test_linear_decay_holds_then_falls_to_zero():
    schedule = schedules.linear_decay(300, peak=2e-4, decay_from=2 / 3)
    lr = lambda step: float(schedule(step))  # noqa: E731
    assert (schedule.start, schedule.end) == (200, 300)
    assert lr(0) == lr(199) == lr(200) == pytest.approx(2e-4)
    assert lr(250) == pytest.approx(1e-4) and lr(300) == 0.0 and lr(400) == 0.0
    assert schedules.linear_decay(1, 1e-3, 0.9).start == 0  # a one-step run still decays


@pytest.mark.parametrize("decay_from", [1, 1.5, -0.1, True, "2/3"])
def test_linear_decay_rejects_a_fraction_outside_the_run(decay_from):
    with pytest.raises(ValueError, match="decay_from"):
        schedules.linear_decay(100, 1e-3, decay_from)
