"""The plain-string configs of OpenCompass 0.2.4's ``base_core`` collection for GSM8K, BBH, HumanEval and sanitized
MBPP (``opencompass-core.md`` §6, §7, §9, §10).

Each template is one ``str``, not HUMAN/BOT rounds: OpenCompass fills it and ignores the model's meta template, so
the prompt is the same text with or without a chat template (``templates.flatten_chatml`` passes strings through).
Data, readers and scoring are those of their round-template twins (``gsm8k_gen``, ``bbh_gen``, ``humaneval_gen``);
sanitized MBPP has its own reader (``sanitized_mbpp.py``) and is scored as ``mbpp_gen``.
"""

from __future__ import annotations

from pytest_llmeval.datasets.templates import InferConfig, Template

# gsm8k_gen_1d7fe4's four worked examples as one string, byte for byte: spaced differently ("25*2 = 50" where
# 1d7fe4 has "25*2= 50"), each "Answer:" followed by a newline, the test question's too.
GSM8K_EE684F = (
    "Question: Angelo and Melanie want to plan how many hours over the next week they should study together for "
    "their test next week. They have 2 chapters of their textbook to study and 4 worksheets to memorize. They "
    "figure out that they should dedicate 3 hours to each chapter of their textbook and 1.5 hours for each "
    "worksheet. If they plan to study no more than 4 hours each day, how many days should they plan to study "
    "total over the next week if they take a 10-minute break every hour, include 3 10-minute snack breaks each "
    "day, and 30 minutes for lunch each day?\n"
    "Let's think step by step\n"
    "Answer:\n"
    "Angelo and Melanie think they should dedicate 3 hours to each of the 2 chapters, 3 hours x 2 chapters = 6 "
    "hours total.\n"
    "For the worksheets they plan to dedicate 1.5 hours for each worksheet, 1.5 hours x 4 worksheets = 6 hours "
    "total.\n"
    "Angelo and Melanie need to start with planning 12 hours to study, at 4 hours a day, 12 / 4 = 3 days.\n"
    "However, they need to include time for breaks and lunch. Every hour they want to include a 10-minute break, "
    "so 12 total hours x 10 minutes = 120 extra minutes for breaks.\n"
    "They also want to include 3 10-minute snack breaks, 3 x 10 minutes = 30 minutes.\n"
    "And they want to include 30 minutes for lunch each day, so 120 minutes for breaks + 30 minutes for snack "
    "breaks + 30 minutes for lunch = 180 minutes, or 180 / 60 minutes per hour = 3 extra hours.\n"
    "So Angelo and Melanie want to plan 12 hours to study + 3 hours of breaks = 15 hours total.\n"
    "They want to study no more than 4 hours each day, 15 hours / 4 hours each day = 3.75\n"
    "They will need to plan to study 4 days to allow for all the time they need.\n"
    "The answer is 4\n\n"
    "Question: Mark's basketball team scores 25 2 pointers, 8 3 pointers and 10 free throws.  Their opponents "
    "score double the 2 pointers but half the 3 pointers and free throws.  What's the total number of points "
    "scored by both teams added together?\n"
    "Let's think step by step\n"
    "Answer:\n"
    "Mark's team scores 25 2 pointers, meaning they scored 25*2 = 50 points in 2 pointers.\n"
    "His team also scores 6 3 pointers, meaning they scored 8*3 = 24 points in 3 pointers\n"
    "They scored 10 free throws, and free throws count as one point so they scored 10*1 = 10 points in free "
    "throws.\n"
    "All together his team scored 50+24+10 = 84 points\n"
    "Mark's opponents scored double his team's number of 2 pointers, meaning they scored 50*2 = 100 points in 2 "
    "pointers.\n"
    "His opponents scored half his team's number of 3 pointers, meaning they scored 24/2 = 12 points in 3 "
    "pointers.\n"
    "They also scored half Mark's team's points in free throws, meaning they scored 10/2 = 5 points in free "
    "throws.\n"
    "All together Mark's opponents scored 100+12+5 = 117 points\n"
    "The total score for the game is both team's scores added together, so it is 84+117 = 201 points\n"
    "The answer is 201\n\n"
    "Question: Bella has two times as many marbles as frisbees. She also has 20 more frisbees than deck cards. "
    "If she buys 2/5 times more of each item, what would be the total number of the items she will have if she "
    "currently has 60 marbles?\n"
    "Let's think step by step\n"
    "Answer:\n"
    "When Bella buys 2/5 times more marbles, she'll have increased the number of marbles by 2/5*60 = 24\n"
    "The total number of marbles she'll have is 60+24 = 84\n"
    "If Bella currently has 60 marbles, and she has two times as many marbles as frisbees, she has 60/2 = 30 "
    "frisbees.\n"
    "If Bella buys 2/5 times more frisbees, she'll have 2/5*30 = 12 more frisbees.\n"
    "The total number of frisbees she'll have will increase to 30+12 = 42\n"
    "Bella also has 20 more frisbees than deck cards, meaning she has 30-20 = 10 deck cards\n"
    "If she buys 2/5 times more deck cards, she'll have 2/5*10 = 4 more deck cards.\n"
    "The total number of deck cards she'll have is 10+4 = 14\n"
    "Together, Bella will have a total of 14+42+84 = 140 items\n"
    "The answer is 140\n\n"
    "Question: A group of 4 fruit baskets contains 9 apples, 15 oranges, and 14 bananas in the first three "
    "baskets and 2 less of each fruit in the fourth basket. How many fruits are there?\n"
    "Let's think step by step\n"
    "Answer:\n"
    "For the first three baskets, the number of apples and oranges in one basket is 9+15 = 24\n"
    "In total, together with bananas, the number of fruits in one basket is 24+14 = 38 for the first three "
    "baskets.\n"
    "Since there are three baskets each having 38 fruits, there are 3*38 = 114 fruits in the first three "
    "baskets.\n"
    "The number of apples in the fourth basket is 9-2 = 7\n"
    "There are also 15-2 = 13 oranges in the fourth basket\n"
    "The combined number of oranges and apples in the fourth basket is 13+7 = 20\n"
    "The fourth basket also contains 14-2 = 12 bananas.\n"
    "In total, the fourth basket has 20+12 = 32 fruits.\n"
    "The four baskets together have 32+114 = 146 fruits.\n"
    "The answer is 146\n\n"
    "Question: {question}\n"
    "Let's think step by step\n"
    "Answer:\n"
)

