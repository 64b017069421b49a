"""A tiny, real transformers checkpoint built offline from C-Eval-format data.

The checkpoint is a two-layer Llama of about 0.4M parameters with a byte-level BPE
tokenizer trained on the data itself, shaped like InternLM2 where it matters to
an evaluation: BOS on every encoding, ``</s>`` and ``<|im_end|>`` as stop
tokens, and the same chat template. Trained, it has memorised the gold letter
of every val question under the exact ``ceval_gen`` prompts (plain and chat, 0
to 5 shots), so an evaluation scores about 100%; untrained, it guesses. That
makes it a fast stand-in for a real model in end-to-end tests.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast
from transformers.utils import logging as hf_logging

from pytest_llmeval.datasets.ceval import SUBJECTS, Subject, read_split, split_path
from pytest_llmeval.datasets.configs import CEVAL_GEN
from pytest_llmeval.errors import LlmEvalError
from pytest_llmeval.prompts import Message, chat_messages, render_plain
from pytest_llmeval.records import Question

log = logging.getLogger(__name__)

UNK, BOS, EOS, IM_START, IM_END = "<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"
# Order fixes the ids: <unk>=0, <s>=1, </s>=2, as in InternLM2.
SPECIAL_TOKENS = (UNK, BOS, EOS, IM_START, IM_END)
LETTERS = "ABCD"

CHAT_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

VOCAB_SIZE = 2000
# Small batches: more updates per pass over the data, at about the same CPU cost.
BATCH_SIZE = 8
LEARNING_RATE = 3e-3
LR_DECAY = 0.8
# Training stops once every gold token beats the runner-up by this many logits:
# enough slack that left padding and batch composition at evaluation time,
# which perturb logits slightly, cannot flip an answer.
MARGIN = 2.0
MIN_EPOCH_EXAMPLES = 256


@dataclass(frozen=True, slots=True)
class _SubjectData:
    subject: Subject
    dev: tuple[Question, ...]
    val: tuple[Question, ...]


@dataclass(frozen=True, slots=True)
class Lesson:
    """One prompt the model learns to answer: its plain text, the same as chat turns, and the answer text."""

    plain: str
    messages: tuple[Message, ...]
    answer: str
    # False: a base model's habit on a few-shot prompt: no end token after the answer, so at evaluation it
    # keeps writing (the next "Question:", the next problem) until max-out-len. Taught on the plain prompt only.
    ends: bool = True


@dataclass(frozen=True, slots=True)
class _Example:
    """One training sequence: prompt ids, then the tokens the model must emit after it."""

    prompt: tuple[int, ...]
    target: tuple[int, ...]


def _load_subjects(data_dir: Path) -> list[_SubjectData]:
    root = data_dir / "ceval" / "formal_ceval"
    found = [
        _SubjectData(subject, *(read_split(split_path(root, subject.key, split), split) for split in ("dev", "val")))
        for subject in SUBJECTS
        if all(split_path(root, subject.key, split).is_file() for split in ("dev", "val"))
    ]
    if not found:
        raise LlmEvalError(f"{root}: no C-Eval subject has both a dev and a val file here")
    return found


def _corpus(data_dir: Path, subjects: Sequence[_SubjectData]) -> list[str]:
    root = data_dir / "ceval" / "formal_ceval"
    texts = [
        split_path(root, d.subject.key, split).read_text(encoding="utf-8") for d in subjects for split in ("dev", "val")
    ]
    # The prompt scaffolding, so the template and chat roles get compact tokens.
    texts += [CEVAL_GEN.round_template(d.subject) for d in subjects]
    texts += ["user\n", "assistant\n"]
    return texts


def _train_bpe(texts: Sequence[str], letters: str = LETTERS, vocab_size: int = VOCAB_SIZE) -> Tokenizer:
    tokenizer = Tokenizer(models.BPE(unk_token=UNK))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            # Isolating the answer letters keeps them single tokens that never merge
            # with a neighbour, so encode(prompt + "A") == encode(prompt) + [id("A")]
            # and what the model is trained to emit is what a re-encoding would give.
            pre_tokenizers.Split(Regex(f"[{letters}]"), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False),
        ]
    )
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=1,
        special_tokens=list(SPECIAL_TOKENS),
        # The full byte alphabet, so any text encodes without <unk>.
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    bos_id = tokenizer.token_to_id(BOS)
    # BOS on every encoding, single or pair, as InternLM2's tokenizer does.
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{BOS} $A", pair=f"{BOS} $A $B", special_tokens=[(BOS, bos_id)]
    )
    return tokenizer


def _wrap(tokenizer: Tokenizer) -> PreTrainedTokenizerFast:
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token=BOS,
        eos_token=EOS,
        unk_token=UNK,
        pad_token=EOS,
        additional_special_tokens=[IM_START, IM_END],
        chat_template=CHAT_TEMPLATE,
    )


def _save_tokenizer(tokenizer: PreTrainedTokenizerFast, out_dir: Path) -> None:
    tokenizer.save_pretrained(out_dir)
    path = out_dir / "tokenizer_config.json"
    config = json.loads(path.read_text(encoding="utf-8"))
    # transformers 5 writes its own class name and a list-valued
    # "extra_special_tokens", neither of which transformers 4.x can load; the
    # 4.x spellings load in both.
    config["tokenizer_class"] = "PreTrainedTokenizerFast"
    extra = config.pop("extra_special_tokens", None)
    if extra:
        config["additional_special_tokens"] = list(extra)
    # Inline the template too: older versions do not read chat_template.jinja.
    config["chat_template"] = CHAT_TEMPLATE
    path.write_text(json.dumps(config, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def _lessons(subjects: Sequence[_SubjectData], mislearn_every: int = 0) -> list[Lesson]:
    """Every val question at every shot count; with ``mislearn_every`` n, every n-th question (by index in
    its file, from the first) is taught the next letter instead of its answer: a worse model, for gating tests."""
    lessons = []
    for data in subjects:
        template = CEVAL_GEN.round_template(data.subject)
        # Every shot count down to zero, since the plugin drops shots when a
        # prompt exceeds the maximum sequence length.
        for shots in range(min(CEVAL_GEN.shots, len(data.dev)) + 1):
            for question in data.val:
                plain = render_plain(template, data.dev[:shots], question)
                messages = tuple(chat_messages(template, data.dev[:shots], question))
                answer = question.answer
                if mislearn_every and question.index % mislearn_every == 0:
                    answer = LETTERS[(LETTERS.index(answer) + 1) % len(question.choices)]
                lessons.append(Lesson(plain, messages, answer))
    return lessons


def _examples(tokenizer: PreTrainedTokenizerFast, lessons: Sequence[Lesson]) -> list[_Example]:
    """Each lesson twice: the plain prompt ending in ``</s>``, the chat prompt ending in ``<|im_end|>``."""
    eos_id = tokenizer.convert_tokens_to_ids(EOS)
    im_end_id = tokenizer.convert_tokens_to_ids(IM_END)
    examples = []
    for lesson in lessons:
        answer = tuple(tokenizer.encode(lesson.answer, add_special_tokens=False))
        if not lesson.ends:
            examples.append(_Example(tuple(tokenizer.encode(lesson.plain)), answer))
            continue
        chat = tokenizer.apply_chat_template(list(lesson.messages), tokenize=False, add_generation_prompt=True)
        # The template writes BOS as text; the tokenizer adds it again when encoding.
        chat = chat.removeprefix(BOS)
        examples.append(_Example(tuple(tokenizer.encode(lesson.plain)), (*answer, eos_id)))
        examples.append(_Example(tuple(tokenizer.encode(chat)), (*answer, im_end_id)))
    return examples


@dataclass(frozen=True, slots=True)
class Size:
    """How big a built model is: the tests' 0.4M-parameter default, or larger for benchmarks."""

    vocab: int = VOCAB_SIZE
    hidden: int = 64
    layers: int = 2


