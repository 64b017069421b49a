"""Dataset configs by the names users pass to OpenCompass (``--datasets ceval_gen``).

A config fixes everything that determines a prediction apart from the model:
split, shots, the round prompt and the answer extractor. Plain records in a
plain dict: no registry, no string-typed indirection beyond the lookup here.
"""

from __future__ import annotations

from dataclasses import dataclass

from pytest_llmeval.ceval import Subject
from pytest_llmeval.datasets.declared import BY_NAME


@dataclass(frozen=True, slots=True)
class DatasetConfig:
    """How one dataset is prompted and scored."""

    name: str
    family: str
    data_path: str
    split: str
    shots: int
    human: str
    postprocess: str
    mode: str

    def round_template(self, subject: Subject) -> str:
        """The HUMAN prompt of one round with the subject's Chinese name filled in."""
        return self.human.replace("{ch}", subject.chinese)

    def abbr(self, subject: Subject) -> str:
        """The dataset abbreviation OpenCompass uses for one subject, e.g. ``ceval-law``."""
        return f"{self.family}-{subject.key}"

    def version(self, subject: Subject) -> str:
        """OpenCompass's 6-hex "version": a hash of the subject's declared inference config."""
        return BY_NAME[self.name].infer(subject.chinese).version()


CEVAL_GEN = DatasetConfig(
    name="ceval_gen",
    family="ceval",
    data_path="ceval/formal_ceval",
    split="val",
    shots=5,
    human=(
        "以下是中国关于{ch}考试的单项选择题，请选出其中的正确答案。\n{question}\nA. {A}\nB. {B}\nC. {C}\nD. {D}\n答案: "
    ),
    postprocess="first_capital",
    mode="gen",
)

# ``ceval_gen`` is OpenCompass's alias for ``ceval_gen_5f30c7``; both names work.
CONFIGS: dict[str, DatasetConfig] = {"ceval_gen": CEVAL_GEN, "ceval_gen_5f30c7": CEVAL_GEN}
