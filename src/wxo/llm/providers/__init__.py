"""Adapters for remote model providers: OpenAI and compatible servers, watsonx.ai, Mistral AI, Ollama.

Build them with :mod:`wxo.llm.providers.factory`; their failures are the classes of
:mod:`wxo.llm.providers.errors`.
"""
