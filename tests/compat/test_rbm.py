"""An RBM trained with contrastive divergence, Gibbs sampling through scan (deeplearning.net's rbm.py)."""
import numpy

from tests.compat.test_autoencoders import make_binary_data


def program(theano):
    import theano.tensor as T
    from theano.tensor.shared_randomstreams import RandomStreams

    class RBM(object):
        def __init__(self, input=None, n_visible=16, n_hidden=8, W=None, hbias=None, vbias=None,
                     numpy_rng=None, theano_rng=None):
            self.n_visible = n_visible
            self.n_hidden = n_hidden
            if numpy_rng is None:
                numpy_rng = numpy.random.RandomState(1234)
            if theano_rng is None:
                theano_rng = RandomStreams(numpy_rng.randint(2 ** 30))
            if W is None:
                initial_W = numpy.asarray(numpy_rng.uniform(
                    low=-4 * numpy.sqrt(6. / (n_hidden + n_visible)),
                    high=4 * numpy.sqrt(6. / (n_hidden + n_visible)),
                    size=(n_visible, n_hidden)), dtype=theano.config.floatX)
                W = theano.shared(value=initial_W, name='W', borrow=True)
            if hbias is None:
                hbias = theano.shared(value=numpy.zeros(n_hidden, dtype=theano.config.floatX), name='hbias')
            if vbias is None:
                vbias = theano.shared(value=numpy.zeros(n_visible, dtype=theano.config.floatX), name='vbias')
            self.input = input if input is not None else T.matrix('input')
            self.W, self.hbias, self.vbias = W, hbias, vbias
            self.theano_rng = theano_rng
            self.params = [self.W, self.hbias, self.vbias]

        def free_energy(self, v_sample):
            wx_b = T.dot(v_sample, self.W) + self.hbias
            vbias_term = T.dot(v_sample, self.vbias)
            hidden_term = T.sum(T.log(1 + T.exp(wx_b)), axis=1)
            return -hidden_term - vbias_term

        def propup(self, vis):
            pre_sigmoid_activation = T.dot(vis, self.W) + self.hbias
            return [pre_sigmoid_activation, T.nnet.sigmoid(pre_sigmoid_activation)]

        def sample_h_given_v(self, v0_sample):
            pre_sigmoid_h1, h1_mean = self.propup(v0_sample)
            h1_sample = self.theano_rng.binomial(size=h1_mean.shape, n=1, p=h1_mean,
                                                 dtype=theano.config.floatX)
            return [pre_sigmoid_h1, h1_mean, h1_sample]

        def propdown(self, hid):
            pre_sigmoid_activation = T.dot(hid, self.W.T) + self.vbias
            return [pre_sigmoid_activation, T.nnet.sigmoid(pre_sigmoid_activation)]

        def sample_v_given_h(self, h0_sample):
            pre_sigmoid_v1, v1_mean = self.propdown(h0_sample)
            v1_sample = self.theano_rng.binomial(size=v1_mean.shape, n=1, p=v1_mean,
                                                 dtype=theano.config.floatX)
            return [pre_sigmoid_v1, v1_mean, v1_sample]

        def gibbs_hvh(self, h0_sample):
            pre_sigmoid_v1, v1_mean, v1_sample = self.sample_v_given_h(h0_sample)
            pre_sigmoid_h1, h1_mean, h1_sample = self.sample_h_given_v(v1_sample)
            return [pre_sigmoid_v1, v1_mean, v1_sample, pre_sigmoid_h1, h1_mean, h1_sample]

        def get_cost_updates(self, lr=0.1, persistent=None, k=1):
            pre_sigmoid_ph, ph_mean, ph_sample = self.sample_h_given_v(self.input)
            chain_start = ph_sample if persistent is None else persistent
            ([pre_sigmoid_nvs, nv_means, nv_samples, pre_sigmoid_nhs, nh_means, nh_samples],
             updates) = theano.scan(self.gibbs_hvh,
                                    outputs_info=[None, None, None, None, None, chain_start],
                                    n_steps=k, name="gibbs_hvh")
            chain_end = nv_samples[-1]
            cost = T.mean(self.free_energy(self.input)) - T.mean(self.free_energy(chain_end))
            gparams = T.grad(cost, self.params, consider_constant=[chain_end])
            for gparam, param in zip(gparams, self.params):
                updates[param] = param - gparam * T.cast(lr, dtype=theano.config.floatX)
            monitoring_cost = self.get_reconstruction_cost(pre_sigmoid_nvs[-1])
            return monitoring_cost, updates

        def get_reconstruction_cost(self, pre_sigmoid_nv):
            return T.mean(T.sum(self.input * T.log(T.nnet.sigmoid(pre_sigmoid_nv)) +
                                (1 - self.input) * T.log(1 - T.nnet.sigmoid(pre_sigmoid_nv)), axis=1))

    rng = numpy.random.RandomState(123)
    train_set_x = theano.shared(numpy.asarray(make_binary_data(rng), dtype=theano.config.floatX))
    index = T.lscalar()
    x = T.matrix('x')
    rbm = RBM(input=x, n_visible=16, n_hidden=8, numpy_rng=rng,
              theano_rng=RandomStreams(rng.randint(2 ** 30)))
    cost, updates = rbm.get_cost_updates(lr=0.1, k=2)
    train_rbm = theano.function([index], cost, updates=updates,
                                givens={x: train_set_x[index * 20: (index + 1) * 20]}, name='train_rbm')
    return [numpy.mean([train_rbm(i) for i in range(10)]) for _ in range(15)]


def test_rbm_contrastive_divergence(theano):
    costs = program(theano)
    # the monitoring cost is the (negative) reconstruction cross-entropy: it rises as the RBM learns
    assert costs[-1] > costs[0] + 1.0, costs
