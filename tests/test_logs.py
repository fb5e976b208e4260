import logging
import os
import pathlib
import subprocess
import sys

from digitkit import logs

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_importing_digitkit_then_tensorflow_prints_no_log_lines():
    code = (
        "import digitkit, os, sys\nimport tensorflow as tf\ntf.zeros(1)\n"
        "tf.get_logger().warning('retracing, as TensorFlow would warn')\n"
        "print(os.environ['TF_CPP_MIN_LOG_LEVEL'])\nprint('python stderr still works', file=sys.stderr)"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "3"
    assert done.stderr.strip() == "python stderr still works"


def test_verbose_lets_tensorflow_warnings_through_and_quiet_hides_them_again():
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("tensorflow")
    logger.addHandler(handler)
    try:
        logs.quiet()
        logger.warning("hidden")
        logger.error("shown")
        logs.verbose()
        logger.warning("shown too")
        assert os.environ["TF_CPP_MIN_LOG_LEVEL"] == "0"
    finally:
        logs.quiet()
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
        logger.removeHandler(handler)
    assert [r.getMessage() for r in records] == ["shown", "shown too"]
