"""LeNet (the Deep Learning Tutorials' convolutional_mlp.py) as a Theano program: two
conv + max-pool layers, a tanh hidden layer and logistic regression, trained by SGD
on MNIST-shaped synthetic digits (1x28x28, 10 classes), small enough for CI."""
import numpy


def program(theano, n_epochs=4):
    import theano.tensor as T
    from theano.tensor.nnet import conv2d
    from theano.tensor.signal import pool

    class LogisticRegression(object):
        def __init__(self, input, n_in, n_out):
            self.W = theano.shared(numpy.zeros((n_in, n_out), dtype=theano.config.floatX), name='W', borrow=True)
            self.b = theano.shared(numpy.zeros((n_out,), dtype=theano.config.floatX), name='b', borrow=True)
            self.p_y_given_x = T.nnet.softmax(T.dot(input, self.W) + self.b)
            self.y_pred = T.argmax(self.p_y_given_x, axis=1)
            self.params = [self.W, self.b]

        def negative_log_likelihood(self, y):
            return -T.mean(T.log(self.p_y_given_x)[T.arange(y.shape[0]), y])

        def errors(self, y):
            return T.mean(T.neq(self.y_pred, y))

    class HiddenLayer(object):
        def __init__(self, rng, input, n_in, n_out, activation=T.tanh):
            bound = numpy.sqrt(6. / (n_in + n_out))
            self.W = theano.shared(numpy.asarray(rng.uniform(-bound, bound, (n_in, n_out)),
                                                 dtype=theano.config.floatX), name='W', borrow=True)
            self.b = theano.shared(numpy.zeros((n_out,), dtype=theano.config.floatX), name='b', borrow=True)
            self.output = activation(T.dot(input, self.W) + self.b)
            self.params = [self.W, self.b]

    class LeNetConvPoolLayer(object):
        def __init__(self, rng, input, filter_shape, image_shape, poolsize=(2, 2)):
            assert image_shape[1] == filter_shape[1]
            fan_in = numpy.prod(filter_shape[1:])
            fan_out = filter_shape[0] * numpy.prod(filter_shape[2:]) // numpy.prod(poolsize)
            W_bound = numpy.sqrt(6. / (fan_in + fan_out))
            self.W = theano.shared(numpy.asarray(rng.uniform(low=-W_bound, high=W_bound, size=filter_shape),
                                                 dtype=theano.config.floatX), borrow=True)
            self.b = theano.shared(numpy.zeros((filter_shape[0],), dtype=theano.config.floatX), borrow=True)
            conv_out = conv2d(input=input, filters=self.W, filter_shape=filter_shape, input_shape=image_shape)
            pooled_out = pool.pool_2d(input=conv_out, ws=poolsize, ignore_border=True)
            self.output = T.tanh(pooled_out + self.b.dimshuffle('x', 0, 'x', 'x'))
            self.params = [self.W, self.b]

    rng = numpy.random.RandomState(23455)
    # Synthetic "digits": each class is a fixed random stroke pattern, blurred by noise.
    templates = (rng.uniform(size=(10, 28, 28)) > 0.8).astype('float64')
    def digits(n):
        labels = rng.randint(0, 10, size=n)
        images = templates[labels] + 0.5 * rng.standard_normal((n, 28, 28))
        return (theano.shared(numpy.asarray(images.reshape(n, 784), dtype=theano.config.floatX), borrow=True),
                T.cast(theano.shared(numpy.asarray(labels, dtype=theano.config.floatX), borrow=True), 'int32'))
    train_set_x, train_set_y = digits(200)
    valid_set_x, valid_set_y = digits(100)

    learning_rate, nkerns, batch_size = 0.3, [4, 6], 20
    n_train_batches, n_valid_batches = 200 // batch_size, 100 // batch_size
    index = T.lscalar()
    x = T.matrix('x')
    y = T.ivector('y')
    layer0_input = x.reshape((batch_size, 1, 28, 28))
    layer0 = LeNetConvPoolLayer(rng, input=layer0_input, image_shape=(batch_size, 1, 28, 28),
                                filter_shape=(nkerns[0], 1, 5, 5), poolsize=(2, 2))
    layer1 = LeNetConvPoolLayer(rng, input=layer0.output, image_shape=(batch_size, nkerns[0], 12, 12),
                                filter_shape=(nkerns[1], nkerns[0], 5, 5), poolsize=(2, 2))
    layer2 = HiddenLayer(rng, input=layer1.output.flatten(2), n_in=nkerns[1] * 4 * 4, n_out=50, activation=T.tanh)
    layer3 = LogisticRegression(input=layer2.output, n_in=50, n_out=10)
    cost = layer3.negative_log_likelihood(y)
    validate_model = theano.function(
        [index], layer3.errors(y),
        givens={x: valid_set_x[index * batch_size: (index + 1) * batch_size],
                y: valid_set_y[index * batch_size: (index + 1) * batch_size]})
    params = layer3.params + layer2.params + layer1.params + layer0.params
    grads = T.grad(cost, params)
    updates = [(param_i, param_i - learning_rate * grad_i) for param_i, grad_i in zip(params, grads)]
    train_model = theano.function(
        [index], cost, updates=updates,
        givens={x: train_set_x[index * batch_size: (index + 1) * batch_size],
                y: train_set_y[index * batch_size: (index + 1) * batch_size]})

    def validation_error():
        return float(numpy.mean([validate_model(i) for i in range(n_valid_batches)]))

    errors = [validation_error()]
    costs = []
    for epoch in range(n_epochs):
        costs.append(float(numpy.mean([train_model(i) for i in range(n_train_batches)])))
        errors.append(validation_error())
    return costs, errors


def test_lenet_trains(theano):
    costs, errors = program(theano)
    assert costs[-1] < costs[0]
    assert errors[-1] < errors[0] - 0.3, errors
