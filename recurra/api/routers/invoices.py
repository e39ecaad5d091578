"""/invoices (placeholder until built)."""

from __future__ import annotations

from ninja import Router

router = Router()
