"""The scikit-learn side of the benchmark.

usage: sk.py score TRAIN DATA OUT SEED   fit on TRAIN, score DATA into OUT
       sk.py train DATA SEED             fit with contamination 0.01
       sk.py auc DATA SEED OUT           fit and score DATA, scores to OUT

Features are every column but the first of a generated file ("time"),
or every column but "label" and "class" of a labelled one.  The forest
is IsolationForest(n_estimators=100, max_samples=256), one job.  Each
command prints one line of "name=value" timings in seconds, measured
inside the process, so interpreter start and imports are not counted:

  read    CSV into a float64 array (pandas.read_csv, else numpy.loadtxt)
  fit     IsolationForest.fit
  score   decision_function on the array already in memory
  write   the input rows with score and anomaly columns to CSV (pandas)
"""
import sys
import time

import numpy as np
from sklearn.ensemble import IsolationForest

try:
    import pandas as pd
except ImportError:
    pd = None

LABELS = ("label", "class")


def header(path):
    with open(path, newline="") as f:
        return f.readline().strip("\r\n").split(",")


def features(path):
    names = header(path)
    if names[0] == "time":
        return names[1:]
    return [n for n in names if n not in LABELS]


def read(path, frame=False):
    """The feature matrix, and the whole table when FRAME (pandas)."""
    names = features(path)
    if pd is not None:
        df = pd.read_csv(path, usecols=None if frame else names)
        return np.ascontiguousarray(df[names].to_numpy(np.float64)), df
    cols = [header(path).index(n) for n in names]
    x = np.loadtxt(path, delimiter=",", skiprows=1, usecols=cols,
                   dtype=np.float64, ndmin=2)
    return x, None


def forest(seed, contamination="auto"):
    return IsolationForest(n_estimators=100, max_samples=256,
                           contamination=contamination,
                           random_state=seed, n_jobs=1)


def main(argv):
    t = time.perf_counter
    out = {"reader": "pandas" if pd is not None else "numpy"}
    if argv[1] == "score":
        train, data, dest, seed = argv[2], argv[3], argv[4], int(argv[5])
        x, _ = read(train)
        m = forest(seed).fit(x)
        del x
        a = t()
        x, df = read(data, frame=True)
        b = t()
        d = m.decision_function(x)
        c = t()
        out.update(read=b - a, score=c - b, rows=len(x))
        if df is not None:
            df["score"] = -(d + m.offset_)
            df["anomaly"] = (d < 0).astype(np.int8)
            df.to_csv(dest, index=False)
            out["write"] = t() - c
    elif argv[1] == "train":
        data, seed = argv[2], int(argv[3])
        a = t()
        x, _ = read(data)
        b = t()
        forest(seed, 0.01).fit(x)
        c = t()
        out.update(read=b - a, fit=c - b, rows=len(x))
    elif argv[1] == "auc":
        data, seed, dest = argv[2], int(argv[3]), argv[4]
        x, _ = read(data)
        s = -forest(seed).fit(x).score_samples(x)
        np.savetxt(dest, s, fmt="%.17g", header="score", comments="")
    else:
        sys.exit(__doc__)
    print(" ".join("%s=%s" % (k, v if isinstance(v, str) else
                              ("%.6f" % v if isinstance(v, float) else v))
                   for k, v in out.items()))


if __name__ == "__main__":
    main(sys.argv)
