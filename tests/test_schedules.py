import pytest

from digitkit import schedules


def test_staged_cosine_warms_up_peaks_and_restarts():
    schedule = schedules.staged_cosine(1000, stages=((1, 1e-3), (1, 5e-4)), warmup=100)
    lr = lambda step: float(schedule(step))  # noqa: E731
    assert lr(0) == 0.0 and lr(50) == pytest.approx(5e-4) and lr(100) == pytest.approx(1e-3)
    assert lr(499) < 1e-5  # decayed to about 0 at the end of the first stage
    assert lr(500) == 0.0 and lr(600) == pytest.approx(5e-4)  # restart: warm-up to the second peak
    assert lr(1000) < 1e-9
