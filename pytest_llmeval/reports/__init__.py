"""Reports: what a run shows and writes, once the verdict is known.

Owns the files in OpenCompass's layout and ``llmeval.json`` (``files.py``), the terminal table, live progress
and worker lines (``console.py``), the Markdown and HTML reports (``markdown.py``, ``html.py``), the webhook
(``notify.py``), ``--llm-list`` (``listing.py``) and the end of a run that writes them all (``finish.py``).
It may import every earlier stage (the shared records, ``datasets``, ``prompts``, ``backends``, ``judging``,
``runner``); never ``collection``.
"""
