"""`ldnn schema`: the JSON Schema of a checked spec, for editors and tooling."""

from __future__ import annotations

import argparse
import json

from ldnn_dsl.check.spec import Spec


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("schema", help="print the JSON Schema of the checked spec model")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    print(json.dumps(Spec.model_json_schema(), indent=2))
    return 0
