"""Reading a model's summary and questions out of its answer."""

from __future__ import annotations

from wxo.documents.enrich import MAX_QUESTIONS, parse_answer


def test_a_json_answer_is_read_as_is() -> None:
    answer = '{"summary": "Bzip2 compresses files.", "questions": ["What is bzip2?", " "]}'

    assert parse_answer(answer) == ("Bzip2 compresses files.", ["What is bzip2?"])


def test_json_inside_a_code_fence_or_prose_is_found() -> None:
    answer = 'Here you go:\n```json\n{"summary": "S.", "questions": ["Q1?", "Q2?"]}\n```'

    assert parse_answer(answer) == ("S.", ["Q1?", "Q2?"])


def test_plain_text_splits_into_summary_and_questions() -> None:
    answer = "The manual explains compression.\n- What does -9 do?\n- How fast is it?"

    summary, questions = parse_answer(answer)

    assert summary == "The manual explains compression."
    assert questions == ["What does -9 do?", "How fast is it?"]


def test_questions_are_capped_and_an_empty_answer_gives_nothing() -> None:
    many = '{"summary": "", "questions": [' + ", ".join(f'"Q{i}?"' for i in range(9)) + "]}"

    summary, questions = parse_answer(many)

    assert summary is None
    assert len(questions) == MAX_QUESTIONS
    assert parse_answer("") == (None, [])
