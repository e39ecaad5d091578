"""The worker, on top of every other layer: one pass of due work (``steps``), the loop that
repeats it (``loop``), and the sandbox test clock that runs it through simulated time
(``testclock``)."""
