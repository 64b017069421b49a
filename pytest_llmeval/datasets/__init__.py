"""Datasets: what is asked. The first stage of a run: benchmarks and a team's own exams as declarations.

Owns OpenCompass's templates as records and their version hash (``templates.py``), the named configs
(``declared.py``, ``configs.py``), the benchmark records and tables (``base.py``, ``benchmarks.py``,
``ceval.py``, ``mmlu.py``, ``cmmlu.py``), the readers of their files (``readers.py``, ``ceval.py``), the
custom-dataset format (``custom.py``, ``custom_dataset.py``), suite files with their thresholds (``suite.py``)
and each subject item's questions and shots (``plan.py``). It may import the shared records (``errors``,
``names``, ``records``, ``settings``, ``faults``) only.
"""
