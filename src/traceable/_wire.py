"""Every marker key of the wire format, as a named constant.

The NNI 3.0 markers (``__symbol__`` ... ``__pandas_series__``) keep NNI's spelling so
that NNI reads what we write; the markers NNI lacks follow json-tricks' spelling
where json-tricks has one (``__bytes_b64__``, ``__slice__``).
"""

from __future__ import annotations

# Traced calls: {"__symbol__": "path:mod.Name", "__args__": [...], "__kwargs__": {...}}
SYMBOL = "__symbol__"
ARGS = "__args__"
KWARGS = "__kwargs__"

# Classes and functions as values, objects with _dump/_load, the pickle fallback.
TYPE = "__nni_type__"
INSTANCE_TYPE = "__instance_type__"
PICKLED = "__nni_obj__"

# Prefixes of a symbol name: an import path, or base64 of a cloudpickle.
PATH_PREFIX = "path:"
BYTES_PREFIX = "bytes:"

# json-tricks markers that NNI 3.0 reads.
NDARRAY = "__ndarray__"
DATETIME = "__datetime__"
DATE = "__date__"
TIME = "__time__"
TIMEDELTA = "__timedelta__"
DECIMAL = "__decimal__"
FRACTION = "__fraction__"
COMPLEX = "__complex__"
SET = "__set__"
PATHLIB = "__pathlib__"
ENUM = "__enum__"
ENUM_TYPE = "__enum_instance_type__"
DATAFRAME = "__pandas_dataframe__"
SERIES = "__pandas_series__"

# Ours: values NNI 3.0 cannot encode at all.
BYTES = "__bytes_b64__"
BYTES_UTF8 = "__bytes_utf8__"  # json-tricks' other bytes form, accepted on load
BYTEARRAY = "__bytearray_b64__"
FROZENSET = "__frozenset__"
RANGE = "__range__"
SLICE = "__slice__"

# Ours: one-key codec objects, {"__name__": data} (see _registry).
UUID = "__uuid__"
ELLIPSIS = "__ellipsis__"
DEQUE = "__deque__"
COUNTER = "__counter__"
DEFAULTDICT = "__defaultdict__"
ORDEREDDICT = "__ordereddict__"
NAMEDTUPLE = "__namedtuple__"
DATACLASS = "__dataclass__"
ATTRS = "__attrs__"
PYDANTIC = "__pydantic__"
TORCH_TENSOR = "__torch_tensor__"
TORCH_DTYPE = "__torch_dtype__"
TORCH_DEVICE = "__torch_device__"

# Lossless mode (dump(..., lossless=True)): the envelope, then what the default loses.
LOSSLESS = "__lossless__"  # {"__lossless__": 1, "value": ...}, only at the top
TUPLE = "__tuple__"  # {"__tuple__": [...]}
ITEMS = "__items__"  # a dict as [[key, value], ...]: keys of any type, or keys like markers
ID = "__id__"  # {"__id__": 3, "__value__": ...}: an object reachable more than once...
VALUE = "__value__"
REF = "__ref__"  # {"__ref__": 3}: ...and each later place it is reached from
