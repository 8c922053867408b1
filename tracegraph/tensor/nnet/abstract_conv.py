"""Convolutions: Theano 1.0's `theano.tensor.nnet.abstract_conv`.

One op family, three ops, each the others' gradient (a convolution is linear in
each argument, so every derivative of one is again one of the three):

- `AbstractConv(img, kern)`: the forward convolution (a cross-correlation when
  `filter_flip=False`), over the last `convdim` (2 or 3) axes;
- `AbstractConv_gradInputs(kern, topgrad, shape)`: its gradient with respect to
  `img` (the transposed convolution); `shape` is the image's spatial shape, which a
  strided convolution cannot recover from `topgrad`;
- `AbstractConv_gradWeights(img, topgrad, shape)`: its gradient with respect to
  `kern`; `shape` is the kernel's spatial shape.

The geometry (border mode, subsample, dilation, groups, flip, shape hints) is op
data, as in Theano.  How a convolution is computed lives in `conv_kernels.py` (im2col
and one matrix product per group, over any array module); the backends lower these
ops to it or to their own library calls.

Shapes (Theano's conventions): images are (batch, channels, rows, cols[, depth]);
kernels (out_channels, channels / num_groups, rows, cols[, depth]).
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ...ir import Apply, Op
from ...ir.variable import Constant, Variable
from ..basic import as_tensor_variable
from ..elemwise import promote
from ..type import TensorType

__all__ = ['AbstractConv', 'AbstractConv2d', 'AbstractConv3d', 'AbstractConv_gradInputs',
           'AbstractConv2d_gradInputs', 'AbstractConv3d_gradInputs', 'AbstractConv_gradWeights',
           'AbstractConv2d_gradWeights', 'AbstractConv3d_gradWeights', 'border_mode_to_pad',
           'conv2d', 'conv2d_grad_wrt_inputs', 'conv2d_transpose', 'conv2d_grad_wrt_weights', 'conv3d',
           'conv3d_grad_wrt_inputs', 'conv3d_grad_wrt_weights', 'get_conv_output_shape',
           'get_conv_shape_1axis']


# ---------------------------------------------------------------- shape rules (Theano's)

def _pads_1axis(kernel_shape, border_mode, dilation):
    """(left, right) padding along one axis for a kernel of `kernel_shape` taps."""
    dil_kernel = (kernel_shape - 1) * dilation + 1
    if border_mode == 'half':
        return dil_kernel // 2, dil_kernel // 2
    if border_mode == 'full':
        return dil_kernel - 1, dil_kernel - 1
    if border_mode == 'valid':
        return 0, 0
    left, right = border_mode if isinstance(border_mode, tuple) else (border_mode, border_mode)
    if left < 0 or right < 0:
        raise ValueError('border_mode must be >= 0')
    return left, right


def get_conv_shape_1axis(image_shape, kernel_shape, border_mode, subsample, dilation=1):
    """The output length along one axis (None where an argument is unknown)."""
    if None in (image_shape, kernel_shape, border_mode, subsample, dilation):
        return None
    left, right = _pads_1axis(kernel_shape, border_mode, dilation)
    out = image_shape - ((kernel_shape - 1) * dilation + 1)
    if left:
        out = out + left
    if right:
        out = out + right
    if subsample != 1:
        out = out // subsample
    return out + 1


def get_conv_output_shape(image_shape, kernel_shape, border_mode, subsample, filter_dilation=None):
    """(batch, out_channels, *spatial) of a convolution; None where undefined."""
    convdim = len(image_shape) - 2
    spatial, kshp = image_shape[2:], kernel_shape[-convdim:]
    if filter_dilation is None:
        filter_dilation = (1,) * len(subsample)
    modes = border_mode if isinstance(border_mode, tuple) else (border_mode,) * len(subsample)
    out = tuple(get_conv_shape_1axis(spatial[i], kshp[i], modes[i], subsample[i], filter_dilation[i])
                for i in range(len(subsample)))
    return (image_shape[0], kernel_shape[0]) + out


def border_mode_to_pad(mode, convdim, kshp):
    """((left, right),) * convdim for a border mode and a kernel's spatial shape."""
    mode = _border_mode(mode, convdim)
    if isinstance(mode, tuple):
        return mode
    return tuple(_pads_1axis(k, mode, 1) for k in kshp)


