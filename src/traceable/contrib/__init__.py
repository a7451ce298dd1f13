"""Integrations with other libraries, one module each; a library is imported only when its module is used.

- :mod:`traceable.contrib.dask`: a ``traceable`` serialization family for Dask distributed.
"""
