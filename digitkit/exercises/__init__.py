"""Exercises that check themselves, in the style of Kaggle Learn's learntools.

Each notebook's exercises are a module of this package (``nb00`` ... ``nb06``)
holding ``q1``, ``q2``, ...: one `Exercise` each::

    from digitkit.exercises import nb02
    nb02.q1.check(2.3)      # prints "Correct: ..." or "Wrong: ...", returns True or False
    nb02.q1.hint()          # a nudge
    nb02.q1.solution()      # the answer, shown only when asked

A check never raises: an answer that is still ``None`` prints "Not answered
yet", and a function of yours that crashes is reported as a wrong answer with
the error. Checks are deterministic: the expected answer is computed from the
course's data and models (cached, so a second check is instant).
"""

import functools
import importlib
import re
import textwrap

import numpy as np

NOTEBOOKS = ("00", "01", "02", "03", "04", "05", "06")


class AnswerError(Exception):
    """Raised inside a check when the answer is wrong; its message is the reason shown."""


class Exercise:
    """One checked exercise: a question, a check function, a hint and a solution.

    Args:
        question: the question, as the learner reads it.
        check: ``check(answer) -> str``: returns the reason it is right, or raises
            `AnswerError` with the reason it is wrong (any other exception is
            reported as wrong too).
        hint: a nudge towards the answer.
        solution: the answer and how to get it (hidden until `solution()`); a function
            returning that text when the answer depends on the shipped weights.
    """

    def __init__(self, question, check, hint, solution):
        self.question = question
        self._check = check
        self._hint = hint
        self._solution = solution

    def check(self, answer):
        """Print whether ``answer`` is right, and why; return True or False. Never raises."""
        if answer is None or answer is Ellipsis:
            print(f"Not answered yet: {self.question}\nReplace None with your answer, then run the cell again.")
            return False
        try:
            reason = self._check(answer)
            correct = True
        except AnswerError as error:
            reason, correct = str(error), False
        except Exception as error:  # a check never raises: any failure is a wrong answer with its reason
            reason, correct = f"checking your answer raised {type(error).__name__}: {error}", False
        print(("Correct: " if correct else "Wrong: ") + reason)
        return correct

    def hint(self):
        """Print the hint."""
        print("Hint:", self._hint)

    def solution(self):
        """Print the solution."""
        try:
            text = self._solution() if callable(self._solution) else self._solution
        except Exception as error:  # like check, never raise in front of a learner
            text = f"(could not be computed here: {type(error).__name__}: {error})"
        print("Solution:", text)

    def __repr__(self):
        return f"Exercise({self.question!r})"


def load(notebook):
    """The exercises of one notebook: ``load("02")`` (also ``2``, ``"nb02"``, ``"02_gan"``).

    Raises:
        ValueError: no such notebook.
    """
    match = re.fullmatch(r"(?:nb)?0?(\d)(?:_\w*)?(?:\.ipynb)?", str(notebook).strip())
    if match is None or f"0{match.group(1)}" not in NOTEBOOKS:
        raise ValueError(
            f"No exercises for that notebook. Expected one of {list(NOTEBOOKS)}. Received: notebook={notebook!r}"
        )
    return importlib.import_module(f"digitkit.exercises.nb0{match.group(1)}")


def questions(module):
    """The exercises of a notebook module, ``{"q1": Exercise, ...}`` in order."""
    found = {name: value for name, value in vars(module).items() if isinstance(value, Exercise)}
    return dict(sorted(found.items(), key=lambda item: int(item[0][1:])))


INTRO = """### Check yourself

The cells below ask short questions with one right answer; `check` tells you whether yours is right, and why.
Replace `None` with your answer (a number, a name or a function) and run the cell. Stuck? Uncomment `hint()`;
`solution()` shows the answer."""


