"""tracegraph: numerical programs written once as a graph, run fast on any backend.

    import tracegraph as tg            # `import tracegraph as theano` reads naturally
    import tracegraph.tensor as T
    x = T.fmatrix('x')
    f = tg.function([x], T.exp(x))
"""
from . import config, tensor
from .autodiff import grad  # loading autodiff also fills T.grad and Elemwise's pullback
from . import backends
from .compiler import Function, In, Out, Param, SharedVariable, function, shared
from .ir import Apply, Constant, FunctionGraph, Op, Type, Variable
from .tensor.type import TensorType

__version__ = '0.1.0'


def __getattr__(name):
    # Later layers load on first use, so `import tracegraph` stays quick.
    import importlib
    lazy = {
        'gradient': ('tracegraph.gradient', None),
        'scan': ('tracegraph.scan', 'scan'),
        'until': ('tracegraph.scan', 'until'),
        'pp': ('tracegraph.printing', 'pp'),
        'printing': ('tracegraph.printing', None),
        'debugprint': ('tracegraph.printing', 'debugprint'),
        'pydotprint': ('tracegraph.printing', 'pydotprint'),
        'ifelse': ('tracegraph.ifelse', None),
        # @tg.compile, also Theano's theano.compile namespace (import tracegraph as theano)
        'compile': ('tracegraph.theano.compile', None),
        'update': ('tracegraph.trace', 'update'),
        'grad_of': ('tracegraph.trace', 'grad_of'),
        'value_and_grad': ('tracegraph.trace', 'value_and_grad'),
        'random': ('tracegraph.random', None),
        'sandbox': ('tracegraph.sandbox', None),
        # Theano's top-level names that programs use as `theano.X` (issue 20), from
        # the room of Theano's module paths, tracegraph/theano/
        'scalar': ('tracegraph.theano.scalar', None),
        'clone': ('tracegraph.theano.scan_module.scan_utils', 'clone'),
        'map': ('tracegraph.theano.scan_module.scan_views', 'map'),
        'reduce': ('tracegraph.theano.scan_module.scan_views', 'reduce'),
        'foldl': ('tracegraph.theano.scan_module.scan_views', 'foldl'),
        'foldr': ('tracegraph.theano.scan_module.scan_views', 'foldr'),
        'scan_module': ('tracegraph.theano.scan_module', None),
        'gof': ('tracegraph.theano.gof', None),
    }
    if name not in lazy:
        raise AttributeError(f'module tracegraph has no attribute {name!r}')
    module_name, attr = lazy[name]
    module = importlib.import_module(module_name)
    return module if attr is None else getattr(module, attr)
