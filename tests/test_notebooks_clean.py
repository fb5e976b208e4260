"""The saved notebooks show a learner no TensorFlow log lines, and each starts with the Colab/Kaggle install cell."""

import pathlib
import re

import nbformat
import pytest

NOTEBOOKS = sorted((pathlib.Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
TF_LOG = re.compile(r"absl|cuInit|remapper|retracing|tensorflow/|oneDNN|cuda|E0000|W0000|I0000", re.IGNORECASE)


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 5


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_no_saved_output_holds_tensorflow_log_lines(path):
    notebook = nbformat.read(path, as_version=4)
    noisy = []
    for number, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                noisy += [
                    f"cell {number}: {line}" for line in output.get("text", "").splitlines() if TF_LOG.search(line)
                ]
    assert not noisy, "\n".join(noisy[:5])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_the_first_code_cell_installs_digitkit_only_where_it_is_missing(path):
    notebook = nbformat.read(path, as_version=4)
    first = next(cell for cell in notebook.cells if cell.cell_type == "code")
    compile(first.source, str(path), "exec")  # plain Python: it runs where IPython magics do not
    assert first.source.startswith("try:") and "import digitkit\nexcept ImportError:" in first.source
    assert '"pip", "install", "-q", "git+https://github.com/digitkit/digitkit.git"' in first.source
    assert first.source.count("print(") == 1
