"""The result tables of README.md and the notebooks, generated from the committed result files: one source, no hand copies.

    python benchmarks/tables.py           # rewrite every marked table in place; prints which tables changed
    python benchmarks/tables.py --check   # change nothing; exit 1 naming each table that is out of date

A table is the text between the lines `<!-- results: NAME -->` and `<!-- /results -->` in README.md or in a markdown
cell of nbs/*.ipynb; it is made from `benchmarks/results/NAME.json`, the `results.json` that `emerflow run` writes.
`<!-- paired: NAME NAME ... -->` ... `<!-- /results -->` marks a table of paired differences instead: EmerFlow minus its
best rival, seed by seed, per dataset, backbone and phase (`emerflow.evaluate.paired_differences`), over those files.
Its cells are test AUC, mean ± std over seeds as `emerflow.evaluate.summarize` computes them; the best mean shown per
backbone and phase is bold (means equal to the 4 digits shown are ties: all bold). Backbones and methods appear in the
order the records first name them (the order `emerflow run --methods` was given), unless `methods` says otherwise."""
import argparse, json, re, sys
from pathlib import Path
import pandas as pd
from emerflow.all import summarize, paired_differences, PHASES, RECORD_KEYS  # `all` also registers every method and its former names

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path('benchmarks') / 'results'  # relative to the repository root
BACKBONE_NAMES = {'deepfm': 'DeepFM', 'widedeep': 'Wide&Deep'}
MARKER = r'<!-- (?P<kind>results|paired): (?P<name>[^ >]+(?: [^ >]+)*) -->'  # `paired` names several files, space-separated
START = re.compile(rf'^{MARKER}$', re.M)
BLOCK = re.compile(rf'^(?P<start>{MARKER}\n)(?P<body>.*?)^(?=<!-- /results -->$)', re.M | re.S)

class MissingResults(FileNotFoundError):
    "A marker names a results file that does not exist."

def load_records(path)->pd.DataFrame:
    "The records in the results file `path` (methods under a former name are shown under their name now, by `summarize`)."
    recs = json.loads(Path(path).read_text())
    if not isinstance(recs, list) or any(not isinstance(r, dict) or set(RECORD_KEYS) - set(r) for r in recs):
        raise ValueError(f"{path} does not hold emerflow result records (keys {RECORD_KEYS})")
    df = pd.DataFrame(recs)
    return df

def _bold_best(cells:pd.Series)->pd.Series:
    "Cells 'mean ± std' with the best mean shown in bold; compared as shown, so equal-looking means are all bold."
    means = cells.str.split(' ± ').str[0].astype(float)
    return cells.where(means < means.max(), '**' + cells + '**')

def results_table(records:pd.DataFrame, methods:list|None=None)->str:
    "The markdown AUC table of `records` (one dataset), rows per backbone and method; `methods`: which to show, in this order."
    datasets = records['dataset'].unique()
    if len(datasets) != 1: raise ValueError(f"a table shows one dataset; these records hold {list(datasets)}")
    auc = summarize(records, metrics=('auc',))['auc'].droplevel('dataset')
    if auc.isna().any(axis=None) or list(auc.columns) != list(PHASES):
        raise ValueError(f"every backbone and method needs a result in each phase {PHASES}; missing in\n{auc}")
    if methods is not None:
        auc = auc.loc[[(b, m) for b in auc.index.unique('backbone') for m in methods if (b, m) in auc.index]]
    # grouping also keeps each backbone's rows together, in case the records interleave backbones
    auc = auc.groupby(level='backbone', sort=False, group_keys=False).apply(lambda rows: rows.apply(_bold_best))
    lines = ['| backbone | method | ' + ' | '.join(PHASES) + ' |', '|---' * (len(PHASES) + 2) + '|']
    lines += [f"| {BACKBONE_NAMES.get(b, b)} | {m} | " + ' | '.join(row) + ' |' for (b, m), row in auc.iterrows()]
    return '\n'.join(lines) + '\n'

def _signed(v:float)->str: return f"{v:+.4f}".replace('-', '−')

