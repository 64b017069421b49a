"""Judging: from answers to verdicts. The stage after the backends have answered.

Owns answer extraction and per-question scoring (``scoring.py``), the summary table with its group rows
(``summary.py``), the baseline file (``baseline.py``), the paired comparison with a baseline
(``compare.py``) and its statistics (``stats.py``: McNemar, Holm), and every pass/fail decision
(``verdict.py``), all pure functions of records; and for code suites, post-processing as text (``code.py``) and
running each program in a sandboxed child process (``programs.py``, ``execution.py``, ``sandbox_child.py``), the one
place that runs anything. It may import the shared records, ``datasets`` and
``prompts``; never ``backends``, ``runner``, ``reports`` or ``collection``.
"""
