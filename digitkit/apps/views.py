"""The small view pieces every app's ``widget()`` is built from: PNG digits, image rows, messages.

Images go to the browser as PNG in an `ipywidgets.Image` (a few hundred bytes
per digit, no matplotlib on the server), so a server with many visitors spends
its CPU on the models, not on drawing.
"""

import numpy as np

from digitkit.viz import tile
from digitkit.widgets import png_bytes

DIGIT_SCALE = 3
"""Each 28x28 pixel of a generated digit is shown as DIGIT_SCALE x DIGIT_SCALE screen pixels."""


def digit_png(image, scale=DIGIT_SCALE):
    """PNG bytes of a 2-D image in [0, 1] (or 0-255), blown up ``scale`` times without blurring."""
    gray = np.asarray(image, dtype="float32")
    if gray.size and gray.max() > 1.0:
        gray = gray / 255.0
    gray = np.round(np.clip(gray, 0.0, 1.0) * 255).astype(np.uint8)
    return png_bytes(np.kron(gray, np.ones((scale, scale), dtype=np.uint8)))


def tile_png(images, ncols=10, scale=DIGIT_SCALE):
    """PNG bytes of many digits (N, H, W) tiled ``ncols`` per row (see `digitkit.viz.tile`)."""
    return digit_png(tile(images, ncols=ncols), scale=scale)


def figure_png(figure, dpi=80):
    """PNG bytes of a matplotlib Figure, for an `ipywidgets.Image`."""
    import io

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


class ImageRow:
    """A row of captioned images that a button refills: ``row.show(images, captions)``.

    Args:
        css_class: the row's CSS class (e.g. ``dk-advanced-images``).
        scale: screen pixels per image pixel.
        size: instead of ``scale``, blow each image up to about this many px high.

    Attributes:
        widget: the `ipywidgets.HBox` to put in a view; every image in it has
            the CSS class ``dk-image``, every caption ``dk-caption``.
    """

    def __init__(self, css_class, scale=DIGIT_SCALE, size=None):
        import ipywidgets

        self.scale, self.size = scale, size
        self.widget = ipywidgets.HBox(layout=ipywidgets.Layout(flex_flow="row wrap", min_height="40px"))
        self.widget.add_class(css_class)

    def show(self, images, captions=None):
        """Replace the row's content by these images (each 2-D in [0, 1]), captions below them."""
        import ipywidgets

        captions = [""] * len(images) if captions is None else [str(c) for c in captions]
        items = []
        for image, caption in zip(images, captions):
            scale = self.scale if self.size is None else max(1, round(self.size / max(1, np.shape(image)[0])))
            picture = ipywidgets.Image(value=digit_png(image, scale), format="png")
            picture.add_class("dk-image")
            label = ipywidgets.HTML(f"<div style='text-align:center;font-size:12px'>{caption}</div>")
            label.add_class("dk-caption")
            items.append(
                ipywidgets.VBox([picture, label], layout=ipywidgets.Layout(margin="2px 4px", align_items="center"))
            )
        self.clear()
        self.widget.children = items

    def clear(self):
        """Empty the row (the old widgets are closed, so a long-running server does not keep them)."""
        old = self.widget.children
        self.widget.children = ()
        for item in old:
            for child in item.children:
                child.close()
            item.close()


class Message:
    """The line where an app says what went wrong ("12a" is not a digit) or what to do next.

    Attributes:
        widget: an `ipywidgets.HTML` with the CSS class ``dk-message`` (empty when all is well).
    """

    def __init__(self):
        import ipywidgets

        self.widget = ipywidgets.HTML("")
        self.widget.add_class("dk-message")

    def show(self, text):
        """Show ``text`` (escaped) in the message line."""
        import html

        self.widget.value = f"<span style='color:#b00'>{html.escape(str(text))}</span>" if text else ""

    def run(self, action):
        """Call ``action()``; a ValueError (bad input) becomes the message, never a traceback.

        Returns:
            What ``action`` returned, or None after a ValueError.
        """
        try:
            result = action()
        except ValueError as error:
            self.show(error)
            return None
        self.show("")
        return result


def fill_view(view, fill, now=True):
    """Give a view its ``fill()`` (draw its first pictures), and call it ``now`` or leave it for later.

    The Studio builds every tab with ``now=False`` and fills a tab when it is
    first opened, so that a page load costs the server no model call.

    Returns:
        ``view``, with the attribute ``fill``.
    """
    view.fill = fill
    if now:
        fill()
    return view
