"""Numbers in a chat answer are checked against the facts it was given."""
from core.trust.facts import unsupported_numbers

FACTS = "- TF-IDF baseline: accuracy 84.1%, macro-F1 0.812, tested on 1,250 texts. It mistakes 'a' for 'b' (12 times)."


def test_rounded_and_rescaled_numbers_are_supported():
    answer = "It is right 84% of the time (84.1%, or 0.84), with a macro-F1 of 0.81 on 1,250 texts; 12 mix-ups."
    assert unsupported_numbers(answer, FACTS) == []


def test_invented_numbers_are_listed_once_in_order():
    answer = "It is right 91% of the time, on 2,000 texts; 91% is great. Accuracy 84.1%."
    assert unsupported_numbers(answer, FACTS) == ["91%", "2,000"]


def test_no_numbers_no_flags():
    assert unsupported_numbers("The baseline is the better model.", FACTS) == []
