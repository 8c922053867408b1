"""The disk cache's key: exactly the code a generated module's machine code is made of."""
import os
import re

import pytest

pytest.importorskip('numba')

from tracegraph_numba import cache  # noqa: E402
from tracegraph_numba.lowered import KERNEL_HEADER, kernel  # noqa: E402

PAIRWISE = 'from tracegraph_numba.pairwise import pairwise_prod, pairwise_sum\n'


@pytest.fixture
def fresh_keys():
    """Keys computed from scratch (the fingerprints are memoized per process)."""
    def clear():
        cache.key_of.cache_clear()
        cache._fingerprint.cache_clear()
        cache._module_text.cache_clear()
    clear()
    yield
    clear()


def test_package_imports_reads_every_import_form():
    text = ('from . import callbacks, lowered as low  # noqa\n'
            'from .helpers import as_scalar\n'
            'from . import (\n    random,\n    not_a_module,\n)\n'
            '    import tracegraph_numba.vector_math\n'
            'from tracegraph_numba.blocked import evaluate as blocked_evaluate\n'
            'from tracegraph_numba import pairwise\n'
            'from tracegraph.ir import FunctionGraph\n')
    assert cache.package_imports(text) == {'callbacks', 'lowered', 'helpers', 'random', 'vector_math',
                                           'blocked', 'pairwise'}


def test_generated_code_depends_on_the_runtime_modules_not_on_the_code_generator():
    runs = cache.runtime_modules(KERNEL_HEADER)
    assert {'helpers', 'vector_math', 'blocked', 'callbacks', 'random'} <= runs
    assert not runs & {'linker', 'lowering', 'elemwise', 'scan', 'indexing', 'plugin', 'cache'}
    assert 'pairwise' not in runs
    assert cache.runtime_modules(KERNEL_HEADER + PAIRWISE) == runs | {'pairwise'}


def test_a_key_changes_with_the_package_code_its_source_runs_and_no_other(fresh_keys, monkeypatch):
    plain = kernel(['a0'], ['return a0 + 1,'])
    with_pairwise = kernel(['a0'], ['return pairwise_sum(a0, 0.0),'], preamble=PAIRWISE)
    before = cache.key_of(plain), cache.key_of(with_pairwise)

    real = cache._module_text

    def edited(name):
        return real(name) + ('\n# edited\n' if name == 'pairwise' else '')
    cache.key_of.cache_clear()
    cache._fingerprint.cache_clear()
    monkeypatch.setattr(cache, '_module_text', edited)
    after = cache.key_of(plain), cache.key_of(with_pairwise)
    assert after[0] == before[0]
    assert after[1] != before[1]


def test_every_module_that_registers_numba_extensions_is_under_the_key():
    # An @overload (or a lowering registered by hand) changes compiled code without
    # being called by name: its module must be one the generated code imports.
    registers = re.compile(r'\b(overload|overload_method|overload_attribute|lower_builtin|'
                           r'type_callable|register_jitable)\b')
    runs = cache.runtime_modules(KERNEL_HEADER)
    for name in sorted(os.listdir(cache.HERE)):
        if name.endswith('.py') and name != 'cache.py':
            if re.search(r'^\s*from numba[\w.]* import .*' + registers.pattern,
                         cache._module_text(name[:-3]), re.M):
                assert name[:-3] in runs, name


def test_a_file_edited_after_the_import_keeps_the_key_of_the_code_loaded(fresh_keys, monkeypatch):
    # This process runs the helpers it imported: a later edit on disk must not
    # file that old machine code under the new text's key.
    source = kernel(['a0'], ['return as_scalar(a0),'])
    before = cache.key_of(source)
    cache.key_of.cache_clear()
    cache._fingerprint.cache_clear()
    cache._module_text.cache_clear()
    monkeypatch.setattr(cache, '_read_module', lambda name: '# edited on disk\n')
    assert cache.key_of(source) == before
