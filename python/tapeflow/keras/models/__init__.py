"""``keras.models``."""

from tapeflow.keras.models.functional import Functional  # noqa: F401
from tapeflow.keras.models.model import Model  # noqa: F401
from tapeflow.keras.models.sequential import Sequential  # noqa: F401
