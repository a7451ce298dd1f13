"""The worker plugin of :mod:`traceable.contrib.dask`, in its own module because it subclasses
``distributed.WorkerPlugin``: importing it imports ``distributed``, which the public module
does only when asked to.

Workers unpickle the plugin by reference to this module, so they need traceable installed.
"""

from __future__ import annotations

from distributed import Worker, WorkerPlugin

from traceable._policy import LoadPolicy
from traceable.contrib import dask as traceable_dask


class TraceablePlugin(WorkerPlugin):
    """Registers the ``traceable`` family with ``policy`` on each worker it is set up on.

    Example:
        >>> TraceablePlugin(None).policy is None
        True
    """

    def __init__(self, policy: LoadPolicy | None) -> None:
        self.policy = policy

    def setup(self, worker: Worker) -> None:
        traceable_dask.register(policy=self.policy)
