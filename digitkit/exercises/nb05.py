"""Exercises of notebooks/05_studio.ipynb: the Digit Studio."""

from digitkit.exercises import AnswerError, Exercise, as_int, as_name, call
from digitkit.pretrained import GENERATORS


def _check_advanced_count(answer):
    from digitkit.data import parse_digits

    count = as_int(answer)
    expected = len(parse_digits("646775"))
    if count != expected:
        raise AnswerError(f"not {count}: Advanced draws one image per character you type.")
    return f"{expected}: one image per requested digit."


def _check_generate_model(answer):
    aliases = {"basic gan": "gan", "conditional gan": "cgan", "diffusion": "ddim"}
    text = str(answer).strip().lower().removeprefix("the ").strip()
    name = as_name(aliases.get(text, text), GENERATORS)
    if name != "gan":
        raise AnswerError(f"the Generate tab draws random digits without being asked for one; {name} is asked.")
    return "the basic GAN: it draws whichever digits come out of the noise. Advanced uses the cGAN or the DDIM."


def _sentence(digit):
    return f"an {digit}" if digit == 8 else f"a {digit}"


def _check_sentence(answer):
    for digit in range(10):
        got = call(answer, digit)
        if got != _sentence(digit):
            raise AnswerError(f"sentence({digit}) returned {got!r}, expected {_sentence(digit)!r}.")
    return "'an 8' and 'a 3': only eight starts with a vowel sound among 0-9."


def _check_error_type(answer):
    from digitkit.data import parse_digits

    try:
        parse_digits("12a")
    except Exception as error:  # the expected answer is whatever the course raises
        expected = type(error)
    name = answer.__name__ if isinstance(answer, type) else str(answer).strip()
    if name != expected.__name__:
        raise AnswerError(f"not {name}. Try `digitkit.data.parse_digits('12a')` and read the first word of the error.")
    return f"{expected.__name__}; the Studio shows its message in the page instead of a traceback."


q1 = Exercise(
    "How many images does the Advanced tab draw for the digits '646775'?",
    _check_advanced_count,
    "One image per digit asked for.",
    "6 (`len(digitkit.data.parse_digits('646775'))`).",
)
q2 = Exercise(
    "Which model does the Generate tab use: 'gan', 'cgan' or 'ddim'?",
    _check_generate_model,
    "Generate cannot be told which digit to draw.",
    "'gan', the basic GAN of notebook 02.",
)
q3 = Exercise(
    "Identify answers with a sentence: write sentence(digit) that returns 'an 8' for 8 and 'a 3' for 3 "
    "(and so on for 0-9).",
    _check_sentence,
    "Say the digits out loud: which one starts with a vowel sound?",
    "def sentence(digit):\n    return f'an {digit}' if digit == 8 else f'a {digit}'",
)
q4 = Exercise(
    "Typing '12a' in Advanced shows a message: which exception type carries it? (e.g. TypeError)",
    _check_error_type,
    "`digitkit.data.parse_digits('12a')` raises it.",
    "ValueError.",
)
