#!/usr/bin/python3
"""bench/quality's baseline: TF-IDF + logistic regression on the split bench.ts hands over.

Run with Debian's interpreter (/usr/bin/python3, python3-sklearn: DEEPCUT_WITH_SKLEARN=1 bash
scripts/setup.sh); the python3 first on PATH may be another one without scikit-learn.

    /usr/bin/python3 bench/quality/tfidf.py DATA.jsonl [--C X]

DATA.jsonl: one {"text": str, "label": int, "split": "train"|"validation"|"test"} per line
(label = index into the dataset's sorted label names, as deepcut numbers them). The
vectorizer and the classifier are fitted on train only (the fine-tuned model also trains on
train only); C is chosen from C_GRID by validation accuracy (the criterion deepcut's early
stopping uses; ties go to the smaller C), then that fit is scored on test. --C X fixes C
instead (no validation fits; C=10 reproduces the figures of the issue that asked for this
bench, where validation picks C=100 on sotu and brown).

Prints one JSON object on stdout:
  {"accuracy", "macro_f1", "C", "validation": {C: {"accuracy", "macro_f1"}}, "predictions": [test
   predictions in input order], "train", "validation_rows", "test", "features", "seconds"}

macro_f1 is sklearn's f1_score(average="macro"): the unweighted mean F1 over the classes present
in the test labels or the predictions (zero_division -> 0). That is the definition of
src/eval/classification.ts macroF1 too; bench.ts recomputes it from "predictions" with the
project's function and checks the two agree.
"""
import argparse
import json
import sys
import time

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score

C_GRID = (1.0, 10.0, 100.0)


def main() -> None:
    parser = argparse.ArgumentParser(description="TF-IDF + logistic regression on a train/validation/test JSONL")
    parser.add_argument("data", help='JSONL of {"text", "label", "split"} rows')
    parser.add_argument("--C", type=float, default=None, help="fix C (default: pick from 1, 10, 100 by validation accuracy)")
    args = parser.parse_args()
    started = time.perf_counter()
    rows = {"train": [], "validation": [], "test": []}
    with open(args.data, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            r = json.loads(line)
            if r["split"] not in rows:
                sys.exit(f"{args.data}: line {n}: unknown split {r['split']!r}")
            rows[r["split"]].append((r["text"], int(r["label"])))
    for split in ("train", "test"):
        if not rows[split]:
            sys.exit(f"{args.data}: no {split} rows")

    def texts(split):
        return [t for t, _ in rows[split]]

    def labels(split):
        return [y for _, y in rows[split]]

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)
    x_train = vectorizer.fit_transform(texts("train"))
    x_val = vectorizer.transform(texts("validation")) if rows["validation"] else None
    x_test = vectorizer.transform(texts("test"))
    y_train, y_val, y_test = labels("train"), labels("validation"), labels("test")

    def fit(c):
        return LogisticRegression(C=c, max_iter=2000).fit(x_train, y_train)

    validation = {}
    best = None  # (validation accuracy, C, fitted model)
    if args.C is not None:
        best = (float("nan"), args.C, fit(args.C))
    elif x_val is None:
        best = (float("nan"), 10.0, fit(10.0))  # no validation split: the middle of the grid
    else:
        for c in C_GRID:
            clf = fit(c)
            pred = clf.predict(x_val)
            acc = accuracy_score(y_val, pred)
            validation[str(c)] = {"accuracy": acc, "macro_f1": f1_score(y_val, pred, average="macro", zero_division=0)}
            if best is None or acc > best[0]:
                best = (acc, c, clf)
    _, c, clf = best
    pred = clf.predict(x_test)
    json.dump(
        {
            "accuracy": accuracy_score(y_test, pred),
            "macro_f1": f1_score(y_test, pred, average="macro", zero_division=0),
            "C": c,
            "validation": validation,
            "predictions": [int(p) for p in pred],
            "train": len(y_train),
            "validation_rows": len(y_val),
            "test": len(y_test),
            "features": len(vectorizer.vocabulary_),
            "seconds": time.perf_counter() - started,
        },
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
