"""The denoising U-Net: the step's sinusoidal code, residual blocks, and `build_unet`.

Taught in notebooks/04_diffusion.ipynb. The network only predicts (``v`` from a noisy digit, its
step and its label); the schedule and the step math live in `digitkit.scheduler`, the model that
trains it in `digitkit.diffusion`. The layer names are those of the shipped ``ddim`` weights.
"""

import itertools
import math

import keras
from keras import layers, ops

from digitkit import seeding
from digitkit.data import IMAGE_SHAPE


@keras.saving.register_keras_serializable(package="digitkit")
class SinusoidalEmbedding(layers.Layer):
    """The Transformer's sine/cosine code of a (time)step number.

    Args:
        dim: width of the embedding (even).
        max_period: the slowest wavelength.
    """

    def __init__(self, dim=128, max_period=10000.0, **kwargs):
        super().__init__(**kwargs)
        if dim % 2:
            raise ValueError(f"dim must be even. Received: dim={dim}")
        self.dim = dim
        self.max_period = max_period

    def call(self, t):
        half = self.dim // 2
        frequencies = ops.exp(-math.log(self.max_period) * ops.arange(half, dtype="float32") / half)
        angles = ops.cast(ops.reshape(t, (-1, 1)), "float32") * frequencies[None, :]
        return ops.concatenate([ops.sin(angles), ops.cos(angles)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.dim)

    def get_config(self):
        return {**super().get_config(), "dim": self.dim, "max_period": self.max_period}


@keras.saving.register_keras_serializable(package="digitkit")
class ScaleShift(layers.Layer):
    """``h * (1 + scale) + shift``, the scale and shift the two halves of an embedding (N, 2C), per channel."""

    def call(self, h, embedding):
        scale, shift = ops.split(embedding, 2, axis=-1)
        return h * (1.0 + scale[:, None, None, :]) + shift[:, None, None, :]

    def compute_output_shape(self, h_shape, embedding_shape):
        return h_shape


def residual_block(h, emb, channels, groups, name, scale_shift=False, init=lambda: "glorot_uniform"):
    """GroupNorm-swish-conv twice, the step+label embedding in between, plus a skip connection.

    Args:
        h: the feature map (a symbolic tensor); emb: the step+label embedding (N, embed_dim).
        channels: output width; groups: of the GroupNormalization layers.
        name: prefix of the block's layer names (``{name}_conv1`` ...).
        scale_shift: how the embedding enters. False (the shipped weights): added to the
            features after the first convolution. True: it scales and shifts the normalised
            features before the second (`ScaleShift`; "adaptive group normalization" of
            Dhariwal & Nichol, 2021), so the step and the label can also turn channels up or
            down, not only move them; starts as no change (zero-initialised).
        init: gives each new layer its kernel initializer (`build_unet` seeds them).
    """
    skip = (
        h if h.shape[-1] == channels else layers.Conv2D(channels, 1, name=f"{name}_skip", kernel_initializer=init())(h)
    )
    h = layers.GroupNormalization(groups, name=f"{name}_norm1")(h)
    h = layers.Activation("swish")(h)
    h = layers.Conv2D(channels, 3, padding="same", name=f"{name}_conv1", kernel_initializer=init())(h)
    if scale_shift:
        e = layers.Dense(2 * channels, name=f"{name}_emb", kernel_initializer="zeros")(emb)
        h = layers.GroupNormalization(groups, name=f"{name}_norm2")(h)
        h = ScaleShift(name=f"{name}_scale_shift")(h, e)
    else:
        e = layers.Dense(channels, name=f"{name}_emb", kernel_initializer=init())(emb)
        h = layers.Add()([h, layers.Reshape((1, 1, channels))(e)])
        h = layers.GroupNormalization(groups, name=f"{name}_norm2")(h)
    h = layers.Activation("swish")(h)
    h = layers.Conv2D(channels, 3, padding="same", name=f"{name}_conv2", kernel_initializer=init())(h)
    return layers.Add()([skip, h])


def attention_block(h, groups, name, heads=4, init=lambda: "glorot_uniform"):
    """Self-attention over the pixels of a (small) feature map, added to it: GroupNorm, then every
    pixel attends to every other (`keras.layers.MultiHeadAttention`).

    Convolutions see a neighbourhood; at 7x7 one attention layer lets the top of a digit see its
    bottom in one step (the DDPM U-Net has one at 16x16 and in its middle).

    Args:
        h: the feature map (N, H, W, C), C divisible by ``heads``.
        groups: groups of the GroupNormalization layer.
        name: prefix of the layer names (``{name}_norm``, ``{name}_attention``).
        heads: attention heads, each of width C / heads.
        init: gives the attention's kernel initializer (`build_unet` seeds it).
    """
    _, height, width, channels = h.shape
    x = layers.GroupNormalization(groups, name=f"{name}_norm")(h)
    x = layers.Reshape((height * width, channels))(x)
    x = layers.MultiHeadAttention(heads, channels // heads, name=f"{name}_attention", kernel_initializer=init())(x, x)
    return layers.Add()([h, layers.Reshape((height, width, channels))(x)])


def build_unet(
    channels=(32, 64, 128),
    blocks=1,
    embed_dim=128,
    num_classes=10,
    groups=8,
    attention=False,
    scale_shift=False,
    name="unet",
    seed=None,
):
    """A small U-Net from (noisy image, step, label) to a 28x28 prediction.

    Every residual block receives the sinusoidal step embedding plus a learned
    label embedding; label ``num_classes`` means "no label" (for guidance).

    Args:
        channels: widths at 28x28, 14x14, 7x7 ... (one level per entry).
        blocks: residual blocks per level on the way down (up: the same, each
            fed a skip connection).
        embed_dim: width of the step and label embeddings.
        num_classes: number of labels (plus one "no label" token).
        groups: groups of the GroupNormalization layers.
        attention: add an `attention_block` after the middle residual block, at the
            lowest resolution (7x7 for three levels). The shipped weights have none.
        scale_shift: the embedding scales and shifts each block's features instead of
            being added to them (`residual_block`). The shipped weights add it.
        name: the model's name.
        seed: seeds every layer's initial weights (`digitkit.seeding`); None leaves them to
            Keras' global seed.

    Returns:
        A functional `keras.Model` with inputs ``[x_t (N, 28, 28, 1), t (N,),
        label (N,) int]`` and output (N, 28, 28, 1).
    """
    layer_index = itertools.count()

    def init():  # each layer's kernel its own seed, from (seed, its index)
        return seeding.initializer(seed, next(layer_index))

    x_in = keras.Input(IMAGE_SHAPE, name="x_t")
    t_in = keras.Input((), name="t")
    y_in = keras.Input((), dtype="int32", name="label")
    emb = SinusoidalEmbedding(embed_dim, name="step_code")(t_in)
    emb = layers.Dense(embed_dim, activation="swish", name="step_mlp1", kernel_initializer=init())(emb)
    emb = layers.Dense(embed_dim, name="step_mlp2", kernel_initializer=init())(emb)
    label = layers.Embedding(
        num_classes + 1,
        embed_dim,
        name="label_embedding",
        embeddings_initializer=keras.initializers.RandomUniform(-0.05, 0.05, seed=seeding.layer_seed(seed, 999)),
    )(y_in)
    emb = layers.Activation("swish")(layers.Add()([emb, label]))

    h = layers.Conv2D(channels[0], 3, padding="same", name="stem", kernel_initializer=init())(x_in)
    skips = []
    for level, width in enumerate(channels):
        for b in range(blocks):
            h = residual_block(h, emb, width, groups, f"down{level}_{b}", scale_shift, init=init)
            skips.append(h)
        if level < len(channels) - 1:
            h = layers.Conv2D(
                width, 3, strides=2, padding="same", name=f"downsample{level}", kernel_initializer=init()
            )(h)
    h = residual_block(h, emb, channels[-1], groups, "middle", scale_shift, init=init)
    if attention:
        h = attention_block(h, groups, "middle_attention", init=init)
    for level in reversed(range(len(channels))):
        for b in range(blocks):
            h = layers.Concatenate()([h, skips.pop()])
            h = residual_block(h, emb, channels[level], groups, f"up{level}_{b}", scale_shift, init=init)
        if level > 0:
            h = layers.UpSampling2D(2)(h)
            h = layers.Conv2D(
                channels[level - 1], 3, padding="same", name=f"upsample{level}", kernel_initializer=init()
            )(h)
    h = layers.GroupNormalization(groups, name="out_norm")(h)
    h = layers.Activation("swish")(h)
    out = layers.Conv2D(1, 3, padding="same", kernel_initializer="zeros", name="out")(h)
    return keras.Model([x_in, t_in, y_in], out, name=name)


def forward_flops(model):
    """Floating-point operations per image of one forward pass, counted from the layer shapes.

    Counts the multiply-adds of every ``Conv2D`` (output pixels x kernel area x input channels x
    filters), ``Dense`` layer (inputs x units) and self-attention (its four projections, the scores
    and the weighted sum) of a functional model, at 2 FLOPs per multiply-add;
    normalisations, activations, additions and biases (a few percent more) are not counted.

    Returns:
        An int, e.g. about 80 million for the shipped DDIM U-Net.
    """
    macs = 0
    for layer in model.layers:
        if isinstance(layer, layers.Conv2D):
            _, height, width, filters = layer.output.shape
            kernel_h, kernel_w = layer.kernel_size
            macs += height * width * kernel_h * kernel_w * layer.input.shape[-1] * filters // layer.groups
        elif isinstance(layer, layers.Dense):
            macs += layer.input.shape[-1] * layer.units
        elif isinstance(layer, layers.MultiHeadAttention):  # self-attention: query, key and value from one input
            _, tokens, width = layer.output.shape
            heads, key, value = layer.num_heads, layer.key_dim, layer.value_dim
            macs += tokens * width * heads * (2 * key + value)  # the projections to queries, keys and values
            macs += tokens * tokens * heads * (key + value)  # the attention scores and the weighted sum
            macs += tokens * heads * value * width  # the projection back
    return 2 * int(macs)
