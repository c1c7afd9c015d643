#!/usr/bin/env python3
"""Checks JSON documents against one of nnlab's JSON Schemas (docs/schemas/, Draft 2020-12).

usage: check_json_schema.py SCHEMA DOCUMENT...

A schema may refer to the others of its folder by file name ("provenance.json"). Prints one line
per violation (the document, the path of the key, the problem) and exits 1 when there is one;
exits 0 when every document matches. Needs python3-jsonschema (scripts/setup.sh installs it).
"""
import json
import pathlib
import sys
import warnings

import jsonschema


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    schema_path = pathlib.Path(argv[1]).resolve()
    folder = schema_path.parent
    store = {}
    for path in folder.glob("*.json"):
        store[path.as_uri()] = json.loads(path.read_text())
    schema = store[schema_path.as_uri()]
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    with warnings.catch_warnings():
        # RefResolver is what Debian 12's jsonschema (4.10) offers; newer ones deprecate it.
        warnings.simplefilter("ignore", DeprecationWarning)
        resolver = jsonschema.RefResolver(schema_path.as_uri(), schema, store=store)
        validator = validator_class(schema, resolver=resolver)
        failed = False
        for document in argv[2:]:
            instance = json.loads(pathlib.Path(document).read_text())
            for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.path)):
                where = "/".join(str(p) for p in error.absolute_path) or "(top)"
                print(f"{document}: {where}: {error.message}")
                failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
