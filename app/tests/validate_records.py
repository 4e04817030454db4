#!/usr/bin/env python3
"""Validates every record (explanation.json, error.json) under the folders given against
app/schema/record.schema.json with jsonschema (Debian python3-jsonschema): the check the tests run
on each writer's real output. Exits 1 naming each invalid file and field, 2 when no record was
found, 77 (skipped) without jsonschema.

    validate_records.py DIR [DIR ...]
"""
import json
import os
import sys

SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "schema", "record.schema.json")


def validator():
    import jsonschema
    with open(SCHEMA, encoding="utf-8") as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def records(folders):
    for folder in folders:
        for root, _, files in os.walk(folder):
            for name in sorted(files):
                if name in ("explanation.json", "error.json"):
                    yield os.path.join(root, name)


def check(folders):
    """[(file, problem)] for every invalid record, and the number of records checked."""
    v = validator()
    problems, n = [], 0
    for path in records(folders):
        n += 1
        with open(path, encoding="utf-8") as f:
            record = json.load(f)
        for e in v.iter_errors(record):
            problems.append((path, "/" + "/".join(str(p) for p in e.absolute_path) + ": " + e.message[:300]))
    return problems, n


def main(argv):
    try:
        import jsonschema  # noqa: F401
    except ImportError:
        print("skipped: jsonschema is not installed (Debian: apt-get install python3-jsonschema)")
        return 77
    problems, n = check(argv[1:])
    for path, problem in problems:
        print(f"INVALID {path}: {problem}")
    if n == 0:
        print("no record found under " + " ".join(argv[1:]))
        return 2
    print(f"{n} records checked, {len(set(p for p, _ in problems))} invalid")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
