"""Compare NLU pipelines on the held-out questions: ``make compare``.

Each variant is config.yml with a different featurizer head (and classifier
size); everything after the classifiers (fallback, triage) stays the same, so
the comparison isolates what the featurizers and classifiers contribute. NLU
models go to a temporary folder; results print as a Markdown table and are
saved to reports/compare.json.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from assistant.paths import PROJECT_ROOT
from assistant.tools import training
from assistant.tools.evaluate import evaluate, load_heldout, summarise

CONFIG = PROJECT_ROOT / training.CONFIG

SPACY = [{"name": "SpacyNLP", "model": "var/spacy/en_core_web_md"}, {"name": "SpacyTokenizer"}]
WORDS = {"name": "CountVectorsFeaturizer"}
CHARS = {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 2, "max_ngram": 4}
SPACY_VECTORS = {"name": "SpacyFeaturizer", "pooling": "mean"}
LEXICAL = {"name": "LexicalSyntacticFeaturizer"}

VARIANTS: dict[str, list[dict[str, Any]]] = {
    "count-vectors": [{"name": "WhitespaceTokenizer"}, LEXICAL, WORDS, CHARS],
    "spacy-vectors-only": [*SPACY, SPACY_VECTORS],
    "spacy+count-vectors": [*SPACY, SPACY_VECTORS, LEXICAL, WORDS, CHARS],
}
# config.yml's classifiers have no transformer layers; this run puts DIET's
# default two back (the first configuration, see docs/nlu.md).
DIET_TRANSFORMER = {"DIETClassifier": {"number_of_transformer_layers": 2, "epochs": 40}}


def variant_config(head: list[dict[str, Any]],
                   classifier_overrides: dict[str, dict[str, Any]]) -> dict[str, Any]:
    config = yaml.safe_load(CONFIG.read_text())
    classifiers = [copy.deepcopy(c) for c in config["pipeline"]
                   if c["name"] in {"DIETClassifier", "ResponseSelector"}]
    for component in classifiers:
        component.update(classifier_overrides.get(component["name"], {}))
    tail = [c for c in config["pipeline"]
            if c["name"] in {"FallbackClassifier"} or c["name"].startswith("assistant.")]
    config["pipeline"] = [*head, *classifiers, *tail]
    return config


def train_nlu(config: dict[str, Any], out: Path) -> tuple[Path, float]:
    config_path = out / "config.yml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    return training.train(out, "nlu", out / "train.log", config=config_path,
                          nlu=training.nlu_folder(out / "nlu-data"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", nargs="*", help="variant names to run")
    args = parser.parse_args(argv)
    heldout = load_heldout()
    rows = []
    runs = [(name, head, {}) for name, head in VARIANTS.items()]
    runs.append(("spacy+count-vectors, DIET transformer", VARIANTS["spacy+count-vectors"], DIET_TRANSFORMER))
    for name, head, overrides in runs:
        if args.only and name not in args.only:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            model, seconds = train_nlu(variant_config(head, overrides), Path(tmp))
            summary = summarise(evaluate(str(model), heldout))
        row = {"variant": name, "train_seconds": round(seconds), **summary["scores"],
               "in_scope_resolved": summary["in_scope_resolved"]}
        rows.append(row)
        print(f"{name}: {json.dumps(row)}", flush=True)
    print("\n| pipeline | in-scope answered right | right answer or option | out-of-scope declined "
          "| red flags | NLU train time |\n|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['variant']} | {r.get('in_scope', 0):.1%} | {r['in_scope_resolved']:.1%} | "
              f"{r.get('out_of_scope', 0):.1%} | {r.get('red_flags', 0):.0%} | {r['train_seconds']} s |")
    out = PROJECT_ROOT / "reports" / "compare.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
