import imageio.v3 as iio
import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from digitkit import viz


def test_tile_places_images_in_rows():
    images = np.stack([np.full((28, 28), i / 20) for i in range(12)])
    out = viz.tile(images, ncols=5, pad=1)
    assert out.shape == (3 * 29 + 1, 5 * 29 + 1)
    assert out[1 + 29 + 5, 1 + 2 * 29 + 5] == pytest.approx(0.35)  # row 1, column 2 is image 7


def test_image_grid_returns_a_titled_figure():
    fig = viz.image_grid(np.zeros((6, 28, 28, 1)), titles=list("abcdef"), ncols=3)
    assert isinstance(fig, Figure)
    assert [ax.get_title() for ax in fig.axes] == list("abcdef")


def test_image_grid_shows_images_of_different_sizes_side_by_side():
    fig = viz.image_grid([np.zeros((300, 300), np.uint8), np.ones((28, 28))], ncols=2)
    assert [ax.images[0].get_array().shape for ax in fig.axes] == [(300, 300), (28, 28)]


def test_image_grid_rejects_a_wrong_shape():
    with pytest.raises(ValueError, match="Received: shape"):
        viz.image_grid(np.zeros((2, 3, 28, 28, 1)))


def test_save_gif_loops_with_the_right_frame_count(tmp_path):
    frames = [np.full((10, 10), i / 4) for i in range(5)]
    path = viz.save_gif(frames, tmp_path / "sub" / "run.gif", hold_last=2, scale=2)
    with Image.open(path) as gif:
        assert gif.n_frames == 5
        assert gif.info.get("loop") == 0
        durations = []
        for i in range(gif.n_frames):
            gif.seek(i)
            durations.append(gif.info["duration"])
    assert durations[-1] == 3 * durations[0]
    assert iio.imread(path, index=0).shape[:2] == (20, 20)
    frames_back = viz.read_gif(path)
    assert len(frames_back) == 5 and frames_back[0].dtype == np.uint8 and frames_back[0].shape == (20, 20)
    assert frames_back[0].max() < frames_back[-1].min()  # 0 then 1: the frames come back in order
    single = viz.save_gif([np.ones((4, 4))], tmp_path / "one.gif")  # e.g. after one epoch
    assert iio.imread(single, index=0).shape[:2] == (12, 12)
    with pytest.raises(ValueError, match="at least one frame"):
        viz.save_gif([], tmp_path / "empty.gif")


def test_probability_chart_highlights_the_winner():
    p = np.full(10, 0.02)
    p[7] = 0.82
    fig = viz.plot_probabilities(p)
    bars = fig.axes[0].patches
    assert len(bars) == 10 and bars[7].get_height() == pytest.approx(0.82)
    assert bars[7].get_facecolor() != bars[0].get_facecolor()
    with pytest.raises(ValueError, match="10 probabilities"):
        viz.plot_probabilities(np.ones(3))


def test_history_confusion_and_first_layer_figures():
    fig = viz.plot_history({"loss": [2, 1], "val_loss": [2.5, 1.5], "accuracy": [0.5, 0.7]})
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 2
    cm = np.eye(10, dtype=int) * 5
    cm[3, 8] = 2
    ax = viz.plot_confusion(cm).axes[0]
    np.testing.assert_array_equal(ax.images[0].get_array(), np.where(np.eye(10), 0, cm))  # mistakes coloured
    assert [t.get_text() for t in ax.texts][3 * 10 + 8] == "2" and len(ax.texts) == 100  # every count written
    assert len(viz.plot_first_layer(np.zeros((784, 128)), n=16, ncols=8).axes) == 16


def test_progress_bar_ticks_once_per_epoch():
    callback = viz.progress_bar(3)
    callback.on_epoch_end(0, {"loss": 0.5, "accuracy": 0.9})
    callback.on_epoch_end(1, {"loss": 0.25})
    assert callback.bar.value == 2 and callback.bar.max == 3
    assert callback.label.value == "epoch 2/3: loss 0.2500"


