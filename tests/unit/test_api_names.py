"""Every name of API.md's contract exists (behaviour is tested in the conformance suite)."""
import importlib

import pytest

T_FUNCTIONS = '''exp log log1p expm1 sqrt sqr abs_ sin cos tan tanh sinh cosh arcsin arccos arctan arctan2
floor ceil round_ clip maximum minimum pow sgn erf sigmoid softplus switch where eq neq lt le gt ge
and_ or_ xor invert isnan isinf dot tensordot outer sum mean var std max min prod argmax argmin
cumsum cumprod zeros_like ones_like fill alloc zeros ones eye arange concatenate stack reshape
flatten transpose cast set_subtensor inc_subtensor shape constant as_tensor_variable grad tensor'''.split()
CONSTRUCTORS = [p + k for p in ('', 'f', 'd', 'i', 'l', 'b')
                for k in ('scalar', 'vector', 'matrix', 'row', 'col', 'tensor3', 'tensor4')]
PLURALS = ['fscalars', 'dscalars', 'iscalars', 'scalars', 'vectors', 'matrices', 'dmatrices', 'lscalars']
NNET = ['sigmoid', 'softmax', 'relu', 'softplus', 'binary_crossentropy', 'categorical_crossentropy',
        'ultra_fast_sigmoid', 'hard_sigmoid']
METHODS = ['sum', 'mean', 'max', 'min', 'prod', 'argmax', 'argmin', 'reshape', 'dimshuffle', 'flatten',
           'astype', 'T', 'shape', 'dtype', 'ndim', 'name', 'owner', 'index', 'type']
TOP_LEVEL = ['function', 'shared', 'pp', 'In', 'Param', 'Out', 'config', 'printing', 'backends']


@pytest.mark.parametrize('name', T_FUNCTIONS + CONSTRUCTORS + PLURALS)
def test_tensor_names(name):
    import tracegraph.tensor as T
    assert callable(getattr(T, name)), name


@pytest.mark.parametrize('name', NNET)
def test_nnet_names(name):
    import tracegraph.tensor as T
    assert callable(getattr(T.nnet, name))


@pytest.mark.parametrize('name', METHODS)
def test_variable_attributes(name):
    import tracegraph.tensor as T
    x = T.dmatrix('x')
    getattr(x, name)


@pytest.mark.parametrize('name', TOP_LEVEL)
def test_top_level_names(name):
    import tracegraph
    assert getattr(tracegraph, name) is not None


@pytest.mark.parametrize('module,names', [
    ('tracegraph.printing', ['pp', 'debugprint', 'pydotprint']),
    ('tracegraph.ifelse', ['ifelse']),
    ('tracegraph.theano', ['alias_theano']),
    # Theano 1.0's library (issue 20)
    ('tracegraph.tensor.extra_ops', ['repeat', 'bincount', 'diff', 'squeeze', 'fill_diagonal',
                                     'fill_diagonal_offset', 'to_one_hot', 'searchsorted', 'unique',
                                     'cumsum', 'cumprod', 'compress', 'ravel_multi_index', 'unravel_index']),
    ('tracegraph.tensor', ['sort', 'argsort', 'tile', 'roll', 'inv', 'square', 'unbroadcast', 'addbroadcast',
                           'patternbroadcast', 'batched_dot', 'batched_tensordot', 'nonzero', 'nonzero_values',
                           'flatnonzero', 'triu', 'tril', 'diag', 'take', 'choose', 'swapaxes', 'largest',
                           'smallest', 'Variable', 'TensorVariable', 'TensorConstant']),
    ('tracegraph.theano.tensor.sharedvar', ['TensorSharedVariable', 'ScalarSharedVariable']),
    ('tracegraph.theano.gof.graph', ['inputs', 'ancestors', 'io_toposort', 'is_same_graph']),
    ('tracegraph', ['clone', 'foldl', 'foldr', 'map', 'reduce']),
    ('tracegraph.theano.scan_module.scan_utils', ['equal_computations']),
    ('tracegraph.gradient', ['grad_clip', 'disconnected_grad', 'zero_grad', 'consider_constant']),
    ('tracegraph.printing', ['Print']),
])
def test_module_paths(module, names):
    mod = importlib.import_module(module)
    for name in names:
        assert callable(getattr(mod, name))


def test_backends_available_reports_numpy():
    from tracegraph import backends
    status = backends.available()
    assert status['numpy'] and status['numpy'].reason == ''
