"""Tests of digitkit.scheduler against closed-form values. They also pass with KERAS_BACKEND=jax."""

import math

import numpy as np
import pytest
from keras import ops

from digitkit.scheduler import DDIMScheduler, cosine_alpha_bar


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


def test_cosine_schedule_endpoints_and_monotonicity():
    ab = cosine_alpha_bar(500)
    assert ab.shape == (500,) and ab.dtype == np.float32
    assert np.all(np.diff(ab) < 0)
    # alpha_bar[t] = f(t + 1) / f(0) with f(t) = cos^2((t / T + s) / (1 + s) * pi / 2) while no beta is clipped.
    f = lambda t: math.cos((t / 500 + 0.008) / 1.008 * math.pi / 2) ** 2  # noqa: E731
    for t in (0, 100, 249, 400):
        assert ab[t] == pytest.approx(f(t + 1) / f(0), rel=1e-5)
    assert 0.9999 < ab[0] < 1.0
    assert ab[-1] < 1e-4
    assert abs(ab[249] - 0.5) < 0.02  # half way, half of the signal variance is left (up to the offset s)


@pytest.mark.parametrize("timesteps", [1, 2.5, True, "500"])
def test_cosine_schedule_rejects_bad_lengths(timesteps):
    with pytest.raises((ValueError, TypeError), match="timesteps"):
        cosine_alpha_bar(timesteps)


def test_alpha_bar_at_gathers_and_gives_one_after_the_last_step():
    s = DDIMScheduler(50)
    got = _np(s.alpha_bar_at(np.array([0, 7, 49, -1])))
    assert got.shape == (4, 1, 1, 1)
    np.testing.assert_array_equal(got.reshape(-1), [s.alpha_bar[0], s.alpha_bar[7], s.alpha_bar[49], 1.0])


def test_add_noise_and_velocity_are_the_exact_formulas():
    s = DDIMScheduler(500)
    rng = np.random.default_rng(0)
    x0 = rng.uniform(-1, 1, (3, 28, 28, 1)).astype("float32")
    noise = rng.standard_normal(x0.shape).astype("float32")
    t = np.array([0, 250, 499])
    ab = s.alpha_bar[t].reshape(-1, 1, 1, 1)
    np.testing.assert_allclose(_np(s.add_noise(x0, noise, t)), np.sqrt(ab) * x0 + np.sqrt(1 - ab) * noise, atol=1e-6)
    np.testing.assert_allclose(_np(s.velocity(x0, noise, t)), np.sqrt(ab) * noise - np.sqrt(1 - ab) * x0, atol=1e-6)
    # One int step broadcasts over the batch.
    np.testing.assert_allclose(_np(s.add_noise(x0, noise, 250)), _np(s.add_noise(x0, noise, np.full(3, 250))))


def test_the_true_v_gives_back_the_clean_digit_and_the_noise():
    s = DDIMScheduler(500)
    rng = np.random.default_rng(1)
    x0 = rng.uniform(-1, 1, (2, 28, 28, 1)).astype("float32")
    noise = rng.standard_normal(x0.shape).astype("float32")
    t = np.array([30, 420])
    x_t, v = s.add_noise(x0, noise, t), s.velocity(x0, noise, t)
    got_x0, got_noise = s.predict_x0_and_noise(v, t, x_t)
    np.testing.assert_allclose(_np(got_x0), x0, atol=1e-5)
    np.testing.assert_allclose(_np(got_noise), noise, atol=1e-5)
    # Clipped: x0 within [-clip, clip], the noise recomputed from it.
    clipped, eps = s.predict_x0_and_noise(v, t, 3 * _np(x_t), clip=1.0)
    assert _np(clipped).min() >= -1 and _np(clipped).max() <= 1
    ab = s.alpha_bar[t].reshape(-1, 1, 1, 1)
    np.testing.assert_allclose(_np(eps), (3 * _np(x_t) - np.sqrt(ab) * _np(clipped)) / np.sqrt(1 - ab), atol=1e-4)


