"""Finding the digit in a picture: the ink map, its threshold, and the digit's blob.

A canvas, a scan and a phone photo differ in size (280 px to 4032 px), in
polarity (light ink on a dark canvas, dark pen on paper), in lighting (a photo's
paper is brighter on one side) and in noise. `find_digit` turns any of them into
the same thing: a crop of the digit's ink, 0 for paper and 1 for a pen stroke,
with strokes about as thick, relative to the digit, as MNIST's. Used by
`digitkit.prepare_drawing`; taught in notebooks/00_data.ipynb.
"""

import numpy as np

WORK_SIZE = 640  # larger pictures are shrunk (by box averaging) to at most this many pixels a side
# stroke width / digit height: thinner than 0.06 is thickened to 0.10, bolder than 0.28 thinned to 0.20
# (MNIST digits blown up to 280 px: 1st-99th percentile 0.068-0.235, median 0.126)
STROKE = (0.06, 0.28, 0.10, 0.20)


def to_gray_ink(image):
    """The picture as float32 (H, W) brightness in [0, 1], shrunk to at most `WORK_SIZE` a side.

    Returns:
        ``(gray, is_ink)``: ``is_ink`` is True when ``gray`` already is the ink
        (the alpha channel of a canvas with a transparent background).

    Raises:
        ValueError: the array has a shape that is not an image.
    """
    x = np.asarray(image)
    if x.ndim == 3 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim not in (2, 3) or (x.ndim == 3 and x.shape[-1] not in (3, 4)) or min(x.shape[:2]) < 2:
        raise ValueError(
            f"Expected an image of shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4). Received: shape={x.shape}."
        )
    x = _shrink(np.nan_to_num(x) if x.dtype.kind == "f" else x)
    if x.size and x.max() > 1.0:
        x = x / 255.0
    if x.ndim == 3 and x.shape[-1] == 4:
        alpha = x[..., 3]
        if alpha.min() < alpha.max():  # transparent background: alpha is the ink
            return alpha, True
        x = x[..., :3]
    if x.ndim == 3:
        x = x @ np.array([0.299, 0.587, 0.114], dtype="float32")
    return x, False