def _border_mode(mode, convdim):
    """'valid', 'full', 'half', or a tuple of (left, right) pairs (from ints or pairs)."""
    if isinstance(mode, str):
        if mode not in ('valid', 'full', 'half'):
            raise ValueError(f'invalid border_mode {mode!r}, which must be either "valid", "full", "half", '
                             f'an integer or a tuple of length {convdim}')
        return mode
    if isinstance(mode, (int, np.integer)):
        mode = (int(mode),) * convdim
    if isinstance(mode, list):
        mode = tuple(mode)
    if not isinstance(mode, tuple) or len(mode) != convdim:
        raise ValueError(f'invalid border_mode {mode!r}, which must be either "valid", "full", "half", '
                         f'an integer or a tuple of length {convdim}')
    pads = []
    for m in mode:
        pair = tuple(m) if isinstance(m, (tuple, list)) else (m, m)
        if len(pair) != 2 or not all(isinstance(p, (int, np.integer)) and p >= 0 for p in pair):
            raise ValueError(f'invalid border mode {mode!r}: the tuple can only contain integers >= 0 '
                             'or pairs of them')
        pads.append((int(pair[0]), int(pair[1])))
    return tuple(pads)


def _int_tuple(value, n, what):
    if isinstance(value, (int, np.integer)):
        value = (value,) * n
    value = tuple(value)
    if len(value) != n or not all(isinstance(v, (int, np.integer)) and v >= 1 for v in value):
        raise ValueError(f'{what} must be a tuple of {n} positive ints, got {value!r}')
    return tuple(int(v) for v in value)


def _hint(shape, ndim, what):
    """A shape hint as a tuple of ints and None (symbolic or constant entries allowed)."""
    if shape is None:
        return None
    shape = tuple(shape)
    if len(shape) != ndim:
        raise ValueError(f'{what} must have {ndim} entries, got {shape!r}')
    out = []
    for s in shape:
        if isinstance(s, Constant):
            s = s.data
        if isinstance(s, Variable) or s is None:
            out.append(None)
        else:
            out.append(int(s))
    return tuple(out)


# ---------------------------------------------------------------------------- the ops

