"""Plain Python over the Docker SDK. Nothing here may import Qt: the engine layer must be usable
(and testable) without a GUI, and every call here may block, so only worker threads call it."""