def test_output_area_shows_a_message_for_bad_input(capsys):
    output, show = viz.output_area()

    def bad_digits():
        raise ValueError("digits must be 0-9. Received: digits='12a'")

    show(bad_digits)  # outside a kernel, the Output widget lets prints through
    assert "Received: digits='12a'" in capsys.readouterr().out
    with pytest.raises(ZeroDivisionError):  # only bad input is turned into a message
        show(lambda: 1 / 0)


@pytest.fixture(scope="module")
def tiny_ddim():
    from digitkit import diffusion

    return diffusion.DiffusionModel(timesteps=50, channels=(8, 16), embed_dim=16, groups=4, seed=0)


def _bar_digit():
    image = np.zeros((28, 28), "float32")
    image[4:24, 12:16] = 1.0
    return image


def test_schedule_figure_plots_signal_and_noise_weights(tiny_ddim):
    fig = viz.plot_schedule(tiny_ddim.alpha_bar)
    signal, noise = fig.axes[0].lines
    np.testing.assert_allclose(signal.get_ydata(), np.sqrt(tiny_ddim.alpha_bar))
    np.testing.assert_allclose(noise.get_ydata(), np.sqrt(1 - tiny_ddim.alpha_bar))
    assert fig.axes[0].get_title() == "Cosine schedule, T = 50"


def test_forward_figure_goes_from_the_digit_to_noise(tiny_ddim):
    image = _bar_digit()
    fig = viz.plot_forward(tiny_ddim, image, steps=(0, 10, 49))
    assert [ax.get_title() for ax in fig.axes] == [f"t={t}\nᾱ={tiny_ddim.alpha_bar[t]:.2f}" for t in (0, 10, 49)]
    first, last = (ax.images[0].get_array() for ax in (fig.axes[0], fig.axes[2]))
    assert np.abs(first - image).max() < 0.1  # t=0: still the digit (noise sd 0.02 at T = 50)
    assert np.corrcoef(last.ravel(), image.ravel())[0, 1] < 0.2  # t=T-1: the digit is gone
    with pytest.raises(ValueError, match="steps must lie"):
        viz.forward_images(tiny_ddim, image, [50])


def test_denoise_figure_shows_the_five_panels(tiny_ddim):
    image = _bar_digit()
    fig = viz.plot_denoise(tiny_ddim, image, 3, t=20)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[:3] == ["clean x_0", "x_t (t=20)", "true noise"] and titles[4] == "predicted x_0"
    assert titles[3].startswith("predicted noise\nRMS error ")
    np.testing.assert_allclose(fig.axes[0].images[0].get_array(), image)


def test_trajectory_figure_keeps_first_and_last_steps():
    steps = 20
    trajectory = dict(
        x_t=np.linspace(0, 1, steps + 1)[:, None, None, None] * np.ones((steps + 1, 2, 28, 28)),
        x0=np.zeros((steps + 1, 2, 28, 28)),
        t=np.append(np.arange(steps)[::-1] * 25, -1),
    )
    fig = viz.plot_trajectory(trajectory, index=1, max_columns=6)
    titles = [ax.get_title() for ax in fig.axes]
    assert len(fig.axes) == 12 and titles[0] == "t=475" and titles[5] == "result" and titles[6] == "predicted x_0"
    assert fig.axes[0].images[0].get_array().max() == 0 and fig.axes[5].images[0].get_array().min() == 1


def test_quality_figure_draws_rows_and_the_reference():
    rows = [
        dict(steps=5, accuracy=0.9, frechet=3.0, seconds_per_100=1.0),
        dict(steps=10, accuracy=0.95, frechet=2.0, seconds_per_100=2.0),
    ]
    fig = viz.plot_quality(rows, reference=dict(class_accuracy=0.97, frechet=2.5))
    accuracy, frechet, seconds = fig.axes
    assert list(accuracy.lines[0].get_ydata()) == [0.9, 0.95] and list(seconds.lines[0].get_ydata()) == [1.0, 2.0]
    assert list(frechet.lines[1].get_ydata()) == [2.5, 2.5]  # the dashed reference
    assert len(seconds.lines) == 1  # no reference for the time
    fig.canvas.draw()
    for ax in fig.axes:  # the step counts label the log axis, and nothing else does
        assert [t.get_text() for t in ax.get_xticklabels()] == ["5", "10"]
        assert [t.get_text() for t in ax.get_xticklabels(minor=True)] == []
