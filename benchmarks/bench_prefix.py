"""Shared-prefix caching for few-shot prompts: generation time with and without it, side by side, and whether the answers agree.

    python benchmarks/bench_prefix.py [--n-items 64] [--batch-size 16] [--threads 1] [--precision fp32]

The prompts are `enrich.fill_features`' few-shot prompts for MovieLens latest-small (three worked examples from the most
popular old items, then the item): most of each prompt is the same examples. With the cache (`min_prefix=64`, the
default) a batch computes those shared tokens once and copies their keys and values to every row; without it
(`min_prefix` above any prompt's length) every row recomputes them. Both runs use the same loaded model in one process,
greedy decoding, the same stop rules, after one warm-up call; they alternate (with, without, with, without) and the
table gives each one's best of two. Run it with OMP_WAIT_POLICY=PASSIVE on a shared CPU.
"""
from __future__ import annotations
import argparse, time


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--n-items', type=int, default=64)
    ap.add_argument('--batch-size', type=int, default=16)
    ap.add_argument('--max-new-tokens', type=int, default=32)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--precision', default='fp32')
    a = ap.parse_args()
    import torch
    torch.set_num_threads(a.threads)
    from emerflow.movielens import load_movielens_small
    from emerflow.protocol import split_dataset
    from emerflow import enrich, llm as llms, generate as gen
    ds = load_movielens_small(); sp = split_dataset(ds); f = ds.item_features
    examples = f.loc[sp.base['item'].value_counts().index]
    shots = enrich.fill_shots(examples, ds.item_type, ['tags'])
    ids = sorted(set(sp.emerging_items))[:a.n_items]
    reqs = enrich.fill_requests(f.loc[ids], ds.item_type, ['tags'], shots, 3)
    llm = llms.load_llm(quantization=a.precision)
    prompts = [llm.format(r['user'], r['prefill'], r['shots']) for r in reqs]
    n_prompt = [len(llm.tokenizer(p, add_special_tokens=False)['input_ids']) for p in prompts]
    kw = dict(max_new_tokens=a.max_new_tokens, batch_size=a.batch_size, show=False, stop_attributes=['tags'], stop_loops=True)

    def run(min_prefix):
        t0, res = time.perf_counter(), [None]*len(prompts)
        for b, texts, _ in gen.generate_batches(llm, prompts, min_prefix=min_prefix, **kw):
            for i, t in zip(b, texts): res[i] = t
        return time.perf_counter() - t0, res

    run(64)  # warm-up
    times, outs = {'cached prefix': [], 'no prefix cache': []}, {}
    for _ in range(2):
        for name, mp in (('cached prefix', 64), ('no prefix cache', 10**9)):
            s, o = run(mp); times[name].append(s); outs[name] = o
    same = sum(x == y for x, y in zip(outs['cached prefix'], outs['no prefix cache']))
    base = min(times['no prefix cache'])
    print(f"{len(prompts)} few-shot prompts of {min(n_prompt)}-{max(n_prompt)} tokens, batches of {a.batch_size}, {a.precision}, {a.threads} thread(s)\n")
    print('| mode | seconds (best of 2) | prompts/s | speed-up |\n|---|---|---|---|')
    for name, ts in times.items():
        print(f"| {name} | {min(ts):.1f} | {len(prompts)/min(ts):.2f} | {base/min(ts):.2f}x |")
    print(f"\nidentical answers: {same} of {len(prompts)}")


if __name__ == '__main__': main()
