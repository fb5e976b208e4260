"""Tests of digitkit.unet. They also pass with KERAS_BACKEND=jax."""

import math

import keras
import numpy as np
import pytest
from keras import ops

from digitkit import unet


def test_sinusoidal_embedding_is_the_transformer_code():
    layer = unet.SinusoidalEmbedding(8, max_period=10000.0)
    got = ops.convert_to_numpy(layer(np.array([0.0, 3.0], "float32")))
    frequencies = [math.exp(-math.log(10000.0) * i / 4) for i in range(4)]
    want = [[math.sin(t * f) for f in frequencies] + [math.cos(t * f) for f in frequencies] for t in (0.0, 3.0)]
    np.testing.assert_allclose(got, want, atol=1e-5)
    again = unet.SinusoidalEmbedding.from_config(layer.get_config())
    assert (again.dim, again.max_period) == (8, 10000.0)
    with pytest.raises(ValueError, match="Received: dim=7"):
        unet.SinusoidalEmbedding(7)


def test_unet_maps_a_batch_to_its_shape_and_depends_on_step_and_label():
    model = unet.build_unet(channels=(8, 16), embed_dim=16, groups=4)
    assert [i.name for i in model.inputs] == ["x_t", "t", "label"]
    out = model.get_layer("out")
    out.kernel.assign(np.random.default_rng(0).normal(0, 0.1, out.kernel.shape).astype("float32"))  # zero at init
    x = np.random.default_rng(1).standard_normal((2, 28, 28, 1)).astype("float32")
    a = ops.convert_to_numpy(model([x, np.array([5.0, 5.0]), np.array([1, 1])]))
    b = ops.convert_to_numpy(model([x, np.array([5.0, 40.0]), np.array([1, 1])]))
    c = ops.convert_to_numpy(model([x, np.array([5.0, 5.0]), np.array([1, 10])]))
    assert a.shape == (2, 28, 28, 1)
    np.testing.assert_allclose(a[0], b[0], atol=1e-6)  # images do not mix across the batch
    assert np.abs(a[1] - b[1]).max() > 1e-4  # the step matters ...
    assert np.abs(a[1] - c[1]).max() > 1e-4  # ... and so does the label (10: "no label")


def test_unet_layer_names_match_the_shipped_weights():
    model = unet.build_unet(channels=(16, 32, 64), embed_dim=128)
    names = {layer.name for layer in model.layers}
    for name in (
        "stem",
        "down0_0_conv1",
        "down2_0_emb",
        "middle_conv2",
        "up0_0_skip",
        "upsample1",
        "out_norm",
        "out",
        "step_mlp1",
        "label_embedding",
        "downsample1",
    ):
        assert name in names
    assert model.count_params() == 414561


def test_forward_flops_counts_conv_and_dense_multiply_adds():
    x = keras.Input((28, 28, 1))
    h = keras.layers.Conv2D(4, 3, padding="same")(x)
    h = keras.layers.Conv2D(6, 3, strides=2, padding="same")(h)
    out = keras.layers.Dense(5)(keras.layers.Flatten()(h))
    model = keras.Model(x, out)
    want = 2 * (28 * 28 * 9 * 1 * 4 + 14 * 14 * 9 * 4 * 6 + 14 * 14 * 6 * 5)
    assert unet.forward_flops(model) == want
    tokens = keras.Input((49, 8))
    attended = keras.Model(tokens, keras.layers.MultiHeadAttention(2, 4)(tokens, tokens))
    # queries, keys, values (3 x 49 x 8 x 8), scores and weighted sum (2 x 49 x 49 x 8), output (49 x 8 x 8)
    assert unet.forward_flops(attended) == 2 * (3 * 49 * 64 + 2 * 49 * 49 * 8 + 49 * 64)
    # The shipped U-Net: about 77 MFLOPs per image and pass.
    assert 75e6 < unet.forward_flops(unet.build_unet(channels=(16, 32, 64), embed_dim=128)) < 80e6


