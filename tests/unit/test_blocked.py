"""The blocked evaluator (tracegraph.kernels.blocked), which the NumPy and Numba backends
share: NumPy's values for broadcast operands, any layout, in place, on every thread."""
import numpy as np
import pytest

from tracegraph.kernels import blocked

# coeff * base ** power, as the scan of the polynomial benchmark is vectorized.
POLYNOMIAL = (('float64', 'int64', 'float64'),
              (('pow', None, (0, 1), 'float64'), ('mul', None, (2, 3), 'float64')), (4,))


def _ulps(a, b):
    return np.abs(a - b) / np.spacing(np.maximum(np.abs(a), np.abs(b)))


@pytest.mark.parametrize('base', [np.float64(0.999), np.full(1, 0.999), np.full((1,), -1.5)])
def test_a_broadcast_base_gives_numpys_power(base):
    n = 3 * blocked.per_dtype(blocked.BLOCK, 'float64') + 17   # several blocks, the last one short
    power = np.arange(n) % 50
    coeffs = np.random.default_rng(0).standard_normal(n)
    out, = blocked.evaluate(POLYNOMIAL, (n,), base, power, coeffs)
    dense = coeffs * np.power(np.full(n, np.ravel(base)[0]), power.astype(np.float64))
    np.testing.assert_array_equal(out, dense)
    assert _ulps(out, coeffs * np.power(np.ravel(base)[0], power)).max() <= 1


def test_broadcast_operands_of_power_reach_numpy_as_contiguous_blocks():
    # NumPy's SIMD power needs every operand contiguous (twice as fast as with a
    # broadcast base); the values must be those of the broadcast operand.
    block = np.arange(10.0)
    ins = blocked._dense([None, None], [np.array(0.5), block], np.empty(10))
    assert all(x.flags.c_contiguous and x.shape == (10,) for x in ins)
    np.testing.assert_array_equal(ins[0], np.full(10, 0.5))
    assert ins[1] is block
    # All operands broadcast: the result is too, nothing to copy.
    both = [np.array(0.5), np.array(2.0)]
    assert blocked._dense([None, None], both, np.empty(10)) is both


def test_a_base_broadcast_along_one_axis_of_a_matrix():
    base = np.linspace(0.5, 1.5, 300)[None, :]           # shape (1, 300): stride 0 along rows
    power = np.arange(200 * 300).reshape(200, 300) % 40
    coeffs = np.ones((200, 300))
    out, = blocked.evaluate(POLYNOMIAL, (200, 300), base, power, coeffs)
    assert _ulps(out, np.power(base, power)).max() <= 1


def test_nan_and_special_powers_are_numpys():
    base = np.array([np.nan, 0.0, -0.0, np.inf, -np.inf, -2.0, 1.0, -1.0])
    for b in base:
        power = np.tile(np.array([0, 1, 2, 3, -1, -2, 1000, -1000]), 1000)
        out, = blocked.evaluate(POLYNOMIAL, power.shape, np.float64(b), power, np.ones(power.shape))
        with np.errstate(all='ignore'):
            np.testing.assert_array_equal(out, np.power(b, power.astype(np.float64)))


# exp(x) * y and x + x, the input y passed through, and x + x again.
SEVERAL_OUTPUTS = (('float32', 'float32'),
                    (('exp', None, (0,), 'float32'), ('mul', None, (2, 1), 'float32'),
                     ('add', None, (0, 0), 'float32')), (3, 4, 1, 4))


@pytest.mark.parametrize('threads', ['1', '2'])
def test_several_outputs_and_a_passed_input_on_one_or_two_threads(threads, monkeypatch):
    monkeypatch.setenv('TRACEGRAPH_NUM_THREADS', threads)
    n = 3 * blocked.THRESHOLD['float32'] + 5
    x = np.linspace(-3, 3, n, dtype=np.float32)
    y = np.linspace(1, 2, n, dtype=np.float32)
    product, twice, same, again = blocked.evaluate(SEVERAL_OUTPUTS, (n,), x, y)
    np.testing.assert_allclose(product, np.exp(x) * y, rtol=1e-6)
    np.testing.assert_array_equal(twice, x + x)
    np.testing.assert_array_equal(again, x + x)
    np.testing.assert_array_equal(same, y)
    assert same is not y and product.dtype == np.float32 and product.flags.c_contiguous