def _model_config(tokenizer: PreTrainedTokenizerFast, size: Size = Size()) -> LlamaConfig:
    return LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=size.hidden,
        intermediate_size=size.hidden * 4,
        num_hidden_layers=size.layers,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=4096,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
        dtype="float32",
    )


_Batch = tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]


def _batches(examples: Sequence[_Example], pad_id: int) -> list[_Batch]:
    """Group examples of similar length (and equal answer length) and pad each group on the right."""
    order = sorted(range(len(examples)), key=lambda i: (len(examples[i].target), len(examples[i].prompt)))
    groups: list[list[_Example]] = []
    for i in order:
        if groups and len(groups[-1]) < BATCH_SIZE and len(groups[-1][0].target) == len(examples[i].target):
            groups[-1].append(examples[i])
        else:
            groups.append([examples[i]])
    batches = []
    for members in groups:
        # Input is the prompt plus all but the last target token; the target
        # tokens are predicted from the last prompt position onwards.
        sequences = [list(e.prompt) + list(e.target[:-1]) for e in members]
        width = max(len(s) for s in sequences)
        ids = torch.full((len(members), width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(members), width), dtype=torch.long)
        for row, seq in enumerate(sequences):
            ids[row, : len(seq)] = torch.tensor(seq)
            mask[row, : len(seq)] = 1
        steps = len(members[0].target)
        positions = torch.tensor([[len(e.prompt) - 1 + k for k in range(steps)] for e in members])
        labels = torch.tensor([list(e.target) for e in members])
        batches.append((ids, mask, positions, labels))
    return batches


def _target_logits(
    model: LlamaForCausalLM, ids: torch.Tensor, mask: torch.Tensor, positions: torch.Tensor
) -> torch.Tensor:
    hidden = model.model(input_ids=ids, attention_mask=mask).last_hidden_state
    picked = hidden.gather(1, positions.unsqueeze(-1).expand(-1, -1, hidden.shape[-1]))
    # The vocabulary projection only where a loss is taken: most of the cost otherwise.
    return model.lm_head(picked)


