"""The built-in deny list: what no allow-list prefix reaches.

Users allow whole libraries (``allow=["numpy", "torch"]``), and every such library holds
a few functions that run code, load pickles or touch files: ``numpy.load``, ``torch.load``,
``pandas.read_pickle``. Under a checking policy a name on this list is refused even when a
prefix in ``allow`` covers it; an exact ``allow`` entry lifts a single entry, except the
entries in :data:`NEVER` (traceable's own loading, auditing and policy functions), which
nothing lifts.

Beyond the list, a prefix covers public names only: not a name whose last component is
private (``torch.fx.graph_module._exec_with_source``) or special (``__main__``); see
:meth:`traceable.LoadPolicy.judge`.

An entry covers the name itself and everything under it (``"os"`` covers ``os.system``),
like an allow prefix; an entry ending in ``*`` covers every name whose next component
starts with the text before it (``"pandas.read_*"`` covers ``pandas.read_csv``). Names are
matched as the payload writes them and as the object imports (``logging.os.system`` is
``posix.system``), and a loaded module-level entry also by identity, so a re-export under
another name is refused too.

Example:
    >>> DENY_LIST.match("numpy.load"), DENY_LIST.match("pandas.read_csv"), DENY_LIST.match("numpy.zeros")
    ('numpy.load', 'pandas.read_*', None)
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["DENIED", "DENY_LIST", "NEVER", "NEVER_REASON", "DenyList"]

_PICKLE = "it unpickles or deserialises, which runs arbitrary code"
_CODE = "it runs code, starts processes or imports by name"
_FILES = "it reads or writes files, or opens connections"
_ATTRS = "it reaches attributes or builds code from names given as data"
_STATE = "it changes process-wide state that later code trusts"
_OWN = NEVER_REASON = "a payload may never call traceable's own functions: loading, policy, registry, tracing, writing"


def _entries(names: str, why: str) -> dict[str, str]:
    return dict.fromkeys(names.split(), why)


# Grouped by why they are here. Canonical homes (posix, _io, _pickle)
# are listed beside the public names, for the names objects import as.
DENIED: Mapping[str, str] = {
    # Deserialisers and loaders.
    **_entries(
        """
        pickle _pickle cPickle pickletools copyreg marshal shelve dbm dill joblib cloudpickle jsonpickle
        yaml.load yaml.load_all yaml.unsafe_load* yaml.full_load* yaml.Loader yaml.UnsafeLoader
        yaml.FullLoader yaml.loader yaml.constructor numpy.load numpy.lib.format numpy.lib.npyio
        numpy.lib._npyio_impl numpy.lib._format_impl numpy.ma.load* numpy.ma.core.load* numpy.ndarray.dump*
        pandas.read_* pandas.io pandas.core.computation pandas.eval pandas.DataFrame.eval
        pandas.DataFrame.query pandas.core.frame.DataFrame.eval pandas.core.frame.DataFrame.query torch.load
        torch.serialization torch.jit torch.hub torch.package torch.export torch.utils.model_zoo
        torch._C._load* torch._C.import_ir_module* torch._C.PyTorchFileReader safetensors h5py scipy.io
        nni.load nni.dump nni.common pandas.compat pandas._testing torch.utils.show_pickle
        omegaconf.OmegaConf.load torch._export torch._functorch nni.contrib
        """,
        _PICKLE,
    ),
    # Processes, code and imports.
    **_entries(
        """
        torch.cuda._memory_viz torch.backends.xeon nni.algorithms builtins.pow
        os posix nt subprocess _posixsubprocess pty multiprocessing _multiprocessing
        concurrent.futures.process asyncio.subprocess asyncio.create_subprocess_* signal sys gc atexit
        threading.settrace* threading.setprofile* _thread builtins.eval builtins.exec builtins.compile
        builtins.__import__ builtins.__build_class__ builtins.breakpoint builtins.input builtins.help
        builtins.exit builtins.quit builtins.globals builtins.locals builtins.vars importlib _imp imp
        zipimport pkgutil runpy code codeop ctypes _ctypes cffi pdb bdb trace timeit cProfile profile
        doctest pydoc inspect webbrowser platform site sysconfig ensurepip venv pip setuptools distutils
        logging.config numpy.ctypeslib numpy.f2py numpy.distutils numpy.testing numpy.seterrcall
        torch.utils.cpp_extension torch.utils.benchmark torch.multiprocessing torch.distributed
        torch.compile torch.compiler torch._dynamo torch._inductor torch._C._jit* torch._C._dynamo
        torch._C._distributed* torch._C._multiprocessing* torch.ops torch.classes torch.library hydra.utils
        hydra._internal hydra.main hydra.compose hydra.initialize* jsonargparse.CLI jsonargparse.auto_cli
        jsonargparse.import_object nni.experiment nni.runtime nni.tools nni.shortcut_module nni.nas.import_
        nni.nas.experiment nni.nas.execution nni.nas.benchmark torch.fx torch.testing
        torch.utils.collect_env pandas.plotting pandas.util pandas._config numpy._core._add_newdocs
        numpy.core._add_newdocs numpy.lib._utils_impl numpy.lib.utils builtins.list builtins.tuple
        builtins.set builtins.frozenset builtins.dict builtins.bytearray builtins.map builtins.filter
        builtins.sorted builtins.min builtins.max builtins.sum builtins.any builtins.all builtins.iter
        builtins.next builtins.enumerate builtins.zip builtins.reversed functools.reduce itertools
        distributed dask
        """,
        _CODE,
    ),
    # Reaching attributes, or building code, from data.
    **_entries(
        """
        builtins.hasattr builtins.type
        builtins.getattr builtins.setattr builtins.delattr operator.attrgetter operator.methodcaller
        _operator.attrgetter _operator.methodcaller types.CodeType types.FunctionType types.LambdaType
        types.MethodType types.ModuleType functools.singledispatch functools.update_wrapper functools.wraps
        """,
        _ATTRS,
    ),
    # Files and connections.
    **_entries(
        """
        torch.utils.hipify torch._library torch.sparse._triton_ops_meta builtins.bytes
        builtins.open io.open io.open_code io.FileIO _io codecs.open codecs.EncodedFile fileinput linecache
        tokenize.open shutil tempfile glob filecmp posixpath ntpath genericpath zipfile tarfile gzip.open
        gzip.GzipFile bz2.open bz2.BZ2File lzma.open lzma.LZMAFile sqlite3 _sqlite3 mmap socket _socket ssl
        socketserver http urllib ftplib smtplib poplib imaplib telnetlib xmlrpc mailbox netrc wave.open
        logging.FileHandler logging.handlers logging.basicConfig numpy.save* numpy.memmap numpy.fromfile
        numpy.fromregex numpy.loadtxt numpy.genfromtxt numpy.DataSource numpy.lib._datasource
        numpy.rec.fromfile numpy.core.records.fromfile numpy._core.records.fromfile numpy.ma.dump*
        numpy.ma.core.dump* numpy.ndarray.tofile numpy._core._methods numpy.core._methods numpy.ma.mrecords
        pandas.show_versions pandas.to_* pandas.ExcelWriter pandas.ExcelFile pandas.HDFStore
        pandas.DataFrame.to_* pandas.Series.to_* pandas.core.frame.DataFrame.to_*
        pandas.core.series.Series.to_* pandas.core.generic.NDFrame.to_* torch.save torch.from_file
        torch.UntypedStorage.from_file torch.TypedStorage.from_file torch.storage torch.onnx torch.profiler
        torch.autograd.profiler torch.utils.tensorboard torch.utils.data.datapipes torch._C._save*
        torch._C.PyTorchFileWriter omegaconf.OmegaConf.save
        """,
        _FILES,
    ),
    # Process-wide state that other code trusts.
    **_entries(
        """
        enum.global_enum decimal.setcontext decimal.localcontext logging.debug logging.info logging.warning
        logging.warn logging.error logging.critical logging.exception logging.log
        logging.setLoggerClass logging.setLogRecordFactory logging.disable logging.captureWarnings
        logging.addLevelName logging.shutdown pandas.set_option pandas.option_context
        omegaconf.OmegaConf.register_new_resolver omegaconf.OmegaConf.register_resolver
        """,
        _STATE,
    ),
    # traceable's own functions (loading, auditing, policy, registry, tracing, writing): NEVER below.
    "traceable": _OWN,
}

NEVER: frozenset[str] = frozenset(entry for entry, why in DENIED.items() if why == _OWN)


class DenyList:
    """Entries that refuse names (and the objects they import as) under any allow prefix.

    Args:
        entries: entry -> why it is denied (one sentence).
        never: the entries that no exact allow entry lifts.
    """

    def __init__(self, entries: Mapping[str, str], never: Iterable[str] = ()) -> None:
        self.reasons = dict(entries)
        self.never = frozenset(never)
        self._names = {entry for entry in self.reasons if not entry.endswith("*")}
        # "parent.stem*": parent -> stems its next component may start with.
        self._stems: dict[str, list[str]] = {}
        for entry in self.reasons:
            if entry.endswith("*"):
                parent, _, stem = entry[:-1].rpartition(".")
                self._stems.setdefault(parent, []).append(stem)
        self._objects: dict[int, tuple[Any, str]] = {}
        self._modules_seen = -1

    def __len__(self) -> int:
        return len(self.reasons)

    def match(self, dotted: str) -> str | None:
        """The entry that covers the name ``dotted``, or None."""
        parts = dotted.split(".")
        prefix = ""
        for index, part in enumerate(parts):
            stems = self._stems.get(prefix)
            if stems is not None:
                for stem in stems:
                    if part.startswith(stem):
                        return f"{prefix}.{stem}*" if prefix else f"{stem}*"
            prefix = f"{prefix}.{part}" if index else part
            if prefix in self._names:
                return prefix
        return None

    def match_object(self, obj: Any) -> str | None:
        """The entry whose loaded module-level object is ``obj`` itself, or None.

        Only modules already imported are looked at: nothing is imported here.
        """
        if len(sys.modules) != self._modules_seen:
            self._index()
        found = self._objects.get(id(obj))
        return found[1] if found is not None and found[0] is obj else None

    def _index(self) -> None:
        self._modules_seen = len(sys.modules)
        objects: dict[int, tuple[Any, str]] = {}
        for entry in self._names:
            module_name, _, attr = entry.rpartition(".")
            module = sys.modules.get(module_name)
            if module is None:
                continue
            # The module's own dict: a module __getattr__ could import or warn.
            obj = getattr(module, "__dict__", {}).get(attr)
            if obj is not None and not isinstance(obj, type(sys)):
                objects[id(obj)] = (obj, entry)
        self._objects = objects

    def extended(self, entries: Iterable[str], why: str) -> DenyList:
        """A new list with ``entries`` added, each denied for ``why``."""
        return DenyList({**self.reasons, **dict.fromkeys(entries, why)}, self.never)


DENY_LIST = DenyList(DENIED, NEVER)
