"""Operating Recurra: health endpoints, Prometheus metrics, request ids, worker heartbeats.

See docs/operations.md.
"""
