"""Minibatch logistic regression indexed through givens (deeplearning.net's logistic_sgd.py style)."""
import numpy


def make_data(rng, n=600, n_in=20, n_out=3):
    centers = rng.normal(0, 3, size=(n_out, n_in))
    y = rng.randint(0, n_out, size=n)
    x = centers[y] + rng.normal(0, 1, size=(n, n_in))
    return x, y


def program(theano):
    import theano.tensor as T

    class LogisticRegression(object):
        def __init__(self, input, n_in, n_out):
            self.W = theano.shared(value=numpy.zeros((n_in, n_out), dtype=theano.config.floatX),
                                   name='W', borrow=True)
            self.b = theano.shared(value=numpy.zeros((n_out,), dtype=theano.config.floatX),
                                   name='b', borrow=True)
            self.p_y_given_x = T.nnet.softmax(T.dot(input, self.W) + self.b)
            self.y_pred = T.argmax(self.p_y_given_x, axis=1)
            self.params = [self.W, self.b]
            self.input = input

        def negative_log_likelihood(self, y):
            return -T.mean(T.log(self.p_y_given_x)[T.arange(y.shape[0]), y])

        def errors(self, y):
            if y.ndim != self.y_pred.ndim:
                raise TypeError('y should have the same shape as self.y_pred')
            if y.dtype.startswith('int'):
                return T.mean(T.neq(self.y_pred, y))
            raise NotImplementedError()

    def shared_dataset(data_xy, borrow=True):
        data_x, data_y = data_xy
        shared_x = theano.shared(numpy.asarray(data_x, dtype=theano.config.floatX), borrow=borrow)
        shared_y = theano.shared(numpy.asarray(data_y, dtype=theano.config.floatX), borrow=borrow)
        return shared_x, T.cast(shared_y, 'int32')

    rng = numpy.random.RandomState(1234)
    train_set_x, train_set_y = shared_dataset(make_data(rng))
    batch_size = 50
    learning_rate = 0.13
    n_train_batches = train_set_x.get_value(borrow=True).shape[0] // batch_size

    index = T.lscalar()
    x = T.matrix('x')
    y = T.ivector('y')
    classifier = LogisticRegression(input=x, n_in=20, n_out=3)
    cost = classifier.negative_log_likelihood(y)
    test_model = theano.function(
        inputs=[index], outputs=classifier.errors(y),
        givens={x: train_set_x[index * batch_size: (index + 1) * batch_size],
                y: train_set_y[index * batch_size: (index + 1) * batch_size]})
    g_W = T.grad(cost=cost, wrt=classifier.W)
    g_b = T.grad(cost=cost, wrt=classifier.b)
    updates = [(classifier.W, classifier.W - learning_rate * g_W),
               (classifier.b, classifier.b - learning_rate * g_b)]
    train_model = theano.function(
        inputs=[index], outputs=cost, updates=updates,
        givens={x: train_set_x[index * batch_size: (index + 1) * batch_size],
                y: train_set_y[index * batch_size: (index + 1) * batch_size]})
    losses = []
    for epoch in range(5):
        losses.append(numpy.mean([train_model(i) for i in range(n_train_batches)]))
    error = numpy.mean([test_model(i) for i in range(n_train_batches)])
    return losses, error


def test_logistic_sgd(theano):
    losses, error = program(theano)
    assert losses[-1] < losses[0] * 0.5
    assert error < 0.1
