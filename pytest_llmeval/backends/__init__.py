"""Backends: what runs the model. Stage three of a run, after datasets and prompts.

Owns loading a checkpoint with transformers (``hf/``, with the start-up checks of its files in
``hf_files.py``, the model presets in ``presets.py`` and the GPUs of each xdist worker in ``devices.py``),
talking to an OpenAI-compatible server (``server.py``), the result cache in front of either (``cache.py``),
the protocol every backend meets (``protocol.py``) and the one place that picks a backend (``choose.py``).
It may import the shared records (``errors``, ``names``, ``records``, ``settings``, ``faults``), ``datasets``
and ``prompts``; never ``judging``, ``runner``, ``reports`` or ``collection``.
"""
