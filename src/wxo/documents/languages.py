"""Which PostgreSQL text search configuration (stemmer and stop words) analyses a language."""

from __future__ import annotations

# The Snowball configurations PostgreSQL 18 ships, by ISO 639-1 code.
CONFIGURATIONS = {
    "ar": "arabic",
    "ca": "catalan",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "et": "estonian",
    "eu": "basque",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "hi": "hindi",
    "hu": "hungarian",
    "hy": "armenian",
    "id": "indonesian",
    "it": "italian",
    "lt": "lithuanian",
    "ne": "nepali",
    "nl": "dutch",
    "no": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
    "yi": "yiddish",
}
#: What `auto` falls back to when a document's language is unknown.
DEFAULT_CONFIGURATION = "english"
#: Every name a collection's `language` setting accepts.
ACCEPTED = frozenset({"auto", "simple", *CONFIGURATIONS, *CONFIGURATIONS.values()})


def configuration(setting: str, detected: str | None) -> str:
    """The configuration for a document's collection setting and detected language.

    With `auto`, the detected language decides (`simple`, no stemming, for one PostgreSQL
    cannot stem; English when nothing was detected).

    >>> configuration("auto", "fr"), configuration("de", None), configuration("auto", "zh")
    ('french', 'german', 'simple')
    """
    chosen = detected if setting == "auto" else setting
    if chosen is None:
        return DEFAULT_CONFIGURATION
    if chosen in CONFIGURATIONS.values() or chosen == "simple":
        return chosen
    return CONFIGURATIONS.get(chosen, "simple")
