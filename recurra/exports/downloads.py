"""An export's file as a download: as it is, or zipped on the way out (offered above 2 MB).

The zipped copy is made while it is sent, never stored: no second file to keep
or to remove, and no time spent on it when nobody asks.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

from django.http import FileResponse, StreamingHttpResponse
from django.utils.translation import gettext

from recurra.core.errors import Gone
from recurra.exports import files
from recurra.exports.models import Export
from recurra.exports.writers import MEDIA_TYPES

BLOCK = 1 << 20


class _Pipe(io.RawIOBase):
    """Where the zip is written: its bytes are taken out as they come (no seeking, so the zip
    uses data descriptors)."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        out = b"".join(self.chunks)
        self.chunks.clear()
        return out


def zip_stream(path: Path, name: str) -> Iterator[bytes]:
    """A zip holding ``path`` as ``name``, a block at a time."""
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open(name, "w", force_zip64=True) as entry, path.open("rb") as source:
            while block := source.read(BLOCK):
                entry.write(block)
                yield pipe.take()
    yield pipe.take()


def file_response(export: Export, *, zipped: bool = False) -> FileResponse | StreamingHttpResponse:
    path = files.path_of(export)
    if not path.exists():
        raise Gone(gettext("the export's file is no longer there: export again"))
    if not zipped:
        return FileResponse(
            path.open("rb"),
            as_attachment=True,
            filename=export.file_name,
            content_type=MEDIA_TYPES[export.format],
        )
    response = StreamingHttpResponse(zip_stream(path, export.file_name), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{export.file_name}.zip"'
    return response
