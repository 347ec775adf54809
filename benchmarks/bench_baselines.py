"""The classic warm-up baselines on the full grid: every dataset x backbone x seed x method, cold / warm-a / warm-b / warm-c.

    python benchmarks/bench_baselines.py                                  # the issue's grid (11 minutes with one thread on a busy 2-core machine)
    python benchmarks/bench_baselines.py --datasets ml-latest-small --seeds 0 --out /tmp/bench_quick

Datasets: ml-latest-small (shipped) and ml-100k, read from `../shared/data/ml-100k` (or `$EMERFLOW_SHARED_DATA`); a dataset
that is not there is skipped, saying so. Backbones DeepFM and Wide&Deep, seeds 0 1 2, methods base, DropoutNet, MetaEmb,
MWUF, CVAR and CVAR-init, all with the settings of `TrainConfig` and `BaselineConfig`.

Everything goes through the evaluation harness (`run_experiment`), one folder per dataset under `--out`, so an interrupted
run resumes where it stopped. When the grid is done, `--out` holds:

- `results.json`: every record of every dataset (keys `emerflow.evaluate.RECORD_KEYS`: dataset, backbone, method, seed,
  phase, auc, f1, logloss);
- `timings.json`: the wall time of every (dataset, backbone, method, seed) run, pretraining as method '(pretrain)';
- `summary.md` and `summary.csv`: AUC and F1, mean ± std over seeds; `wall_times.md`: seconds per method;
- `auc.png`: AUC against phase, one panel per (dataset, backbone).
"""
from __future__ import annotations
import argparse, json, os, sys, time
from pathlib import Path

os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')  # before torch starts: idle OpenMP threads must not spin on a shared machine

METHODS = ('base', 'DropoutNet', 'MetaEmb', 'MWUF', 'CVAR', 'CVAR-init')


def load(name:str):
    "A dataset by name, or None (with a message) when its files are not on this machine."
    from emerflow.sources import shared_data_dir
    from emerflow.movielens import load_movielens_small, load_movielens_100k
    if name == 'ml-latest-small': return load_movielens_small()
    if name == 'ml-100k':
        root = shared_data_dir()
        if root is None or not (root/'ml-100k').exists():
            print(f"skipping ml-100k: no ml-100k folder in the shared data folder ({root})", file=sys.stderr); return None
        return load_movielens_100k(root/'ml-100k')
    raise ValueError(f"unknown dataset {name!r}; this benchmark knows ml-latest-small and ml-100k")


def markdown(df)->str:
    "A DataFrame as a GitHub table (index flattened), without needing tabulate."
    df = df.reset_index()
    cols = [' '.join(str(x) for x in c if str(x)) if isinstance(c, tuple) else str(c) for c in df.columns]
    rows = ['| ' + ' | '.join(cols) + ' |', '|' + '---|' * len(cols)]
    rows += ['| ' + ' | '.join(str(v) for v in r) + ' |' for r in df.itertuples(index=False)]
    return '\n'.join(rows)


def wall_times(timings:list):
    "Seconds per (dataset, backbone, method): mean and total over seeds."
    import pandas as pd
    t = pd.DataFrame(timings)
    # a resumed run logs loading a saved backbone as another '(pretrain)'; the training itself is the longest entry
    t = t.groupby(['dataset', 'backbone', 'method', 'seed'], sort=False).seconds.max().reset_index()
    g = t.groupby(['dataset', 'backbone', 'method'], sort=False).seconds
    return pd.DataFrame({'seeds': g.size(), 'mean s': g.mean().round(1), 'total s': g.sum().round(1)})


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--datasets', nargs='+', default=['ml-latest-small', 'ml-100k'])
    p.add_argument('--backbones', nargs='+', default=['deepfm', 'widedeep'])
    p.add_argument('--methods', nargs='+', default=list(METHODS))
    p.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    p.add_argument('--out', default='runs/bench_baselines', help='output folder (resumable)')
    p.add_argument('--threads', type=int, default=1, help='torch CPU threads (the models are small: 1 is fastest on a shared machine)')
    a = p.parse_args(argv)
    import torch
    torch.set_num_threads(a.threads)
    import emerflow.baselines  # registers the methods
    from emerflow.evaluate import run_experiment, summarize, plot_auc, METHODS as REGISTERED
    unknown = [m for m in a.methods if m not in REGISTERED]
    if unknown: p.error(f"unknown methods {unknown}; registered: {sorted(REGISTERED)}")
    import pandas as pd
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    records, timings, t0 = [], [], time.time()
    for name in a.datasets:
        ds = load(name)
        if ds is None: continue
        d = out/name
        t1 = time.time()
        res = run_experiment(ds, tuple(a.backbones), tuple(a.methods), tuple(a.seeds), out_dir=d, show=False)
        print(f"{name}: {len(res)} records in {time.time() - t1:.0f} s (finished runs found in {d} are not recomputed)", flush=True)
        records += res.to_dict('records')
        timings += json.loads((d/'timings.json').read_text()) if (d/'timings.json').exists() else []
    if not records: sys.exit("no dataset could be loaded; nothing to report")
    results = pd.DataFrame(records)
    (out/'results.json').write_text(json.dumps(records, indent=1))
    (out/'timings.json').write_text(json.dumps(timings, indent=1))
    table, wt = summarize(results), wall_times(timings)
    table.to_csv(out/'summary.csv')
    (out/'summary.md').write_text(markdown(table) + '\n')
    (out/'wall_times.md').write_text(markdown(wt) + '\n')
    plot_auc(results).savefig(out/'auc.png', dpi=120)
    with pd.option_context('display.width', 250, 'display.max_columns', 20):
        print(table.to_string()); print(); print(wt.to_string())
    print(f"\nwall time of this invocation: {time.time() - t0:.0f} s; wrote {out}/results.json, timings.json, summary.md, wall_times.md, auc.png")


if __name__ == '__main__': main()
