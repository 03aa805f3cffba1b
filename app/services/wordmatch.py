"""Matching word rules against a body in a way spelling tricks do not dodge (screening applies it).

Both the body and each rule's phrase go through `normalise` (NFKC, case folded, accents, invisible
characters and look-alike letters removed) and are cut into words. A rule word matches a body word
when they are equal or when the body word is its plural or feminine form: the extra letters look
like such an ending (s, x, e, es, a doubled consonant and e) and the Snowball stemmer of French or
English agrees they are one word. A longer word that merely starts with a listed one ("idiotie",
"connait") is not caught, though the French stemmer would fold it. A word spelled out letter by
letter ("c o n n a r d", "c.o.n.n.a.r.d") or cut by punctuation ("conn-ard") is rejoined.

Both stemmers apply to every text: a reader may answer an English article in French (and the
other way round), and a rule is one list for both. They are only asked about a word that already
looks like a listed one plus an ending, so they cost nothing on ordinary text.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import snowballstemmer

# Letters of other scripts drawn like Latin ones ("сonnard" with a Cyrillic с): mapped on both
# sides, so a rule written in Cyrillic still matches itself.
_LOOKALIKES = {
    "а": "a", "в": "b", "е": "e", "к": "k", "о": "o", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x",
    "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "һ": "h", "ԛ": "q", "ԝ": "w", "ӏ": "l",
    "α": "a", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x",
    "œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d", "ı": "i",
}  # fmt: skip


_ACCENTS = re.compile("[\u0300-\u036f]+")
_NON_ASCII = re.compile("[^\x00-\x7f]")


@functools.lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    if ch in _LOOKALIKES:
        return _LOOKALIKES[ch]
    # Other combining marks, zero-width and bidi controls, soft hyphens, variation selectors.
    return "" if unicodedata.category(ch) in ("Mn", "Me", "Cf") else ch


def normalise(text: str) -> str:
    """The form rules are matched on: "ÏDIOT", "ｉｄｉｏｔ" and "id", zero-width space, "iot" give "idiot"."""
    if text.isascii():
        return text.lower()
    text = _ACCENTS.sub("", unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold()))
    if text.isascii():
        return text
    # What is left is rare (typographic quotes, other scripts): looked at one character at a time.
    return _NON_ASCII.sub(lambda m: _fold_char(m.group()), text)


_WORD = re.compile(r"[^\W_]+")
_WORDS_AND_GAPS = re.compile(r"(\w+)")
# One of these alone between two words glues them: "conn-ard", "con.nard", "co_nn*ard".
_GLUE = frozenset("-._*·~+|")
_ELISION = frozenset("'’ʼ`´")
# One-letter words that may sit next to a spelled-out word: "il y a c o n n a r d".
_ONE_LETTER_WORDS = frozenset("ayi")
_MAX_LETTER_GAP = 3
_MAX_ENDING = 3  # the longest ending `inflects` accepts: "nes" ("connes"), "ies" ("pussies")


class _Stemmers(threading.local):
    # A Snowball stemmer keeps its state while it works: one per thread.
    def __init__(self) -> None:
        self.fr = snowballstemmer.stemmer("french")
        self.en = snowballstemmer.stemmer("english")


_stemmers = _Stemmers()


@functools.lru_cache(maxsize=16384)
def _stems(word: str) -> tuple[str, str]:
    return _stemmers.fr.stemWord(word), _stemmers.en.stemWord(word)


def inflects(word: str, listed: str) -> bool:
    """`word` is `listed` or its plural or feminine form (both normalised)."""
    if word == listed:
        return True
    if not word.startswith(listed):
        # English plural of a word in -y: "pussy", "pussies".
        return listed.endswith("y") and word == listed[:-1] + "ies" and _stems(word)[1] == _stems(listed)[1]
    ending = word[len(listed) :]
    if ending in ("e", "es") and listed.endswith("e"):
        return True  # a participle in -é: "enculé", "enculée", "enculées"
    if ending not in ("s", "x", "e", "es", listed[-1] + "e", listed[-1] + "es"):
        return False
    fr, en = _stems(word)
    listed_fr, listed_en = _stems(listed)
    if ending in ("s", "x"):
        return fr == listed_fr or en == listed_en
    if ending == "e":
        # Both stemmers must agree: the French one alone takes "cone" for the feminine of "con".
        return fr == listed_fr and en == listed_en
    if ending == "es":
        return en == listed_en
    # A doubled consonant: "con", "conne"; "bouffon", "bouffonnes".
    return listed[-1] not in "aeiouy" and fr == listed_fr


Position = tuple[str, ...]  # the forms one place of the text may be read as


def _spelled(tokens: Sequence[str], gaps: Sequence[str]) -> list[Position]:
    """Places for a group of tokens glued together; its wider gaps stay word breaks."""
    if len(tokens) > 2 and all(len(t) == 1 for t in tokens):
        narrow = min(len(g) for g in gaps)
        pieces: list[list[str]] = [[tokens[0]]]
        for token, gap in zip(tokens[1:], gaps, strict=True):
            if len(gap) > narrow:
                pieces.append([])
            pieces[-1].append(token)
    else:
        pieces = [list(tokens)]
    return [_peeled(piece) for piece in pieces]


def _peeled(letters: list[str]) -> Position:
    """The rejoined word, and the same without the one-letter words at its ends ("y a c o n")."""
    lead = 0
    while lead < 2 and len(letters) - lead > 2 and letters[lead] in _ONE_LETTER_WORDS:
        lead += 1
    trail = 0
    while trail < 2 and len(letters) - lead - trail > 2 and letters[-1 - trail] in _ONE_LETTER_WORDS:
        trail += 1
    return tuple(
        "".join(letters[start : len(letters) - end]) for start in range(lead + 1) for end in range(trail + 1)
    )


def _spread(before: str, gap: str, after: str) -> bool:
    """Two letters a few spaces or dots apart, never across a line nor after an elision ("l'a")."""
    return (
        len(gap) <= _MAX_LETTER_GAP
        and before.isalpha()
        and after.isalpha()
        and "\n" not in gap
        and not any(ch in _ELISION for ch in gap)
    )


@dataclass(frozen=True)
class Text:
    """A body read once: its words as written, and as rejoined when letters were spread apart."""

    words: list[Position]
    rejoined: list[Position] | None


def read(body: str) -> Text:
    # "_" is a word character to the regex engine; read as the glue it is ("c_o_n").
    parts = _WORDS_AND_GAPS.split(normalise(body).replace("_", "-"))
    tokens = parts[1::2]
    gaps = parts[2:-1:2]  # gaps[i] lies between tokens[i] and tokens[i + 1]
    words: list[Position] = [(token,) for token in tokens]
    links = [
        i
        for i, gap in enumerate(gaps)
        if gap in _GLUE
        or (len(tokens[i]) == 1 == len(tokens[i + 1]) and _spread(tokens[i], gap, tokens[i + 1]))
    ]
    if not links:
        return Text(words, None)
    rejoined: list[Position] = []
    start = 0
    linked = set(links)
    for i in range(len(tokens)):
        if i in linked:
            continue  # token i is glued to the next one
        if i == start:
            rejoined.append(words[i])
        else:
            rejoined.extend(_spelled(tokens[start : i + 1], gaps[start:i]))
        start = i + 1
    return Text(words, rejoined)


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]

    def at(self, places: list[Position], index: int) -> bool:
        """The phrase's words from its second one on, read from `places[index]`."""
        rest = self.words[1:]
        if index + len(rest) > len(places):
            return False
        return all(any(inflects(form, word) for form in places[index + k]) for k, word in enumerate(rest))


