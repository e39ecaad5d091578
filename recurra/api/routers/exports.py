"""/exports: export the subscriptions of a view (saved or default) or of given filters, in the worker.

``POST /exports`` answers at once (201, ``pending``); ``GET /exports/{id}`` shows
its progress and, once ``complete``, its ``download_url`` (this API, the key's
creator or a super admin key) until ``expires_at`` (30 days).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.conf import settings
from django.http import FileResponse, HttpRequest, StreamingHttpResponse
from ninja import Router, Status
from pydantic import BaseModel, Field

from recurra.api.auth import actor, request_key
from recurra.api.common import get_or_404
from recurra.api.fields import TEXT, Id, In
from recurra.core import clock
from recurra.core.errors import ValidationFailed
from recurra.exports import files, services
from recurra.exports.downloads import file_response
from recurra.exports.languages import LANGUAGES
from recurra.exports.models import Export, ExportFormat, ExportScope
from recurra.saved_views.defaults import DEFAULT_VIEWS
from recurra.saved_views.models import SavedView
from recurra.saved_views.selectors import spec_of, visible_views
from recurra.saved_views.spec import Spec, parse_filters

router = Router(tags=["exports"])
Language = Literal[tuple(LANGUAGES)]  # type: ignore[valid-type]


class ExportIn(In):
    object: Literal["subscriptions"] = "subscriptions"
    format: Literal[tuple(ExportFormat.values)]  # type: ignore[valid-type]
    language: Language = Field("en", description="of the column headers (values are not translated)")  # type: ignore[valid-type]
    scope: Literal[tuple(ExportScope.values)] = ExportScope.VIEW  # type: ignore[valid-type]
    view_id: Annotated[str, Field(max_length=40), TEXT] = Field(
        "all", description="a saved view's id, or all, unpaid or scheduled: its filters, columns and sort"
    )
    filters: dict[str, Any] | None = Field(None, description="instead of the view's filters (as in /views)")
    associations_limit: Annotated[int, Field(ge=1, le=services.MAX_ASSOCIATIONS)] | Literal["all"] = Field(
        services.DEFAULT_ASSOCIATIONS, description="associated records per cell; all: CSV only"
    )


class ExportOut(BaseModel):
    id: str
    status: str
    progress: int = Field(description="percent of the rows written")
    rows_done: int
    rows_total: int | None
    format: str
    language: str
    scope: str
    view_id: str
    file_name: str | None
    file_size: int | None
    download_url: str | None
    zip_download_url: str | None = Field(description="the file zipped, offered above 2 MB")
    expires_at: datetime | None
    error: str | None
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, e: Export) -> ExportOut:
        ready = e.status == "complete" and e.removed_at is None
        url = f"{settings.RECURRA_BASE_URL}/api/v1/exports/{e.pk}/download" if ready else None
        return cls(
            id=e.pk,
            status=e.status,
            progress=100
            if e.status == "complete"
            else (100 * e.rows_done // e.rows_total if e.rows_total else 0),
            rows_done=e.rows_done,
            rows_total=e.rows_total,
            format=e.format,
            language=e.language,
            scope=e.scope,
            view_id=e.view_id,
            file_name=e.file_name or None,
            file_size=e.file_size,
            download_url=url,
            zip_download_url=f"{url}?zip=true" if url and files.offers_zip(e) else None,
            expires_at=e.expires_at,
            error=e.last_error or None,
            created_at=e.created_at,
            finished_at=e.finished_at,
        )


def _source(request: HttpRequest, payload: ExportIn) -> services.Source:
    """The view named (a default's id, or a saved view the key's creator sees), with given filters."""
    if payload.view_id in DEFAULT_VIEWS:
        default = DEFAULT_VIEWS[payload.view_id]
        name, spec = str(default.name), default.spec
    else:
        view: SavedView | None = (
            visible_views(request_key(request).created_by).filter(pk=payload.view_id).first()
        )
        if view is None:
            raise ValidationFailed.field("view_id", f"no view {payload.view_id}")
        name, spec = view.name, spec_of(view)
    if payload.filters is not None:
        spec = Spec(parse_filters(payload.filters), spec.columns, spec.sort)
    return services.Source(payload.view_id, name, spec, {})


@router.post("", response={201: ExportOut}, summary="Export subscriptions (in the background)")
def create_export(request: HttpRequest, payload: ExportIn) -> Status[ExportOut]:
    export = services.export_create(
        source=_source(request, payload),
        format=payload.format,
        language=payload.language,
        scope=payload.scope,
        associations_limit=None if payload.associations_limit == "all" else payload.associations_limit,
        requested_by=request_key(request).created_by,
        actor=actor(request),
        at=clock.now(),
    )
    return Status(201, ExportOut.of(export))


@router.get("/{export_id}", response=ExportOut, summary="An export's progress and download link")
def get_export(request: HttpRequest, export_id: Id) -> ExportOut:
    return ExportOut.of(get_or_404(Export, export_id))


@router.get(
    "/{export_id}/download",
    response={200: None},
    summary="Download an export's file (its maker or a super admin; until it expires)",
    openapi_extra={
        "responses": {200: {"description": "the file", "content": {"application/octet-stream": {}}}}
    },
)
def download_export(
    request: HttpRequest, export_id: Id, zip: bool = False
) -> FileResponse | StreamingHttpResponse:
    key = request_key(request)
    export = services.export_download(
        export=get_or_404(Export, export_id),
        user=key.created_by,
        role=key.role,
        actor=actor(request),
        at=clock.now(),
    )
    return file_response(export, zipped=zip)
