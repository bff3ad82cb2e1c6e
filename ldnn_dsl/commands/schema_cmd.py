"""`ldnn schema`: the JSON Schema of a checked spec, for editors and tooling."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, JsonSchemaValue

from ldnn_dsl.check.spec import Spec

if TYPE_CHECKING:  # pydantic's own name for what `generate_inner` takes, only for the type checker
    from pydantic._internal._core_utils import CoreSchemaOrField
    from pydantic_core import CoreSchema

DIALECT = "https://json-schema.org/draft/2020-12/schema"

# Pydantic names a numeric limit by its own keyword (`gt`, `ge`, ...) when the limit follows a
# validator in an `Annotated[...]` field, as most of the spec's fields do; JSON Schema validators
# ignore keywords they do not know, so those limits must be renamed to be enforced at all.
PYDANTIC_TO_JSON_SCHEMA = {
    "gt": "exclusiveMinimum",
    "ge": "minimum",
    "lt": "exclusiveMaximum",
    "le": "maximum",
    "multiple_of": "multipleOf",
}


class SpecJsonSchema(GenerateJsonSchema):
    """Pydantic's generator, made to emit a draft 2020-12 schema that enforces every limit."""

    schema_dialect = DIALECT

    def generate_inner(self, schema: CoreSchemaOrField) -> JsonSchemaValue:
        """Each sub-schema as pydantic writes it, with its limits under their JSON Schema names.

        Only the keywords of this one sub-schema are renamed (its properties are nested, and each
        is renamed when it is generated), so a property that happens to be named `gt` stays."""
        return standard_keywords(super().generate_inner(schema))

    def generate(self, schema: CoreSchema, mode: JsonSchemaMode = "validation") -> JsonSchemaValue:
        """The whole schema, led by the `$schema` key that names its dialect."""
        return {"$schema": self.schema_dialect, **super().generate(schema, mode=mode)}


LOWER, UPPER = ("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")


def standard_keywords(node: JsonSchemaValue) -> JsonSchemaValue:
    """`node` with pydantic's limit keywords renamed to JSON Schema's. Where both name a limit
    (`ge=0` on a float32 field, whose own bound is float32's range), the tighter one is kept:
    the looser one is implied, and `min(...)` of two would let -5 pass an `l2`."""
    if not any(k in PYDANTIC_TO_JSON_SCHEMA for k in node):
        return node
    renamed = {k: v for k, v in node.items() if k not in PYDANTIC_TO_JSON_SCHEMA}
    for key, value in node.items():
        if (standard := PYDANTIC_TO_JSON_SCHEMA.get(key)) is not None:
            tighter = max if standard in LOWER else min if standard in UPPER else None
            both = standard in renamed and tighter is not None
            renamed[standard] = tighter(renamed[standard], value) if both else value  # type: ignore[misc]
    if all(k in renamed for k in LOWER):  # `gt=0` beside float32's lowest: the tighter one says it
        del renamed["minimum" if renamed["exclusiveMinimum"] >= renamed["minimum"] else "exclusiveMinimum"]
    if all(k in renamed for k in UPPER):
        del renamed["maximum" if renamed["exclusiveMaximum"] <= renamed["maximum"] else "exclusiveMaximum"]
    return renamed


def spec_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) a dumped `Spec` (`model_dump(mode="json")`) validates against."""
    return Spec.model_json_schema(schema_generator=SpecJsonSchema)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("schema", help="print the JSON Schema (draft 2020-12) of the checked spec model",
                       description="Print the JSON Schema (draft 2020-12) that a checked spec, dumped as JSON, "
                                   "validates against; numeric limits are enforced.")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    print(json.dumps(spec_schema(), indent=2))
    return 0
