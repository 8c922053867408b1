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
        cache._star_names.cache_clear()
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


def test_generated_code_depends_on_the_runtime_modules_whose_names_it_uses():
    assert cache.runtime_modules(KERNEL_HEADER) == frozenset()   # imported, never used
    assert cache.runtime_modules(kernel(['a0'], ['return a0 + 1,'])) == frozenset()
    assert cache.runtime_modules(kernel(['a0'], ['return nb_exp(a0),'])) == {'vector_math'}
    assert cache.runtime_modules(kernel(['a0'], ['return broadcast_length(a0),'])) == {'helpers'}
    assert cache.runtime_modules(kernel(['a0'], ['return pairwise_sum(a0, 0.0),'],
                                        preamble=PAIRWISE)) == {'pairwise'}


def test_a_callback_depends_on_what_its_module_imports_from_the_package():
    runs = cache.runtime_modules(kernel(['a0'], ['return call_perform("k", a0),']))
    assert {'callbacks', 'lowered'} <= runs
    assert not runs & {'linker', 'lowering', 'elemwise', 'scan', 'indexing', 'plugin', 'cache'}


def test_an_import_not_read_name_by_name_counts_whole():
    source = 'from tracegraph_numba.vector_math import (\n    nb_exp,\n)\n\ndef f(x):\n    return x\n'
    assert cache.runtime_modules(source) == {'vector_math'}
    assert cache.runtime_modules('from tracegraph_numba import pairwise\n') == {'pairwise'}


@pytest.mark.parametrize('module, uses_it', [
    ('pairwise', kernel(['a0'], ['return pairwise_sum(a0, 0.0),'], preamble=PAIRWISE)),
    ('vector_math', kernel(['a0'], ['return nb_sigmoid(a0),'])),
    ('helpers', kernel(['a0'], ['return nb_softplus(a0),'])),
])
def test_a_key_changes_with_the_package_code_its_source_runs_and_no_other(fresh_keys, monkeypatch,
                                                                           module, uses_it):
    plain = kernel(['a0'], ['return a0 + 1,'])
    before = cache.key_of(plain), cache.key_of(uses_it)

    real = cache._module_text

    def edited(name):
        return real(name) + ('\n# edited\n' if name == module else '')
    cache.key_of.cache_clear()
    cache._fingerprint.cache_clear()
    monkeypatch.setattr(cache, '_module_text', edited)
    after = cache.key_of(plain), cache.key_of(uses_it)
    assert after[0] == before[0]
    assert after[1] != before[1]


def test_compiled_code_reaches_the_package_only_through_names():
    # The key follows the names generated code uses.  An @overload of a function of
    # another library, or a typing/lowering registered by hand, would change compiled
    # code that never names its module: cache.py would have to key on it whole.
    nameless = re.compile(r'\b(overload_method|overload_attribute|overload_classmethod|lower_builtin|'
                          r'lower_cast|type_callable|infer_global|register_jitable)\b')
    for name in sorted(os.listdir(cache.HERE)):
        if not name.endswith('.py') or name == 'cache.py':
            continue
        text = cache._module_text(name[:-3])
        assert not nameless.search(text), name
        for target in re.findall(r'^@overload\((\w+)', text, re.M):
            assert re.search(rf'^def {target}\b', text, re.M), (name, target)


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
