"""How fast is a deployed EmerFlow? add_items, update, recommend, save and load, side by side with the offline batch path.

    python benchmarks/bench_deploy.py [--threads 2] [--new 100] [--skip-generation]

Prints a markdown table: each deployment call, the offline path that does the same work for the same items (the
harness's: views of every item computed in one batch with `content_views`, rows encoded once, pairs built by hand,
the backbone saved alone), their seconds and the ratio, and the issue's target. Fits on MovieLens latest-small without
its emerging items (as `EmerFlow (deployed)` does), then:

- add_items of `--new` emerging movies whose views ship (a fresh cache: only the text encoder runs);
- add_items of `--new` movies no file ships (the emerging movies with a changed title, so every key is new): the
  default views, the LLM's hidden states, generated attributes and fills computed now (`--skip-generation` leaves the
  generated views out and measures the hidden states alone);
- update with 1,000 warm-a and warm-b rows of the added movies; recommend for 1,000 users over 1,000 candidates (a synthetic shop with that many);
- save and load of the deployed model.

Runs in its own cache folder; each stage-1 measurement starts from an empty stage-1 cache, so nothing is answered from an
earlier stage (the converted LLM is kept, as a deployment keeps it)."""
import argparse, copy, os, shutil, tempfile, time
from pathlib import Path
import numpy as np, pandas as pd, torch

def timed(fn):
    t0 = time.perf_counter(); out = fn(); return time.perf_counter() - t0, out

