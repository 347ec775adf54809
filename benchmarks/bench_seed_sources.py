"""Where EmerFlow's seed-to-seed spread comes from: the pretrained backbone, or EmerFlow's own randomness?

    python benchmarks/bench_seed_sources.py --path ../shared/data/drugbank --runs runs/drugbank                # DeepFM, the pairs below
    python benchmarks/bench_seed_sources.py --path ../shared/data/drugbank --runs runs/drugbank --pairs 0:0 0:1 2:0

A seed of `emerflow run` sets two things at once: the backbone's pretraining (its initialisation and the order of its rows) and
EmerFlow's own draws (the views' folds, the meta-training batches and its held-out items). Each pair `B:M` here takes the backbone
pretrained with seed B (from an `emerflow run` output folder, `--runs`, found by its run key as the harness finds it, so it is
the very backbone of the records; pretrained and saved there when the folder lacks it) and fits
EmerFlow with seed M, then prints test AUC per phase, how far pretraining went (the backbone's log loss on 100,000 of its own
training rows) and the epoch meta-training kept. Pairs with the same B and different M measure EmerFlow's own spread; pairs
with the same M and different B, the backbone's."""
import argparse, time
import torch, torch.nn.functional as F
from emerflow.all import (load_drugbank, load_movielens_small, split_dataset, encode, TrainConfig, Context, EmerFlowMethod, EmerFlow,
                          ItemViews, roc_auc, WARM_PHASES)
from emerflow.evaluate import _pretrained
from emerflow.runs import RunFolder, pretrain_provenance

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--path', help="a DrugBank folder; none: MovieLens latest-small (shipped)")
    ap.add_argument('--runs', required=True, help="the `emerflow run` output folder whose pretrained backbones to use")
    ap.add_argument('--backbone', default='deepfm')
    ap.add_argument('--pairs', nargs='+', default=['0:0', '0:1', '0:2', '1:0'], help="backbone seed:EmerFlow seed")
    a = ap.parse_args()
    torch.set_num_threads(1)
    ds = load_drugbank(a.path) if a.path else load_movielens_small()
    split, enc = split_dataset(ds), encode(ds)
    base = enc.encode_interactions(split.base)
    sample = torch.randperm(len(base['label']), generator=torch.Generator().manual_seed(0))[:100_000]
    out = []
    for pair in a.pairs:
        bseed, mseed = map(int, pair.split(':'))
        t = time.time()
        model, _ = _pretrained(Context(ds, enc, split, a.backbone, bseed, TrainConfig()), RunFolder(a.runs),
                               pretrain_provenance(ds, split, TrainConfig(), a.backbone, bseed))
        model.eval()
        with torch.no_grad(): fit_loss = F.binary_cross_entropy_with_logits(model(base['user'][sample], base['item'][sample]), base['label'][sample]).item()
        method = EmerFlowMethod(); ctx = Context(ds, enc, split, a.backbone, mseed, TrainConfig())
        ef = EmerFlow(model, enc, ItemViews(method._tables(ctx), model=model), method.config, mseed).fit(split.base, split.k)
        test = ctx.rows('test'); y = test['label'].numpy()
        ef.embed_encoded(ctx.emerging_rows); aucs = [roc_auc(y, ef.predict_encoded(test))]
        for ph in WARM_PHASES: ef.update_encoded(ctx.rows(ph)); aucs.append(roc_auc(y, ef.predict_encoded(test)))
        out.append((bseed, mseed, fit_loss, aucs, ef.refiner.best_epoch))
        print(f"backbone seed {bseed}, EmerFlow seed {mseed}: {' / '.join(f'{x:.4f}' for x in aucs)} ({time.time() - t:.0f} s)", flush=True)
    print(f"\n{ds.name}, {a.backbone}: test AUC by the backbone's seed and EmerFlow's own\n")
    print("| backbone seed | EmerFlow seed | backbone's training log loss | cold | warm_a | warm_b | warm_c | meta epoch kept |\n|---|---|---|---|---|---|---|---|")
    for b, m, l, aucs, ep in out: print(f"| {b} | {m} | {l:.4f} | " + ' | '.join(f'{x:.4f}' for x in aucs) + f" | {ep} |")

if __name__ == '__main__': main()