@dataclass(frozen=True)
class BaseAbstractConv(Op):
    """The geometry every convolution op shares (Theano's BaseAbstractConv)."""

    convdim: int = 2
    imshp: tuple = None          # (batch, channels, *spatial) hint, entries int or None
    kshp: tuple = None           # (out_channels, channels / groups, *spatial) hint
    border_mode: object = 'valid'
    subsample: tuple = None
    filter_flip: bool = True
    filter_dilation: tuple = None
    num_groups: int = 1

    def __post_init__(self):
        n = self.convdim
        if n not in (2, 3):
            raise ValueError(f'convolutions are 2-d or 3-d, got convdim={n}')
        setattr_ = object.__setattr__
        setattr_(self, 'border_mode', _border_mode(self.border_mode, n))
        setattr_(self, 'subsample', _int_tuple(self.subsample or 1, n, 'subsample'))
        setattr_(self, 'filter_dilation', _int_tuple(self.filter_dilation or 1, n, 'filter_dilation'))
        setattr_(self, 'imshp', _hint(self.imshp, n + 2, 'input_shape'))
        setattr_(self, 'kshp', _hint(self.kshp, n + 2, 'filter_shape'))
        setattr_(self, 'filter_flip', bool(self.filter_flip))
        if int(self.num_groups) < 1:
            raise ValueError(f'num_groups must be >= 1, got {self.num_groups}')
        setattr_(self, 'num_groups', int(self.num_groups))

    def pads(self, kernel_spatial):
        """((left, right),) per axis for a kernel of this spatial shape."""
        if isinstance(self.border_mode, tuple):
            return self.border_mode
        return tuple(_pads_1axis(k, self.border_mode, d) for k, d in zip(kernel_spatial, self.filter_dilation))

    def output_shape(self, image_shape, kernel_shape):
        return get_conv_output_shape(image_shape, kernel_shape, self.border_mode, self.subsample,
                                     self.filter_dilation)

    def params(self):
        """The fields the kernels need, as keyword arguments."""
        return dict(border_mode=self.border_mode, subsample=self.subsample, filter_flip=self.filter_flip,
                    filter_dilation=self.filter_dilation, num_groups=self.num_groups)

    def _conv_type(self, *variables):
        """The common float dtype of the operands (integer operands compute in float64)."""
        dtype = promote(list(variables))
        return dtype if np.dtype(dtype).kind == 'f' else 'float64'

    def _check(self, var, what):
        var = as_tensor_variable(var)
        if var.ndim != self.convdim + 2:
            raise TypeError(f'{self}: {what} must be a {self.convdim + 2}-d tensor, got {var} ({var.type})')
        return var

    def _cast(self, var, dtype):
        if var.dtype == dtype:
            return var
        from .. import math as m
        return m.cast(var, dtype)

    def _with_hint(self, static, hint):
        if hint is None:
            return tuple(static)
        out = []
        for s, h in zip(static, hint):
            if s is not None and h is not None and s != h:
                raise ValueError(f'{self}: the static shape {tuple(static)} does not match the shape hint {hint}')
            out.append(s if s is not None else h)
        return tuple(out)

    def _check_channels(self, img_shape, kern_shape):
        c, ck, k = img_shape[1], kern_shape[1], kern_shape[0]
        g = self.num_groups
        if c is not None and ck is not None and c != ck * g:
            raise ValueError(f'{self}: the input has {c} channels but the filters expect {ck} x '
                             f'{g} group(s) = {ck * g}')
        if k is not None and k % g:
            raise ValueError(f'{self}: {k} output channels (filters) cannot be split into {g} groups')

    def __str__(self):
        mode = self.border_mode
        return (f'{type(self).__name__}{{convdim={self.convdim}, border_mode={mode!r}, '
                f'subsample={self.subsample}, filter_flip={self.filter_flip}, '
                f'filter_dilation={self.filter_dilation}, num_groups={self.num_groups}}}')

    def R_op(self, inputs, eval_points):
        # Each op of the family is linear in each of its two tensor operands (a
        # grad op's third input, a shape, is data): one term per operand that moves.
        a, b, *shape = inputs
        e_a, e_b = eval_points[:2]
        terms = [self(e_a, b, *shape) if e_a is not None else None,
                 self(a, e_b, *shape) if e_b is not None else None]
        terms = [t for t in terms if t is not None]
        if not terms:
            return [None]
        return [terms[0] if len(terms) == 1 else terms[0] + terms[1]]

    def _operands(self, a, a_what, b, b_what):
        """(a, b, dtype): both checked for rank and cast to their common float dtype."""
        a, b = self._check(a, a_what), self._check(b, b_what)
        dtype = self._conv_type(a, b)
        return self._cast(a, dtype), self._cast(b, dtype), dtype

    def _ops(self):
        """This geometry's three ops (forward, grad inputs, grad weights)."""
        fields = dict(convdim=self.convdim, imshp=self.imshp, kshp=self.kshp, border_mode=self.border_mode,
                      subsample=self.subsample, filter_flip=self.filter_flip,
                      filter_dilation=self.filter_dilation, num_groups=self.num_groups)
        return AbstractConv(**fields), AbstractConv_gradInputs(**fields), AbstractConv_gradWeights(**fields)


def _spatial(var, convdim):
    """The spatial shape of `var`: constants where its static shape knows them."""
    from .. import math as m
    static = var.type.shape[2:2 + convdim]
    if all(s is not None for s in static):
        return tuple(static)
    return m.shape(var)[2:2 + convdim]


