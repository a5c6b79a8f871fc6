"""The pipeline's decisions as pure functions; the agents in :mod:`streams.agents` only wire
them to topics."""
