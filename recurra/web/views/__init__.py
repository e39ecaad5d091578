"""Web views, one module per area; each view validates, calls one service and renders or redirects."""