def test_deterministic_step_is_the_closed_form_ddim_update():
    s = DDIMScheduler(500)
    rng = np.random.default_rng(2)
    x_t = rng.standard_normal((2, 28, 28, 1)).astype("float32")
    v = 0.3 * rng.standard_normal(x_t.shape).astype("float32")
    ab, ab_prev = float(s.alpha_bar[300]), float(s.alpha_bar[200])
    x0 = np.clip(math.sqrt(ab) * x_t - math.sqrt(1 - ab) * v, -1, 1)
    eps = (x_t - math.sqrt(ab) * x0) / math.sqrt(1 - ab)
    x_prev, got_x0 = s.step(v, 300, 200, x_t)
    np.testing.assert_allclose(_np(got_x0), x0, atol=1e-6)
    np.testing.assert_allclose(_np(x_prev), math.sqrt(ab_prev) * x0 + math.sqrt(1 - ab_prev) * eps, atol=1e-5)
    # After the last step (t_prev = -1) the sample is the predicted clean digit.
    last, last_x0 = s.step(v, 0, -1, x_t)
    np.testing.assert_allclose(_np(last), _np(last_x0), atol=1e-6)


def test_noisy_step_adds_sigma_times_the_noise():
    s = DDIMScheduler(500)
    rng = np.random.default_rng(3)
    x_t = rng.standard_normal((1, 28, 28, 1)).astype("float32")
    v = rng.standard_normal(x_t.shape).astype("float32") * 0.1
    noise = rng.standard_normal(x_t.shape).astype("float32")
    ab, ab_prev = float(s.alpha_bar[300]), float(s.alpha_bar[200])
    sigma = 0.5 * math.sqrt((1 - ab_prev) / (1 - ab) * (1 - ab / ab_prev))
    x0 = np.clip(math.sqrt(ab) * x_t - math.sqrt(1 - ab) * v, -1, 1)
    eps = (x_t - math.sqrt(ab) * x0) / math.sqrt(1 - ab)
    want = math.sqrt(ab_prev) * x0 + math.sqrt(1 - ab_prev - sigma**2) * eps + sigma * noise
    np.testing.assert_allclose(_np(s.step(v, 300, 200, x_t, eta=0.5, noise=noise)[0]), want, atol=1e-5)
    # eta given per image (as the compiled sampler passes it) gives the same.
    np.testing.assert_allclose(
        _np(s.step(v, np.array([300]), np.array([200]), x_t, eta=np.array([0.5], "float32"), noise=noise)[0]),
        want,
        atol=1e-5,
    )


def test_timesteps_for_n_steps():
    s = DDIMScheduler(50)
    assert s.timesteps(4).tolist() == [49, 33, 16, 0]
    assert s.timesteps(1).tolist() == [0]
    assert s.timesteps(50).tolist() == list(range(49, -1, -1))
    t = DDIMScheduler(500).timesteps(20)
    assert len(t) == 20 and t[0] == 499 and t[-1] == 0 and np.all(np.diff(t) < 0)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda s: s.timesteps(0), "Received: steps=0"),
        (lambda s: s.timesteps(51), "Received: steps=51"),
        (lambda s: s.timesteps(2.5), "Received: steps=2.5"),
        (lambda s: s.timesteps(True), "Received: steps=True"),
        (lambda s: s.step(np.zeros((1, 28, 28, 1)), 50, 10, np.zeros((1, 28, 28, 1))), "Received: t=50"),
        (lambda s: s.step(np.zeros((1, 28, 28, 1)), 10, -2, np.zeros((1, 28, 28, 1))), "Received: t_prev=-2"),
        (lambda s: s.step(np.zeros((1, 28, 28, 1)), 10, 10, np.zeros((1, 28, 28, 1))), "t_prev must be smaller"),
        (lambda s: s.step(np.zeros((1, 28, 28, 1)), 10, 5, np.zeros((1, 28, 28, 1)), eta=1.5), "Received: eta=1.5"),
        (lambda s: s.step(np.zeros((1, 28, 28, 1)), 10, 5, np.zeros((1, 28, 28, 1)), eta=0.5), "eta > 0 needs noise"),
        (lambda s: s.add_noise(np.zeros((1, 28, 28, 1)), np.zeros((1, 28, 28, 1)), -1), "Received: t=-1"),
    ],
)
def test_bad_arguments_raise_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call(DDIMScheduler(50))


