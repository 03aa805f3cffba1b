"""Why a comment waits for a moderator, said on its card: the article is pre-moderated, the author is
new or unverified, a listed word matched (highlighted in the body), readers reported it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from app.i18n import _, ngettext
from app.models import Article, Comment, CommentStatus, User
from app.services import wordmatch
from app.services.rules import DEFAULT_RULES, Rules


@dataclass(frozen=True)
class Held:
    reasons: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    body_html: Markup | None = None  # the body with the matched words in <mark>, when some matched


# In rendered (sanitised) HTML: a tag, an entity, or a word; only words outside tags are marked.
_PIECES = re.compile(r"(<[^>]*>)|(&#?\w+;)|(\w+)")


def highlight(body_html: str, phrases: Sequence[str]) -> Markup:
    """The body with every word that is one of the phrases' words, or an inflection of it, in <mark>."""
    listed = {word for phrase in phrases for form in wordmatch.phrase_forms(phrase) for word in form.words}

    def mark(match: re.Match[str]) -> str:
        word = match.group(3)
        if word is None:
            return match.group(0)
        folded = wordmatch.normalise(word)
        if any(folded == item or wordmatch.inflects(folded, item) for item in listed):
            return f"<mark>{escape(word)}</mark>"
        return word

    return Markup(_PIECES.sub(mark, body_html))


def explain(
    comment: Comment,
    *,
    article: Article,
    author: User | None,
    reporters: int,
    rules_phrases: Sequence[str],
    rules: Rules = DEFAULT_RULES,
) -> Held:
    reasons: list[str] = []
    phrases: list[str] = []
    if comment.status == CommentStatus.pending:
        if article.premoderation:
            reasons.append(_("Article en pré-modération : chaque réaction y est relue."))
        if author is not None and author.approved_count < rules.trust_threshold:
            reasons.append(
                ngettext(
                    "Nouveau lecteur : %(num)d message approuvé jusqu’ici.",
                    "Nouveau lecteur : %(num)d messages approuvés jusqu’ici.",
                    author.approved_count,
                )
                % {"num": author.approved_count}
            )
        if author is not None and rules.require_verified_email and not author.email_verified:
            reasons.append(_("Adresse e-mail pas encore vérifiée."))
        if rules_phrases:
            found = wordmatch.index(tuple(rules_phrases)).matches(wordmatch.read(comment.body_markdown))
            phrases = [rules_phrases[number] for number in sorted(found)]
        if phrases:
            reasons.append(_("Mot suspect : {words}.").format(words=", ".join(f"« {p} »" for p in phrases)))
    if reporters:
        reasons.append(
            ngettext("Signalé par %(num)d lecteur.", "Signalé par %(num)d lecteurs.", reporters)
            % {"num": reporters}
        )
    body = highlight(comment.body_html, phrases) if phrases else None
    return Held(reasons=reasons, phrases=phrases, body_html=body)
