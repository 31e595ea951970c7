"""Links in responses: from SENTINEL_PUBLIC_URL, or relative; never from the Host header, which
any client (or a DNS-rebinding page) chooses."""

from urllib.parse import urlencode

from litestar import Request


def link_to(request: Request, public_url: str | None, query: dict[str, list[str]]) -> str:
    target = f"{request.url.path}?{urlencode(query, doseq=True)}"
    return f"{public_url.rstrip('/')}{target}" if public_url else target
