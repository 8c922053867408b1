"""The pytest plugin (loaded into every pytest run once tracegraph is installed) leaves
other projects' `backend` fixtures alone and parametrizes only tests that opt in."""
import pytest

pytest_plugins = ['pytester']

_FOREIGN = '''
import pytest

@pytest.fixture
def backend():
    return 'their-own-backend'

def test_their_backend(backend):
    assert backend == 'their-own-backend'
'''

_OPTED_IN = '''
import pytest

pytestmark = pytest.mark.tracegraph_backends

def test_marked(backend):
    assert backend == 'numpy'

def test_namespaced(tracegraph_backend):
    assert tracegraph_backend == 'numpy'
'''

_CONFTEST_OPT_IN = '''
from tracegraph.testing.plugin import parametrize_backends as pytest_generate_tests
'''


def test_a_foreign_backend_fixture_is_untouched_and_opt_ins_are_parametrized(pytester):
    pytester.makepyfile(test_foreign=_FOREIGN, test_opted_in=_OPTED_IN)
    sub = pytester.mkdir('optin_dir')
    (sub / 'conftest.py').write_text(_CONFTEST_OPT_IN)
    (sub / 'test_in_dir.py').write_text('def test_dir(backend):\n    assert backend == "numpy"\n')
    result = pytester.runpytest_inprocess('-p', 'no:cacheprovider', '-p', 'no:xdist', '-v',
                                          '--tracegraph-backend', 'numpy')
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(['*test_in_dir.py::test_dir?numpy? PASSED*',
                                 '*test_foreign.py::test_their_backend PASSED*',
                                 '*test_opted_in.py::test_marked?numpy? PASSED*',
                                 '*test_opted_in.py::test_namespaced?numpy? PASSED*'])
