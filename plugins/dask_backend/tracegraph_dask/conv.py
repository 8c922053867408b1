"""Convolutions on the Dask backend: split over the batch axis.

A convolution never mixes two images of a batch, so each batch chunk is convolved
alone by the NumPy im2col kernel (`tracegraph.tensor.nnet.conv_kernels`), with no
halo.  The other axes (channels, rows, cols) are made whole first: a window
crosses any split of the spatial axes and every output channel reads every input
channel of its group, so those chunkings cannot be computed chunk by chunk.  The
filters are one chunk.  The gradient with respect to the filters sums over the
batch: one partial product per batch chunk, then a sum.

Shape hints are checked on the whole arrays (a chunk's batch length is not the
batch size the hint names).
"""
from __future__ import annotations

import uuid

import dask.array as da
import numpy as np

from tracegraph.tensor.nnet import conv_kernels as ck
from tracegraph.tensor.nnet.abstract_conv import (AbstractConv, AbstractConv_gradInputs,
                                                  AbstractConv_gradWeights)

from .chunkwise import as_dask, concrete, known_shape
from .lowering import lowers


def _batch_split(x):
    """x with only its batch axis chunked (the others whole)."""
    x = known_shape(as_dask(x))
    return x.rechunk((x.chunks[0],) + tuple((n,) for n in x.shape[1:]))


def _whole(x):
    x = known_shape(as_dask(x))
    return x.rechunk(tuple((n,) for n in x.shape))


def _check_hints(node, kwargs, **shapes):
    """The op's shape hints (`input_shape`, `filter_shape`), in the order given, against
    the whole arrays' shapes; an error names the user's line."""
    hints = {'input_shape': kwargs['imshp'], 'filter_shape': kwargs['kshp']}
    for what, shape in shapes.items():
        try:
            ck.check_hint(kwargs['name'], what, shape, hints[what])
        except ValueError as exc:
            where = f' (built at {node.source})' if node.source else ''
            raise ValueError(f'{exc}{where}') from None


def _chunk_kwargs(kwargs):
    """The kernel's arguments for one batch chunk: the hints are checked on whole arrays."""
    return dict(kwargs, imshp=None, kshp=None)


def _indices(prefix, n):
    return tuple(f'{prefix}{k}' for k in range(n))


def _prepared(node):
    """(the kernel's keyword arguments, the output dtype, the number of spatial axes, the
    kernel of one batch chunk) of a convolution node."""
    run, kwargs = ck.kernel_for(node.op)
    return kwargs, node.outputs[0].dtype, node.op.convdim, _described(run, node, _chunk_kwargs(kwargs))


def _static_ints(shape):
    """A shape input's value as a tuple of Python ints."""
    return tuple(int(n) for n in np.asarray(concrete(shape)))


def _described(run, node, kwargs):
    where = f' (built at {node.source})' if node.source else ''

    def chunk(*blocks):
        try:
            return run(*blocks, xp=np, **kwargs)
        except Exception as exc:
            exc.add_note(f'while running {node.op} on one Dask chunk{where}')
            raise
    return chunk


@lowers(AbstractConv)
def _forward(node, options):
    kwargs, dtype, nd, chunk = _prepared(node)
    run = ck.kernel_for(node.op)[0]

    def conv(img, kern):
        img, kern = _batch_split(img), _whole(kern)
        _check_hints(node, kwargs, input_shape=img.shape, filter_shape=kern.shape)
        ks = kern.shape[2:]
        pads = ck.pads_for(kwargs['border_mode'], ks, kwargs['filter_dilation'])
        out = ck.output_spatial(img.shape[2:], ks, pads, kwargs['subsample'], kwargs['filter_dilation'])
        if any(o < 1 for o in out):      # the kernel's own message, from a whole-array call
            run(np.empty((1,) + img.shape[1:], dtype), np.empty(kern.shape, dtype), xp=np,
                **_chunk_kwargs(kwargs))
        out_index = ('b',) + _indices('o', nd + 1)
        return da.blockwise(chunk, out_index, img, ('b',) + _indices('i', nd + 1), kern, _indices('k', nd + 2),
                            new_axes=dict(zip(out_index[1:], (kern.shape[0],) + tuple(out))),
                            concatenate=True, dtype=dtype, meta=np.empty((0,) * (nd + 2), dtype),
                            name=f'abstractconv-{uuid.uuid4().hex}')
    return conv


@lowers(AbstractConv_gradInputs)
def _grad_inputs(node, options):
    kwargs, dtype, nd, chunk = _prepared(node)

    def conv_grad_inputs(kern, top, shape):
        kern, top = _whole(kern), _batch_split(top)
        spatial = _static_ints(shape)
        out_shape = (top.shape[0], kern.shape[1] * kwargs['num_groups']) + spatial
        _check_hints(node, kwargs, filter_shape=kern.shape, input_shape=out_shape)
        out_index = ('b',) + _indices('o', nd + 1)

        def block(k, t):
            return chunk(k, t, spatial)
        return da.blockwise(block, out_index, kern, _indices('k', nd + 2), top, ('b',) + _indices('t', nd + 1),
                            new_axes=dict(zip(out_index[1:], out_shape[1:])), concatenate=True, dtype=dtype,
                            meta=np.empty((0,) * (nd + 2), dtype),
                            name=f'abstractconv-gradinputs-{uuid.uuid4().hex}')
    return conv_grad_inputs


@lowers(AbstractConv_gradWeights)
def _grad_weights(node, options):
    kwargs, dtype, nd, chunk = _prepared(node)

    def conv_grad_weights(img, top, shape):
        img = _batch_split(img)
        top = _batch_split(top).rechunk({0: img.chunks[0]})
        ks = _static_ints(shape)
        out_shape = (top.shape[1], img.shape[1] // kwargs['num_groups']) + ks
        _check_hints(node, kwargs, input_shape=img.shape, filter_shape=out_shape)
        out_index = ('b',) + _indices('o', nd + 2)

        def partial(i, t):
            return chunk(i, t, ks)[None]
        parts = da.blockwise(partial, out_index, img, ('b',) + _indices('i', nd + 1),
                             top, ('b',) + _indices('t', nd + 1),
                             new_axes=dict(zip(out_index[1:], out_shape)), adjust_chunks={'b': 1},
                             concatenate=True, dtype=dtype, meta=np.empty((0,) * (nd + 3), dtype),
                             name=f'abstractconv-gradweights-{uuid.uuid4().hex}')
        return parts.sum(axis=0, dtype=dtype)
    return conv_grad_weights

