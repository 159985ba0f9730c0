"""Answer a question from passages, with citations: generated through the Model Proxy, or quoted.

The stable entry point other services call (`answer`, `stream_answer`). Passages are numbered
`[1]..[n]` in the prompt; the model is asked to cite them after each sentence, and each cited
passage's best-matching sentence becomes a citation (see `wxo.rag.citations`). A citation's
`text` is always `passage.text[range_start:range_end]`.

Generative modes go through LlamaIndex's response synthesizers over `ProxyLLM`: `compact`
(passages packed into as few calls as fit the model's window), `refine` (one call per packed
chunk, each refining the answer so far) and `tree_summarize` (answers per group, then an answer
of the answers). `extractive`, and any request when no chat model is configured (no `model_id`
and no tenant default) or the model is `local/extractive`, quotes the passages' sentences that
best match the question (BM25, the ranking of `local/extractive`) instead: `Answer.extractive`
is then true and `Answer.note` says why.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Literal

from llama_index.core import get_response_synthesizer
from llama_index.core.base.response.schema import AsyncStreamingResponse
from llama_index.core.response_synthesizers import BaseSynthesizer, ResponseMode
from llama_index.core.schema import NodeWithScore, TextNode
from sqlalchemy.ext.asyncio import AsyncSession

from wxo.core.errors import InvalidInputError
from wxo.llm import service as proxy
from wxo.llm.base import Usage
from wxo.llm.exceptions import NoDefaultModelError
from wxo.llm.local import extractive as quoting
from wxo.llm.routing import Route
from wxo.rag import prompts
from wxo.rag.citations import Span, sentence_spans, strip_markers, supports
from wxo.rag.llm import ProxyLLM

Mode = Literal["compact", "refine", "tree_summarize", "extractive"]
Length = prompts.Length
EXTRACTIVE_MODEL = "local/extractive"
#: Sentences quoted by an extractive answer, per length.
EXTRACTIVE_SENTENCES = {"concise": 1, "medium": 3, "verbose": 6}
NO_MODEL_NOTE = (
    "No chat model is configured (the engine names none and the tenant has no default chat"
    " model), so this answer quotes the passages' best-matching sentences verbatim."
)
EXTRACTIVE_NOTE = "Extractive answer: the passages' best-matching sentences, quoted verbatim."
NO_PASSAGES = "No passage matches the question, so there is nothing to answer from."
NO_PASSAGES_NOTE = "Nothing was retrieved, so no model was called."
_MODES = {
    "compact": ResponseMode.COMPACT,
    "refine": ResponseMode.REFINE,
    "tree_summarize": ResponseMode.TREE_SUMMARIZE,
}


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk an answer may use."""

    document_id: uuid.UUID
    chunk_id: uuid.UUID
    title: str | None
    url: str | None
    text: str
    score: float


@dataclass(frozen=True)
class Citation:
    """A span of a passage that supports the answer: `text == passage.text[range_start:range_end]`.

    `passage_index` is the 0-based position of the passage in the list given to `answer`.
    """

    document_id: uuid.UUID
    chunk_id: uuid.UUID
    title: str | None
    url: str | None
    text: str
    range_start: int
    range_end: int
    passage_index: int


@dataclass(frozen=True)
class Answer:
    """An answer, its citations, the model that wrote it and whether it was quoted."""

    text: str
    citations: list[Citation]
    model_id: str
    extractive: bool
    usage: Usage | None
    note: str | None
    timings_ms: dict[str, float] | None = None


@dataclass(frozen=True)
class ChatChoice:
    """The chat model an answer will use: a route, or none (answer extractively, and why)."""

    route: Route | None
    note: str | None

    @property
    def generative(self) -> bool:
        """Whether a generative model will answer."""
        return self.route is not None


