#!/usr/bin/env python3
"""Checks Kubernetes manifests against the API's object models, without a cluster.

usage: k8s-validate.py FILE...   (prints one JSON object: {"objects": [...], "errors": [...]})

The models are those of the Kubernetes Python client (Debian's
python3-kubernetes): for every object, by apiVersion and kind, each field
must be one the API has, of the type it has (object, list, map, string,
integer, boolean), and required fields must be present (the models'
constructors refuse objects without them). Kustomization files are not API
objects: their `resources` must name files that exist.
"""
import json
import os
import sys

import yaml
from kubernetes import client
from kubernetes.client import models


def model_name(api_version, kind):
    # apps/v1 DaemonSet -> V1DaemonSet; v1 ConfigMap -> V1ConfigMap; policy/v1beta1 X -> V1beta1X
    version = api_version.split("/")[-1]
    return version[0].upper() + version[1:] + kind


def check(value, typ, where, errors):
    if value is None:
        return
    if typ.startswith("list["):
        if not isinstance(value, list):
            errors.append(f"{where}: expected a list, got {type(value).__name__}")
            return
        for i, v in enumerate(value):
            check(v, typ[5:-1], f"{where}[{i}]", errors)
    elif typ.startswith("dict("):
        if not isinstance(value, dict):
            errors.append(f"{where}: expected a map, got {type(value).__name__}")
            return
        inner = typ[typ.index(",") + 1 : -1].strip()
        for k, v in value.items():
            check(v, inner, f"{where}.{k}", errors)
    elif typ == "str":
        if not isinstance(value, str):
            errors.append(f"{where}: expected a string, got {type(value).__name__} {value!r}")
    elif typ == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            errors.append(f"{where}: expected an integer, got {value!r}")
    elif typ == "bool":
        if not isinstance(value, bool):
            errors.append(f"{where}: expected true or false, got {value!r}")
    elif typ == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            errors.append(f"{where}: expected a number, got {value!r}")
    elif typ in ("object", "datetime", "date"):
        pass  # IntOrString, Quantity, free-form: any scalar or object
    else:
        cls = getattr(models, typ, None)
        if cls is None:
            errors.append(f"{where}: no model {typ} in the Kubernetes client")
            return
        if not isinstance(value, dict):
            errors.append(f"{where}: expected an object ({typ}), got {type(value).__name__}")
            return
        by_json = {j: a for a, j in cls.attribute_map.items()}
        for k, v in value.items():
            if k not in by_json:
                errors.append(f"{where}: unknown field {k!r} in {typ} (known: {', '.join(sorted(by_json))})")
                continue
            check(v, cls.openapi_types[by_json[k]], f"{where}.{k}", errors)


def required(doc, typ, where, errors):
    # The models' constructors raise ValueError for a missing required field.
    try:
        client.ApiClient()._ApiClient__deserialize(doc, typ)
    except (ValueError, TypeError) as e:
        errors.append(f"{where}: {e}")


def main(files):
    objects, errors = [], []
    for f in files:
        with open(f) as fh:
            docs = [d for d in yaml.safe_load_all(fh) if d is not None]
        for i, doc in enumerate(docs):
            where = f"{f}#{i}"
            if not isinstance(doc, dict) or "apiVersion" not in doc or "kind" not in doc:
                errors.append(f"{where}: not a Kubernetes object (apiVersion and kind)")
                continue
            if doc["kind"] == "Kustomization":
                for r in doc.get("resources", []):
                    if not os.path.exists(os.path.join(os.path.dirname(f), r)):
                        errors.append(f"{where}: resource {r} does not exist")
                objects.append({"file": f, "kind": "Kustomization", "name": None})
                continue
            typ = model_name(doc["apiVersion"], doc["kind"])
            if getattr(models, typ, None) is None:
                errors.append(f"{where}: {doc['apiVersion']} {doc['kind']} is no API object the client knows")
                continue
            name = (doc.get("metadata") or {}).get("name")
            check(doc, typ, f"{where} ({doc['kind']} {name})", errors)
            required(doc, typ, f"{where} ({doc['kind']} {name})", errors)
            objects.append({"file": f, "kind": doc["kind"], "name": name})
    print(json.dumps({"objects": objects, "errors": errors}))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
