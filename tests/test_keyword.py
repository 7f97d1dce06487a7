"""How the keyword side reads a query."""

from __future__ import annotations

from search.keyword import is_question, keyword_text


def test_questions_lose_interrogatives_and_question_marks_but_not_inside_quotes() -> None:
    assert is_question("Who mediated the talks?") and is_question("the talks ended when?")
    assert not is_question("The Who concert") and not is_question("")
    assert keyword_text("Who mediated the talks between Moscow and Kyiv?").split() == [
        "mediated", "the", "talks", "between", "Moscow", "and", "Kyiv"]
    assert keyword_text("The Who concert") == "The Who concert"
    assert keyword_text('what did "who wins?" mean?').split() == ["did", '"who', 'wins?"', "mean"]
    assert keyword_text("te?t wild*") == "te?t wild*"  # wildcards inside words stay
