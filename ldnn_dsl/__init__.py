"""ldnn: a declarative model-spec language for deep nets.

Importing the package stays light (no TensorFlow): Keras is loaded only by `compile`
and `train`. Custom Keras objects register themselves whenever Keras is imported, so
`keras.saving.load_model` works on saved ldnn models after `import ldnn_dsl`.
"""

from ldnn_dsl.api import check, compile, load, train
from ldnn_dsl.build.registration import register_when_keras_loads as _register_when_keras_loads
from ldnn_dsl.source.diagnostics import Diagnostic, DiagnosticError

_register_when_keras_loads()

__all__ = ["Diagnostic", "DiagnosticError", "check", "compile", "load", "train"]
__version__ = "0.1.0"
