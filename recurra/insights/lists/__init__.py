"""Lists of contacts or companies, segmented by their own properties and by their subscriptions.

- ``properties``: the contacts' and companies' property tables (as the subscriptions' one).
- ``spec`` (pure): a list's filters, read from JSON and written back.
- ``query``: filters as a database condition (``Exists`` over subscriptions).
- ``services`` / ``selectors``: the use cases and reads behind the API and pages.
"""
