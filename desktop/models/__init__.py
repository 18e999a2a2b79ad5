"""Qt item models fed only by task results and the engine's event stream. They change row by
row (insert, remove, change), never by a reset, so selection and scroll survive a refresh."""
