"""Does each content view help? Cross-validated R² to old items' learned embeddings and cold-start AUC, per view and per stacked fusion.

    python benchmarks/bench_views.py [--dataset ml-latest-small] [--path DIR] [--seeds 0 1 2] [--backbones deepfm widedeep]

Prints a markdown table (mean over seeds and backbones, and per backbone). The 'llm_fill' view (few-shot fills of sparse
features, `enrich.fill_features`) and its fusions are reported when the dataset has features to fill. Uses the shipped or cached stage-1 outputs;
views that are missing are computed with the default LLM and encoder (slow on a CPU)."""
import argparse, time
import pandas as pd, torch
from emerflow.data import encode
from emerflow.loaders import load_dataset
from emerflow.protocol import split_dataset

from emerflow.evaluate import TrainConfig, pretrained_backbone
from emerflow.align import ItemViews, view_diagnostic
from emerflow.method import content_views, VIEWS

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--dataset', default='ml-latest-small'); ap.add_argument('--path', default=None)
    ap.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    ap.add_argument('--backbones', nargs='+', default=['deepfm', 'widedeep'])
    ap.add_argument('--threads', type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    t0 = time.time()
    ds = load_dataset(a.dataset, a.path); sp, enc = split_dataset(ds), encode(ds)
    old, new = enc.encode_ids('item', sp.old_items), enc.encode_ids('item', sp.emerging_items)
    tables = content_views(ds, enc, torch.cat([old, new]), VIEWS, fill_examples=sp.base['item'].value_counts().index)
    hid = [k for k in tables if k.startswith('llm_hidden')]
    base, test = enc.encode_interactions(sp.base), enc.encode_interactions(sp.test)
    rows = []
    for bb_name in a.backbones:
        for seed in a.seeds:
            bb = pretrained_backbone(enc, sp.base, bb_name, TrainConfig(), seed)
            views = ItemViews(tables, model=bb)
            # the layer and pooling EmerFlow would keep: best cross-validated R² on old items, for this backbone
            single = view_diagnostic(bb, ItemViews({k: tables[k] for k in hid}), base, old, combos={}, seed=seed)
            best = single.drop(index='(none: mean old item)')['cv_r2'].idxmax()
            combos = {'features + raw': ['features', 'raw'], 'features + raw + llm_text': ['features', 'raw', 'llm_text'],
                      'features + raw + llm_hidden (chosen layer)': ['features', 'raw', best],
                      'all views (stacked, chosen layer)': ['features', 'raw', best, 'llm_text']}
            if 'llm_fill' in tables:
                combos |= {'features + raw + llm_fill': ['features', 'raw', 'llm_fill'],
                           'features + raw + llm_hidden (chosen) + llm_fill': ['features', 'raw', best, 'llm_fill'],
                           'all views + llm_fill': ['features', 'raw', best, 'llm_text', 'llm_fill']}
            d = view_diagnostic(bb, views, base, old, test, new, combos=combos, seed=seed)
            d = d.reset_index().assign(backbone=bb_name, seed=seed, chosen=best)
            rows.append(d); print(f'{bb_name} seed {seed}: layer {best}, {time.time() - t0:.0f}s', flush=True)
    df = pd.concat(rows)
    order = list(dict.fromkeys(df['views']))
    tab = df.groupby('views', sort=False)[['cv_r2', 'cold_auc']].agg(['mean', 'std']).reindex(order)
    fmt = lambda m, s: f'{m:.3f} ± {s:.3f}'
    print(f"\n{a.dataset}: {len(a.backbones)} backbone(s) x {len(a.seeds)} seed(s); chosen layers {df.groupby(['backbone', 'seed'])['chosen'].first().value_counts().to_dict()}\n")
    print('| views | CV R² to learned embedding | cold AUC |\n|---|---|---|')
    for v, r in tab.iterrows(): print(f"| {v} | {fmt(r[('cv_r2', 'mean')], r[('cv_r2', 'std')])} | {fmt(r[('cold_auc', 'mean')], r[('cold_auc', 'std')])} |")
    w = df[df['views'].str.startswith('all views')][['backbone', 'seed', 'shares']]
    print('\nview shares in "all views":'); print(w.to_string(index=False))
    print(f'\n{time.time() - t0:.0f}s')

if __name__ == '__main__': main()
