"""scikit-learn's HistGradientBoostingClassifier on a train/test CSV pair, for bench/gbdt-vs-sklearn.mjs.

Usage: python3 bench/gbdt_sklearn.py TRAIN.csv TEST.csv
CSV: header row, numeric feature columns, last column the class index. Prints one JSON object:
{"accuracy", "trainSeconds", "sklearn", "threads"} or {"skipped": reason} when scikit-learn is missing.
"""
import json
import os
import sys
import time

try:
    import numpy as np
    import sklearn
    from sklearn.ensemble import HistGradientBoostingClassifier
except ImportError as e:  # python3-sklearn not installed: the comparison is skipped, not failed
    print(json.dumps({"skipped": f"scikit-learn is not importable ({e})"}))
    sys.exit(0)


def load(path):
    data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64, ndmin=2)
    return data[:, :-1], data[:, -1].astype(np.int64)


def main():
    x_train, y_train = load(sys.argv[1])
    x_test, y_test = load(sys.argv[2])
    model = HistGradientBoostingClassifier(
        max_iter=100,
        max_depth=6,
        learning_rate=0.1,
        min_samples_leaf=20,
        max_leaf_nodes=None,
        early_stopping=False,
        l2_regularization=0.0,
        max_bins=255,
        random_state=0,
    )
    t0 = time.perf_counter()
    model.fit(x_train, y_train)
    seconds = time.perf_counter() - t0
    accuracy = float((model.predict(x_test) == y_test).mean())
    print(json.dumps({
        "accuracy": accuracy,
        "trainSeconds": seconds,
        "sklearn": sklearn.__version__,
        "threads": os.environ.get("OMP_NUM_THREADS", str(os.cpu_count())),
    }))


if __name__ == "__main__":
    main()
