"""Web forms: each turns posted data into the keyword arguments of one service."""