async def choose_model(
    session: AsyncSession, ctx: proxy.ProxyContext, model_id: str | None, mode: str = "compact"
) -> ChatChoice:
    """The route for `model_id` (None: the tenant's default), or extractive and why.

    Raises:
        NotFoundError: `model_id` names no model of the tenant (and is not built in).
        InvalidInputError: `model_id` is not a chat model.
    """
    if mode == "extractive":
        return ChatChoice(None, EXTRACTIVE_NOTE)
    try:
        route = await proxy.resolve_route(session, ctx, model_id, "chat")
    except NoDefaultModelError:
        if model_id:
            raise
        return ChatChoice(None, NO_MODEL_NOTE)
    if route.primary.name == EXTRACTIVE_MODEL:
        return ChatChoice(None, EXTRACTIVE_NOTE)
    return ChatChoice(route, None)


def _citations(passages: Sequence[Passage], text: str) -> list[Citation]:
    found = supports(text, [p.text for p in passages])
    return [_citation(passages, s.passage_index, s.span) for s in found]


def _citation(passages: Sequence[Passage], index: int, span: Span) -> Citation:
    passage = passages[index]
    return Citation(
        document_id=passage.document_id,
        chunk_id=passage.chunk_id,
        title=passage.title,
        url=passage.url,
        text=passage.text[span.start : span.end],
        range_start=span.start,
        range_end=span.end,
        passage_index=index,
    )


def extractive_answer(
    question: str, passages: Sequence[Passage], *, length: Length = "medium", note: str | None
) -> Answer:
    """Quote the passages' sentences that best match the question (BM25), best first.

    Each quoted sentence is followed by its source number and cited. When no sentence shares a
    word with the question (the passages came from the vector side), the best passage's first
    sentence is quoted, and the note says so.
    """
    if not passages:
        return Answer(NO_PASSAGES, [], EXTRACTIVE_MODEL, True, None, note or NO_PASSAGES_NOTE)
    spans: list[tuple[int, Span]] = []
    sentences: list[quoting.Sentence] = []
    for index, passage in enumerate(passages):
        for span in sentence_spans(passage.text):
            text = passage.text[span.start : span.end]
            sentences.append(quoting.Sentence(str(index), text, len(sentences)))
            spans.append((index, span))
    ranked = quoting.rank(question, sentences)[: EXTRACTIVE_SENTENCES[length]]
    chosen = [spans[s.order] for _, s in ranked]
    if not chosen and spans:
        chosen = [spans[0]]
        note = (note + " " if note else "") + (
            "No sentence shares a word with the question: the best passage's first sentence is"
            " quoted."
        )
    citations = [_citation(passages, index, span) for index, span in chosen]
    text = " ".join(f"{c.text} [{c.passage_index + 1}]" for c in citations)
    return Answer(text, citations, EXTRACTIVE_MODEL, True, None, note)


def _nodes(passages: Sequence[Passage]) -> list[NodeWithScore]:
    texts = prompts.numbered([p.text for p in passages], [p.title for p in passages])
    return [
        NodeWithScore(node=TextNode(text=text, id_=str(p.chunk_id)), score=p.score)
        for text, p in zip(texts, passages, strict=True)
    ]


async def answer(
    session: AsyncSession,
    ctx: proxy.ProxyContext,
    question: str,
    passages: Sequence[Passage],
    *,
    model_id: str | None = None,
    mode: str = "compact",
    length: Length = "medium",
    system_prompt: str | None = None,
    max_tokens: int | None = None,
    choice: ChatChoice | None = None,
) -> Answer:
    """Answer `question` from `passages` with citations (see the module docstring).

    `choice` (from `choose_model`) skips resolving the model again.

    Raises:
        InvalidInputError: an unknown `mode` or an empty question.
        NotFoundError: `model_id` names no model.
        UpstreamError: the model failed (after the proxy's retries and fallbacks).
    """
    if mode not in (*_MODES, "extractive"):
        raise InvalidInputError(f"Unknown synthesis mode {mode!r}")
    if not question.strip():
        raise InvalidInputError("The question must not be empty")
    started = time.perf_counter()
    choice = choice or await choose_model(session, ctx, model_id, mode)
    if choice.route is None or not passages:
        result = extractive_answer(
            question,
            passages,
            length=length,
            note=choice.note if passages or not choice.route else NO_PASSAGES_NOTE,
        )
    else:
        llm = ProxyLLM(ctx, choice.route, max_tokens=max_tokens)
        synthesizer = _synthesizer(llm, mode, length, system_prompt, streaming=False)
        response = await synthesizer.asynthesize(question, _nodes(passages))
        text = str(getattr(response, "response", "") or "").strip()
        result = Answer(
            text, _citations(passages, text), choice.route.primary.name, False, llm.usage, None
        )
    elapsed = round((time.perf_counter() - started) * 1000, 2)
    return Answer(
        result.text,
        result.citations,
        result.model_id,
        result.extractive,
        result.usage,
        result.note,
        {"synthesis": elapsed},
    )


