"""The module pytest loads as the ``llmeval`` plugin (this package's ``pytest11`` entry point): the hooks and
fixtures of ``collection/plugin.py``, under the module path the entry point names.

The package index's unrelated ``pytest-llmeval`` declares the very same entry point, ``llmeval =
pytest_llmeval.plugin``, and pytest loads one plugin per name. So where both are installed and this package's
files were written last, whichever of the two entry points pytest meets first loads this module, and
``collection/conflicts.py`` names the problem in one line instead of a failure that names neither.
"""

from pytest_llmeval.collection.plugin import (
    llm_model,
    llm_settings,
    pytest_addoption,
    pytest_cmdline_main,
    pytest_collect_file,
    pytest_configure,
    pytest_load_initial_conftests,
    pytest_report_header,
    pytest_xdist_auto_num_workers,
)

__all__ = [
    "llm_model",
    "llm_settings",
    "pytest_addoption",
    "pytest_cmdline_main",
    "pytest_collect_file",
    "pytest_configure",
    "pytest_load_initial_conftests",
    "pytest_report_header",
    "pytest_xdist_auto_num_workers",
]
