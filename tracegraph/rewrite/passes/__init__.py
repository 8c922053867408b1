"""The built-in rewrites, one concept per module; importing this registers them."""
from . import canonicalize  # noqa: F401,E402
from . import merge  # noqa: F401,E402
from . import fold  # noqa: F401,E402
from . import fill  # noqa: F401,E402
from . import shapes  # noqa: F401,E402
from . import stabilize  # noqa: F401,E402
from . import transposes  # noqa: F401,E402
from . import fusion  # noqa: F401,E402
from . import inplace  # noqa: F401,E402
