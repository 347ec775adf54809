"""Generation engines side by side: transformers' `generate` (today's path) against emerflow's `KVDecoder`, same prompts, token budget and greedy decoding.

    python benchmarks/bench_engines.py                       # 96 MovieLens items, 96 new tokens, 2 threads
    python benchmarks/bench_engines.py --n-items 32 --rows 32 64

Each configuration runs in its own subprocess (its own peak memory; `OMP_WAIT_POLICY=PASSIVE` and the thread count set before
torch starts). Every configuration generates for the same items with the loop stop of the shipped generations; the table gives
items/s, generated tokens/s, peak RSS, the ratio to transformers at batch 32, and how many answers equal transformers' word for word.
"""
from __future__ import annotations
import argparse, json, os, subprocess, sys, time


def worker(cfg:dict)->dict:
    import resource, torch
    torch.set_num_threads(cfg['threads'])
    sys.path.insert(0, os.path.dirname(__file__))
    from bench_generation import _prompts
    from emerflow.llm import load_llm
    from emerflow.generate import generate, _eos_ids, _shared_prefix
    from emerflow.decode import KVDecoder
    from emerflow.prompts import stop_on_repeat
    llm = load_llm(None, 'fp32', 'cpu')
    pairs, attrs = _prompts(cfg['n'])
    prompts = [llm.format(u, p) for u, p in pairs]
    tok, eos = llm.tokenizer, _eos_ids(llm)
    generate(llm, prompts[:1], max_new_tokens=4, batch_size=1, show=False)  # first-call overhead out of the timing
    t0 = time.perf_counter()
    if cfg['engine'] == 'transformers':
        texts = generate(llm, prompts, max_new_tokens=cfg['max_new_tokens'], batch_size=cfg['rows'], show=False, stop_attributes=attrs)
        tokens = sum(len(tok(t, add_special_tokens=False)['input_ids']) for t in texts)
    else:
        stop = stop_on_repeat(tok, 0, attrs)
        ids = tok(prompts, add_special_tokens=False)['input_ids']
        done = lambda new: bool(stop(torch.tensor([new]), None)[0])
        texts, tokens = [None]*len(ids), 0
        for i, new in KVDecoder(llm).decode(ids, cfg['max_new_tokens'], cfg['rows'], eos, done, _shared_prefix(ids)):
            keep = [t for t in new if t not in eos]
            texts[i] = tok.decode(keep, skip_special_tokens=True); tokens += len(keep)
    secs = time.perf_counter() - t0
    return dict(cfg, seconds=secs, tokens=tokens, texts=texts, peak_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024)


def run_config(cfg:dict)->dict:
    env = dict(os.environ, OMP_WAIT_POLICY='PASSIVE', OMP_NUM_THREADS=str(cfg['threads']), HF_HUB_OFFLINE='1')
    p = subprocess.run([sys.executable, __file__, '--worker', json.dumps(cfg)], env=env, capture_output=True, text=True)
    lines = [l for l in p.stdout.splitlines() if l.startswith('RESULT ')]
    if p.returncode or not lines: raise RuntimeError(f"configuration {cfg} failed (exit {p.returncode}):\n{p.stderr[-3000:]}")
    return json.loads(lines[-1][len('RESULT '):])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--worker', help=argparse.SUPPRESS)
    ap.add_argument('--n-items', type=int, default=96)
    ap.add_argument('--rows', type=int, nargs='+', default=[32, 64], help="the KV decoder's row counts to measure")
    ap.add_argument('--max-new-tokens', type=int, default=96)
    ap.add_argument('--threads', type=int, default=2)
    a = ap.parse_args()
    if a.worker: print('RESULT ' + json.dumps(worker(json.loads(a.worker)))); return
    from emerflow.llm import prepare_gguf
    prepare_gguf()
    import platform
    print(f"# engines: SmolLM2-135M-Instruct fp32, cpu, {a.threads} threads, {a.n_items} MovieLens items, {a.max_new_tokens} new tokens max, greedy; "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")
    base = dict(n=a.n_items, max_new_tokens=a.max_new_tokens, threads=a.threads)
    cfgs = [dict(base, engine='transformers', rows=16), dict(base, engine='transformers', rows=32)] + [dict(base, engine='kv', rows=r) for r in a.rows]
    rows = []
    for c in cfgs:
        rows.append(run_config(c)); r = rows[-1]
        print(f"  {r['engine']:12} {r['rows']:3}: {r['n']/r['seconds']:.2f} items/s", flush=True)
    ref = next(r for r in rows if r['engine'] == 'transformers' and r['rows'] == 32)
    print('\n| engine | batch / rows | items/s | tokens/s | peak RSS MiB | vs transformers (32) | answers equal to transformers (32) |\n|---|---|---|---|---|---|---|')
    for r in rows:
        same = sum(x == y for x, y in zip(r['texts'], ref['texts']))
        print(f"| {r['engine']} | {r['rows']} | {r['n']/r['seconds']:.2f} | {r['tokens']/r['seconds']:.0f} | {r['peak_rss_mib']:.0f} | "
              f"{ref['seconds']/r['seconds']:.2f}x | {same} of {r['n']} |")


if __name__ == '__main__': main()
