"""TriviaQA and NQ-open (``opencompass-core.md`` §11, §12): open questions, one shot, answers as alias lists.

Rows are read as ``TriviaQADataset_V2`` and ``NQOpenDataset`` read them: ``<name>-validation.jsonl`` is
evaluated, row 0 of ``<name>-train.jsonl`` is the one shot. The gold is the row's alias list, kept as a JSON
array in ``Question.answer`` (as the ``list`` rule keeps it); ``judging/open_qa.py`` matches it. A shot's
answer is pasted into the prompt as OpenCompass pastes it: TriviaQA's with ``str()`` whatever it is, NQ's
train answer replaced by its first element.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from pytest_llmeval.datasets.base import Benchmark, Subject
from pytest_llmeval.datasets.gsm8k import read_jsonl
from pytest_llmeval.datasets.templates import ICE_TOKEN, InferConfig, Rounds, Template, Turn
from pytest_llmeval.errors import LlmEvalError
from pytest_llmeval.records import Question

# Both datasets' GenInferencer(max_out_len=50, stopping_criteria=["Q:", "\n"]).
STOP_STRINGS = ("Q:", "\n")
MAX_OUT_LEN = 50


def _shown(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."


def _aliases(value: object, where: str, dataset: str) -> list[str]:
    """A validation row's answers: a non-empty list of strings, else one line saying what the row has."""
    if not isinstance(value, list) or not value or not all(isinstance(item, str) for item in value):
        raise LlmEvalError(
            f'{where}: "answer" is {_shown(value)}; {dataset} validation rows need a non-empty list of answer '
            'strings (its aliases), e.g. ["Paris", "Paris, France"]'
        )
    return value


def _read(path: Path, split: str, dataset: str, shot_answer: Callable[[object, str], str]) -> tuple[Question, ...]:
    questions = []
    for number, row in read_jsonl(path):
        where = f"{path}:{number}: row {len(questions)}"
        for name in ("question", "answer"):
            if name not in row:
                raise LlmEvalError(f'{where} has no "{name}"; {dataset} rows need "question" and "answer"')
        question = row["question"]
        if not isinstance(question, str):
            raise LlmEvalError(f'{where}: "question" is {_shown(question)}; {dataset} rows need a string there')
        if split == "train":
            answer = shot_answer(row["answer"], where)
        else:
            answer = json.dumps(_aliases(row["answer"], where, dataset), ensure_ascii=False)
        # Every column fills the prompt in file order (the test row's answer is emptied first).
        columns = tuple((k, answer if k == "answer" else str(v)) for k, v in row.items())
        questions.append(Question(len(questions), question, (), answer, columns, "answer"))
    return tuple(questions)


def _triviaqa_shot(value: object, where: str) -> str:
    # str() as safe_format applies it: a string as is, a list as its Python literal.
    return str(value)


def _nq_shot(value: object, where: str) -> str:
    if not isinstance(value, list) or not value:
        raise LlmEvalError(
            f'{where}: "answer" is {_shown(value)}; NQ-open train rows need a non-empty list of answers '
            "(the shot shows the first)"
        )
    return str(value[0])


def read_triviaqa(path: Path, split: str) -> tuple[Question, ...]:
    """``triviaqa-<split>.jsonl``: question and answer; validation answers are alias lists."""
    return _read(path, split, "TriviaQA", _triviaqa_shot)


def read_nq_open(path: Path, split: str) -> tuple[Question, ...]:
    """``nq-open-<split>.jsonl``: question and answer list; a train row's answer is its first element."""
    return _read(path, split, "NQ-open", _nq_shot)


# --- configs ------------------------------------------------------------------------------------------------------


def open_qa_20a989(name: str) -> InferConfig:
    """triviaqa_wiki_1shot_gen_20a989 and nq_open_1shot_gen_20a989: one dict, one version."""
    ice = Template("Q: {question}\nA: {answer}.\n")
    prompt = Template(f"{ICE_TOKEN}Q: {{question}}\nA: ", ice_token=ICE_TOKEN)
    return InferConfig("gen", ice, prompt, shots=1, max_out_len=MAX_OUT_LEN, stopping_criteria=STOP_STRINGS)


def _rounds_config(human: str) -> InferConfig:
    ice = Template(Rounds((Turn("HUMAN", human), Turn("BOT", "A: {answer}.\n"))))
    prompt = Template(Rounds((Turn("HUMAN", human), Turn("BOT", "A:")), ICE_TOKEN), ice_token=ICE_TOKEN)
    return InferConfig("gen", ice, prompt, shots=1, max_out_len=MAX_OUT_LEN, stopping_criteria=STOP_STRINGS)


def triviaqa_eaf81e(name: str) -> InferConfig:
    return _rounds_config("Q: {question}")


def nq_open_01cf41(name: str) -> InferConfig:
    return _rounds_config("Q: {question}?")  # NQ questions have no "?" of their own


# --- benchmarks ---------------------------------------------------------------------------------------------------


def _benchmark(family: str, title: str, folder: str, abbr: str, read: Callable) -> Benchmark:
    return Benchmark(
        family=family,
        title=title,
        data_path=folder,
        subjects=(Subject(abbr, abbr, keywords=("open_qa",)),),
        groups=(),
        abbr_prefix="",
        shot_split="train",
        test_split="validation",
        question_field="question",
        answer_field="answer",
        file_name=lambda key, split: f"{folder}-{split}.jsonl",
        read=read,
        metric="score",  # TriviaQAEvaluator and NQEvaluator: cnt / n * 100
    )


TRIVIAQA = _benchmark("triviaqa", "TriviaQA", "triviaqa", "triviaqa_wiki_1shot", read_triviaqa)
NQ_OPEN = _benchmark("nq_open", "NQ-open", "nq-open", "nq_open_1shot", read_nq_open)