def _shrink(x):
    factor = -(-max(x.shape[:2]) // WORK_SIZE)
    if factor <= 1:
        return x.astype("float32")
    if x.dtype == np.uint8:  # Pillow's box reduction, in C
        from PIL import Image

        return np.asarray(Image.fromarray(x).reduce(factor), dtype="float32")
    h, w = (x.shape[0] // factor) * factor, (x.shape[1] // factor) * factor
    blocks = x[:h, :w].reshape(h // factor, factor, w // factor, factor, *x.shape[2:])
    return blocks.mean(axis=(1, 3), dtype="float32")


def flatten_background(gray):
    """Ink as the distance from the paper, after removing smooth lighting.

    Fits a quadratic surface to the paper (ink pixels are left out as outliers)
    and keeps the side of it the digit is on: darker for a pen on paper,
    brighter for chalk on a board or a drawing on a dark canvas.

    Returns:
        ``(ink, noise)``: float32 (H, W), 0 on paper; and the paper's noise level.
    """
    h, w = gray.shape
    edges = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    if edges.min() == edges.max() and edges.min() in (0.0, 1.0):
        # a drawing canvas (pure black or pure white around the digit): no lighting to fit, no noise;
        # the fit below would find the same flat paper, in 9 of the 18 ms a stroke costs
        return np.abs(gray - edges[0]), 0.01
    step = max(1, min(h, w) // 64)
    rows, cols = np.mgrid[0:h:step, 0:w:step]
    sample = gray[::step, ::step].ravel()
    u, v = (cols.ravel() / w - 0.5), (rows.ravel() / h - 0.5)
    design = np.stack([np.ones_like(u), u, v, u * u, u * v, v * v], axis=1)
    keep = np.maximum(np.abs(u), np.abs(v)) > 0.4  # start from the paper at the edges, then take in the rest
    for _ in range(5):
        a = design[keep]
        coef = np.linalg.solve(a.T @ a + 1e-9 * np.eye(6), a.T @ sample[keep])
        residual = sample - design @ coef
        spread = max(1.4826 * np.median(np.abs(residual[keep])), 0.01)
        keep = np.abs(residual) < 3 * spread
    uu, vv = np.meshgrid(np.arange(w) / w - 0.5, np.arange(h) / h - 0.5)
    paper = coef[0] + coef[1] * uu + coef[2] * vv + coef[3] * uu * uu + coef[4] * uu * vv + coef[5] * vv * vv
    residual = gray - paper.astype("float32")
    smooth = box_blur(residual)
    sign = 1.0 if smooth.max() >= -smooth.min() else -1.0  # the longer tail is the ink
    return np.maximum(sign * residual, 0.0), float(spread)


def box_blur(x):
    """3x3 mean (edges repeated): tames paper grain before thresholding."""
    p = np.pad(x, 1, mode="edge")
    h, w = x.shape
    return sum(p[i : i + h, j : j + w] for i in range(3) for j in range(3)) / 9.0


def otsu_threshold(values, bins=256):
    """The level that best splits ``values`` into two classes (Otsu, 1979)."""
    hist, edges = np.histogram(values, bins=bins)
    centres = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(hist)
    w1 = w0[-1] - w0
    m0 = np.cumsum(hist * centres)
    mean0 = m0 / np.maximum(w0, 1)
    mean1 = (m0[-1] - m0) / np.maximum(w1, 1)
    return float(centres[np.argmax(w0 * w1 * (mean0 - mean1) ** 2)])


def components(mask, weights):
    """8-connected blobs of a boolean mask, by runs of pixels along each row.

    Returns:
        ``(runs, label, mass)``: runs as an (n, 3) array of (row, start, stop),
        each run's blob label, and each blob's summed ``weights``.
    """
    d = np.diff(np.pad(mask.astype("int8"), ((0, 0), (1, 1))), axis=1)
    starts, stops = np.argwhere(d == 1), np.argwhere(d == -1)
    runs = np.column_stack([starts[:, 0], starts[:, 1], stops[:, 1]])
    parent = list(range(len(runs)))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    row_begin = np.searchsorted(runs[:, 0], np.arange(mask.shape[0] + 1))
    for r in range(1, mask.shape[0]):
        j, j_end = row_begin[r - 1], row_begin[r]
        for i in range(row_begin[r], row_begin[r + 1]):
            _, s, e = runs[i]
            while j < j_end and runs[j, 2] < s:  # previous row's run ends left of this one (8-connected)
                j += 1
            k = j
            while k < j_end and runs[k, 1] <= e:
                a, b = root(i), root(k)
                if a != b:
                    parent[b] = a
                k += 1
    label = np.unique([root(i) for i in range(len(runs))], return_inverse=True)[1] if len(runs) else np.zeros(0, int)
    cum = np.pad(np.cumsum(weights * mask, axis=1), ((0, 0), (1, 0)))
    run_mass = cum[runs[:, 0], runs[:, 2]] - cum[runs[:, 0], runs[:, 1]] if len(runs) else np.zeros(0)
    return runs, label, np.bincount(label, weights=run_mass)


def find_digit(image, min_size=0.03):
    """The digit's ink, cropped to its box, normalized to 0 (paper) .. 1 (stroke).

    Thresholds the ink map (Otsu, kept above the paper's noise), keeps the
    largest blob and the blobs near it (a 5's bar, a 4's two strokes), drops
    specks, and thickens strokes far thinner than MNIST's (a fine pen in a big
    photo) or thins ones far bolder.

    Args:
        image: any array `to_gray_ink` takes.
        min_size: the digit's longer side must span at least this share of the
            picture's shorter side (a lone dot does not).

    Returns:
        float32 (h, w) crop, or None when no digit is found.
    """
    gray, is_ink = to_gray_ink(image)
    ink, noise = (gray, 0.0) if is_ink else flatten_background(gray)
    smooth = box_blur(ink)  # thresholds on a 3x3 mean: paper grain makes no blobs; the crop keeps the detail
    peak = float(smooth.max())
    if peak < 0.1 or peak < 6 * noise:
        return None
    floor = 4 * noise
    above = smooth[smooth > floor]
    threshold = min(max(otsu_threshold(above) if above.size else floor, floor), 0.5 * peak)
    mask = smooth > threshold
    runs, label, mass = components(mask, smooth)
    main = int(np.argmax(mass))
    boxes = np.array(
        [
            [
                runs[label == c, 0].min(),
                runs[label == c, 0].max() + 1,
                runs[label == c, 1].min(),
                runs[label == c, 2].max(),
            ]
            for c in range(len(mass))
        ]
    )
    top, bottom, left, right = boxes[main]
    side = max(bottom - top, right - left)
    if side < max(4, min_size * min(gray.shape)):
        return None
    near = (
        (boxes[:, 0] < bottom + side // 2)
        & (boxes[:, 1] > top - side // 2)
        & (boxes[:, 2] < right + side // 2)
        & (boxes[:, 3] > left - side // 2)
    )
    kept = np.flatnonzero(near & (mass >= 0.1 * mass[main]))
    digit = np.zeros(mask.shape, bool)
    for r, s, e in runs[np.isin(label, kept)]:
        digit[r, s:e] = True
    top, bottom, left, right = boxes[kept, 0].min(), boxes[kept, 1].max(), boxes[kept, 2].min(), boxes[kept, 3].max()
    pad = max(2, int(0.05 * side))  # the soft edge of a stroke lies outside the thresholded blob
    top, left = max(top - pad, 0), max(left - pad, 0)
    digit = _grow(digit, pad)[top : bottom + pad, left : right + pad]
    crop = np.where(digit, ink[top : bottom + pad, left : right + pad], 0.0)
    core = crop[digit & (crop > threshold)]
    high = float(np.percentile(core, 90)) if core.size else peak
    low = min(floor, 0.5 * threshold) if not is_ink else 0.1 * high
    crop = np.clip((crop - low) / max(high - low, 1e-6), 0.0, 1.0).astype("float32")
    return _normalize_stroke(crop, mask[top : bottom + pad, left : right + pad] & digit)


def _grow(mask, radius):
    return square_filter(mask, 2 * radius + 1, np.maximum)


def square_filter(x, size, reduce):
    """Max (``np.maximum``) or min (``np.minimum``) of ``x`` over size x size squares, edges padded."""
    r = size // 2
    fill = x.min() if reduce is np.maximum else x.max()
    for axis in (0, 1):
        p = np.pad(x, [(r, r) if a == axis else (0, 0) for a in (0, 1)], constant_values=fill)
        n = x.shape[axis]
        out = p.take(range(n), axis=axis)
        for k in range(1, size):
            out = reduce(out, p.take(range(k, k + n), axis=axis))
        x = out
    return x


def stroke_width(mask):
    """Mean stroke width of a mask, in pixels: twice its area over its outline."""
    inner = mask.copy()
    inner[1:-1, 1:-1] &= mask[:-2, 1:-1] & mask[2:, 1:-1] & mask[1:-1, :-2] & mask[1:-1, 2:]
    inner[[0, -1], :] = False
    inner[:, [0, -1]] = False
    outline = (mask & ~inner).sum()
    return 2.0 * mask.sum() / max(outline, 1)


def _normalize_stroke(crop, mask):
    side = max(crop.shape)
    ratio = stroke_width(mask) / side
    thin, bold, thin_to, bold_to = STROKE
    if thin <= ratio <= bold:
        return crop
    target = thin_to if ratio < thin else bold_to
    size = int(round(abs(target - ratio) * side)) | 1  # odd, as PIL's filters want
    if size < 3:
        return crop
    pad = size // 2 + 1
    return square_filter(np.pad(crop, pad), size, np.maximum if ratio < thin else np.minimum)