# Three worked tasks whose code sits between "[BEGIN]\n '" and "'\n[DONE]" with plain "\n" line ends, three blank
# lines between them; the test task's asserts are joined by a bare "\n".
SANITIZED_MBPP_CB43EF = (
    "You are an expert Python programmer, and here is your task: Write a function to find the similar elements "
    "from the given two tuple lists. Your code should pass these tests:\n\n"
    "assert similar_elements((3, 4, 5, 6),(5, 7, 4, 10)) == (4, 5)\n"
    "assert similar_elements((1, 2, 3, 4),(5, 4, 3, 7)) == (3, 4)\n"
    "assert similar_elements((11, 12, 14, 13),(17, 15, 14, 13)) == (13, 14)\n\n"
    "[BEGIN]\n"
    " 'def similar_elements(test_tup1, test_tup2):\n"
    "  res = tuple(set(test_tup1) & set(test_tup2))\n"
    "  return (res)'\n"
    "[DONE]\n\n\n\n"
    "You are an expert Python programmer, and here is your task: Write a python function to identify non-prime "
    "numbers. Your code should pass these tests:\n\n"
    "assert is_not_prime(2) == False\n"
    "assert is_not_prime(10) == True\n"
    "assert is_not_prime(35) == True\n\n"
    "[BEGIN]\n"
    " 'import math\n"
    "def is_not_prime(n):\n"
    "    result = False\n"
    "    for i in range(2,int(math.sqrt(n)) + 1):\n"
    "        if n % i == 0:\n"
    "            result = True\n"
    "    return result'\n"
    "[DONE]\n\n\n\n"
    "You are an expert Python programmer, and here is your task: Write a function to find the largest integers "
    "from a given list of numbers using heap queue algorithm. Your code should pass these tests:\n\n"
    "assert heap_queue_largest( [25, 35, 22, 85, 14, 65, 75, 22, 58],3)==[85, 75, 65]\n"
    "assert heap_queue_largest( [25, 35, 22, 85, 14, 65, 75, 22, 58],2)==[85, 75]\n"
    "assert heap_queue_largest( [25, 35, 22, 85, 14, 65, 75, 22, 58],5)==[85, 75, 65, 58, 35]\n\n"
    "[BEGIN]\n"
    " 'import heapq as hq\n"
    "def heap_queue_largest(nums,n):\n"
    "  largest_nums = hq.nlargest(n, nums)\n"
    "  return largest_nums'\n"
    "[DONE]\n\n\n\n"
    "You are an expert Python programmer, and here is your task: {text} Your code should pass these tests:\n\n"
    "{test_list}\n\n"
    "[BEGIN]\n"
)


def plain_config(template: str) -> InferConfig:
    """Zero-shot generation of up to 512 tokens from one plain-string template."""
    return InferConfig("gen", None, Template(template), shots=0, max_out_len=512)


def gsm8k_gen_ee684f(name: str) -> InferConfig:
    return plain_config(GSM8K_EE684F)


def bbh_gen_0a5495(examples: str) -> InferConfig:
    """``bbh_gen_5b92b0``'s text as a plain string; the prompt name is the task's worked examples (its prompt file)."""
    return plain_config(
        f"Follow the given examples and answer the question.\n{examples}\n\nQ: {{input}}\nA: Let's think step by step."
    )


def humaneval_gen_d2537e(name: str) -> InferConfig:
    return plain_config("Complete the following python code:\n{prompt}")


def sanitized_mbpp_gen_cb43ef(name: str) -> InferConfig:
    return plain_config(SANITIZED_MBPP_CB43EF)