def _shape_input(shape, convdim, what):
    """The spatial shape input of a grad op: an int64 vector of `convdim` entries."""
    from ..shape_ops import shape_vector
    if isinstance(shape, (tuple, list)) and len(shape) != convdim:
        raise ValueError(f'{what} must have {convdim} spatial entries, got {tuple(shape)!r}')
    vector = shape_vector(shape)
    if vector.type.shape[0] not in (None, convdim):
        raise ValueError(f'{what} must have {convdim} spatial entries, got {vector} ({vector.type})')
    return vector


@dataclass(frozen=True)
class AbstractConv(BaseAbstractConv):
    """conv(img, kern): a convolution (filter_flip=True) or cross-correlation."""

    def make_node(self, img, kern):
        img, kern, dtype = self._operands(img, 'the input', kern, 'the filters')
        ishape = self._with_hint(img.type.shape, self.imshp)
        kshape = self._with_hint(kern.type.shape, self.kshp)
        self._check_channels(ishape, kshape)
        return Apply(self, [img, kern], [TensorType(dtype, self.output_shape(ishape, kshape))()])

    def infer_shape(self, node, input_shapes):
        return [self.output_shape(input_shapes[0], input_shapes[1])]

    def grad(self, inputs, output_grads):
        (img, kern), (top,) = inputs, output_grads
        _, grad_inputs, grad_weights = self._ops()
        return [grad_inputs(kern, top, _spatial(img, self.convdim)),
                grad_weights(img, top, _spatial(kern, self.convdim))]


@dataclass(frozen=True)
class AbstractConv_gradInputs(BaseAbstractConv):
    """The gradient of conv(img, kern) with respect to img, given kern and that
    gradient's `topgrad`: a transposed convolution back to an image of spatial `shape`."""

    def make_node(self, kern, topgrad, shape):
        kern, topgrad, dtype = self._operands(kern, 'the filters', topgrad, 'the output gradient')
        shape = _shape_input(shape, self.convdim, 'the input shape')
        kshape = self._with_hint(kern.type.shape, self.kshp)
        spatial = _static_vector(shape, self.convdim)
        channels = None if kshape[1] is None else kshape[1] * self.num_groups
        out = (topgrad.type.shape[0], channels) + spatial
        out = self._with_hint(out, self.imshp)
        return Apply(self, [kern, topgrad, shape], [TensorType(dtype, out)()])

    def infer_shape(self, node, input_shapes):
        kern, top, shape = node.inputs
        ks = input_shapes[0]
        return [(input_shapes[1][0], ks[1] * self.num_groups) + tuple(shape[i] for i in range(self.convdim))]

    def grad(self, inputs, output_grads):
        (kern, top, shape), (g_img,) = inputs, output_grads
        forward, _, grad_weights = self._ops()
        return [grad_weights(g_img, top, _spatial(kern, self.convdim)), forward(g_img, kern), None]


