"""An LSTM over padded, masked sequences trained with adadelta (deeplearning.net's lstm.py style)."""
from collections import OrderedDict

import numpy


def numpy_floatX(data, theano):
    return numpy.asarray(data, dtype=theano.config.floatX)


def program(theano):
    from theano import tensor

    def ortho_weight(ndim, rng):
        W = rng.randn(ndim, ndim)
        u, s, v = numpy.linalg.svd(W)
        return u.astype(theano.config.floatX)

    def _p(pp, name):
        return '%s_%s' % (pp, name)

    def init_params(options, rng):
        params = OrderedDict()
        params['Wemb'] = (0.01 * rng.rand(options['n_words'], options['dim_proj'])).astype(theano.config.floatX)
        W = numpy.concatenate([ortho_weight(options['dim_proj'], rng) for _ in range(4)], axis=1)
        params[_p('lstm', 'W')] = W
        U = numpy.concatenate([ortho_weight(options['dim_proj'], rng) for _ in range(4)], axis=1)
        params[_p('lstm', 'U')] = U
        params[_p('lstm', 'b')] = numpy.zeros((4 * options['dim_proj'],)).astype(theano.config.floatX)
        params['U'] = 0.01 * rng.randn(options['dim_proj'], options['ydim']).astype(theano.config.floatX)
        params['b'] = numpy.zeros((options['ydim'],)).astype(theano.config.floatX)
        return params

    def init_tparams(params):
        tparams = OrderedDict()
        for kk, pp in params.items():
            tparams[kk] = theano.shared(params[kk], name=kk)
        return tparams

    def lstm_layer(tparams, state_below, options, prefix='lstm', mask=None):
        nsteps = state_below.shape[0]
        if state_below.ndim == 3:
            n_samples = state_below.shape[1]
        else:
            n_samples = 1

        def _slice(_x, n, dim):
            if _x.ndim == 3:
                return _x[:, :, n * dim:(n + 1) * dim]
            return _x[:, n * dim:(n + 1) * dim]

        def _step(m_, x_, h_, c_):
            preact = tensor.dot(h_, tparams[_p(prefix, 'U')])
            preact += x_
            i = tensor.nnet.sigmoid(_slice(preact, 0, options['dim_proj']))
            f = tensor.nnet.sigmoid(_slice(preact, 1, options['dim_proj']))
            o = tensor.nnet.sigmoid(_slice(preact, 2, options['dim_proj']))
            c = tensor.tanh(_slice(preact, 3, options['dim_proj']))
            c = f * c_ + i * c
            c = m_[:, None] * c + (1. - m_)[:, None] * c_
            h = o * tensor.tanh(c)
            h = m_[:, None] * h + (1. - m_)[:, None] * h_
            return h, c

        state_below = (tensor.dot(state_below, tparams[_p(prefix, 'W')]) + tparams[_p(prefix, 'b')])
        dim_proj = options['dim_proj']
        rval, updates = theano.scan(_step, sequences=[mask, state_below],
                                    outputs_info=[tensor.alloc(numpy_floatX(0., theano), n_samples, dim_proj),
                                                  tensor.alloc(numpy_floatX(0., theano), n_samples, dim_proj)],
                                    name=_p(prefix, '_layers'), n_steps=nsteps)
        return rval[0]

    def build_model(tparams, options):
        x = tensor.matrix('x', dtype='int64')
        mask = tensor.matrix('mask', dtype=theano.config.floatX)
        y = tensor.vector('y', dtype='int64')
        n_timesteps = x.shape[0]
        n_samples = x.shape[1]
        emb = tparams['Wemb'][x.flatten()].reshape([n_timesteps, n_samples, options['dim_proj']])
        proj = lstm_layer(tparams, emb, options, prefix='lstm', mask=mask)
        proj = (proj * mask[:, :, None]).sum(axis=0)
        proj = proj / mask.sum(axis=0)[:, None]
        pred = tensor.nnet.softmax(tensor.dot(proj, tparams['U']) + tparams['b'])
        off = 1e-8
        cost = -tensor.log(pred[tensor.arange(n_samples), y] + off).mean()
        return x, mask, y, cost

    def adadelta(lr, tparams, grads, x, mask, y, cost):
        zipped_grads = [theano.shared(p.get_value() * numpy_floatX(0., theano), name='%s_grad' % k)
                        for k, p in tparams.items()]
        running_up2 = [theano.shared(p.get_value() * numpy_floatX(0., theano), name='%s_rup2' % k)
                       for k, p in tparams.items()]
        running_grads2 = [theano.shared(p.get_value() * numpy_floatX(0., theano), name='%s_rgrad2' % k)
                          for k, p in tparams.items()]
        zgup = [(zg, g) for zg, g in zip(zipped_grads, grads)]
        rg2up = [(rg2, 0.95 * rg2 + 0.05 * (g ** 2)) for rg2, g in zip(running_grads2, grads)]
        f_grad_shared = theano.function([x, mask, y], cost, updates=zgup + rg2up,
                                        name='adadelta_f_grad_shared')
        updir = [-tensor.sqrt(ru2 + 1e-6) / tensor.sqrt(rg2 + 1e-6) * zg
                 for zg, ru2, rg2 in zip(zipped_grads, running_up2, running_grads2)]
        ru2up = [(ru2, 0.95 * ru2 + 0.05 * (ud ** 2)) for ru2, ud in zip(running_up2, updir)]
        param_up = [(p, p + ud) for p, ud in zip(tparams.values(), updir)]
        f_update = theano.function([lr], [], updates=ru2up + param_up, on_unused_input='ignore',
                                   name='adadelta_f_update')
        return f_grad_shared, f_update

    rng = numpy.random.RandomState(123)
    options = dict(n_words=12, dim_proj=8, ydim=2)
    tparams = init_tparams(init_params(options, rng))
    x, mask, y, cost = build_model(tparams, options)
    grads = tensor.grad(cost, wrt=list(tparams.values()))
    lr = tensor.scalar(name='lr')
    f_grad_shared, f_update = adadelta(lr, tparams, grads, x, mask, y, cost)

    # Sequences of word ids, padded to the longest; the label is whether word 1 occurs.
    n_samples, maxlen = 16, 6
    lengths = rng.randint(2, maxlen + 1, size=n_samples)
    seqs = [rng.randint(2, 12, size=n) for n in lengths]
    labels = numpy.array([k % 2 for k in range(n_samples)], dtype='int64')
    for s, label in zip(seqs, labels):
        if label:
            s[rng.randint(len(s))] = 1
    x_data = numpy.zeros((maxlen, n_samples), dtype='int64')
    mask_data = numpy.zeros((maxlen, n_samples), dtype=theano.config.floatX)
    for idx, s in enumerate(seqs):
        x_data[:lengths[idx], idx] = s
        mask_data[:lengths[idx], idx] = 1.
    costs = []
    for _ in range(150):
        costs.append(float(f_grad_shared(x_data, mask_data, labels)))
        f_update(0.0001)
    return costs


def test_lstm_adadelta(theano):
    costs = program(theano)
    assert costs[-1] < costs[0] - 0.1, (costs[0], costs[-1])
