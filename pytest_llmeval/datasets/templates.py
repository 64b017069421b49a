"""OpenCompass 0.2.4's prompt templates as typed records, and the pure functions that render and hash them.

A dataset config is declared as the same pieces OpenCompass's config files hold (an in-context
example template, a prompt template, a retriever, an inferencer); from them come both the prompt
text, byte for byte, and the 6-hex "version" of the summary table. Rendering follows the
reference's rules: in-context examples (ICE) replace the ``</E>`` token; a label dict renders one
template per answer label; without a meta template the pieces are joined by ``\\n`` with
OpenCompass's quirks (an empty piece still sets the separator); with InternLM2's ChatML meta
template each round is wrapped in ``<|im_start|>`` turns.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

# Import paths as OpenCompass's config files write them: they are part of the hashed config.
PROMPT_TEMPLATE = "opencompass.openicl.icl_prompt_template.PromptTemplate"
FIX_K_RETRIEVER = "opencompass.openicl.icl_retriever.FixKRetriever"
ZERO_RETRIEVER = "opencompass.openicl.icl_retriever.ZeroRetriever"
GEN_INFERENCER = "opencompass.openicl.icl_inferencer.GenInferencer"
PPL_INFERENCER = "opencompass.openicl.icl_inferencer.PPLInferencer"
LL_INFERENCER = "opencompass.openicl.icl_inferencer.LLInferencer"
INFERENCERS = {"gen": GEN_INFERENCER, "ppl": PPL_INFERENCER, "ll": LL_INFERENCER}

ICE_TOKEN = "</E>"
# gen: generate and extract an answer; ppl: the label whose prompt has the lowest perplexity; ll: the label under
# which a shared continuation is likeliest (OpenCompass's LLInferencer, Winogrande).
Mode = Literal["gen", "ppl", "ll"]
Role = Literal["HUMAN", "BOT"]
Fields = tuple[tuple[str, str], ...]  # a row's fields in column order: (name, value)


@dataclass(frozen=True, slots=True)
class Turn:
    role: Role
    prompt: str


@dataclass(frozen=True, slots=True)
class Rounds:
    """A round template: HUMAN/BOT turns, and a ``begin`` (``</E>``: where the in-context examples go), which may
    also be a list of turns and strings (HellaSwag 10-shot's header turn, then ``</E>``)."""

    turns: tuple[Turn, ...]
    begin: str | tuple[Turn | str, ...] | None = None

    def to_json(self) -> dict:
        data: dict = {"round": [_turn_json(turn) for turn in self.turns]}
        if isinstance(self.begin, tuple):
            data["begin"] = [item if isinstance(item, str) else _turn_json(item) for item in self.begin]
        elif self.begin is not None:
            data["begin"] = self.begin
        return data


def _turn_json(turn: Turn) -> dict:
    return {"prompt": turn.prompt, "role": turn.role}


Entry = str | Rounds


@dataclass(frozen=True, slots=True)
class Template:
    """OpenCompass's ``PromptTemplate``: one entry, or one entry per answer label (a label dict)."""

    entry: Entry | None = None
    by_label: tuple[tuple[str, Entry], ...] = ()
    ice_token: str | None = None

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(label for label, _ in self.by_label)

    def for_label(self, label: str | None) -> Entry:
        if not self.by_label:
            assert self.entry is not None
            return self.entry
        return dict(self.by_label)[label]  # type: ignore[index]

    def to_json(self) -> dict:
        body = (
            {label: _entry_json(entry) for label, entry in self.by_label} if self.by_label else _entry_json(self.entry)  # type: ignore[arg-type]
        )
        data: dict = {"template": body, "type": PROMPT_TEMPLATE}
        if self.ice_token is not None:
            data["ice_token"] = self.ice_token
        return data


def _entry_json(entry: Entry) -> str | dict:
    return entry if isinstance(entry, str) else entry.to_json()


@dataclass(frozen=True, slots=True)
class InferConfig:
    """What OpenCompass hashes into a version: templates, retriever (shots) and inferencer."""

    mode: Mode
    ice_template: Template | None
    prompt_template: Template | None = None
    shots: int = 5  # FixKRetriever over dev rows 0..shots-1; 0 means ZeroRetriever
    max_out_len: int | None = None  # set only where the config fixes it (else the model's)
    # Custom datasets name the classes by their module paths, and those strings are hashed too.
    retriever_type: str | None = None
    inferencer_type: str | None = None
    # FixKRetriever's rows where they are not 0..shots-1 (Winogrande 5-shot: 0, 2, 4, 6, 8); ``shots`` follows.
    fix_ids: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        if self.fix_ids is not None:
            object.__setattr__(self, "shots", len(self.fix_ids))

    # The inferencer's stopping_criteria (TriviaQA, NQ): generation stops once one of these appears, the text
    # kept. Hashed only where a config sets it, as OpenCompass hashes only the keys a config writes.
    stopping_criteria: tuple[str, ...] = ()

    @property
    def labels(self) -> tuple[str, ...]:
        return (self.prompt_template or self.ice_template).labels  # type: ignore[union-attr]

    @property
    def shot_rows(self) -> tuple[int, ...]:
        """The shot pool's rows, in the order the shots appear in a prompt."""
        return self.fix_ids if self.fix_ids is not None else tuple(range(self.shots))

    def to_json(self) -> dict:
        retriever = self.retriever_type or (FIX_K_RETRIEVER if self.shots else ZERO_RETRIEVER)
        data: dict = {"retriever": {"type": retriever}}
        inferencer: dict = {"type": self.inferencer_type or INFERENCERS[self.mode]}
        if self.shots:
            # OpenCompass hashes the retriever's list here, moved into the inferencer.
            inferencer["fix_id_list"] = list(self.shot_rows)
        if self.max_out_len is not None:
            inferencer["max_out_len"] = self.max_out_len
        if self.stopping_criteria:
            inferencer["stopping_criteria"] = list(self.stopping_criteria)
        data["inferencer"] = inferencer
        if self.ice_template is not None:
            data["ice_template"] = self.ice_template.to_json()
        if self.prompt_template is not None:
            data["prompt_template"] = self.prompt_template.to_json()
        return data

    def version(self) -> str:
        """The first 6 hex digits of SHA-256 over the JSON dump (default separators, ASCII escapes, sorted keys)."""
        return hashlib.sha256(json.dumps(self.to_json(), sort_keys=True).encode()).hexdigest()[:6]


# --- rendering -------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Piece:
    """One piece of a rendered prompt: a HUMAN or BOT turn, or a raw string (``role`` None)."""

    role: Role | None
    text: str


def fill(text: str, fields: Fields) -> str:
    """Substitute each field in column order by plain replacement, as OpenCompass does."""
    for name, value in fields:
        text = text.replace("{" + name + "}", value)
    return text


def _turns(rounds: Rounds, fields: Fields) -> list[Piece]:
    return [Piece(turn.role, fill(turn.prompt, fields)) for turn in rounds.turns]


def _ice(config: InferConfig, shots: Sequence[tuple[Fields, str]]) -> list[Piece] | str:
    """The in-context examples: pieces for round templates, a string for a label dict of strings."""
    template = config.ice_template
    if template is None or not shots:
        return ""
    if not template.by_label:
        entry = template.for_label(None)
        if isinstance(entry, str):
            # A plain-string ICE template takes FixK's separators: "\n" between shots and one after the last.
            return "\n".join(fill(entry, fields) for fields, _ in shots) + "\n"
        # Round ICE templates: the shots follow each other with no separator piece.
        return [piece for fields, _ in shots for piece in _turns(entry, fields)]
    entries = [(template.for_label(gold), fields) for fields, gold in shots]
    if all(isinstance(entry, str) for entry, _ in entries):
        return "\n".join(fill(entry, fields) for entry, fields in entries) + "\n"  # type: ignore[arg-type]
    pieces: list[Piece] = []
    for entry, fields in entries:
        assert isinstance(entry, Rounds)
        pieces += [*_turns(entry, fields), Piece(None, "\n")]
    return [*pieces, Piece(None, "\n")]  # label-dict ICE blocks end with one more separator


def render_pieces(
    config: InferConfig, shots: Sequence[tuple[Fields, str]], fields: Fields, label: str | None = None
) -> list[Piece] | str:
    """The prompt of one test row (for one ``label`` in ppl mode) before flattening; a string when plain text."""
    template = config.prompt_template or config.ice_template
    assert template is not None
    entry = template.for_label(label)
    ice = _ice(config, shots)
    if isinstance(entry, str):
        text = entry.replace(template.ice_token, ice if isinstance(ice, str) else "") if template.ice_token else entry
        return fill(text, fields)
    begin = entry.begin if isinstance(entry.begin, tuple) else (() if entry.begin is None else (entry.begin,))
    head: list[Piece] = []
    for item in begin:
        if isinstance(item, Turn):
            head.append(Piece(item.role, fill(item.prompt, fields)))
        elif item == template.ice_token:
            head += [Piece(None, ice)] if isinstance(ice, str) else ice
        else:
            head.append(Piece(None, item))
    return head + _turns(entry, fields)


def flatten_plain(pieces: list[Piece] | str) -> str:
    """No meta template: join with ``\\n``; an empty piece adds nothing yet still sets the separator."""
    if isinstance(pieces, str):
        return pieces
    text, separator = "", ""
    for piece in pieces:
        if piece.text:
            text += separator + piece.text
        separator = "\n"
    return text


def flatten_chatml(pieces: list[Piece] | str, mode: Mode) -> str:
    """InternLM2's ChatML meta template. In gen mode the answer to the last HUMAN turn is the generation slot:
    whatever BOT text follows it is dropped and the prompt ends with the open assistant turn."""
    if isinstance(pieces, str):
        return pieces  # plain-string templates ignore the meta template
    last_human = max((i for i, piece in enumerate(pieces) if piece.role == "HUMAN"), default=-1)
    text = ""
    for position, piece in enumerate(pieces):
        if piece.role is None:
            text += piece.text
        elif piece.role == "HUMAN":
            text += f"<|im_start|>user\n{piece.text}<|im_end|>\n"
        elif not (mode == "gen" and position > last_human):
            text += f"<|im_start|>assistant\n{piece.text}<|im_end|>\n"
    return text + ("<|im_start|>assistant\n" if mode == "gen" else "")
