"""``keras.models``."""

from tapeflow.keras.models.functional import Functional  # noqa: F401
from tapeflow.keras.models.model import Model  # noqa: F401
from tapeflow.keras.models.sequential import Sequential  # noqa: F401
from tapeflow.keras.saving.saving_api import load_model, save_model  # noqa: F401,E402
from tapeflow.keras.utils.registry import register_builtins  # noqa: E402

register_builtins("layer", [Functional, Model, Sequential])
