"""Every diagnostic code ldnn can emit, with the one-line description the README lists.

E0xx: reading and syntax · E1xx: names · E2xx: arguments and settings ·
E3xx: shapes · E4xx: sections and the recipe · W1xx: lints from the training recipe.
"""

CODES: dict[str, str] = {
    # reading and syntax
    "E001": "syntax error: a token the grammar does not allow here",
    "E002": "the file is not UTF-8 text (bad byte or NUL)",
    "E003": "the file ends in the middle of a statement",
    "E004": "the file is too large or nested too deeply",
    "E005": "a file cannot be read or written (missing, a directory, permissions, an empty path)",
    "E006": "`use` of a file that uses this one (an import cycle)",
    # names
    "E101": "unknown layer kind or block",
    "E102": "unknown name in an expression (not a `let` or block parameter)",
    "E103": "a name defined twice (let, block, section, model), a word of the language, or a let named like a setting",
    "E104": "no `model` in the spec",
    "E105": "unknown section",
    "E106": "unknown setting in a section",
    "E107": "a block called with the wrong number of arguments",
    "E108": "a block that calls itself",
    # arguments
    "E201": "a value of the wrong type",
    "E202": "a value out of its allowed range",
    "E203": "unknown activation or word for this layer",
    "E204": "unknown option for this layer",
    "E205": "too many positional values",
    "E206": "a required value is missing",
    "E207": "an option, a setting or a list item given twice",
    "E208": "unknown initializer",
    "E209": "arithmetic that cannot be evaluated (division by zero, non-numbers)",
    "E210": "unknown choice for a setting (loss, optimizer, schedule, ...)",
    # shapes
    "E301": "the model does not start with `input`",
    "E302": "a layer that needs another input rank (conv on a vector, ...)",
    "E303": "a window larger than the input it slides over",
    "E304": "reshape to a shape of another size",
    "E305": "a residual body changes the shape",
    "E306": "parallel branches that cannot be joined",
    "E307": "`input` in the middle of a model",
    "E308": "integer ids that reach anything but an embedding (or nothing), or an embedding on floats",
    # sections and recipe
    "E401": "a section that the command (or API call) needs is missing",
    "E403": "a validation-driven setting without a validation set",
    "E404": "settings that contradict each other",
    "E405": "a data file that cannot be read or does not fit the model",
    "E406": "training failed",
    "E407": "not enough memory for the model's weights",
    "E901": "internal error: the checker accepted what Keras refused, or ldnn failed in its own code",
    # lints
    "W101": "deep net with a small fixed-std init and no residual path",
    "W102": "recurrent layer without gradient-norm clipping",
    "W103": "very large minibatch",
    "W104": "SGD learning rate outside the usual range",
    "W105": "dropout with too few epochs to pay off",
    "W106": "normal(σ) far from 0.02 with no scaling",
    "W107": "LSTM forget-gate bias below 1",
    "W108": "no validation set: no way to see overfitting",
    "W109": "a step schedule that never steps within the epochs of training",
    "W110": "ensemble without a seed: the spec alone does not repeat its members",
    "W111": "softmax over a single value: the output is always 1",
    "W112": "a crossentropy or KL-divergence loss on a model that does not end in softmax or sigmoid",
    "W113": "a model of over a billion parameters: a size off by a few zeros?",
    "W114": "a plateau schedule without a validation set watches the training loss",
    "W115": "a poisson loss on a model whose output can be negative",
    "W116": "an `init` forget_bias in a model without an LSTM: it sets nothing",
    "W117": "early stopping whose patience is at least the epochs, without restore_best: it does nothing",
    "W118": "an empty residual or repeat, or a parallel of one branch",
    "W119": "a metric of probabilities (auc, precision, recall, binary accuracy or crossentropy) over scores",
    "W120": "an augment rotation below 1 degree: Keras' fraction of a turn, written as degrees?",
    "W121": "SGD with nesterov=true and no momentum: it does nothing",
}
