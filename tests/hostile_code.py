"""Model-written programs that are hostile or broken, and the tiny model that writes them.

Each completion answers a one-problem HumanEval file. What varies between runs (the folder beside the repo, the
real home directory, the port the test listens on) is not in the completion: it reads the globals ``OUTSIDE``,
``HOME_DIR`` and ``PORT``, which the problem's ``test`` field defines when the test writes the data file. HumanEval
runs prompt, completion, then the test code, so the globals exist by the time ``check`` calls the function. The
model's text is then the same in every run, and the checkpoint store keeps one hostile model for all of them.
"""

from __future__ import annotations

from pathlib import Path

HOSTILE = {
    "loop": "    while True:\n        pass\n",
    "fork": "    import os\n    while True:\n        os.fork()\n",
    "hoard": "    hoard = []\n    while True:\n        hoard.append(bytearray(10 ** 8))\n",
    "chatter": "    while True:\n        print('spam' * 100)\n",
    # Not opening with "def": HumanEval's post-processing drops a completion's first line when it is a def.
    "recurse": "    depth = 0\n    def deeper(n):\n        return deeper(n + 1)\n    return deeper(depth)\n",
    "exit": "    import sys\n    sys.exit(0)\n",
    "parricide": "    import os\n    os.kill(os.getppid(), 9)\n    os.killpg(0, 9)\n",
    "litter": "    open(OUTSIDE + '/written-by-a-program.txt', 'w').write('x')\n",
    "home": (
        "    import os\n    open(os.path.expanduser('~/written-by-a-program.txt'), 'w').write('x')\n"
        "    open(HOME_DIR + '/written-by-a-program.txt', 'w').write('x')\n"
    ),
    "snoop": "    import os\n    print(os.environ.get('OPENAI_API_KEY'))\n    raise ValueError(os.environ.get('OPENAI_API_KEY', 'no key'))\n",
    "dial": "    import socket\n    socket.create_connection(('127.0.0.1', PORT), timeout=1)\n",
    "garbled": "    return (1 +\n",
}
PROMPT = "Complete the following python code:\n"


def problem(kind: str, outside: Path | None = None, home: Path | None = None, port: int = 0) -> dict:
    """A HumanEval problem whose function the model completes with the ``kind`` completion."""
    where = f"OUTSIDE = {str(outside)!r}\nHOME_DIR = {str(home)!r}\nPORT = {port}\n"
    return {
        "task_id": f"Hostile/{kind}",
        "prompt": f'def task_{kind}():\n    """Return one, the {kind} way."""\n',
        "entry_point": f"task_{kind}",
        "canonical_solution": "    return 1\n",
        "test": f"\n\n{where}\ndef check(candidate):\n    assert candidate() == 1\n",
    }


def build_hostile_model(out: Path) -> Path:
    """A tiny model taught to answer each hostile problem with its completion (and the end token)."""
    from pytest_llmeval.tiny import Lesson, build_model

    lessons = []
    for kind, completion in HOSTILE.items():
        prompt = PROMPT + problem(kind)["prompt"]
        lessons.append(Lesson(prompt, ({"role": "user", "content": prompt},), completion))
    corpus = [lesson.plain + lesson.answer for lesson in lessons]
    return build_model(out, corpus, lessons, max_epochs=200)