def test_dpm_solver_first_and_last_steps_are_ddims_deterministic_step():
    s = DDIMScheduler(50)
    rng = np.random.default_rng(0)
    x, v = rng.standard_normal((2, 3, 28, 28, 1)).astype("float32")
    ddim, ddim_x0 = s.step(v, 30, 20, x)
    first, first_x0 = s.dpm_solver_step(v, 30, 20, x, x0_last=np.full_like(x, 9.0), t_last=30)  # no earlier step
    np.testing.assert_allclose(_np(first), _np(ddim), atol=1e-5)
    np.testing.assert_allclose(_np(first_x0), _np(ddim_x0), atol=1e-6)
    last, _ = s.dpm_solver_step(v, 5, -1, x, x0_last=np.full_like(x, 9.0), t_last=10)  # lower order at the end
    np.testing.assert_allclose(_np(last), _np(s.step(v, 5, -1, x)[0]), atol=1e-6)


def test_dpm_solver_second_order_step_is_the_papers_formula():
    s = DDIMScheduler(50, clip_sample=None)
    rng = np.random.default_rng(1)
    x, v, x0_last = rng.standard_normal((3, 2, 28, 28, 1)).astype("float32")
    t_last, t, t_prev = 40, 30, 20
    ab = s.alpha_bar.astype("float64")
    alpha, sigma = np.sqrt(ab), np.sqrt(1 - ab)
    lam = np.log(alpha / sigma)
    x0 = alpha[t] * x - sigma[t] * v
    h, h_last = lam[t_prev] - lam[t], lam[t] - lam[t_last]
    d = (1 + 1 / (2 * h_last / h)) * x0 - 1 / (2 * h_last / h) * x0_last
    expected = sigma[t_prev] / sigma[t] * x - alpha[t_prev] * (np.exp(-h) - 1) * d
    got, got_x0 = s.dpm_solver_step(v, t, t_prev, x, x0_last=x0_last, t_last=t_last)
    np.testing.assert_allclose(_np(got_x0), x0, atol=1e-5)
    np.testing.assert_allclose(_np(got), expected, atol=1e-4)


def _solve_gaussian_ode(scheduler, steps, solver, spread=0.5):
    """Sample data N(0, spread^2) per pixel with its exact denoiser; return (result, the exact ODE end)."""
    ab = scheduler.alpha_bar.astype("float64")
    x = np.random.default_rng(2).standard_normal((4, 28, 28, 1))
    timesteps = scheduler.timesteps(steps)
    start = x * 1.0
    x0_last, t_last = np.zeros_like(x), int(timesteps[0])
    for t, t_prev in zip(timesteps, list(timesteps[1:]) + [-1]):
        a, s = math.sqrt(ab[t]), math.sqrt(1 - ab[t])
        x0_hat = a * spread**2 * x / (a**2 * spread**2 + s**2)  # E[x0 | x_t] for Gaussian data
        v = a * (x - a * x0_hat) / s - s * x0_hat
        v32, x32 = v.astype("float32"), x.astype("float32")
        if solver == "ddim":
            x, x0_last = (_np(out).astype("float64") for out in scheduler.step(v32, int(t), int(t_prev), x32))
        else:
            out = scheduler.dpm_solver_step(v32, int(t), int(t_prev), x32, x0_last.astype("float32"), t_last)
            x, x0_last = (_np(o).astype("float64") for o in out)
        t_last = int(t)
    t0 = timesteps[0]
    exact = start * spread / math.sqrt(ab[t0] * spread**2 + 1 - ab[t0])  # the flow ODE only rescales here
    return x, exact


def test_dpm_solver_converges_at_second_order_and_ddim_at_first():
    # Gaussian data, whose denoiser and flow-ODE solution are exact: doubling the steps halves
    # DDIM's error (first order) and quarters DPM-Solver++(2M)'s (second order). At 10-20 steps
    # on this schedule the second-order solver is not always the closer one (here it is not at 10);
    # benchmarks/eval_ddim_sampling.py measures what matters, the digits.
    s = DDIMScheduler(500, clip_sample=None)
    errors = {}
    for solver in ("ddim", "dpm++2m"):
        for steps in (50, 100, 200):
            result, exact = _solve_gaussian_ode(s, steps, solver)
            errors[solver, steps] = float(np.abs(result - exact).max())
    for fewer, more in ((50, 100), (100, 200)):
        assert 1.6 < errors["ddim", fewer] / errors["ddim", more] < 2.5, errors
        assert errors["dpm++2m", fewer] / errors["dpm++2m", more] > 3.2, errors
    assert errors["dpm++2m", 50] < errors["ddim", 50] / 2, errors
