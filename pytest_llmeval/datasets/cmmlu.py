"""CMMLU's 67 subjects in OpenCompass's (alphabetical) config order, with Chinese names and summary groups.

Every subject belongs to one of humanities, stem, social science and other; 15 also belong to
``cmmlu-china-specific`` (§2.4 of the reference).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CmmluSubject:
    key: str
    chinese: str
    groups: tuple[str, ...]

    @property
    def abbr(self) -> str:
        return f"cmmlu-{self.key}"


CMMLU_SUBJECTS: tuple[CmmluSubject, ...] = (
    CmmluSubject("agronomy", "农学", ("cmmlu-other",)),
    CmmluSubject("anatomy", "解剖学", ("cmmlu-stem",)),
    CmmluSubject("ancient_chinese", "古汉语", ("cmmlu-social-science", "cmmlu-china-specific")),
    CmmluSubject("arts", "艺术学", ("cmmlu-humanities",)),
    CmmluSubject("astronomy", "天文学", ("cmmlu-stem",)),
    CmmluSubject("business_ethics", "商业伦理", ("cmmlu-social-science",)),
    CmmluSubject("chinese_civil_service_exam", "中国公务员考试", ("cmmlu-social-science", "cmmlu-china-specific")),
    CmmluSubject("chinese_driving_rule", "中国驾驶规则", ("cmmlu-other", "cmmlu-china-specific")),
    CmmluSubject("chinese_food_culture", "中国饮食文化", ("cmmlu-social-science", "cmmlu-china-specific")),
    CmmluSubject("chinese_foreign_policy", "中国外交政策", ("cmmlu-social-science", "cmmlu-china-specific")),
    CmmluSubject("chinese_history", "中国历史", ("cmmlu-humanities", "cmmlu-china-specific")),
    CmmluSubject("chinese_literature", "中国文学", ("cmmlu-humanities", "cmmlu-china-specific")),
    CmmluSubject("chinese_teacher_qualification", "中国教师资格", ("cmmlu-social-science", "cmmlu-china-specific")),
    CmmluSubject("clinical_knowledge", "临床知识", ("cmmlu-other",)),
    CmmluSubject("college_actuarial_science", "大学精算学", ("cmmlu-stem",)),
    CmmluSubject("college_education", "大学教育学", ("cmmlu-social-science",)),
    CmmluSubject("college_engineering_hydrology", "大学工程水文学", ("cmmlu-stem",)),
    CmmluSubject("college_law", "大学法律", ("cmmlu-humanities",)),
    CmmluSubject("college_mathematics", "大学数学", ("cmmlu-stem",)),
    CmmluSubject("college_medical_statistics", "大学医学统计", ("cmmlu-stem",)),
    CmmluSubject("college_medicine", "大学医学", ("cmmlu-other",)),
    CmmluSubject("computer_science", "计算机科学", ("cmmlu-stem",)),
    CmmluSubject("computer_security", "计算机安全", ("cmmlu-other",)),
    CmmluSubject("conceptual_physics", "概念物理学", ("cmmlu-stem",)),
    CmmluSubject("construction_project_management", "建设工程管理", ("cmmlu-other", "cmmlu-china-specific")),
    CmmluSubject("economics", "经济学", ("cmmlu-social-science",)),
    CmmluSubject("education", "教育学", ("cmmlu-social-science",)),
    CmmluSubject("electrical_engineering", "电气工程", ("cmmlu-stem",)),
    CmmluSubject("elementary_chinese", "小学语文", ("cmmlu-social-science", "cmmlu-china-specific")),
    CmmluSubject("elementary_commonsense", "小学常识", ("cmmlu-other", "cmmlu-china-specific")),
    CmmluSubject("elementary_information_and_technology", "小学信息技术", ("cmmlu-other",)),
    CmmluSubject("elementary_mathematics", "初等数学", ("cmmlu-stem",)),
    CmmluSubject("ethnology", "民族学", ("cmmlu-social-science", "cmmlu-china-specific")),
    CmmluSubject("food_science", "食品科学", ("cmmlu-other",)),
    CmmluSubject("genetics", "遗传学", ("cmmlu-stem",)),
    CmmluSubject("global_facts", "全球事实", ("cmmlu-humanities",)),
    CmmluSubject("high_school_biology", "高中生物", ("cmmlu-stem",)),
    CmmluSubject("high_school_chemistry", "高中化学", ("cmmlu-stem",)),
    CmmluSubject("high_school_geography", "高中地理", ("cmmlu-social-science",)),
    CmmluSubject("high_school_mathematics", "高中数学", ("cmmlu-stem",)),
    CmmluSubject("high_school_physics", "高中物理学", ("cmmlu-stem",)),
    CmmluSubject("high_school_politics", "高中政治", ("cmmlu-social-science", "cmmlu-china-specific")),
    CmmluSubject("human_sexuality", "人类性行为", ("cmmlu-other",)),
    CmmluSubject("international_law", "国际法学", ("cmmlu-humanities",)),
    CmmluSubject("journalism", "新闻学", ("cmmlu-social-science",)),
    CmmluSubject("jurisprudence", "法理学", ("cmmlu-humanities",)),
    CmmluSubject("legal_and_moral_basis", "法律与道德基础", ("cmmlu-other",)),
    CmmluSubject("logical", "逻辑学", ("cmmlu-humanities",)),
    CmmluSubject("machine_learning", "机器学习", ("cmmlu-stem",)),
    CmmluSubject("management", "管理学", ("cmmlu-social-science",)),
    CmmluSubject("marketing", "市场营销", ("cmmlu-social-science",)),
    CmmluSubject("marxist_theory", "马克思主义理论", ("cmmlu-humanities",)),
    CmmluSubject("modern_chinese", "现代汉语", ("cmmlu-social-science", "cmmlu-china-specific")),
    CmmluSubject("nutrition", "营养学", ("cmmlu-other",)),
    CmmluSubject("philosophy", "哲学", ("cmmlu-humanities",)),
    CmmluSubject("professional_accounting", "专业会计", ("cmmlu-social-science",)),
    CmmluSubject("professional_law", "专业法学", ("cmmlu-humanities",)),
    CmmluSubject("professional_medicine", "专业医学", ("cmmlu-other",)),
    CmmluSubject("professional_psychology", "专业心理学", ("cmmlu-social-science",)),
    CmmluSubject("public_relations", "公共关系", ("cmmlu-social-science",)),
    CmmluSubject("security_study", "安全研究", ("cmmlu-social-science",)),
    CmmluSubject("sociology", "社会学", ("cmmlu-social-science",)),
    CmmluSubject("sports_science", "体育学", ("cmmlu-other",)),
    CmmluSubject("traditional_chinese_medicine", "中医中药", ("cmmlu-other", "cmmlu-china-specific")),
    CmmluSubject("virology", "病毒学", ("cmmlu-stem",)),
    CmmluSubject("world_history", "世界历史", ("cmmlu-humanities",)),
    CmmluSubject("world_religions", "世界宗教", ("cmmlu-humanities",)),
)

# Group rows after the subjects, in OpenCompass's summary order; then "cmmlu" (all 67).
CMMLU_GROUPS: tuple[str, ...] = (
    "cmmlu-humanities",
    "cmmlu-stem",
    "cmmlu-social-science",
    "cmmlu-other",
    "cmmlu-china-specific",
)
