"""Stage 1's LLM work side by side: generation on transformers' `generate` (today's path) against emerflow's KV engine, and
hidden states by the full forward pass against the pass that stops at the deepest layer and computes the shared prefix once.

    python benchmarks/bench_engines.py                       # 96 MovieLens items, 96 new tokens, 2 threads
    python benchmarks/bench_engines.py --n-items 32 --rows 32 64
    python benchmarks/bench_engines.py --llama-cpp            # also llama.cpp on the 4-bit GGUF, one prompt at a time

Each configuration runs in its own subprocess (its own peak memory; `OMP_WAIT_POLICY=PASSIVE` and the thread count set before
torch starts) through emerflow's own functions (`generate(..., engine=...)`, `hidden_states`), with the same prompts, token
budget, loop stop and greedy decoding as the shipped generations, after one warm-up call, excluding model loading. The table
gives items/s, generated tokens/s, peak RSS, the ratio to today's path (transformers' `generate` at its former default batch of
16; the full pass at batch 16), and how many answers equal transformers' at batch 32 word for word (for hidden states: the
largest difference from the full pass, relative to its largest value).
"""
from __future__ import annotations
import argparse, json, os, sys, time
sys.path.insert(0, os.path.dirname(__file__))
from bench_generation import run_config, _prompts


def _full_pass(llm, texts, layers, batch_size=16):
    "Hidden states as emerflow computed them before: every block and the LM head over left-padded batches, then the wanted layers mean-pooled."
    import numpy as np, torch
    tok = llm.tokenizer
    ids = tok(list(texts), add_special_tokens=False)['input_ids']
    order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))
    out = {l: np.zeros((len(ids), llm.model.config.hidden_size), np.float32) for l in layers}
    with torch.inference_mode():
        for s in range(0, len(order), batch_size):
            b = order[s:s+batch_size]
            enc = tok.pad({'input_ids': [ids[i] for i in b]}, return_tensors='pt', padding=True)
            hs = llm.model(**enc, output_hidden_states=True, use_cache=False).hidden_states
            m = enc['attention_mask'].unsqueeze(-1).float()
            for l in layers: out[l][b] = ((hs[l]*m).sum(1)/m.sum(1)).numpy()
    return out


def _llama_cpp(llm, prompts:list[str], attrs:list[str], max_new_tokens:int, threads:int)->tuple[list[str], int]:
    "Greedy answers from llama.cpp (llama-cpp-python's `Llama.generate`, one prompt at a time) on the shipped 4-bit GGUF itself, from the token ids and with the stops emerflow uses."
    import torch
    from llama_cpp import Llama
    from emerflow.llm import smollm2_gguf
    from emerflow.generate import _eos_ids, _answers
    from emerflow.prompts import stop_on_repeat
    tok, eos = llm.tokenizer, _eos_ids(llm)
    ids = tok(prompts, add_special_tokens=not llm.has_chat_template)['input_ids']
    model = Llama(str(smollm2_gguf()), n_ctx=1024, n_batch=512, n_threads=threads, n_threads_batch=threads, verbose=False, seed=0)
    stop = stop_on_repeat(tok, 0, attrs)
    rows = []
    for x in ids:  # `generate` keeps the cache of the longest prefix shared with the previous prompt
        new = []
        for t in model.generate(x, top_k=1, top_p=1.0, min_p=0.0, temp=0.0, repeat_penalty=1.0):
            new.append(t)
            if t in eos or len(new) >= max_new_tokens or bool(stop(torch.tensor([new]), None)[0]): break
        rows.append(new)
    texts, counts = _answers(tok, rows, eos)
    return texts, sum(counts)


