"""The address older scripts serve from: `uvicorn core.serve_app:app_from_env --factory` (README, Dec 2026).
The API lives in core.deploy.api; this alias keeps those command lines working."""
from core.deploy.api import app_from_env, create_app

__all__ = ["app_from_env", "create_app"]
