import keras
import numpy as np
import pytest

from digitkit import classifier


def test_dense_classifier_is_the_earlier_projects_model():
    model = classifier.build_dense_classifier()
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    assert [d.units for d in dense] == [128, 64, 10]
    assert [d.activation.__name__ for d in dense] == ["relu", "relu", "softmax"]
    assert model.count_params() == 784 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10
    out = model(np.zeros((3, 28, 28, 1), "float32"))
    assert out.shape == (3, 10)
    np.testing.assert_allclose(np.asarray(out).sum(axis=1), 1.0, rtol=1e-5)


def test_judge_has_a_features_layer_and_probabilities():
    judge = classifier.build_judge()
    assert judge.get_layer("features").units == 128
    out = np.asarray(judge(np.random.default_rng(0).uniform(0, 1, (2, 28, 28, 1)).astype("float32")))
    assert out.shape == (2, 10) and (out >= 0).all()
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("build", [classifier.build_dense_classifier, classifier.build_judge])
def test_same_seed_same_initial_weights(build):
    a, b, c = build(seed=1), build(seed=1), build(seed=2)
    np.testing.assert_array_equal(a.get_weights()[0], b.get_weights()[0])
    assert not np.array_equal(a.get_weights()[0], c.get_weights()[0])


def test_bad_arguments_raise_clear_errors():
    with pytest.raises(ValueError, match="Received: dropout=1.5"):
        classifier.build_dense_classifier(dropout=1.5)
    with pytest.raises(ValueError, match="Received: probability=2"):
        classifier.RandomStrokeWidth(probability=2)
    with pytest.raises(ValueError, match="Received: kind='blurred'"):
        classifier.distort(np.zeros((1, 28, 28, 1)), "blurred")


def test_stroke_width_changes_ink_only_in_training(test_digits):
    x, _ = test_digits
    layer = classifier.RandomStrokeWidth(probability=1.0, seed=1)
    assert np.array_equal(np.asarray(layer(x, training=False)), x)
    ink = np.asarray(layer(x, training=True)).sum(axis=(1, 2, 3))
    before = x.sum(axis=(1, 2, 3))
    assert (ink > before * 1.2).any() and (ink < before * 0.8).any()
    restored = classifier.RandomStrokeWidth.from_config(layer.get_config())
    assert restored.probability == 1.0 and restored.seed == 1


def test_training_learns_on_a_small_subset(mnist):
    (x, y), (xt, yt) = mnist
    x, xt = x[:2000, ..., None] / 255.0, xt[:500, ..., None] / 255.0
    model = classifier.build_dense_classifier()
    history = classifier.train_classifier(model, x, y[:2000], epochs=3, augment=dict(rotation=0.02), verbose=0, seed=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert classifier.evaluate_classifier(model, xt, yt[:500])["accuracy"] > 0.5  # chance is 0.1


def test_evaluate_classifier_counts_a_known_confusion():
    class Constant:  # predicts 3 for everything
        def predict(self, x, batch_size=None, verbose=0):
            return np.eye(10)[np.full(len(x), 3)]

    labels = np.array([3, 3, 1, 7])
    result = classifier.evaluate_classifier(Constant(), np.zeros((4, 28, 28)), labels)
    assert result["accuracy"] == 0.5
    assert result["confusion"][1, 3] == 1 and result["confusion"][3, 3] == 2
    assert result["per_class"][3] == 1.0 and result["per_class"][7] == 0.0


@pytest.mark.parametrize("kind", ["shifted", "rotated", "thick", "thin"])
def test_distortions_change_the_images_but_keep_shape(test_digits, kind):
    x, _ = test_digits
    out = classifier.distort(x[:10], kind, seed=0)
    assert out.shape == x[:10].shape and 0 <= out.min() and out.max() <= 1
    assert not np.allclose(out, x[:10])
    assert np.array_equal(out, classifier.distort(x[:10], kind, seed=0))


def test_robustness_table_has_a_row_per_distortion(test_digits):
    x, y = test_digits
    model = classifier.build_dense_classifier()
    table = classifier.robustness_table({"untrained": model}, x[:20], y[:20])
    assert list(table.index) == list(classifier.DISTORTIONS) and list(table.columns) == ["untrained"]
    for kind in ("original", "thick"):
        expected = classifier.evaluate_classifier(model, classifier.distort(x[:20], kind), y[:20])["accuracy"]
        assert table.loc[kind, "untrained"] == expected
