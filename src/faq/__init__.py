"""Answers to product questions asked in the chat, from config/faq.yml.

faq = load_faq("config/faq.yml")     # validated: errors name the file, the key and the problem
entry = faq.match("do you integrate with pipedrive?")   # FaqEntry(about, answer) or None
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import validator

from appconfig.yamlfile import ConfigModel, ProblemAt, Text, parse_config


@dataclass(frozen=True)
class FaqEntry:
    about: str
    answer: str
    patterns: tuple[re.Pattern[str], ...]

    def matches(self, text: str) -> int:
        return sum(1 for pattern in self.patterns if pattern.search(text))


def _phrase_pattern(phrase: str) -> re.Pattern[str]:
    # Whole words, any case, spaces and hyphens alike ("self-host", "self host"), a plural allowed.
    words = [re.escape(word) for word in re.split(r"[\s-]+", phrase.strip().lower()) if word]
    return re.compile(r"(?<![\w])" + r"[\s-]+".join(words) + r"s?(?![\w])", re.IGNORECASE)


class EntryFile(ConfigModel):
    about: Text
    words: list[Any]
    answer: Text

    @validator("words")
    def _words(cls, words):
        if not words:
            raise ProblemAt((), "give at least one word or phrase that marks the question")
        for index, word in enumerate(words):
            if not isinstance(word, str) or not re.search(r"\w", word):
                raise ProblemAt((index,), f"{word!r} is not a word or phrase")
        return words


class FaqFile(ConfigModel):
    entries: list[EntryFile]


@dataclass(frozen=True)
class Faq:
    entries: tuple[FaqEntry, ...]

    def match(self, text: str) -> FaqEntry | None:
        """The entry with the most phrases in `text` (the first listed on a tie), or None."""
        best, best_count = None, 0
        for entry in self.entries:
            count = entry.matches(text or "")
            if count > best_count:
                best, best_count = entry, count
        return best


def load_faq(path: Path | str) -> Faq:
    loaded = parse_config(FaqFile, path)
    entries = tuple(
        FaqEntry(entry.about, entry.answer, tuple(_phrase_pattern(word) for word in entry.words))
        for entry in loaded.entries
    )
    return Faq(entries)