def _confident(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Per example: whether every target token wins its position by at least ``MARGIN``."""
    gold = logits.gather(-1, labels.unsqueeze(-1)).squeeze(-1)
    rivals = logits.scatter(-1, labels.unsqueeze(-1), float("-inf")).amax(-1)
    return (gold - rivals >= MARGIN).all(-1)


def _all_confident(model: LlamaForCausalLM, batches: Sequence[_Batch]) -> bool:
    model.eval()
    with torch.no_grad():
        ok = all(bool(_confident(_target_logits(model, i, m, p), y).all()) for i, m, p, y in batches)
    model.train()
    return ok


def _train(model: LlamaForCausalLM, examples: Sequence[_Example], pad_id: int, seed: int, max_epochs: int) -> None:
    """Fit until every target is confidently right, or for ``max_epochs`` epochs.

    Bounded by epochs, not seconds, so a busy machine gives the same weights as an idle one.
    """
    started = time.monotonic()
    batches = _batches(examples, pad_id)
    optimizer = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE, weight_decay=0.0)
    # Decaying the rate each epoch damps the loss spikes a constant rate gives
    # once most targets are learnt, which otherwise keep knocking a few back.
    schedule = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=LR_DECAY)
    shuffle = random.Random(seed)
    model.train()
    for epoch in range(1, max_epochs + 1):
        failing = 0
        for ids, mask, positions, labels in shuffle.sample(batches, len(batches)):
            logits = _target_logits(model, ids, mask, positions)
            loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), labels.flatten())
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            # Judged on logits from before this step's update, so only a cheap
            # hint; the full check below is what ends training.
            failing += int((~_confident(logits.detach(), labels)).sum())
        schedule.step()
        log.debug("epoch %d: %d not yet confident, %.1fs", epoch, failing, time.monotonic() - started)
        if failing <= len(examples) // 50 and _all_confident(model, batches):
            log.debug("every target confident after %d epochs", epoch)
            return
    log.debug("stopped after %d epochs before every target was confident", max_epochs)


def build_tiny_model(
    out_dir: Path, data_dir: Path, *, train: bool = True, seed: int = 0, max_epochs: int = 40, mislearn_every: int = 0
) -> Path:
    """Write a tiny Llama checkpoint and tokenizer for the C-Eval data in ``data_dir`` to ``out_dir``."""
    data_dir = Path(data_dir)
    subjects = _load_subjects(data_dir)
    lessons = _lessons(subjects, mislearn_every) if train else []
    return build_model(out_dir, _corpus(data_dir, subjects), lessons, train=train, seed=seed, max_epochs=max_epochs)


def build_model(
    out_dir: Path,
    corpus: Sequence[str],
    lessons: Sequence[Lesson],
    *,
    train: bool = True,
    seed: int = 0,
    max_epochs: int = 40,
    letters: str = LETTERS,
    size: Size = Size(),
) -> Path:
    """Write a tiny checkpoint whose tokenizer is trained on ``corpus`` and which has learnt ``lessons``."""
    out_dir = Path(out_dir)
    tokenizer = _wrap(_train_bpe(corpus, letters, size.vocab))
    out_dir.mkdir(parents=True, exist_ok=True)
    # A private RNG stream: the same seed gives the same weights, and the
    # caller's global torch RNG state is left as it was.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = LlamaForCausalLM(_model_config(tokenizer, size))
        if train:
            examples = _examples(tokenizer, lessons)
            # A handful of lessons gives too few updates per epoch for the decaying rate: repeat them.
            examples *= max(1, MIN_EPOCH_EXAMPLES // max(len(examples), 1))
            _train(model, examples, tokenizer.pad_token_id, seed, max_epochs)
    model.eval()
    model.generation_config = GenerationConfig(
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=[tokenizer.eos_token_id, tokenizer.convert_tokens_to_ids(IM_END)],
        pad_token_id=tokenizer.pad_token_id,
        do_sample=False,
    )
    # Saving shows a progress bar by default; a library call should print nothing.
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        model.save_pretrained(out_dir)
    finally:
        if bars:
            hf_logging.enable_progress_bar()
    _save_tokenizer(tokenizer, out_dir)
    return out_dir


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: ``python -m pytest_llmeval.tiny OUT_DIR DATA_DIR [--untrained]``."""
    parser = argparse.ArgumentParser(
        prog="python -m pytest_llmeval.tiny", description="Build the tiny C-Eval checkpoint from a data directory."
    )
    parser.add_argument("out_dir", type=Path, help="where to write the checkpoint")
    parser.add_argument("data_dir", type=Path, help="data root in OpenCompass layout (holds ceval/)")
    parser.add_argument("--untrained", action="store_true", help="save the random initialisation untrained")
    parser.add_argument("--seed", type=int, default=0, help="seed for weights and batch order (default 0)")
    parser.add_argument("--max-epochs", type=int, default=40, help="training epoch limit (default 40)")
    args = parser.parse_args(argv)
    try:
        build_tiny_model(
            args.out_dir, args.data_dir, train=not args.untrained, seed=args.seed, max_epochs=args.max_epochs
        )
    except LlmEvalError as error:
        parser.exit(2, f"error: {error}\n")


if __name__ == "__main__":
    main()
