import sys

sys.path.insert(0, "/tmp")
import dbg  # noqa
from tests.test_replica import *  # noqa