def test_in_place_into_a_strided_input_and_a_short_tail():
    # tanh(x) * x, overwriting x: a column-major matrix takes the row blocks, in place.
    kernel = blocked.kernel_of_spec((('float64',), (('tanh', None, (0,), 'float64'),
                                                    ('mul', None, (1, 0), 'float64')), (2,)))
    kernel = blocked.BlockedKernel(kernel.composite, inplace=0)
    x = np.asfortranarray(np.linspace(-2, 2, 301 * 700).reshape(301, 700))
    want = np.tanh(x) * x
    assert kernel(x) is x
    np.testing.assert_allclose(x, want, rtol=1e-15)
    read_only = np.linspace(-2, 2, 1000)
    read_only.flags.writeable = False
    out = kernel(read_only)
    assert out is not read_only
    np.testing.assert_allclose(out, np.tanh(read_only) * read_only, rtol=1e-15)


def test_an_error_on_a_worker_thread_reaches_the_caller(monkeypatch):
    from tracegraph.kernels import threads

    def task(k):
        if k == 1:
            raise FloatingPointError('from the pool')
    with pytest.raises(FloatingPointError, match='from the pool'):
        threads.run_split(task, [(0,), (1,), (2,)], 2)


def test_a_large_draw_fills_every_chunk_once_on_the_shared_pool():
    from tracegraph.kernels.draws import PARALLEL_FROM, fill_parallel
    out = np.zeros(PARALLEL_FROM + 12_345)

    def fill(key, draw, start, stop, block, offset):
        block += np.arange(start, stop) + offset
    fill_parallel(fill, None, None, out, [np.array(0.5)])
    np.testing.assert_array_equal(out, np.arange(out.size) + 0.5)


def test_a_long_chain_runs_the_block_loop_at_any_size():
    import tracegraph as tg
    import tracegraph.tensor as T
    from tracegraph.kernels.elemwise import LONG_CHAIN
    x = T.dvector('x')
    y = x
    for _ in range(LONG_CHAIN // 3 + 1):
        y = T.tanh(y * 1.01 + 0.1)
    f = tg.function([x], y, backend='numpy')
    assert 'for b0 in range' in f.source
    for n in (0, 1, 7, 1000):
        want = np.linspace(-2, 2, n)
        got = f(want)
        for _ in range(LONG_CHAIN // 3 + 1):
            want = np.tanh(want * 1.01 + 0.1)
        np.testing.assert_allclose(got, want, rtol=1e-13)


def test_buffers_are_reused_once_dead_and_a_reader_may_write_over_its_argument():
    # values 1..4 computed in turn, each read by the next; 5 reads 1 and 4 (1 stays live).
    born = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)]
    last_read = {1: 4, 2: 2, 3: 3, 4: 4}
    place, counts = blocked.reuse_buffers(born, last_read, lambda v: 'float64')
    assert counts == {'float64': 2}
    assert place[1] != place[2] and place[2] == place[3] == place[4]
    assert place[5] in (place[1], place[4])
    # A dtype of its own gets buffers of its own.
    place, counts = blocked.reuse_buffers(born, last_read, lambda v: 'float32' if v == 3 else 'float64')
    assert counts == {'float64': 2, 'float32': 1} and place[3] == ('float32', 0)


def test_the_l2_cache_size_is_read_from_sysfs(tmp_path):
    """Blocks are sized from the L2 cache (blocked.BLOCK_BYTES): the size Linux gives for
    the level-2 cache, whatever its index; None where there is none to read."""
    for index, (level, size) in enumerate([('1', '48K'), ('1', '64K'), ('2', '2048K'), ('3', '1M')]):
        folder = tmp_path / 'cache' / f'index{index}'
        folder.mkdir(parents=True)
        (folder / 'level').write_text(level + '\n')
        (folder / 'size').write_text(size + '\n')
    assert blocked.l2_cache_bytes(str(tmp_path)) == 2 << 20
    (tmp_path / 'cache' / 'index2' / 'size').write_text('1M\n')
    assert blocked.l2_cache_bytes(str(tmp_path)) == 1 << 20
    assert blocked.l2_cache_bytes(str(tmp_path / 'nowhere')) is None
    assert 1 << 16 <= blocked.BLOCK_BYTES <= 1 << 19
