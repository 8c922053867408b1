"""Theano's `scan_module` path: scan itself, its map/reduce/fold views and scan_utils."""
from ...scan import scan, until  # noqa: F401
from . import scan_utils  # noqa: F401
from .scan_views import foldl, foldr, map, reduce  # noqa: F401,A004
