"""Static files: hashed, gzipped names once collected, the plain names before.

``recurra serve`` collects the app's static files into ``STATIC_ROOT``
(``recurra.server.static_files_collect``): each under a name with a hash of its
content (``web/app.b099542ada09.css``) and a gzip copy beside it, listed in a
manifest. WhiteNoise serves those with ``Cache-Control: max-age=315360000,
public, immutable`` and the gzip copy to a browser that accepts it.

A name the manifest lacks stays its plain name instead of raising as
Django's manifest storage does: before any collection (the test suite, a
``recurra manage`` command, a fresh checkout) there is no manifest at all,
and WhiteNoise still serves the plain name from the app's own directory
(``WHITENOISE_USE_FINDERS``), cached for a minute.
"""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class CollectedStaticFiles(CompressedManifestStaticFilesStorage):
    def stored_name(self, name: str) -> str:
        try:
            return super().stored_name(name)
        except ValueError:  # not collected (yet): the plain name, which the finders serve
            return name
