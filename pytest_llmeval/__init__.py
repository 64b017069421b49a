"""pytest-llm-regression: a model checkpoint evaluated on benchmark subjects as pytest items, gated by thresholds.

The package is laid out in the order a run goes through it; a module imports only from its own layer and the
layers before it (``tests/unit/test_layout.py`` checks this):

1. shared records and rules: ``errors``, ``names``, ``records``, ``settings``, ``faults``;
2. ``datasets/``: what is asked (configs, subjects, suite files, each item's plan);
3. ``prompts``: rendering and shot dropping;
4. ``backends/``: what runs the model (transformers, a server, the result cache);
5. ``judging/``: answers to verdicts (scoring, the table, baselines, statistics);
6. ``runner``: one subject, from prompts to scored outcomes;
7. ``reports/``: what a run shows and writes;
8. ``collection/``: the pytest glue (hooks, items, options, per-process state).

``demo`` and ``tiny`` (the demo and its tiny offline model) sit outside the pipeline.
"""

__version__ = "0.2.0"
