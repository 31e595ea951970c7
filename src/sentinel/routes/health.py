from litestar import get

from sentinel.schemas import Health


@get("/health", summary="Liveness check", tags=["health"])
async def health() -> Health:
    return Health(status="ok", service="sentinel")
