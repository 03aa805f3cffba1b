"""Asking before what cannot be undone: a native <dialog> for htmx, a page of its own without
JavaScript. The destructive form posts once without `confirm=yes` and is answered with the question;
the question's form posts again with it."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request
from fastapi.responses import HTMLResponse

from app.templating import is_htmx, render


@dataclass(frozen=True)
class Question:
    title: str
    message: str
    action: str
    button: str
    cancel_url: str
    fields: dict[str, str] = field(default_factory=dict)


def confirmed(value: str) -> bool:
    return value == "yes"


def ask_first(request: Request, question: Question) -> HTMLResponse:
    if is_htmx(request):
        # Added at the end of <body>: the dialog opens over the page (static/js/page.js).
        return render(
            request,
            "confirm/_dialog.html",
            ask=question,
            headers={"HX-Retarget": "body", "HX-Reswap": "beforeend"},
        )
    return render(request, "confirm/page.html", ask=question)