def cell_sources(notebook):
    """The notebook cells that pose a notebook's exercises, as ``[(cell_type, source), ...]``.

    A markdown introduction, the import, then one short code cell per exercise whose
    answer is ``None`` until the learner fills it in, so the cells run (and pass nbval)
    unanswered. Append them with nbformat::

        nb.cells += [nbformat.v4.new_markdown_cell(s) if kind == "markdown" else nbformat.v4.new_code_cell(s)
                     for kind, s in cell_sources("05")]
    """
    module = f"nb{load(notebook).__name__[-2:]}"
    cells = [("markdown", INTRO), ("code", f"from digitkit.exercises import {module}")]
    for name, exercise in questions(load(notebook)).items():
        match = re.match(r"(?:.*: )?[Ww]rite (?:a function )?(\w+)\(", exercise.question)
        variable = match.group(1) if match else "answer"
        what = f"your function (def {variable}(...): ...)" if match else "your answer"
        question = textwrap.wrap(f"{name}: {exercise.question}", 110, subsequent_indent="#     ")
        cells.append(
            (
                "code",
                "\n".join(
                    [
                        "# " + question[0],
                        *question[1:],
                        f"{variable} = None  # replace None with {what}",
                        f"{module}.{name}.check({variable});",
                        f"# {module}.{name}.hint()",
                        f"# {module}.{name}.solution()",
                    ]
                ),
            )
        )
    return cells


# ----- helpers the notebooks' checks share ------------------------------------------------------


@functools.lru_cache(maxsize=1)
def mnist():
    """MNIST as uint8, loaded once for every check."""
    from digitkit.data import load_mnist

    return load_mnist()


@functools.cache
def pretrained(name):
    """A shipped model, loaded once per process for every check."""
    from digitkit.pretrained import load_pretrained

    return load_pretrained(name)


def as_number(answer):
    """``answer`` as a float, or `AnswerError` saying it is not a number."""
    if isinstance(answer, (bool, np.bool_)) or isinstance(answer, str):
        raise AnswerError(f"expected a number. Received: {answer!r}")
    try:
        value = float(np.asarray(answer).reshape(()))
    except (TypeError, ValueError) as error:
        raise AnswerError(f"expected a number. Received: {answer!r}") from error
    if not np.isfinite(value):
        raise AnswerError(f"expected a finite number. Received: {answer!r}")
    return value


def as_int(answer):
    """``answer`` as an int (1.0 is fine, 1.5 is not)."""
    value = as_number(answer)
    if value != int(value):
        raise AnswerError(f"expected a whole number. Received: {answer!r}")
    return int(value)


def as_name(answer, options):
    """``answer`` matched to one of ``options`` (case and spaces do not matter)."""
    text = re.sub(r"[\s_\-]+", " ", str(answer)).strip().lower().removeprefix("the ").strip()
    for option in options:
        if text == option.replace("_", " ").lower():
            return option
    raise AnswerError(f"expected one of {list(options)}. Received: {answer!r}")


def expect_close(value, expected, tolerance, what):
    """`AnswerError` unless ``|value - expected| <= tolerance``."""
    if abs(value - expected) > tolerance:
        raise AnswerError(f"{what} is not {value:g}. {_nudge(value, expected)}")


def _nudge(value, expected):
    return "Too high: think again." if value > expected else "Too low: think again."


def call(function, *args):
    """Call the learner's function; a crash becomes `AnswerError` with the error."""
    if not callable(function):
        raise AnswerError(f"expected a function (def ...). Received: {function!r}")
    shown = ", ".join(_describe(a) for a in args)
    try:
        return function(*[np.copy(a) if isinstance(a, np.ndarray) else a for a in args])
    except Exception as error:
        raise AnswerError(f"your function raised {type(error).__name__}: {error} (called with {shown})") from error


def _describe(value):
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape} {value.dtype}"
    return repr(value)


def expect_array(result, expected, what, atol=1e-5):
    """`AnswerError` unless ``result`` has ``expected``'s shape and values (within ``atol``)."""
    try:
        got = np.asarray(result, dtype="float64")
    except (TypeError, ValueError) as error:
        raise AnswerError(f"{what} should be an array of numbers. Received: {result!r}") from error
    expected = np.asarray(expected, dtype="float64")
    if got.shape != expected.shape:
        raise AnswerError(f"{what} has shape {got.shape}, expected {expected.shape}")
    if not np.allclose(got, expected, atol=atol, rtol=0):
        worst = np.unravel_index(np.argmax(np.abs(got - expected)), got.shape)
        raise AnswerError(
            f"{what} is off: at index {tuple(int(i) for i in worst)} it gives {got[worst]:.4g}, "
            f"expected {expected[worst]:.4g}"
        )


def cosine_alpha_bar(timesteps=500):
    """The course's noise schedule, wherever it lives (scheduler.py or diffusion.py)."""
    try:
        from digitkit.scheduler import cosine_alpha_bar as schedule
    except ImportError:
        from digitkit.diffusion import cosine_alpha_bar as schedule
    return schedule(timesteps)