def worker(cfg:dict)->dict:
    import resource, torch
    import numpy as np
    torch.set_num_threads(cfg['threads'])
    from emerflow.llm import load_llm
    from emerflow.generate import generate, hidden_states, layer_index, HIDDEN_LAYERS
    from emerflow.shipped import shipped_items
    from emerflow.prompts import describe_prompt, serialize_item
    llm = load_llm(None, 'fp32', 'cpu')
    res = dict(cfg)
    if cfg['job'] == 'generate':
        pairs, attrs = _prompts(cfg['n'])
        prompts = [llm.format(u, p) for u, p in pairs]
        if cfg['engine'] == 'llama.cpp':
            _llama_cpp(llm, prompts[:2], attrs, 4, cfg['threads'])  # first-call overhead out of the timing
            t0 = time.perf_counter(); res['texts'], res['tokens'] = _llama_cpp(llm, prompts, attrs, cfg['max_new_tokens'], cfg['threads'])
            res['seconds'] = time.perf_counter() - t0
        else:
            generate(llm, prompts[:2], max_new_tokens=4, batch_size=2, show=False, engine=cfg['engine'])  # first-call overhead out of the timing
            st = {}
            res['texts'] = generate(llm, prompts, max_new_tokens=cfg['max_new_tokens'], batch_size=cfg['rows'], show=False, stats=st,
                                    stop_attributes=attrs, engine=cfg['engine'])
            res.update(seconds=st['seconds'], tokens=st['n_tokens'])
    else:
        items, item_type = shipped_items()
        texts = [llm.format(describe_prompt(item_type, serialize_item(r))) for _, r in items.iloc[:cfg['n']].iterrows()]
        layers = sorted({layer_index(llm, l) for l in HIDDEN_LAYERS})
        run = {'full pass': lambda t: _full_pass(llm, t, layers),
               'until deepest': lambda t: hidden_states(llm, t, layers, 'mean', 16, min_prefix=10**9),
               'until deepest + prefix': lambda t: hidden_states(llm, t, layers, 'mean', 16)}[cfg['engine']]
        run(texts[:2])
        t0 = time.perf_counter(); vecs = run(texts); res['seconds'] = time.perf_counter() - t0
        ref = _full_pass(llm, texts, layers)
        res['rel_diff'] = max(float(np.abs(vecs[l] - ref[l]).max() / np.abs(ref[l]).max()) for l in layers)
        res['tokens'] = 0
    res['peak_rss_mib'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--worker', help=argparse.SUPPRESS)
    ap.add_argument('--n-items', type=int, default=96)
    ap.add_argument('--rows', type=int, nargs='+', default=[32, 64], help="the KV engine's row counts to measure")
    ap.add_argument('--max-new-tokens', type=int, default=96)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--llama-cpp', action='store_true', help='also llama.cpp on the 4-bit GGUF, one prompt at a time (pip install llama-cpp-python)')
    ap.add_argument('--json', help='also write the raw results to this file')
    a = ap.parse_args()
    if a.llama_cpp:
        try: import llama_cpp
        except ImportError: sys.exit("--llama-cpp needs llama-cpp-python: pip install llama-cpp-python (it builds llama.cpp from source)")
    if a.worker: print('RESULT ' + json.dumps(worker(json.loads(a.worker)))); return
    from emerflow.llm import prepare_gguf
    prepare_gguf()
    import platform
    print(f"# engines: SmolLM2-135M-Instruct fp32, cpu, {a.threads} threads, {a.n_items} MovieLens items, {a.max_new_tokens} new tokens max, greedy; "
          f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs")
    base = dict(n=a.n_items, max_new_tokens=a.max_new_tokens, threads=a.threads, job='generate')
    cfgs = [dict(base, engine='transformers', rows=16), dict(base, engine='transformers', rows=32)] + [dict(base, engine='kv', rows=r) for r in a.rows]
    if a.llama_cpp: cfgs.append(dict(base, engine='llama.cpp', rows=1))
    cfgs += [dict(base, job='hidden', engine=e, rows=16) for e in ('full pass', 'until deepest', 'until deepest + prefix')]
    rows = []
    for c in cfgs:
        rows.append(run_config(c, __file__)); r = rows[-1]
        print(f"  {r['job']:8} {r['engine']:22} {r['rows']:3}: {r['n']/r['seconds']:.2f} items/s", flush=True)
    if a.json:
        with open(a.json, 'w') as f: json.dump(rows, f, indent=1)
    today = {j: next(r for r in rows if r['job'] == j) for j in ('generate', 'hidden')}
    ref = next(r for r in rows if r['job'] == 'generate' and r['engine'] == 'transformers' and r['rows'] == 32)
    print('\n| job | engine | precision | batch / rows | tok/s | items/s | peak RSS MiB | vs today | same answers as transformers (32) |\n|---|---|---|---|---|---|---|---|---|')
    for r in rows:
        same = f"{sum(x == y for x, y in zip(r['texts'], ref['texts']))} of {r['n']}" if r['job'] == 'generate' else f"max rel. diff {r['rel_diff']:.1e}"
        tps = f"{r['tokens']/r['seconds']:.0f}" if r['job'] == 'generate' else '-'
        print(f"| {'generation' if r['job'] == 'generate' else 'hidden states'} | {r['engine']} | {'Q4_1 GGUF' if r['engine'] == 'llama.cpp' else 'fp32'} | {r['rows']} | {tps} | {r['n']/r['seconds']:.2f} | "
              f"{r['peak_rss_mib']:.0f} | {today[r['job']]['seconds']/r['seconds']:.2f}x | {same} |")


if __name__ == '__main__': main()
