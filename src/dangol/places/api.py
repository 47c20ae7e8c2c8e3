"""Read endpoints for regions, markets and stores."""

from ninja import Router

router = Router(tags=["places"])
