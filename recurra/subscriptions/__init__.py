"""Subscriptions: the billing engine's domain (issue 3). So far: the pure schedule maths."""
