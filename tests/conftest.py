"""Fixtures for end-to-end runs: a user's repo in a temporary folder, driven through a pytest subprocess."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_llmeval.demo import SAMPLE_DATA, SAMPLE_SUITE

RunLlm = Callable[..., pytest.RunResult]


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A user's repo: the sample data under ./data (the default --llm-data-dir) and the sample suite."""
    shutil.copytree(SAMPLE_DATA, pytester.path / "data")
    shutil.copyfile(SAMPLE_SUITE, pytester.path / SAMPLE_SUITE.name)
    pytester.makeini("[pytest]\n")
    return pytester


@pytest.fixture
def all_subjects_project(project: pytest.Pytester) -> pytest.Pytester:
    """The project without its suite file, and data for all 52 subjects: the sample's five plus 47 tiny ones.

    Each generated subject has five shots and one val question, enough for ``--llm-datasets ceval_gen``.
    """
    from pytest_llmeval.ceval import SUBJECTS

    project.path.joinpath(SAMPLE_SUITE.name).unlink()
    root = project.path / "data" / "ceval" / "formal_ceval"
    row = "{i},题目{i}：{name}的基础知识,甲,乙,丙,丁,{answer}"
    for subject in SUBJECTS:
        if (root / "dev" / f"{subject.key}_dev.csv").exists():
            continue
        dev = ["id,question,A,B,C,D,answer,explanation"] + [
            row.format(i=i, name=subject.chinese, answer="A") + ",说明" for i in range(5)
        ]
        val = ["id,question,A,B,C,D,answer"] + [row.format(i=0, name=subject.chinese, answer="B")]
        (root / "dev" / f"{subject.key}_dev.csv").write_text("\r\n".join(dev) + "\r\n", encoding="utf-8")
        (root / "val" / f"{subject.key}_val.csv").write_text("\r\n".join(val) + "\r\n", encoding="utf-8")
    return project


@pytest.fixture
def run_llm(project: pytest.Pytester) -> RunLlm:
    """Run pytest in the project as a user would, with ``--llm-model`` pointing at ``model`` when given."""

    def run(model: Path | None, *args: str) -> pytest.RunResult:
        argv: list[str] = ["-p", "no:cacheprovider"]
        if model is not None:
            # A relative link keeps pytest's rootdir in the project (absolute option paths move it).
            link = project.path / f"model-{model.parent.name}"
            if not link.exists():
                link.symlink_to(model, target_is_directory=True)
            argv += ["--llm-model", link.name]
        return project.runpytest_subprocess(*argv, *args)

    return run


@pytest.fixture
def last_run(project: pytest.Pytester) -> Callable[[], Path]:
    """The newest run folder under the default output dir."""

    def find() -> Path:
        return max((project.path / "outputs" / "llmeval").iterdir())

    return find