def test_attention_lets_a_pixel_see_the_far_corner():
    x = keras.Input((7, 7, 8))
    block = keras.Model(x, unet.attention_block(x, groups=4, name="a", heads=2))
    h = np.random.default_rng(0).standard_normal((1, 7, 7, 8)).astype("float32")
    # Swap two channels of one group at the top-left pixel: the group's mean and variance, and so the
    # normalisation of every other pixel, stay the same; only attention carries the change across the map.
    moved = h.copy()
    moved[0, 0, 0, [0, 1]] = h[0, 0, 0, [1, 0]]
    a, b = (ops.convert_to_numpy(block(v)) for v in (h, moved))
    assert np.abs(a[0, 6, 6] - b[0, 6, 6]).max() > 1e-4  # a 3x3 convolution or a per-pixel layer would not
    # The same block with the attention's output projection zeroed changes nothing far away:
    (projection,) = [w for w in block.get_layer("a_attention").weights if w.path.endswith("attention_output/kernel")]
    projection.assign(np.zeros(projection.shape, "float32"))
    a, b = (ops.convert_to_numpy(block(v)) for v in (h, moved))
    np.testing.assert_allclose(a[0, 6, 6], b[0, 6, 6], atol=1e-6)
    with_attention = unet.build_unet(channels=(8, 16, 32), embed_dim=16, groups=4, attention=True)
    assert with_attention.get_layer("middle_attention_attention").output.shape == (None, 49, 32)  # at 7x7
    plain = unet.build_unet(channels=(8, 16, 32), embed_dim=16, groups=4)
    assert with_attention.count_params() > plain.count_params()
    assert unet.forward_flops(with_attention) > unet.forward_flops(plain)


def test_scale_shift_multiplies_and_adds_per_channel():
    h = np.arange(2 * 2 * 2 * 3, dtype="float32").reshape(2, 2, 2, 3)
    embedding = np.array([[1.0, 0.0, -1.0, 5.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 2.0]], "float32")
    got = ops.convert_to_numpy(unet.ScaleShift()(h, embedding))
    want = h.copy()
    want[0] = h[0] * np.array([2.0, 1.0, 0.0]) + np.array([5.0, 0.0, 0.0])  # scale (1, 0, -1), shift (5, 0, 0)
    want[1] = h[1] + np.array([0.0, 0.0, 2.0])
    np.testing.assert_allclose(got, want)


def test_scale_shift_blocks_start_blind_to_the_label():
    model = unet.build_unet(channels=(8, 16), embed_dim=16, groups=4, scale_shift=True, seed=0)
    x = np.random.default_rng(0).standard_normal((2, 28, 28, 1)).astype("float32")
    out = model.get_layer("out")
    out.kernel.assign(np.random.default_rng(1).standard_normal(out.kernel.shape).astype("float32"))

    def predict(labels):
        return ops.convert_to_numpy(model([x, np.array([100.0, 100.0], "float32"), np.array(labels, "int32")]))

    # The embedding's layers start at zero: the step and the label change nothing yet (no scale, no shift).
    np.testing.assert_allclose(predict([3, 3]), predict([7, 10]), atol=1e-6)
    emb = model.get_layer("down0_0_emb")
    assert emb.kernel.shape == (16, 16)  # a scale and a shift for each of the block's 8 channels
    emb.kernel.assign(np.random.default_rng(2).standard_normal(emb.kernel.shape).astype("float32"))
    a, b = predict([3, 3]), predict([7, 10])
    assert np.abs(a - b).max() > 1e-3
    plain = unet.build_unet(channels=(8, 16), embed_dim=16, groups=4)
    # Each block's embedding layer is twice as wide: 17 more weights (16 inputs and a bias) per channel,
    # in the five blocks of widths 8, 16, 16 (the middle), 16 and 8.
    assert model.count_params() - plain.count_params() == 17 * (8 + 16 + 16 + 16 + 8)


def test_the_seed_fixes_every_initial_weight():
    def weights(seed):
        model = unet.build_unet(channels=(8, 16), embed_dim=16, groups=4, seed=seed)
        return [keras.ops.convert_to_numpy(w) for w in model.weights]

    first, again, other = weights(3), weights(3), weights(4)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    kernels = [(a, b) for a, b in zip(first, other) if a.ndim > 1 and a.std() > 0]
    assert kernels and all(not np.array_equal(a, b) for a, b in kernels)