async def stream_answer(
    session: AsyncSession,
    ctx: proxy.ProxyContext,
    question: str,
    passages: Sequence[Passage],
    *,
    model_id: str | None = None,
    mode: str = "compact",
    length: Length = "medium",
    system_prompt: str | None = None,
    max_tokens: int | None = None,
    choice: ChatChoice | None = None,
) -> AsyncIterator[str | Answer]:
    """The answer's text in pieces (`str`), then the whole `Answer` with its citations.

    Generative modes stream the tokens of their last model call (LlamaIndex's streaming
    synthesizers: `refine` and `tree_summarize` make their earlier calls first); extractive
    answers are sent as one piece.
    """
    choice = choice or await choose_model(session, ctx, model_id, mode)
    if choice.route is None or not passages:
        whole = await answer(
            session,
            ctx,
            question,
            passages,
            model_id=model_id,
            mode=mode,
            length=length,
            system_prompt=system_prompt,
            max_tokens=max_tokens,
            choice=choice,
        )
        yield whole.text
        yield whole
        return
    if mode not in _MODES:
        raise InvalidInputError(f"Unknown synthesis mode {mode!r}")
    if not question.strip():
        raise InvalidInputError("The question must not be empty")
    started = time.perf_counter()
    llm = ProxyLLM(ctx, choice.route, max_tokens=max_tokens)
    synthesizer = _synthesizer(llm, mode, length, system_prompt, streaming=True)
    response = await synthesizer.asynthesize(question, _nodes(passages))
    text = ""
    if isinstance(response, AsyncStreamingResponse):
        async for delta in response.async_response_gen():
            if delta:
                text += delta
                yield delta
    else:  # nothing to stream (LlamaIndex answered without calling the model)
        text = str(getattr(response, "response", "") or "")
        yield text
    text = text.strip()
    elapsed = round((time.perf_counter() - started) * 1000, 2)
    yield Answer(
        text,
        _citations(passages, text),
        choice.route.primary.name,
        False,
        llm.usage,
        None,
        {"synthesis": elapsed},
    )


def _synthesizer(
    llm: ProxyLLM, mode: str, length: Length, system_prompt: str | None, *, streaming: bool
) -> BaseSynthesizer:
    templates = prompts.templates(length, system_prompt)
    return get_response_synthesizer(
        llm=llm,
        response_mode=_MODES[mode],
        text_qa_template=templates["text_qa_template"],
        refine_template=templates["refine_template"],
        summary_template=templates["summary_template"],
        streaming=streaming,
    )


@dataclass(frozen=True)
class PartAnswer:
    """A sub-question and its answer (markers removed), with what it cost."""

    question: str
    answer: str
    usage: Usage | None


async def answer_parts(
    session: AsyncSession,
    ctx: proxy.ProxyContext,
    parts: Sequence[tuple[str, Sequence[Passage]]],
    *,
    choice: ChatChoice,
    max_tokens: int | None = None,
) -> list[PartAnswer]:
    """Answer each sub-question from its own passages (concise, `compact`), in order."""
    answered = []
    for question, passages in parts:
        if not passages:
            continue
        result = await answer(
            session,
            ctx,
            question,
            passages,
            mode="compact",
            length="concise",
            max_tokens=max_tokens,
            choice=choice,
        )
        answered.append(PartAnswer(question, strip_markers(result.text), result.usage))
    return answered


def with_parts(question: str, parts: Sequence[PartAnswer]) -> str:
    """The question followed by its parts' answers, for the final synthesis."""
    if not parts:
        return question
    notes = "\n".join(f"- {p.question} {p.answer}" for p in parts)
    return f"{question}\n\nAnswers found for parts of the question (cite the sources):\n{notes}"
