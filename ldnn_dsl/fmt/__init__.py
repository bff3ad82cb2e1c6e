"""`ldnn fmt`: print a spec in the one canonical layout, keeping every comment."""

from ldnn_dsl.fmt.command import format_paths
from ldnn_dsl.fmt.printer import format_text

__all__ = ["format_paths", "format_text"]
