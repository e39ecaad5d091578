"""Products: the library list (active, archived or all), record, create, edit, archive, restore, delete."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from recurra.catalog import selectors, services
from recurra.catalog.models import Product
from recurra.core import clock
from recurra.web.access import actor, editor, viewer
from recurra.web.forms.products import ProductForm
from recurra.web.views.common import confirm_page, form_page, list_page, post_action, posted, search_text

FORM = "web/products/form.html"
ARCHIVED = {"active": False, "archived": True, "all": None}


def product_url(product: Product) -> str:
    return reverse("web:product", args=[product.pk])


@viewer
@require_GET
def product_list(request: HttpRequest) -> HttpResponse:
    shown = request.GET.get("archived", "active")
    shown = shown if shown in ARCHIVED else "active"
    qs = selectors.product_list(q=search_text(request), archived=ARCHIVED[shown])
    return list_page(request, "web/products/list.html", qs, {"archived": shown})


@viewer
@require_GET
def product_detail(request: HttpRequest, pk: str) -> HttpResponse:
    return render(request, "web/products/detail.html", {"product": get_object_or_404(Product, pk=pk)})


@editor
@require_http_methods(["GET", "POST"])
def product_create(request: HttpRequest) -> HttpResponse:
    return form_page(
        request,
        ProductForm(posted(request)),
        template=FORM,
        save=lambda values: services.product_create(actor=actor(request), **values),
        success=product_url,
        message=gettext("Product created."),
    )


@editor
@require_http_methods(["GET", "POST"])
def product_edit(request: HttpRequest, pk: str) -> HttpResponse:
    product = get_object_or_404(Product, pk=pk)
    return form_page(
        request,
        ProductForm(posted(request), initial=ProductForm.initial_for(product)),
        template=FORM,
        save=lambda values: services.product_update(
            product=product, actor=actor(request), at=clock.now(), **values
        ),
        success=product_url,
        message=gettext("Product saved."),
        context={"product": product},
    )


@editor
@require_POST
def product_archive(request: HttpRequest, pk: str) -> HttpResponse:
    product = get_object_or_404(Product, pk=pk)
    return post_action(
        request,
        perform=lambda: services.product_archive(product=product, actor=actor(request), at=clock.now()),
        message=gettext("Product %(name)s archived; it can no longer be added to new line items.")
        % {"name": product},
        next_url=product_url(product),
    )


@editor
@require_POST
def product_restore(request: HttpRequest, pk: str) -> HttpResponse:
    product = get_object_or_404(Product, pk=pk)
    return post_action(
        request,
        perform=lambda: services.product_unarchive(product=product, actor=actor(request)),
        message=gettext("Product %(name)s restored.") % {"name": product},
        next_url=product_url(product),
    )


@editor
@require_http_methods(["GET", "POST"])
def product_delete(request: HttpRequest, pk: str) -> HttpResponse:
    product = get_object_or_404(Product, pk=pk)
    return confirm_page(
        request,
        title=gettext("Delete %(name)s") % {"name": product},
        question=gettext("Delete the product %(name)s? This cannot be undone.") % {"name": product},
        button=gettext("Delete product"),
        perform=lambda: services.product_delete(product=product, actor=actor(request)),
        done_url=reverse("web:products"),
        cancel_url=product_url(product),
        message=gettext("Product %(name)s deleted.") % {"name": product},
        context={"archive_product": product},
    )
