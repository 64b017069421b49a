"""Collection: the pytest glue, the last layer. Hooks delegate to the stages; the work lives there.

Owns the hooks and fixtures (``plugin.py``, the ``llmeval`` entry point), suite files and subject items
(``items.py``), the ``--llm-*`` options and ini keys parsed into ``Settings`` (``options.py``), each process's
state and its lazily loaded model (``session.py``), and the seed command's ``--llm-model PATH`` space form
(``invocation.py``). It may import every other stage; nothing imports it.
"""