@functools.lru_cache(maxsize=4096)
def phrase_forms(phrase: str) -> tuple[Phrase, ...]:
    """A rule's phrase as words, plus, for several words, written as one ("arnaquetotale")."""
    words = tuple(_WORD.findall(normalise(phrase)))
    if len(words) < 2:
        return (Phrase(words),) if words else ()
    return (Phrase(words), Phrase(("".join(words),)))


class Index:
    """Rule phrases by their first word, so a body is read once whatever the number of rules."""

    def __init__(self, phrases: Sequence[str]) -> None:
        self._first: dict[str, list[tuple[int, Phrase]]] = {}
        for number, phrase in enumerate(phrases):
            for form in phrase_forms(phrase):
                word = form.words[0]
                self._first.setdefault(word, []).append((number, form))
                if word.endswith("y"):
                    self._first.setdefault(word[:-1] + "i", []).append((number, form))
        # A listed word and its inflections share their first two letters: most words stop there.
        self._heads = frozenset(word[:2] for word in self._first)

    def matches(self, text: Text) -> set[int]:
        """The numbers of the phrases the text contains."""
        found: set[int] = set()
        first, heads = self._first, self._heads
        for places in (text.words, text.rejoined):
            if not places:
                continue
            # Each distinct word is looked up once; only a phrase's first word sends us back to the places.
            openers: dict[str, list[tuple[int, Phrase]]] = {}
            for form in {form for forms in places for form in forms}:
                if form[:2] not in heads and form[:1] not in heads:
                    continue
                for cut in range(min(_MAX_ENDING, len(form) - 1) + 1):
                    for number, phrase in first.get(form[: len(form) - cut], ()):
                        if number in found or not inflects(form, phrase.words[0]):
                            continue
                        if len(phrase.words) == 1:
                            found.add(number)
                        else:
                            openers.setdefault(form, []).append((number, phrase))
            if not openers:
                continue
            for index, forms in enumerate(places):
                for form in forms:
                    for number, phrase in openers.get(form, ()):
                        if number not in found and phrase.at(places, index + 1):
                            found.add(number)
        return found


@functools.lru_cache(maxsize=8)
def index(phrases: tuple[str, ...]) -> Index:
    return Index(phrases)