@dataclass(frozen=True)
class AbstractConv_gradWeights(BaseAbstractConv):
    """The gradient of conv(img, kern) with respect to kern, given img and `topgrad`;
    `shape` is the kernel's spatial shape."""

    def make_node(self, img, topgrad, shape):
        img, topgrad, dtype = self._operands(img, 'the input', topgrad, 'the output gradient')
        shape = _shape_input(shape, self.convdim, 'the filter shape')
        ishape = self._with_hint(img.type.shape, self.imshp)
        channels = None if ishape[1] is None else ishape[1] // self.num_groups
        out = (topgrad.type.shape[1], channels) + _static_vector(shape, self.convdim)
        out = self._with_hint(out, self.kshp)
        return Apply(self, [img, topgrad, shape], [TensorType(dtype, out)()])

    def infer_shape(self, node, input_shapes):
        img, top, shape = node.inputs
        return [(input_shapes[1][1], input_shapes[0][1] // self.num_groups)
                + tuple(shape[i] for i in range(self.convdim))]

    def grad(self, inputs, output_grads):
        (img, top, shape), (g_kern,) = inputs, output_grads
        forward, grad_inputs, _ = self._ops()
        return [grad_inputs(g_kern, top, _spatial(img, self.convdim)), forward(img, g_kern), None]


def _static_vector(shape, n):
    """The entries of a shape vector known when the graph is built (None elsewhere)."""
    from ..shape_ops import MakeVector, static_value
    whole = static_value(shape)
    if whole is not None:
        return tuple(int(v) for v in np.asarray(whole).reshape(-1))
    if shape.owner is not None and isinstance(shape.owner.op, MakeVector):
        parts = [static_value(p) for p in shape.owner.inputs]
        return tuple(None if p is None else int(p) for p in parts)
    return (None,) * n


# Theano's class names, for code that tests `isinstance(node.op, AbstractConv2d)`.
@dataclass(frozen=True)
class AbstractConv2d(AbstractConv):
    convdim: int = 2


@dataclass(frozen=True)
class AbstractConv3d(AbstractConv):
    convdim: int = 3


@dataclass(frozen=True)
class AbstractConv2d_gradInputs(AbstractConv_gradInputs):
    convdim: int = 2


@dataclass(frozen=True)
class AbstractConv3d_gradInputs(AbstractConv_gradInputs):
    convdim: int = 3


@dataclass(frozen=True)
class AbstractConv2d_gradWeights(AbstractConv_gradWeights):
    convdim: int = 2


@dataclass(frozen=True)
class AbstractConv3d_gradWeights(AbstractConv_gradWeights):
    convdim: int = 3


# ------------------------------------------------------------------- the user functions

def _geometry(convdim, input_shape, filter_shape, border_mode, subsample, filter_flip, filter_dilation,
              num_groups):
    return dict(convdim=convdim, imshp=input_shape, kshp=filter_shape, border_mode=border_mode,
                subsample=subsample, filter_flip=filter_flip, filter_dilation=filter_dilation,
                num_groups=num_groups)


def _no_unshared(unshared):
    if unshared:
        raise NotImplementedError('unshared convolutions (unshared=True) are not provided by tracegraph')


def conv2d(input, filters, input_shape=None, filter_shape=None, border_mode='valid', subsample=(1, 1),
           filter_flip=True, filter_dilation=(1, 1), num_groups=1, unshared=False):
    """A 2-d convolution of a batch of multi-channel images with a bank of filters."""
    _no_unshared(unshared)
    op = AbstractConv(**_geometry(2, input_shape, filter_shape, border_mode, subsample, filter_flip,
                                  filter_dilation, num_groups))
    return op(input, filters)


def conv3d(input, filters, input_shape=None, filter_shape=None, border_mode='valid', subsample=(1, 1, 1),
           filter_flip=True, filter_dilation=(1, 1, 1), num_groups=1):
    """A 3-d convolution: input (batch, channels, depth, rows, cols)."""
    op = AbstractConv(**_geometry(3, input_shape, filter_shape, border_mode, subsample, filter_flip,
                                  filter_dilation, num_groups))
    return op(input, filters)


def _full_shape(shape, convdim, what):
    """The shape a grad op rebuilds (`what` names it): convdim + 2 entries, spatial ones given."""
    shape = tuple(shape)
    if len(shape) != convdim + 2:
        raise ValueError(f'{what} must have {convdim + 2} entries, got {shape!r}')
    if any(s is None for s in shape[2:]):
        raise ValueError(f'{what} must give the spatial lengths (entries 2 and on), got {shape!r}')
    return shape


def _grad_inputs(convdim, output_grad, filters, input_shape, filter_shape, border_mode, subsample,
                 filter_flip, filter_dilation, num_groups):
    input_shape = _full_shape(input_shape, convdim, 'input_shape')
    op = AbstractConv_gradInputs(**_geometry(convdim, input_shape, filter_shape, border_mode, subsample,
                                             filter_flip, filter_dilation, num_groups))
    return op(filters, output_grad, input_shape[2:])


def _grad_weights(convdim, input, output_grad, filter_shape, input_shape, border_mode, subsample,
                  filter_flip, filter_dilation, num_groups):
    filter_shape = _full_shape(filter_shape, convdim, 'filter_shape')
    op = AbstractConv_gradWeights(**_geometry(convdim, input_shape, filter_shape, border_mode, subsample,
                                              filter_flip, filter_dilation, num_groups))
    return op(input, output_grad, filter_shape[2:])


def conv2d_grad_wrt_inputs(output_grad, filters, input_shape, filter_shape=None, border_mode='valid',
                           subsample=(1, 1), filter_flip=True, filter_dilation=(1, 1), num_groups=1):
    """The gradient of conv2d with respect to its input: a transposed convolution.

    `input_shape` (4 entries; the last two required, ints or symbolic) is the shape
    of the image that conv2d would have taken."""
    return _grad_inputs(2, output_grad, filters, input_shape, filter_shape, border_mode, subsample,
                        filter_flip, filter_dilation, num_groups)


def conv3d_grad_wrt_inputs(output_grad, filters, input_shape, filter_shape=None, border_mode='valid',
                           subsample=(1, 1, 1), filter_flip=True, filter_dilation=(1, 1, 1), num_groups=1):
    return _grad_inputs(3, output_grad, filters, input_shape, filter_shape, border_mode, subsample,
                        filter_flip, filter_dilation, num_groups)


def conv2d_grad_wrt_weights(input, output_grad, filter_shape, input_shape=None, border_mode='valid',
                            subsample=(1, 1), filter_flip=True, filter_dilation=(1, 1), num_groups=1):
    """The gradient of conv2d with respect to its filters, of `filter_shape` (4 entries;
    the last two required)."""
    return _grad_weights(2, input, output_grad, filter_shape, input_shape, border_mode, subsample,
                         filter_flip, filter_dilation, num_groups)


def conv3d_grad_wrt_weights(input, output_grad, filter_shape, input_shape=None, border_mode='valid',
                            subsample=(1, 1, 1), filter_flip=True, filter_dilation=(1, 1, 1), num_groups=1):
    return _grad_weights(3, input, output_grad, filter_shape, input_shape, border_mode, subsample,
                         filter_flip, filter_dilation, num_groups)


def conv2d_transpose(input, filters, output_shape, filter_shape=None, border_mode='valid',
                     input_dilation=(1, 1), filter_flip=True, filter_dilation=(1, 1), num_groups=1,
                     unshared=False):
    """A transposed convolution ("deconvolution"): conv2d_grad_wrt_inputs of `input`.

    `filters` are (input channels, output channels, rows, cols), the reverse of
    conv2d's; `output_shape` (4 entries) is the result's shape; `input_dilation`
    is the subsample of the convolution this one transposes."""
    _no_unshared(unshared)
    return conv2d_grad_wrt_inputs(input, filters, output_shape, filter_shape, border_mode, input_dilation,
                                  filter_flip, filter_dilation, num_groups)


def nnet_conv2d(input, filters, input_shape=None, filter_shape=None, border_mode='valid', subsample=(1, 1),
                filter_flip=True, image_shape=None, filter_dilation=(1, 1), num_groups=1, unshared=False,
                **kwargs):
    """`theano.tensor.nnet.conv2d`: conv2d with the deprecated `image_shape` spelling."""
    if kwargs:
        warnings.warn('Keyword arguments such as ' + ', '.join(sorted(kwargs)) + ' are not used '
                      'by the abstract conv2d and are ignored', stacklevel=2)
    if image_shape is not None:
        if input_shape is not None:
            raise ValueError('input_shape and image_shape should not be provided at the same time.')
        warnings.warn('The `image_shape` keyword argument to `tensor.nnet.conv2d` is deprecated, '
                      'it has been renamed to `input_shape`.', stacklevel=2)
        input_shape = image_shape
    return conv2d(input, filters, input_shape, filter_shape, border_mode, subsample, filter_flip,
                  filter_dilation, num_groups, unshared)
