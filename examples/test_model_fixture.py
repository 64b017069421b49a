"""Your own assertions on the model under evaluation, next to the suite's accuracy gates.

``llm_model`` is the session fixture the plugin's subject items use: the model
loads once per process (once per xdist worker) whichever asks first. It is
skipped, like the subject items, when no ``--llm-model`` is given.

    pytest examples/test_model_fixture.py --llm-model path/to/model
"""

from pytest_llmeval.datasets.ceval import SUBJECT_BY_KEY
from pytest_llmeval.datasets.configs import CEVAL_GEN
from pytest_llmeval.judging.scoring import first_capital
from pytest_llmeval.prompts import render_plain
from pytest_llmeval.records import Question


def test_answers_a_ceval_prompt_with_a_choice_letter(llm_model, llm_settings):
    """A checkpoint that stops answering in the expected format should fail fast, whatever its accuracy."""
    law = SUBJECT_BY_KEY["law"]
    question = Question(0, "我国的根本大法是", ("刑法", "宪法", "民法典", "行政诉讼法"), "B")
    prompt = render_plain(CEVAL_GEN.round_template(law), [], question)
    max_prompt_tokens = llm_settings.max_seq_len - llm_settings.max_out_len
    (text,) = llm_model.generate([prompt], llm_settings.max_out_len, max_prompt_tokens)
    assert first_capital(text) in {"A", "B", "C", "D"}, f"answer {text!r} holds no choice letter"


def test_tokenizer_adds_exactly_one_bos(llm_model):
    """OpenCompass counts BOS in the prompt length; a tokenizer change that drops or doubles it shifts scores."""
    ids = llm_model.tokenizer("答案: ")["input_ids"]
    bos = llm_model.tokenizer.bos_token_id
    assert ids[0] == bos and bos not in ids[1:]
