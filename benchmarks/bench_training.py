"""How the training side grows with the data: backbone pretraining and meta-training on ml-latest-small, ML-100K and DrugBank.

    python benchmarks/bench_training.py                        # DeepFM, seed 0, 2 threads, data from ../shared/data
    python benchmarks/bench_training.py --backbone widedeep --data ~/data

Each dataset runs in its own subprocess (`OMP_WAIT_POLICY=PASSIVE` and the thread count set before torch starts). Pretraining
is `pretrain` with the harness's `TrainConfig` (early stopping on a held-out slice of the base rows); meta-training is
`meta_train` with EmerFlow's defaults on the old items replayed as new, started from the mean old embedding (the
no-alignment start, so no LLM view is needed); refinement is one `MetaRefiner` pass over every emerging item's warm-a rows.
The table is what `13`'s "the training side" section reads: rows, epochs, seconds, and throughput per dataset.
"""
from __future__ import annotations
import argparse, json, os, sys, time
sys.path.insert(0, os.path.dirname(__file__))
from bench_generation import run_config

DATASETS = {'ml-latest-small': None, 'ml-100k': 'ml-100k', 'drugbank': 'drugbank'}  # name -> folder under --data (None: shipped)


def worker(cfg:dict)->dict:
    import torch
    torch.set_num_threads(cfg['threads'])
    from emerflow.loaders import load_dataset
    from emerflow.protocol import split_dataset
    from emerflow.data import encode
    from emerflow.backbone import make_backbone, pretrain
    from emerflow.evaluate import TrainConfig
    from emerflow.method import EmerFlowConfig
    from emerflow.meta import MetaRefiner, replay_tasks, meta_train
    from emerflow.core import seed_everything
    ds = load_dataset(cfg['dataset'], cfg['path'])
    split = split_dataset(ds).check_scorable(); enc = encode(ds)
    c, e = TrainConfig(), EmerFlowConfig()
    seed_everything(0)
    model = make_backbone(cfg['backbone'], enc, dim=c.embed_dim, mlp_dims=c.mlp_dims, dropout=c.dropout)
    t0 = time.perf_counter()
    hist = pretrain(model, enc, split.base, c.pretrain_max_epochs, c.pretrain_patience, c.pretrain_valid_frac, c.batch_size, c.lr, c.weight_decay, 0, show=False)
    pre_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    tasks = replay_tasks(split.base, enc, split.k, e.replay_span)
    old = torch.unique(enc.encode_interactions(split.base)['item'])
    starts = model.item_id.weight.detach()[old].mean(0).expand_as(model.item_id.weight).clone()
    refiner = MetaRefiner(model.item_id.embedding_dim, e.inner_steps, e.inner_init_lr)
    meta_train(refiner, model, tasks, starts, split.k, e.meta_epochs, e.meta_items_per_batch, e.meta_lr, generator=seed_everything(0))
    meta_s = time.perf_counter() - t0
    return dict(cfg, users=int(ds.interactions['user'].nunique()), items=int(ds.interactions['item'].nunique()), base_rows=len(split.base),
                old_items=int(split.base['item'].nunique()), replayed_items=len(tasks.items), replay_rows=len(tasks), epochs=len(hist['train_loss']),
                pretrain_s=pre_s, meta_s=meta_s, params=sum(p.numel() for p in model.parameters()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--worker', help=argparse.SUPPRESS)
    ap.add_argument('--data', default=os.environ.get('EMERFLOW_SHARED_DATA', os.path.join(os.path.dirname(__file__), '..', '..', 'shared', 'data')))
    ap.add_argument('--backbone', default='deepfm')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--json', help='also write the raw results to this file')
    a = ap.parse_args()
    if a.worker: print('RESULT ' + json.dumps(worker(json.loads(a.worker)))); return
    import platform
    print(f"# training side: {a.backbone}, seed 0, {a.threads} threads; {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")
    rows = []
    for name, folder in DATASETS.items():
        path = None if folder is None else os.path.join(a.data, folder)
        if path is not None and not os.path.exists(path): print(f"  {name}: skipped, no {path}"); continue
        rows.append(run_config(dict(dataset=name, path=path, backbone=a.backbone, threads=a.threads), __file__))
        r = rows[-1]; print(f"  {name}: pretrain {r['pretrain_s']:.1f} s ({r['epochs']} epochs), meta-train {r['meta_s']:.1f} s", flush=True)
    if a.json:
        with open(a.json, 'w') as f: json.dump(rows, f, indent=1)
    first = rows[0]
    print('\n| dataset | users | items | base rows | pretrain epochs | pretrain s | base rows/s (per epoch) | replayed old items (rows) | meta-train s | vs ml-latest-small (pretrain / meta) |')
    print('|---|---|---|---|---|---|---|---|---|---|')
    for r in rows:
        print(f"| {r['dataset']} | {r['users']:,} | {r['items']:,} | {r['base_rows']:,} | {r['epochs']} | {r['pretrain_s']:.1f} | "
              f"{r['base_rows']*r['epochs']/r['pretrain_s']:,.0f} | {r['replayed_items']:,} ({r['replay_rows']:,}) | {r['meta_s']:.1f} | "
              f"{r['pretrain_s']/first['pretrain_s']:.1f}x / {r['meta_s']/first['meta_s']:.1f}x |")


if __name__ == '__main__': main()
