"""The README's Python examples run as written."""
import os
import re

import pytest

README = os.path.join(os.path.dirname(__file__), '..', '..', 'README.md')


def _blocks():
    with open(README) as fh:
        return re.findall(r'```python\n(.*?)```', fh.read(), re.S)


@pytest.mark.parametrize('index', range(len(_blocks())))
def test_readme_example_runs(index):
    exec(compile(_blocks()[index], f'README.md block {index}', 'exec'), {})
