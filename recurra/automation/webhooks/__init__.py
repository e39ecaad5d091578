"""Outgoing webhooks on the Standard Webhooks spec (https://www.standardwebhooks.com).

- ``catalog``: the public event types and the table that derives them from audit events;
- ``publishing``: writes public events and their deliveries in the transaction of the change;
- ``schedule`` (pure): when a failed delivery is tried again;
- ``signing`` (pure): secrets and ``webhook-signature``;
- ``sealing``: secrets kept encrypted at rest, revealed on request;
- ``addresses``: which URLs may receive (https in live mode, no private hosts);
- ``sending``: the HTTP port (httpx adapter, in-memory fake);
- ``delivery``: the job runner's queue handler: one attempt per claim;
- ``services`` / ``selectors``: the use cases and reads behind the API and the web pages.
"""
