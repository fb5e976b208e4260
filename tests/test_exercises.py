import numpy as np
import pytest

from digitkit import exercises
from digitkit.exercises import Exercise, nb00, nb01, nb02, nb03, nb04, nb05, nb06


def crash(*args):
    raise RuntimeError("boom")


def top_confusion(confusion):
    m = np.array(confusion)
    np.fill_diagonal(m, 0)
    return tuple(int(i) for i in np.unravel_index(m.argmax(), m.shape))


def diagonal_too(confusion):  # forgets to skip the diagonal
    m = np.array(confusion)
    return tuple(int(i) for i in np.unravel_index(m.argmax(), m.shape))


# (exercise, a right answer, a wrong answer); every function-valued exercise also gets `crash`.
CASES = [
    (nb00.q1, 0, 1),
    (nb00.q2, 5421, 5000),
    (nb00.q3, 57362, 0),
    (nb00.q4, lambda x: x.astype("float32") / 255, lambda x: x / 255.0),  # float64 is wrong
    (nb00.q5, 785, 784),
    (nb01.q1, 1.0, 10),
    (nb01.q2, 8256, 8192),
    (nb01.q3, top_confusion, diagonal_too),
    (nb02.q1, 2.3026, 1.0),
    (nb02.q2, "strong_discriminator", "healthy"),
    (nb02.q3, 0.01, 0.99),
    (nb03.q2, 0.75 * np.eye(10)[3] + 0.25 * np.eye(10)[8], np.eye(10)[3]),
    (nb03.q3, lambda d: np.eye(10)[np.asarray(d)], lambda d: np.eye(10)[np.asarray(d) - 1]),
    (nb03.q4, 5.0, 2.0),
    (nb04.q2, lambda x0, n, ab: np.sqrt(ab) * x0 + np.sqrt(1 - ab) * n, lambda x0, n, ab: ab * x0 + (1 - ab) * n),
    (nb04.q3, lambda x, v, ab: np.sqrt(ab) * x - np.sqrt(1 - ab) * v, lambda x, v, ab: np.sqrt(ab) * x + v),
    (nb04.q4, 300, 400),
    (nb05.q1, 6, 1),
    (nb05.q2, "the basic GAN", "ddim"),
    (nb05.q3, lambda d: f"an {d}" if d == 8 else f"a {d}", lambda d: f"a {d}"),
    (nb05.q4, ValueError, "TypeError"),
    (nb06.q1, 0, 1.0),
    (nb06.q2, "cgan", "ddim"),  # the averaged cGAN (FD 4.6) is below the DDIM (6.5) and the basic GAN (19.8)
    (nb06.q3, 100, 1000),
    (nb06.q4, "gan", "cgan"),
]


@pytest.mark.parametrize("exercise, right, wrong", CASES, ids=[case[0].question[:40] for case in CASES])
def test_right_and_wrong_answers(exercise, right, wrong, capsys):
    assert exercise.check(right) is True
    assert capsys.readouterr().out.startswith("Correct: ")
    assert exercise.check(wrong) is False
    assert capsys.readouterr().out.startswith("Wrong: ")
    if callable(right) and not isinstance(right, type):
        assert exercise.check(crash) is False
        out = capsys.readouterr().out
        assert out.startswith("Wrong: ") and "RuntimeError: boom" in out


def test_answers_that_need_the_shipped_models(capsys):
    # the expected answers computed here the long way, so the cached checks are tested against real values
    import digitkit
    from digitkit import classifier, metrics, pretrained

    worst = int(np.argmin(pretrained.read_manifest()["cgan"]["quality"]["per_class"]))
    assert nb03.q1.check(worst) is True and nb03.q1.check((worst + 1) % 10) is False

    _, (x_test, y_test) = digitkit.load_mnist()
    p = classifier.predict_probabilities(digitkit.load_pretrained("dense"), x_test)
    wrong = np.flatnonzero(p.argmax(axis=1) != y_test)
    index = int(wrong[p[wrong].max(axis=1).argmax()])
    assert nb01.q4.check(index) is True and nb01.q4.check(int(wrong[0]) if wrong[0] != index else 0) is False

    read = int(metrics.judge_labels(digitkit.load_pretrained("dense_gan").generate(1, seed=nb02.SAMPLE_SEED))[0])
    assert nb02.q4.check(read) is True and nb02.q4.check((read + 1) % 10) is False
    out = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in out] == ["Correct", "Wrong"] * 3


