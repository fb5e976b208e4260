"""Build hook: the wheel carries the course's files, git keeps one copy of them.

``data/mnist.npz``, ``weights/``, ``assets/training/`` and ``notebooks/`` stay
where the repository shows them; building the wheel copies them into
``digitkit/_course/`` inside the build folder only (see ``digitkit/paths.py``
for how they are found at run time). Everything else is in ``pyproject.toml``.
"""

import pathlib
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = pathlib.Path(__file__).resolve().parent
COURSE = {  # folder in the repository -> the files of it that the wheel carries
    "data": ["mnist.npz", "README.md"],
    "weights": ["*.weights.h5", "manifest.json"],
    "assets/training": ["*.json", "*.gif"],
    "notebooks": ["*.ipynb"],
}


class BuildWithCourse(build_py):
    def run(self):
        super().run()
        if self.editable_mode:  # an editable install reads the checkout itself
            return
        target = pathlib.Path(self.build_lib) / "digitkit" / "_course"
        for folder, patterns in COURSE.items():
            for pattern in patterns:
                for source in sorted((ROOT / folder).glob(pattern)):
                    destination = target / folder / source.name
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(source, destination)


setup(cmdclass={"build_py": BuildWithCourse})
