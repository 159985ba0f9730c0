"""The extractive responder quotes the best context sentences and says it is extractive."""

from wxo.llm.base import ChatMessage, ChatRequest
from wxo.llm.local.extractive import NO_CONTEXT, NO_MATCH, PREFIX, ExtractiveChatModel, answer


def _request(*messages: tuple[str, str]) -> ChatRequest:
    return ChatRequest(messages=[ChatMessage(role=r, content=c) for r, c in messages])


CONTEXT = """[doc-1]
The Eiffel Tower is in Paris. It was completed in 1889.
[doc-2]
Mount Everest is the highest mountain above sea level. It lies in the Himalayas.
Source: doc-3
Bananas are rich in potassium."""


def test_answer_quotes_the_matching_sentence_with_its_source() -> None:
    text = answer(_request(("system", CONTEXT), ("user", "When was the Eiffel Tower completed?")))
    assert text.startswith(PREFIX)
    lines = text.splitlines()[1:]
    # Both matching sentences, in reading order; nothing from the unrelated documents.
    assert lines == [
        "- The Eiffel Tower is in Paris. [doc-1]",
        "- It was completed in 1889. [doc-1]",
    ]


def test_answer_uses_only_sentences_from_the_context() -> None:
    text = answer(_request(("system", CONTEXT), ("user", "highest mountain Himalayas potassium")))
    quoted = [line[2 : line.rindex(" [")] for line in text.splitlines()[1:]]
    flat = " ".join(CONTEXT.split())
    assert quoted
    assert all(q in flat for q in quoted)
    assert "[doc-3]" in text
    assert "[doc-2]" in text


def test_answer_without_context_says_it_cannot() -> None:
    assert answer(_request(("user", "What is the capital of France?"))) == NO_CONTEXT


def test_answer_without_any_match_says_so() -> None:
    assert answer(_request(("system", CONTEXT), ("user", "quantum chromodynamics"))) == NO_MATCH


def test_document_tags_and_positions_name_sources() -> None:
    text = answer(
        _request(
            (
                "system",
                '<document id="kb-7">\nPython was created by Guido van Rossum.\n</document>',
            ),
            ("assistant", "Rust was started by Graydon Hoare."),
            ("user", "Who created Python and who started Rust?"),
        )
    )
    assert "[kb-7]" in text
    assert "[message 2]" in text


async def test_stream_yields_the_same_text_and_usage_at_the_end() -> None:
    model = ExtractiveChatModel()
    request = _request(("system", CONTEXT), ("user", "Where is the Eiffel Tower?"))
    whole = await model.complete(request)
    chunks = [chunk async for chunk in model.stream(request)]
    assert "".join(c.content for c in chunks) == whole.content
    assert chunks[-1].finish_reason == "stop"
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens > 0
    assert whole.metadata == {"extractive": True}