def test_unanswered_prints_not_answered_yet(capsys):
    assert nb02.q1.check(None) is False
    out = capsys.readouterr().out
    assert out.startswith("Not answered yet: " + nb02.q1.question)


@pytest.mark.parametrize("answer", ["abc", [1, 2], True, float("nan"), object()])
def test_odd_answers_are_wrong_not_errors(answer, capsys):
    assert nb00.q2.check(answer) is False
    assert capsys.readouterr().out.startswith(("Wrong: expected a number", "Wrong: expected a finite number"))


def test_a_failing_check_is_reported_as_wrong(capsys):
    def broken_check(answer):
        return {}["missing"]

    exercise = Exercise("q?", broken_check, "h", lambda: 1 / 0)
    assert exercise.check(1) is False
    assert capsys.readouterr().out == "Wrong: checking your answer raised KeyError: 'missing'\n"
    exercise.solution()
    assert "could not be computed here: ZeroDivisionError" in capsys.readouterr().out


def test_hint_and_solution_are_shown_only_when_asked(capsys):
    assert "8,256" not in repr(nb01.q2) and "8,256" not in nb01.q2.question
    nb01.q2.hint()
    hint = capsys.readouterr().out
    nb01.q2.solution()
    solution = capsys.readouterr().out
    assert hint.startswith("Hint: ") and "8,256" not in hint
    assert solution.startswith("Solution: ") and "8,256" in solution


def test_checks_are_deterministic(capsys):
    outputs = []
    for _ in range(2):
        nb00.q1.check(3)
        nb06.q2.check("ddim")
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1] and outputs[0].count("Wrong: ") == 2


@pytest.mark.parametrize("name", ["02", 2, "nb02", "02_gan", "02_gan.ipynb"])
def test_load_finds_a_notebook_s_exercises(name):
    assert exercises.load(name) is nb02


@pytest.mark.parametrize("name", ["07", "gan", "", 12])
def test_load_rejects_unknown_notebooks(name):
    with pytest.raises(ValueError, match="Received: notebook="):
        exercises.load(name)


def test_every_notebook_has_at_least_three_exercises():
    for notebook in exercises.NOTEBOOKS:
        found = exercises.questions(exercises.load(notebook))
        assert len(found) >= 3, notebook
        assert list(found) == [f"q{i}" for i in range(1, len(found) + 1)]


def test_every_exercise_has_a_test_case():
    tested = {id(case[0]) for case in CASES} | {id(nb01.q4), id(nb02.q4), id(nb03.q1), id(nb04.q1)}
    every = [e for n in exercises.NOTEBOOKS for e in exercises.questions(exercises.load(n)).values()]
    assert {id(e) for e in every} == tested


def test_nb04_half_step_matches_the_schedule(capsys):
    from digitkit.scheduler import cosine_alpha_bar

    alpha_bar = cosine_alpha_bar(500)
    t = int(np.flatnonzero(alpha_bar < 0.5)[0])
    assert alpha_bar[t - 1] >= 0.5 > alpha_bar[t]
    assert nb04.q1.check(t) is True
    assert nb04.q1.check(t - 1) is False
    assert "still above" in capsys.readouterr().out.splitlines()[-1]


def test_exercise_cells_run_unanswered(capsys):
    for notebook in exercises.NOTEBOOKS:
        namespace = {}
        for kind, source in exercises.cell_sources(notebook):
            if kind == "code":
                exec(source, namespace)
        out = capsys.readouterr().out
        assert out.count("Not answered yet: ") == len(exercises.questions(exercises.load(notebook))), notebook


def test_every_notebook_ends_with_its_exercise_cells():
    import pathlib

    import nbformat

    folder = pathlib.Path(__file__).parent.parent / "notebooks"
    found = sorted(p for p in folder.glob("0*.ipynb") if p.name[:2] in exercises.NOTEBOOKS)
    assert len(found) >= 6
    for path in found:
        expected = exercises.cell_sources(path.name[:2])
        cells = nbformat.read(path, as_version=4).cells[-len(expected) :]
        assert [(c.cell_type, c.source) for c in cells] == expected, path.name
