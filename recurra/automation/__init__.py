"""Automation: outgoing webhooks (``automation.webhooks``); workflows later.

Sits above commerce and billing (it reads their events) and below the API and the web app, which
reach it through its services and selectors; the API registers at start-up how each object is
rendered (``webhooks.objects``), so that a webhook's ``object`` is what ``GET`` returns.
"""
