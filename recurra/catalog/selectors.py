"""Product library reads."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from recurra.catalog.models import Product


def product_list(*, q: str | None = None, archived: bool | None = False) -> QuerySet[Product]:
    """Products matching every word of ``q`` in name or SKU; ``archived=None`` means all."""
    qs = Product.objects.all()
    for term in (q or "").split()[:5]:
        qs = qs.filter(Q(name__icontains=term) | Q(sku__icontains=term))
    if archived is not None:
        qs = qs.filter(archived_at__isnull=not archived)
    return qs