def paired_table(records:pd.DataFrame, method:str='EmerFlow')->str:
    "The markdown table of `method` minus its best rival, seed by seed: one row per dataset and backbone, one cell per phase."
    d = paired_differences(records, method)
    if (d.seeds < 2).any(): raise ValueError(f"a paired table needs two seeds or more in every cell; these have one:\n{d[d.seeds < 2]}")
    cells = d.apply(lambda r: f"{_signed(r['mean'])} ± {r['std']:.4f} vs {r.rival}" + ('' if r.verdict == 'win' else f" ({r.verdict})"), axis=1)
    cells = cells.unstack('phase').reindex(columns=[p for p in PHASES if p in d.index.unique('phase')])
    order = list(dict.fromkeys(zip(records['dataset'], records['backbone'])))  # as the records first name them
    cells = cells.reindex([k for k in order if k in cells.index])
    lines = ['| dataset | backbone | ' + ' | '.join(cells.columns) + ' |', '|---' * (len(cells.columns) + 2) + '|']
    lines += [f"| {ds} | {BACKBONE_NAMES.get(b, b)} | " + ' | '.join(row) + ' |' for (ds, b), row in cells.iterrows()]
    return '\n'.join(lines) + '\n'

def rewrite_tables(text:str, table_for)->tuple[str, list]:
    "`text` with each marked table replaced by `table_for(name)` (`table_for('paired: A B')` for a paired table), and the names of those that changed."
    if len(START.findall(text)) != len(BLOCK.findall(text)):
        raise ValueError("a `<!-- results: NAME -->` line has no `<!-- /results -->` line after it")
    changed = []
    def replace(m):
        name = m['name'] if m['kind'] == 'results' else f"paired: {m['name']}"
        new = table_for(name)
        if new != m['body']: changed.append(name)
        return m['start'] + new
    return BLOCK.sub(replace, text), changed

def _rewrite_notebook(raw:str, rewrite)->tuple[str, list]:
    "Notebook JSON `raw` with `rewrite` applied to each markdown cell, written as nbdev writes notebooks (indent 1, UTF-8)."
    nb, changed = json.loads(raw), []
    for cell in nb['cells']:
        if cell['cell_type'] != 'markdown': continue
        src = cell['source'] if isinstance(cell['source'], str) else ''.join(cell['source'])
        new, names = rewrite(src)
        if names:
            cell['source'] = new if isinstance(cell['source'], str) else new.splitlines(keepends=True)
            changed += names
    return json.dumps(nb, indent=1, ensure_ascii=False) + '\n', changed

def update(root=ROOT, check:bool=False, methods:list|None=None)->list:
    "Regenerate the marked tables in `root`'s README.md and nbs/*.ipynb (unless `check`); returns 'FILE: NAME' for each that was stale."
    root, tables = Path(root), {}
    def records(name, where, marker):
        path = root / RESULTS / f'{name}.json'
        if not path.exists(): raise MissingResults(f"{where}: the marker `<!-- {marker} -->` names {RESULTS / path.name}, which does not exist")
        return load_records(path)
    def table_for(name, where):
        if name not in tables:
            if name.startswith('paired: '):
                tables[name] = paired_table(pd.concat([records(n, where, name) for n in name.split()[1:]], ignore_index=True))
            else: tables[name] = results_table(records(name, where, f'results: {name}'), methods)
        return tables[name]
    stale = []
    for doc in [root / 'README.md', *sorted((root / 'nbs').glob('*.ipynb'))]:
        if not doc.exists(): continue
        where = doc.relative_to(root)
        rewrite = lambda text: rewrite_tables(text, lambda name: table_for(name, where))
        raw = doc.read_text(encoding='utf-8')
        new, changed = _rewrite_notebook(raw, rewrite) if doc.suffix == '.ipynb' else rewrite(raw)
        # a notebook is rewritten only when one of its tables changed, so an untouched notebook keeps every byte
        if changed and not check: doc.write_text(new, encoding='utf-8')
        stale += [f'{where}: {name}' for name in changed]
    return stale

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--check', action='store_true', help="change nothing; exit 1 if any table is out of date")
    ap.add_argument('--root', type=Path, default=ROOT, help="repository root (default: this script's)")
    a = ap.parse_args(argv)
    try: stale = update(a.root, check=a.check)
    except (MissingResults, ValueError) as e:  # exit 2, not 1: a broken marker or file is not a stale table
        print(f"error: {e}", file=sys.stderr); sys.exit(2)
    for s in stale: print(f"{'out of date' if a.check else 'rewrote'}: {s}")
    if not stale: print("every table is up to date")
    sys.exit(1 if a.check and stale else 0)

if __name__ == '__main__': main()
