"""How much EmerFlow's warm AUC moves when the pretrained backbone moves by a rounding-sized amount.

    python benchmarks/bench_stability.py --path ../shared/data/drugbank                          # DrugBank, DeepFM, seed 0, EmerFlow's defaults
    python benchmarks/bench_stability.py --path ../shared/data/drugbank --inner-scale gradient --inner-init-lr 0.5   # the former raw steps

Another CPU rounds the same pretraining differently (other matrix kernels), so its backbone differs from this one's in the
last digits. This script imitates that: it multiplies every backbone weight by (1 + eps * N(0, 1)) for a few draws of the
noise, fits EmerFlow on each copy (the same views, seed and settings) and prints test AUC per phase beside the unperturbed
fit. A method that is stable moves by far less than its seed-to-seed spread."""
import argparse, copy, time
import torch
from emerflow.all import (load_drugbank, load_movielens_small, split_dataset, encode, pretrained_backbone, TrainConfig, Context,
                          EmerFlowMethod, EmerFlow, EmerFlowConfig, ItemViews, roc_auc, WARM_PHASES, PHASES)

def fit_and_score(model, enc, tables, config, split, ctx, seed)->list:
    "Test AUC per phase of EmerFlow fitted on `model` (cold, then after each warm phase)."
    ef = EmerFlow(model, enc, ItemViews(tables, model=model), config, seed).fit(split.base, split.k)
    test = ctx.rows('test'); y = test['label'].numpy()
    ef.embed_encoded(ctx.emerging_rows); aucs = [roc_auc(y, ef.predict_encoded(test))]
    for ph in WARM_PHASES: ef.update_encoded(ctx.rows(ph)); aucs.append(roc_auc(y, ef.predict_encoded(test)))
    return aucs

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--path', help="a DrugBank folder; none: MovieLens latest-small (shipped)")
    ap.add_argument('--backbone', default='deepfm'); ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--eps', type=float, default=1e-6, help="relative size of the perturbation")
    ap.add_argument('--draws', type=int, default=2, help="perturbed copies")
    default = EmerFlowConfig()  # the steps EmerFlow takes unless told otherwise
    ap.add_argument('--inner-scale', default=default.inner_scale); ap.add_argument('--inner-init-lr', type=float, default=default.inner_init_lr)
    a = ap.parse_args()
    torch.set_num_threads(1)
    ds = load_drugbank(a.path) if a.path else load_movielens_small()
    split, enc = split_dataset(ds), encode(ds)
    model = pretrained_backbone(enc, split.base, a.backbone, TrainConfig(), a.seed)
    method = EmerFlowMethod(inner_scale=a.inner_scale, inner_init_lr=a.inner_init_lr)
    ctx = Context(ds, enc, split, a.backbone, a.seed, TrainConfig())
    tables = method._tables(ctx)
    rows = []
    for d in range(a.draws + 1):
        m = copy.deepcopy(model)
        if d:
            g = torch.Generator().manual_seed(1000 + d)
            with torch.no_grad():
                for p in m.parameters(): p.mul_(1 + a.eps * torch.randn(p.shape, generator=g))
        t = time.time(); aucs = fit_and_score(m, enc, tables, method.config, split, ctx, a.seed)
        rows.append(aucs)
        print(f"{'unperturbed' if d == 0 else f'eps {a.eps:g}, draw {d}':>18} | " + ' | '.join(f'{x:.4f}' for x in aucs) + f" | {time.time() - t:.0f} s", flush=True)
    if not a.draws: return  # nothing perturbed: nothing to compare
    print(f"\n{ds.name}, {a.backbone}, seed {a.seed}, inner_scale {a.inner_scale!r}, inner_init_lr {a.inner_init_lr}: largest move from the unperturbed fit per phase")
    print(' | '.join(f'{ph} {max(abs(r[i] - rows[0][i]) for r in rows[1:]):.4f}' for i, ph in enumerate(PHASES)))

if __name__ == '__main__': main()
