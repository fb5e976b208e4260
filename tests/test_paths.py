"""Where the course keeps its files, and the quick-mode switch."""

import pathlib

import pytest

from digitkit import paths

REPO = pathlib.Path(__file__).resolve().parent.parent


def test_a_checkout_reads_and_writes_its_own_folders(monkeypatch):
    monkeypatch.delenv("DIGITKIT_HOME", raising=False)
    assert paths.project_dir() == REPO
    assert paths.output_dir() == REPO  # a checkout is not an installed package: new files go beside the code
    assert paths.notebooks_dir() == REPO / "notebooks"


def test_digitkit_home_must_hold_the_course(monkeypatch, tmp_path):
    monkeypatch.setenv("DIGITKIT_HOME", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="DIGITKIT_HOME"):
        paths.project_dir()
    (tmp_path / "data").mkdir()
    (tmp_path / "weights").mkdir()
    assert paths.project_dir() == tmp_path.resolve()


@pytest.mark.parametrize("value, quick", [("1", True), ("true", True), ("0", False), ("", False)])
def test_pick_follows_digitkit_quick(monkeypatch, value, quick):
    monkeypatch.setenv("DIGITKIT_QUICK", value)
    assert paths.quick_mode() is quick
    assert paths.pick(15, 1) == (1 if quick else 15)
