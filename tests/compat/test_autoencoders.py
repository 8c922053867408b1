"""Denoising (MRG_RandomStreams corruption), contractive and stacked autoencoders,
written as deeplearning.net's dA.py, cA.py and SdA.py write them."""
import numpy


def make_binary_data(rng, n=200, n_visible=16):
    prototypes = (rng.uniform(size=(4, n_visible)) > 0.5).astype('float64')
    picks = prototypes[rng.randint(0, 4, size=n)]
    flips = rng.uniform(size=picks.shape) < 0.05
    return numpy.where(flips, 1 - picks, picks)


def define_dA(theano):
    import theano.tensor as T
    from theano.sandbox.rng_mrg import MRG_RandomStreams as RandomStreams

    class dA(object):
        def __init__(self, numpy_rng, theano_rng=None, input=None, n_visible=16, n_hidden=8,
                     W=None, bhid=None, bvis=None):
            self.n_visible = n_visible
            self.n_hidden = n_hidden
            if not theano_rng:
                theano_rng = RandomStreams(numpy_rng.randint(2 ** 30))
            if not W:
                initial_W = numpy.asarray(
                    numpy_rng.uniform(low=-4 * numpy.sqrt(6. / (n_hidden + n_visible)),
                                      high=4 * numpy.sqrt(6. / (n_hidden + n_visible)),
                                      size=(n_visible, n_hidden)), dtype=theano.config.floatX)
                W = theano.shared(value=initial_W, name='W', borrow=True)
            if not bvis:
                bvis = theano.shared(value=numpy.zeros(n_visible, dtype=theano.config.floatX), borrow=True)
            if not bhid:
                bhid = theano.shared(value=numpy.zeros(n_hidden, dtype=theano.config.floatX), name='b',
                                     borrow=True)
            self.W = W
            self.b = bhid
            self.b_prime = bvis
            self.W_prime = self.W.T
            self.theano_rng = theano_rng
            self.x = T.dmatrix(name='input') if input is None else input
            self.params = [self.W, self.b, self.b_prime]

        def get_corrupted_input(self, input, corruption_level):
            return self.theano_rng.binomial(size=input.shape, n=1, p=1 - corruption_level,
                                            dtype=theano.config.floatX) * input

        def get_hidden_values(self, input):
            return T.nnet.sigmoid(T.dot(input, self.W) + self.b)

        def get_reconstructed_input(self, hidden):
            return T.nnet.sigmoid(T.dot(hidden, self.W_prime) + self.b_prime)

        def get_cost_updates(self, corruption_level, learning_rate):
            tilde_x = self.get_corrupted_input(self.x, corruption_level)
            y = self.get_hidden_values(tilde_x)
            z = self.get_reconstructed_input(y)
            L = - T.sum(self.x * T.log(z) + (1 - self.x) * T.log(1 - z), axis=1)
            cost = T.mean(L)
            gparams = T.grad(cost, self.params)
            updates = [(param, param - learning_rate * gparam)
                       for param, gparam in zip(self.params, gparams)]
            return (cost, updates)
    return dA


def test_denoising_autoencoder_with_mrg_corruption(theano):
    import theano.tensor as T
    from theano.sandbox.rng_mrg import MRG_RandomStreams as RandomStreams
    dA = define_dA(theano)
    rng = numpy.random.RandomState(123)
    train_set_x = theano.shared(numpy.asarray(make_binary_data(rng), dtype=theano.config.floatX), borrow=True)
    batch_size = 20
    index = T.lscalar()
    x = T.matrix('x')
    theano_rng = RandomStreams(rng.randint(2 ** 30))
    da = dA(numpy_rng=rng, theano_rng=theano_rng, input=x, n_visible=16, n_hidden=8)
    cost, updates = da.get_cost_updates(corruption_level=0.3, learning_rate=0.1)
    train_da = theano.function([index], cost, updates=updates,
                               givens={x: train_set_x[index * batch_size: (index + 1) * batch_size]})
    costs = [numpy.mean([train_da(i) for i in range(10)]) for _ in range(15)]
    assert costs[-1] < costs[0] * 0.8
    mask = theano_rng.binomial(size=(1000,), n=1, p=0.7, dtype=theano.config.floatX)
    draws = theano.function([], mask)()
    assert draws.dtype == theano.config.floatX
    assert set(numpy.unique(draws)) <= {0.0, 1.0} and abs(draws.mean() - 0.7) < 0.06


