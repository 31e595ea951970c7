"""The test server's URL for another role: the session's URL may be a TCP one
(postgresql://postgres@127.0.0.1:5432/db) or the embedded server's Unix-socket one
(postgresql://postgres:@/db?host=/tmp/...)."""

from urllib.parse import urlsplit


def as_role(url: str, role: str) -> str:
    parts = urlsplit(url)
    host_and_port = parts.netloc.rsplit("@", 1)[-1]
    return parts._replace(netloc=f"{role}@{host_and_port}").geturl()
