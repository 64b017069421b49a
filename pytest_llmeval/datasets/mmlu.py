"""MMLU's 57 subjects in OpenCompass's config order, with their summary category and ``mmlu-weighted`` weight.

The weight is the subject's official test-split size; ``mmlu-weighted`` is the weighted mean of the
subject accuracies (§1.4 of the reference).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MmluSubject:
    key: str
    category: str
    weight: int

    @property
    def prompt_name(self) -> str:
        """The name in prompts: the key with every ``_`` as a space (``high school us history``)."""
        return self.key.replace("_", " ")

    @property
    def abbr(self) -> str:
        return f"lukaemon_mmlu_{self.key}"


MMLU_SUBJECTS: tuple[MmluSubject, ...] = (
    MmluSubject("college_biology", "mmlu-stem", 144),
    MmluSubject("college_chemistry", "mmlu-stem", 100),
    MmluSubject("college_computer_science", "mmlu-stem", 100),
    MmluSubject("college_mathematics", "mmlu-stem", 100),
    MmluSubject("college_physics", "mmlu-stem", 102),
    MmluSubject("electrical_engineering", "mmlu-stem", 145),
    MmluSubject("astronomy", "mmlu-stem", 152),
    MmluSubject("anatomy", "mmlu-stem", 135),
    MmluSubject("abstract_algebra", "mmlu-stem", 100),
    MmluSubject("machine_learning", "mmlu-stem", 112),
    MmluSubject("clinical_knowledge", "mmlu-other", 265),
    MmluSubject("global_facts", "mmlu-other", 100),
    MmluSubject("management", "mmlu-other", 103),
    MmluSubject("nutrition", "mmlu-other", 306),
    MmluSubject("marketing", "mmlu-other", 234),
    MmluSubject("professional_accounting", "mmlu-other", 282),
    MmluSubject("high_school_geography", "mmlu-social-science", 198),
    MmluSubject("international_law", "mmlu-humanities", 121),
    MmluSubject("moral_scenarios", "mmlu-humanities", 895),
    MmluSubject("computer_security", "mmlu-stem", 100),
    MmluSubject("high_school_microeconomics", "mmlu-social-science", 238),
    MmluSubject("professional_law", "mmlu-humanities", 1534),
    MmluSubject("medical_genetics", "mmlu-other", 100),
    MmluSubject("professional_psychology", "mmlu-social-science", 612),
    MmluSubject("jurisprudence", "mmlu-humanities", 108),
    MmluSubject("world_religions", "mmlu-humanities", 171),
    MmluSubject("philosophy", "mmlu-humanities", 311),
    MmluSubject("virology", "mmlu-other", 166),
    MmluSubject("high_school_chemistry", "mmlu-stem", 203),
    MmluSubject("public_relations", "mmlu-social-science", 110),
    MmluSubject("high_school_macroeconomics", "mmlu-social-science", 390),
    MmluSubject("human_sexuality", "mmlu-social-science", 131),
    MmluSubject("elementary_mathematics", "mmlu-stem", 378),
    MmluSubject("high_school_physics", "mmlu-stem", 151),
    MmluSubject("high_school_computer_science", "mmlu-stem", 100),
    MmluSubject("high_school_european_history", "mmlu-humanities", 165),
    MmluSubject("business_ethics", "mmlu-other", 100),
    MmluSubject("moral_disputes", "mmlu-humanities", 346),
    MmluSubject("high_school_statistics", "mmlu-stem", 216),
    MmluSubject("miscellaneous", "mmlu-other", 783),
    MmluSubject("formal_logic", "mmlu-humanities", 126),
    MmluSubject("high_school_government_and_politics", "mmlu-social-science", 193),
    MmluSubject("prehistory", "mmlu-humanities", 324),
    MmluSubject("security_studies", "mmlu-social-science", 245),
    MmluSubject("high_school_biology", "mmlu-stem", 310),
    MmluSubject("logical_fallacies", "mmlu-humanities", 163),
    MmluSubject("high_school_world_history", "mmlu-humanities", 237),
    MmluSubject("professional_medicine", "mmlu-other", 272),
    MmluSubject("high_school_mathematics", "mmlu-stem", 270),
    MmluSubject("college_medicine", "mmlu-other", 173),
    MmluSubject("high_school_us_history", "mmlu-humanities", 204),
    MmluSubject("sociology", "mmlu-social-science", 201),
    MmluSubject("econometrics", "mmlu-social-science", 114),
    MmluSubject("high_school_psychology", "mmlu-social-science", 545),
    MmluSubject("human_aging", "mmlu-other", 223),
    MmluSubject("us_foreign_policy", "mmlu-social-science", 100),
    MmluSubject("conceptual_physics", "mmlu-stem", 235),
)

# Group rows after the subjects, in OpenCompass's summary order; then "mmlu" (all) and "mmlu-weighted".
MMLU_GROUPS: tuple[str, ...] = ("mmlu-humanities", "mmlu-stem", "mmlu-social-science", "mmlu-other")
