"""The import alias maps `theano.X` onto Theano's room (tracegraph/theano/) where it
holds X, and onto tracegraph's own module otherwise."""
import importlib
import subprocess
import sys

import pytest

import tracegraph
import tracegraph.tensor
from tracegraph.theano import alias_theano, remove_alias


@pytest.fixture
def theano():
    yield alias_theano()
    remove_alias()


def test_theano_names_tracegraph(theano):
    assert theano is tracegraph
    assert importlib.import_module('theano.tensor') is tracegraph.tensor
    assert importlib.import_module('theano.config') is tracegraph.config


def test_room_modules_win(theano):
    for name in ('gof', 'gof.graph', 'scalar', 'gradient', 'scan_module', 'scan_module.scan_utils',
                 'sandbox.rng_mrg', 'tensor.sharedvar', 'tensor.shared_randomstreams'):
        module = importlib.import_module(f'theano.{name}')
        assert module is importlib.import_module(f'tracegraph.theano.{name}')
        assert module.__spec__.name == f'tracegraph.theano.{name}'   # the alias leaves the real spec
    from theano.sandbox.rng_mrg import MRG_RandomStreams
    from tracegraph.sandbox.rng_mrg import MRG_RandomStreams as documented
    assert MRG_RandomStreams is documented
    with pytest.raises(ImportError, match='out of scope'):
        importlib.import_module('theano.sparse')


def test_theano_compile_is_the_room_module_and_the_decorator(theano):
    import tracegraph.compiler.ops
    from tracegraph.trace.compiled import Compiled
    compile_module = importlib.import_module('theano.compile')
    assert compile_module is importlib.import_module('tracegraph.theano.compile') is tracegraph.compile
    assert importlib.import_module('theano.compile.ops') is tracegraph.compiler.ops
    assert theano.compile.function is tracegraph.function
    assert theano.compile.ops is tracegraph.compiler.ops
    assert isinstance(theano.compile(lambda a: a), Compiled)   # @tg.compile
    assert isinstance(theano.compile(backend='numpy')(lambda a: a), Compiled)


def test_run_a_program_under_the_alias(tmp_path):
    script = tmp_path / 'prog.py'
    script.write_text('import sys\nimport theano.tensor as T\nfrom theano.gof import graph\n'
                      'x = T.dvector("x")\nprint(sys.argv[1], x in graph.inputs([x * 2]))\n')
    done = subprocess.run([sys.executable, '-m', 'tracegraph.theano', str(script), 'ran'],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ['ran', 'True']
