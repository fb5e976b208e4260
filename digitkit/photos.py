"""Synthetic phone photos and scans of MNIST digits, to test and measure `prepare_drawing`.

`skeleton` thins an MNIST digit to a one-pixel path; `render_photo` redraws
that path with a pen of any width on a picture of any size: paper or a dark
board, uneven lighting, grain, a little blur. `photo_set` draws a varied set of
them (sizes from 640x480 to 4032x3024, fine pens to markers, off-centre,
small digits in big frames). Used by tests/test_data.py and
benchmarks/eval_photos.py.
"""

import numpy as np

# Zhang-Suen neighbours P2..P9, clockwise from north
_NEIGHBOURS = [(-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1)]


def skeleton(image, level=0.5, upsample=2):
    """A digit thinned to one-pixel strokes (Zhang and Suen, 1984).

    Args:
        image: (28, 28) uint8 or float digit, ink bright.
        level: the ink threshold, as a share of the brightest pixel.
        upsample: the digit is first enlarged this many times (smoother paths).

    Returns:
        (N, 2) float array of (row, col) skeleton points in 28x28 coordinates.
    """
    from PIL import Image

    x = np.asarray(image, dtype="float32")
    size = (x.shape[1] * upsample, x.shape[0] * upsample)
    big = np.asarray(Image.fromarray(x, mode="F").resize(size, Image.BILINEAR))
    mask = np.pad(big > level * big.max(), 1)
    while True:
        changed = False
        for step in (0, 1):
            n = [np.roll(mask, (-dr, -dc), axis=(0, 1)) for dr, dc in _NEIGHBOURS]
            count = sum(p.astype(int) for p in n)
            transitions = sum((~n[i] & n[(i + 1) % 8]).astype(int) for i in range(8))
            if step == 0:
                a, b = n[0] & n[2] & n[4], n[2] & n[4] & n[6]
            else:
                a, b = n[0] & n[2] & n[6], n[0] & n[4] & n[6]
            drop = mask & (count >= 2) & (count <= 6) & (transitions == 1) & ~a & ~b
            if drop.any():
                mask &= ~drop
                changed = True
        if not changed:
            break
    return (np.argwhere(mask[1:-1, 1:-1]) + 0.5) / upsample


def render_photo(
    points,
    size=(1200, 900),
    height=0.5,
    centre=(0.5, 0.5),
    stroke=0.1,
    dark_ink=True,
    lighting=0.25,
    grain=0.03,
    blur=1.0,
    seed=0,
):
    """Draw skeleton points as a pen-written digit in a photo-like RGB picture.

    Args:
        points: (N, 2) (row, col) points in 28x28 coordinates (`skeleton`);
            none gives a photo of blank paper.
        size: (width, height) of the picture in pixels.
        height: the digit's height as a share of the picture's height.
        centre: where the digit's centre lies, as shares of width and height.
        stroke: the pen's width as a share of the digit's height (MNIST: about 0.13).
        dark_ink: pen on paper (True), or chalk on a dark board (False).
        lighting: how much brighter one side of the paper is than the other.
        grain: the standard deviation of the paper's noise (0-1 scale).
        blur: the camera's blur radius in pixels.
        seed: for the lighting direction, grain and tints.

    Returns:
        uint8 array (H, W, 3).
    """
    from PIL import Image, ImageDraw, ImageFilter

    rng = np.random.default_rng(seed)
    width, tall = size
    canvas = Image.new("L", size, 0)
    pts = np.asarray(points, dtype="float64").reshape(-1, 2)
    if len(pts):  # no points: blank paper
        _draw_strokes(ImageDraw.Draw(canvas), pts, size, height, centre, stroke)
    if blur:
        canvas = canvas.filter(ImageFilter.GaussianBlur(blur))
    ink = np.asarray(canvas, dtype="float32") / 255.0
    angle = rng.uniform(0, 2 * np.pi)
    u = np.linspace(-0.5, 0.5, width, dtype="float32")[None, :]
    v = np.linspace(-0.5, 0.5, tall, dtype="float32")[:, None]
    light = 1.0 + lighting * (np.cos(angle) * u + np.sin(angle) * v) - 0.3 * lighting * (u * u + v * v)
    paper, pen_tone = (
        (rng.uniform(0.75, 0.92), rng.uniform(0.1, 0.3))
        if dark_ink
        else (rng.uniform(0.12, 0.25), rng.uniform(0.75, 0.9))
    )
    gray = (paper + (pen_tone - paper) * ink) * light
    tint = np.array([1.0, rng.uniform(0.95, 1.0), rng.uniform(0.85, 1.0)], dtype="float32")
    noise = rng.normal(0.0, grain, size=(tall, width, 1)).astype("float32") if grain else 0.0
    rgb = gray[..., None] * tint + noise
    return (np.clip(rgb, 0.0, 1.0) * 255).astype(np.uint8)


def _draw_strokes(draw, pts, size, height, centre, stroke):
    width, tall = size
    scale = height * tall / (max(np.ptp(pts[:, 0]), 1.0) + 2 * stroke * 28)
    xy = (pts[:, ::-1] - pts.mean(axis=0)[::-1]) * scale + np.array([centre[0] * width, centre[1] * tall])
    pen = max(1, int(round(stroke * height * tall)))
    near = np.abs(pts[:, None, :] - pts[None, :, :]).max(axis=2) <= 0.75  # 8-neighbours on the skeleton
    for i, j in zip(*np.nonzero(np.triu(near, 1))):
        draw.line([tuple(xy[i]), tuple(xy[j])], fill=255, width=pen)
    r = pen / 2
    for cx, cy in xy:
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=255)


def photo_set(images, seed=0):
    """One varied synthetic photo per MNIST digit: yields ``(photo, settings)`` pairs.

    Sizes 640x480 to 4032x3024 (portrait or landscape), pens from 1.5% to 25%
    of the digit's height, a quarter of them chalk on a dark board, digits
    from 12% to 80% of the picture's height, anywhere in the frame.
    """
    rng = np.random.default_rng(seed)
    sizes = [(640, 480), (1200, 900), (2000, 1500), (4032, 3024), (3024, 4032), (900, 1200)]
    for k, image in enumerate(images):
        size = sizes[rng.integers(len(sizes))]
        height = float(rng.choice([rng.uniform(0.12, 0.3), rng.uniform(0.3, 0.8)]))
        margin_y, margin_x = height / 2 + 0.02, 0.45 * height * size[1] / size[0] + 0.02
        settings = dict(
            size=size,
            height=height,
            centre=(
                float(rng.uniform(min(margin_x, 0.5), max(1 - margin_x, 0.5))),
                float(rng.uniform(min(margin_y, 0.5), max(1 - margin_y, 0.5))),
            ),
            stroke=float(rng.choice([rng.uniform(0.015, 0.05), rng.uniform(0.06, 0.16), rng.uniform(0.16, 0.25)])),
            dark_ink=bool(rng.random() > 0.25),
            lighting=float(rng.uniform(0.0, 0.4)),
            grain=float(rng.uniform(0.0, 0.05)),
            blur=float(rng.uniform(0.0, 2.0)),
            seed=seed * 100003 + k,
        )
        yield render_photo(skeleton(image), **settings), settings