def fresh_cache():
    "Empty the stage-1 cache (generations, hidden states, text vectors); the converted LLM stays, as a deployment keeps it."
    from emerflow.core import cache_dir
    shutil.rmtree(cache_dir('enrich'), ignore_errors=True)

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--threads', type=int, default=2); ap.add_argument('--new', type=int, default=100)
    ap.add_argument('--skip-generation', action='store_true')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    os.environ['EMERFLOW_CACHE'] = tempfile.mkdtemp(prefix='bench-deploy-')  # never the user's own cache: this script empties it
    from emerflow.all import (load_movielens_small, split_dataset, established_catalogue, EmerFlow, content_views, encode,
                              make_synthetic, save_backbone, load_backbone, RecDataset, VIEWS, LazyLLM)
    ml = load_movielens_small(); sp = split_dataset(ml)
    LazyLLM(None).get()  # the default LLM converted from its GGUF once, before any timing, as a deployment has it already
    t_fit, ef = timed(lambda: EmerFlow.from_dataset(established_catalogue(ml, sp), 'deepfm', seed=0, k=sp.k))
    new = ml.item_features.loc[sp.emerging_items[:a.new]]
    views = ('raw', 'llm_hidden') if a.skip_generation else VIEWS
    # the same pretrained backbone (a copy), with the views measured for items nothing ships
    ef_views = ef if not a.skip_generation else EmerFlow.from_dataset(established_catalogue(ml, sp), copy.deepcopy(ef.model), seed=0, k=sp.k, views=views)
    rows = []
    def row(call, seconds, offline_name, offline, target):
        rows.append({'call': call, 'seconds': seconds, 'offline path': offline_name, 'offline seconds': offline,
                     'ratio': seconds / offline if offline else float('nan'), 'target (s)': target})

    # stage 1 and the aligner for new items: the deployed call against the harness's batch path, each from an empty cache
    def offline_views(items, views):
        enc = encode(ml)  # the harness encodes every item up front; it is part of its path
        return content_views(ml, enc, enc.encode_ids('item', items.index), views, fill_examples=sp.base['item'].value_counts().index)
    fresh_cache(); t_add, _ = timed(lambda: ef.add_items(new))
    fresh_cache(); t_off, _ = timed(lambda: offline_views(new, VIEWS))
    row(f'add_items, {len(new)} movies, views shipped', t_add, 'content_views, same movies', t_off, 30)

    unseen = new.assign(title=new.title + ' (new cut)').rename(index=lambda i: f'cut-{i}')
    ml_unseen = RecDataset(ml.name, ml.item_type, ml.interactions, ml.user_features, pd.concat([ml.item_features, unseen]), ml.feature_kinds,
                           protocol_defaults=ml.protocol_defaults)
    fresh_cache(); t_add2, _ = timed(lambda: ef_views.add_items(unseen))
    fresh_cache()
    def offline_unseen():
        enc = encode(ml_unseen)
        return content_views(ml_unseen, enc, enc.encode_ids('item', unseen.index), views, fill_examples=sp.base['item'].value_counts().index)
    t_off2, _ = timed(offline_unseen)
    row(f"add_items, {len(unseen)} movies nothing ships, views {'+'.join(views)}", t_add2, 'content_views, same movies', t_off2, 30)

    # update: 1,000 rows of the added movies, against the encoded rows the harness hands over
    warm = pd.concat([sp.warm_a, sp.warm_b])
    warm = warm[warm.item.isin(new.index)].head(1000)  # the first two warm phases of the added movies
    probe = EmerFlow.load(save_to(ef))  # the same model twice: each path refines from the same state
    t_up, _ = timed(lambda: ef.update(warm))
    enc_rows = probe.enc.encode_interactions(warm)
    t_up_off, _ = timed(lambda: probe.update_encoded(enc_rows))
    row(f'update, {len(warm):,} rows', t_up, 'update_encoded, rows encoded once', t_up_off, 2)

    # recommend: a shop with 1,000 users and 1,000 new items
    syn = make_synthetic(n_users=1000, n_items=2000, seed=0); ssp = split_dataset(syn)
    shop = EmerFlow.from_dataset(established_catalogue(syn, ssp), 'deepfm', seed=0, views=('raw',), meta_epochs=2)
    cands = syn.item_features.drop(index=ssp.old_items).index[:1000]
    shop.add_items(syn.item_features.loc[cands])
    users = syn.user_features.index[:1000]
    t_rec, top = timed(lambda: shop.recommend(users, k=10, candidates=cands))
    u, c = shop.enc.encode_ids('user', users), shop.enc.encode_ids('item', cands)
    pairs = {'user': u.repeat_interleave(len(c)), 'item': c.repeat(len(u)), 'label': torch.zeros(len(u) * len(c))}
    t_rec_off, _ = timed(lambda: torch.from_numpy(shop.predict_encoded(pairs)).view(len(u), len(c)).topk(10, dim=1))
    row(f'recommend, {len(users):,} users x {len(cands):,} candidates', t_rec, 'predict_encoded + topk on built pairs', t_rec_off, 2)

    # save and load of the MovieLens model, against the backbone alone
    d = Path(tempfile.mkdtemp())
    t_save, _ = timed(lambda: ef.save(d/'model'))
    t_load, _ = timed(lambda: EmerFlow.load(d/'model'))
    t_bsave, _ = timed(lambda: save_backbone(ef.model, d/'backbone.safetensors'))
    t_bload, _ = timed(lambda: load_backbone(d/'backbone.safetensors', ef.enc))
    size = sum(p.stat().st_size for p in (d/'model').iterdir()) / 2**20
    row(f'save ({size:.1f} MiB)', t_save, 'save_backbone (backbone only)', t_bsave, 5)
    row('load', t_load, 'load_backbone (backbone only)', t_bload, 5)

    print(f"fit (from_dataset on {len(sp.old_items)} established movies, default views, pretraining included): {t_fit:.1f} s; torch threads {a.threads}\n")
    cols = list(rows[0])
    fmt = lambda v: f'{v:.3g}' if isinstance(v, float) else str(v)
    print('| ' + ' | '.join(cols) + ' |\n' + '|---' * len(cols) + '|')
    for r in rows: print('| ' + ' | '.join(fmt(r[c]) for c in cols) + ' |')

def save_to(ef)->Path:
    d = Path(tempfile.mkdtemp())/'copy'; ef.save(d); return d

if __name__ == '__main__': main()
