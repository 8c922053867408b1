"""A multilayer perceptron with L1 and L2 regularization (deeplearning.net's mlp.py style)."""
import numpy


def program(theano):
    import theano.tensor as T

    class HiddenLayer(object):
        def __init__(self, rng, input, n_in, n_out, W=None, b=None, activation=T.tanh):
            self.input = input
            if W is None:
                W_values = numpy.asarray(
                    rng.uniform(low=-numpy.sqrt(6. / (n_in + n_out)),
                                high=numpy.sqrt(6. / (n_in + n_out)), size=(n_in, n_out)),
                    dtype=theano.config.floatX)
                if activation == theano.tensor.nnet.sigmoid:
                    W_values *= 4
                W = theano.shared(value=W_values, name='W', borrow=True)
            if b is None:
                b_values = numpy.zeros((n_out,), dtype=theano.config.floatX)
                b = theano.shared(value=b_values, name='b', borrow=True)
            self.W = W
            self.b = b
            lin_output = T.dot(input, self.W) + self.b
            self.output = (lin_output if activation is None else activation(lin_output))
            self.params = [self.W, self.b]

    class LogisticRegression(object):
        def __init__(self, input, n_in, n_out):
            self.W = theano.shared(value=numpy.zeros((n_in, n_out), dtype=theano.config.floatX), name='W')
            self.b = theano.shared(value=numpy.zeros((n_out,), dtype=theano.config.floatX), name='b')
            self.p_y_given_x = T.nnet.softmax(T.dot(input, self.W) + self.b)
            self.y_pred = T.argmax(self.p_y_given_x, axis=1)
            self.params = [self.W, self.b]

        def negative_log_likelihood(self, y):
            return -T.mean(T.log(self.p_y_given_x)[T.arange(y.shape[0]), y])

        def errors(self, y):
            return T.mean(T.neq(self.y_pred, y))

    class MLP(object):
        def __init__(self, rng, input, n_in, n_hidden, n_out):
            self.hiddenLayer = HiddenLayer(rng=rng, input=input, n_in=n_in, n_out=n_hidden,
                                           activation=T.tanh)
            self.logRegressionLayer = LogisticRegression(input=self.hiddenLayer.output,
                                                         n_in=n_hidden, n_out=n_out)
            self.L1 = abs(self.hiddenLayer.W).sum() + abs(self.logRegressionLayer.W).sum()
            self.L2_sqr = (self.hiddenLayer.W ** 2).sum() + (self.logRegressionLayer.W ** 2).sum()
            self.negative_log_likelihood = self.logRegressionLayer.negative_log_likelihood
            self.errors = self.logRegressionLayer.errors
            self.params = self.hiddenLayer.params + self.logRegressionLayer.params
            self.input = input

    rng = numpy.random.RandomState(1234)
    # XOR-like data: not linearly separable, so the hidden layer matters.
    data_x = rng.uniform(-1, 1, size=(400, 2))
    data_y = ((data_x[:, 0] > 0) ^ (data_x[:, 1] > 0)).astype('int32')
    train_set_x = theano.shared(numpy.asarray(data_x, dtype=theano.config.floatX), borrow=True)
    train_set_y = T.cast(theano.shared(numpy.asarray(data_y, dtype=theano.config.floatX)), 'int32')
    batch_size, learning_rate, L1_reg, L2_reg = 20, 0.5, 0.00, 0.0001
    n_train_batches = 400 // batch_size

    index = T.lscalar()
    x = T.matrix('x')
    y = T.ivector('y')
    classifier = MLP(rng=rng, input=x, n_in=2, n_hidden=16, n_out=2)
    cost = (classifier.negative_log_likelihood(y) + L1_reg * classifier.L1 + L2_reg * classifier.L2_sqr)
    gparams = [T.grad(cost, param) for param in classifier.params]
    updates = [(param, param - learning_rate * gparam)
               for param, gparam in zip(classifier.params, gparams)]
    train_model = theano.function(
        inputs=[index], outputs=cost, updates=updates,
        givens={x: train_set_x[index * batch_size: (index + 1) * batch_size],
                y: train_set_y[index * batch_size: (index + 1) * batch_size]})
    test_model = theano.function(inputs=[], outputs=classifier.errors(y),
                                 givens={x: train_set_x, y: train_set_y})
    losses = []
    for epoch in range(30):
        losses.append(numpy.mean([train_model(i) for i in range(n_train_batches)]))
    return losses, float(test_model())


def test_mlp_with_l1_l2(theano):
    losses, error = program(theano)
    assert losses[-1] < losses[0] * 0.6
    assert error < 0.15
