"""The custom-dataset example (``examples/custom``) as test data, and what a tiny model must learn to pass it.

The lessons are the example's prompts as the plugin renders them for gen scoring (plain and chat),
each with its gold answer: a letter for multiple choice, the first accepted answer for question-answer.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from pytest_llmeval.datasets.custom_dataset import CustomSource, build
from pytest_llmeval.datasets.templates import flatten_plain, render_pieces
from pytest_llmeval.judging.scoring import accepted_answers
from pytest_llmeval.runner import messages_from
from pytest_llmeval.tiny import Lesson

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "custom"
EXAMS = EXAMPLE / "exams"


def copy_example(destination: Path) -> Path:
    """The example's suite and exams, copied into a project folder."""
    shutil.copytree(EXAMS, destination / "exams")
    shutil.copyfile(EXAMPLE / "llmeval_custom.toml", destination / "llmeval_custom.toml")
    return destination


def exam_lessons(folder: Path = EXAMS) -> list[Lesson]:
    config = build(CustomSource(folder.resolve()), str(folder))
    benchmark = config.benchmark
    lessons = []
    for subject in benchmark.subjects:
        infer = config.infer_config(subject)
        for question in benchmark.read(benchmark.path(benchmark.root, subject.key, "test"), "test"):
            pieces = render_pieces(infer, [], benchmark.fields(question, ""))
            answer = accepted_answers(question.answer)[0] if subject.scoring == "list" else question.answer
            lessons.append(Lesson(flatten_plain(pieces), tuple(messages_from(pieces)), answer))
    return lessons


def exam_corpus(folder: Path = EXAMS) -> list[str]:
    """The exam files and rendered prompts: what the tokenizer's vocabulary is trained on."""
    texts = [path.read_text(encoding="utf-8") for path in sorted(folder.iterdir())]
    return texts + [lesson.plain for lesson in exam_lessons(folder)] + ["user\n", "assistant\n"]


def build_exam_model(out: Path, folder: Path = EXAMS) -> Path:
    """A tiny Llama that has learnt every exam question in ``folder``."""
    from pytest_llmeval.tiny import build_model

    return build_model(out, exam_corpus(folder), exam_lessons(folder), letters="ABCDE", max_epochs=20)
