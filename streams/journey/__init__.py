"""The transaction log: each message's journey through samflyt, one row per step.

:mod:`.recorder` reads the pipeline's topics in batches inside each worker, :mod:`.collect`
and :mod:`.rows` map the records to rows (pure), :mod:`.store` writes them to PostgreSQL,
:mod:`.trace` reads one message's journey back for ``samflyt trace``.
"""