def test_contractive_autoencoder(theano):
    import theano.tensor as T

    class cA(object):
        def __init__(self, numpy_rng, input=None, n_visible=16, n_hidden=8, n_batchsize=20):
            self.n_visible, self.n_hidden, self.n_batchsize = n_visible, n_hidden, n_batchsize
            initial_W = numpy.asarray(numpy_rng.uniform(
                low=-4 * numpy.sqrt(6. / (n_hidden + n_visible)),
                high=4 * numpy.sqrt(6. / (n_hidden + n_visible)),
                size=(n_visible, n_hidden)), dtype=theano.config.floatX)
            self.W = theano.shared(value=initial_W, name='W', borrow=True)
            self.b = theano.shared(value=numpy.zeros(n_hidden, dtype=theano.config.floatX), name='b')
            self.b_prime = theano.shared(value=numpy.zeros(n_visible, dtype=theano.config.floatX), name='bvis')
            self.W_prime = self.W.T
            self.x = input
            self.params = [self.W, self.b, self.b_prime]

        def get_hidden_values(self, input):
            return T.nnet.sigmoid(T.dot(input, self.W) + self.b)

        def get_jacobian(self, hidden, W):
            return T.reshape(hidden * (1 - hidden), (self.n_batchsize, 1, self.n_hidden)) * \
                T.reshape(W, (1, self.n_visible, self.n_hidden))

        def get_reconstructed_input(self, hidden):
            return T.nnet.sigmoid(T.dot(hidden, self.W_prime) + self.b_prime)

        def get_cost_updates(self, contraction_level, learning_rate):
            y = self.get_hidden_values(self.x)
            z = self.get_reconstructed_input(y)
            J = self.get_jacobian(y, self.W)
            self.L_rec = - T.sum(self.x * T.log(z) + (1 - self.x) * T.log(1 - z), axis=1)
            self.L_jacob = T.sum(J ** 2) // self.n_batchsize
            cost = T.mean(self.L_rec) + contraction_level * T.mean(self.L_jacob)
            gparams = T.grad(cost, self.params)
            updates = []
            for param, gparam in zip(self.params, gparams):
                updates.append((param, param - learning_rate * gparam))
            return (cost, updates)

    rng = numpy.random.RandomState(42)
    train_set_x = theano.shared(numpy.asarray(make_binary_data(rng), dtype=theano.config.floatX))
    index = T.lscalar()
    x = T.matrix('x')
    ca = cA(numpy_rng=rng, input=x, n_visible=16, n_hidden=8, n_batchsize=20)
    cost, updates = ca.get_cost_updates(contraction_level=0.1, learning_rate=0.1)
    train_ca = theano.function([index], [T.mean(ca.L_rec), ca.L_jacob], updates=updates,
                               givens={x: train_set_x[index * 20: (index + 1) * 20]})
    recs = [numpy.mean([train_ca(i)[0] for i in range(10)]) for _ in range(15)]
    assert recs[-1] < recs[0] * 0.8


def test_stacked_autoencoder_pretrained_layer_by_layer(theano):
    import theano.tensor as T
    from theano.tensor.shared_randomstreams import RandomStreams
    dA = define_dA(theano)

    class HiddenLayer(object):
        def __init__(self, rng, input, n_in, n_out, activation=T.nnet.sigmoid):
            W_values = numpy.asarray(rng.uniform(low=-numpy.sqrt(6. / (n_in + n_out)),
                                                 high=numpy.sqrt(6. / (n_in + n_out)),
                                                 size=(n_in, n_out)), dtype=theano.config.floatX) * 4
            self.W = theano.shared(value=W_values, name='W', borrow=True)
            self.b = theano.shared(value=numpy.zeros((n_out,), dtype=theano.config.floatX), name='b')
            self.output = activation(T.dot(input, self.W) + self.b)
            self.params = [self.W, self.b]

    class SdA(object):
        def __init__(self, numpy_rng, n_ins=16, hidden_layers_sizes=(12, 8)):
            self.sigmoid_layers, self.dA_layers, self.params = [], [], []
            theano_rng = RandomStreams(numpy_rng.randint(2 ** 30))
            self.x = T.matrix('x')
            for i in range(len(hidden_layers_sizes)):
                input_size = n_ins if i == 0 else hidden_layers_sizes[i - 1]
                layer_input = self.x if i == 0 else self.sigmoid_layers[-1].output
                sigmoid_layer = HiddenLayer(rng=numpy_rng, input=layer_input, n_in=input_size,
                                            n_out=hidden_layers_sizes[i])
                self.sigmoid_layers.append(sigmoid_layer)
                self.params.extend(sigmoid_layer.params)
                self.dA_layers.append(dA(numpy_rng=numpy_rng, theano_rng=theano_rng, input=layer_input,
                                         n_visible=input_size, n_hidden=hidden_layers_sizes[i],
                                         W=sigmoid_layer.W, bhid=sigmoid_layer.b))

        def pretraining_functions(self, train_set_x, batch_size):
            index = T.lscalar('index')
            corruption_level = T.scalar('corruption')
            learning_rate = T.scalar('lr')
            fns = []
            for da in self.dA_layers:
                cost, updates = da.get_cost_updates(corruption_level, learning_rate)
                fn = theano.function(
                    inputs=[index, theano.In(corruption_level, value=0.2), theano.In(learning_rate, value=0.1)],
                    outputs=cost, updates=updates,
                    givens={self.x: train_set_x[index * batch_size: (index + 1) * batch_size]})
                fns.append(fn)
            return fns

    rng = numpy.random.RandomState(89677)
    train_set_x = theano.shared(numpy.asarray(make_binary_data(rng), dtype=theano.config.floatX))
    sda = SdA(numpy_rng=rng)
    fns = sda.pretraining_functions(train_set_x, batch_size=20)
    for layer, fn in enumerate(fns):
        costs = [numpy.mean([fn(index=i, corruption=0.2, lr=0.1) for i in range(10)]) for _ in range(10)]
        assert costs[-1] < costs[0], f'layer {layer} did not learn: {costs}'
