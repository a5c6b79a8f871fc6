"""The pipeline's agents: one per stage, thin — they read, call a pure stage, and send."""
