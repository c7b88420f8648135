"""tapeflow ops, one module per family. Each op is its forward (a call into ``_core``)
and its gradient, side by side."""
