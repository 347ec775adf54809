"The result tables of `benchmarks/tables.py`: formatting on hand-computed records, marker rewriting in README and notebooks, and the real repo's tables being current."
import importlib.util, json, subprocess, sys
from pathlib import Path
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / 'benchmarks' / 'tables.py'
_spec = importlib.util.spec_from_file_location('tables', SCRIPT)  # benchmarks/ is scripts, not a package
tables = importlib.util.module_from_spec(_spec); _spec.loader.exec_module(tables)

PHASES = ('cold', 'warm_a', 'warm_b', 'warm_c')
# (backbone, method) -> per phase, the AUC of seeds 0 and 1
AUCS = {('deepfm', 'base'):      [(.70, .72), (.75, .75), (.60, .64), (.80, .80)],
        ('deepfm', 'EmerFlow'):  [(.705, .715), (.70, .70), (.65, .67), (.81, .83)],
        ('widedeep', 'base'):    [(.5, .5)] * 4,
        ('widedeep', 'EmerFlow'): [(.4, .6), (.4, .6), (.50004, .50004), (.6, .6)]}
# mean ± population std (ddof=0, as `summarize`): e.g. (.70, .72) -> 0.71 ± 0.01. Bold: best mean shown per backbone and
# phase; deepfm cold ties (0.7100 twice), widedeep warm-b ties as shown (0.50004 displays as 0.5000).
EXPECTED = """\
| backbone | method | cold | warm_a | warm_b | warm_c |
|---|---|---|---|---|---|
| DeepFM | base | **0.7100 ± 0.0100** | **0.7500 ± 0.0000** | 0.6200 ± 0.0200 | 0.8000 ± 0.0000 |
| DeepFM | EmerFlow | **0.7100 ± 0.0050** | 0.7000 ± 0.0000 | **0.6600 ± 0.0100** | **0.8200 ± 0.0100** |
| Wide&Deep | base | **0.5000 ± 0.0000** | **0.5000 ± 0.0000** | **0.5000 ± 0.0000** | 0.5000 ± 0.0000 |
| Wide&Deep | EmerFlow | **0.5000 ± 0.1000** | **0.5000 ± 0.1000** | **0.5000 ± 0.0000** | **0.6000 ± 0.0000** |
"""

def records(aucs=AUCS, dataset='toy'):
    return [{'dataset': dataset, 'backbone': b, 'method': m, 'seed': s, 'phase': p, 'auc': a, 'f1': .5, 'logloss': .6,
             'run': f'{b}-{m}-{s}', 'provenance': {}}
            for (b, m), per_phase in aucs.items() for s in (0, 1) for p, seeds in zip(PHASES, per_phase) for a in [seeds[s]]]

def test_table_format_bold_and_ties():
    assert tables.results_table(pd.DataFrame(records())) == EXPECTED

def test_methods_order_and_aliases(tmp_path):
    path = tmp_path / 'r.json'
    path.write_text(json.dumps([{**r, 'method': 'EmerFlow-meta'} if r['method'] == 'EmerFlow' else r for r in records()]))
    df = tables.load_records(path)  # written under the ablation's former name: shown under its name now
    rows = tables.results_table(df, methods=['EmerFlow w/o meta', 'base']).splitlines()[2:]
    assert [r.split(' | ')[:2] for r in rows] == [['| DeepFM', 'EmerFlow w/o meta'], ['| DeepFM', 'base'],
                                                   ['| Wide&Deep', 'EmerFlow w/o meta'], ['| Wide&Deep', 'base']]

def test_one_dataset_per_table():
    with pytest.raises(ValueError, match='one dataset'):
        tables.results_table(pd.DataFrame(records() + records(dataset='other')))

def repo(tmp_path, readme:str, notebook_cells:list):
    "A temporary repository root with a results file `toy`, a README and one notebook."
    (tmp_path / 'benchmarks' / 'results').mkdir(parents=True)
    (tmp_path / 'benchmarks' / 'results' / 'toy.json').write_text(json.dumps(records()))
    (tmp_path / 'README.md').write_text(readme)
    (tmp_path / 'nbs').mkdir()
    nb = {'cells': notebook_cells, 'metadata': {'kernelspec': {'name': 'python3'}}, 'nbformat': 4, 'nbformat_minor': 5}
    (tmp_path / 'nbs' / 'a.ipynb').write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')
    return tmp_path

def cell(kind, source): return {'cell_type': kind, 'id': kind[:4], 'metadata': {}, 'source': source}

def test_rewrite_readme_and_notebook(tmp_path):
    readme = 'Intro ± é\n\n<!-- results: toy -->\n| old | table |\n<!-- /results -->\n\nAfter.\n'
    code = cell('code', ['<!-- results: toy -->\n', '<!-- /results -->']) | {'execution_count': None, 'outputs': []}
    md = cell('markdown', ['**Toy** ± é:\n', '\n', '<!-- results: toy -->\n', 'stale\n', '<!-- /results -->\n', 'end'])
    root = repo(tmp_path, readme, [code, md])
    nb_before = (root / 'nbs' / 'a.ipynb').read_text()
    assert tables.update(root, check=True) == ['README.md: toy', 'nbs/a.ipynb: toy']
    assert (root / 'README.md').read_text() == readme and (root / 'nbs' / 'a.ipynb').read_text() == nb_before  # check changes nothing
    assert tables.update(root) == ['README.md: toy', 'nbs/a.ipynb: toy']
    assert (root / 'README.md').read_text() == f'Intro ± é\n\n<!-- results: toy -->\n{EXPECTED}<!-- /results -->\n\nAfter.\n'
    nb_after = json.loads((root / 'nbs' / 'a.ipynb').read_text())
    assert nb_after['cells'][0] == code  # code cells are never touched
    assert ''.join(nb_after['cells'][1]['source']) == f'**Toy** ± é:\n\n<!-- results: toy -->\n{EXPECTED}<!-- /results -->\nend'
    nb_after['cells'][1] = md  # apart from the table, byte for byte as before
    assert json.dumps(nb_after, indent=1, ensure_ascii=False) + '\n' == nb_before
    assert tables.update(root, check=True) == []

def test_missing_results_file_and_unclosed_marker(tmp_path):
    root = repo(tmp_path, 'x\n<!-- results: nope -->\n<!-- /results -->\n', [])
    with pytest.raises(tables.MissingResults, match=r'README.md: the marker `<!-- results: nope -->` names benchmarks/results/nope.json'):
        tables.update(root, check=True)
    (root / 'README.md').write_text('<!-- results: toy -->\n| table |\n')
    with pytest.raises(ValueError, match='no `<!-- /results -->`'): tables.update(root, check=True)

def test_check_exits_1_naming_stale_tables(tmp_path):
    root = repo(tmp_path, '<!-- results: toy -->\n<!-- /results -->\n', [])
    p = subprocess.run([sys.executable, str(SCRIPT), '--check', '--root', str(root)], capture_output=True, text=True)
    assert p.returncode == 1 and 'out of date: README.md: toy' in p.stdout

def test_repo_tables_are_current():
    "Every marked table in README.md and nbs/*.ipynb matches benchmarks/results (run `python benchmarks/tables.py` to update)."
    p = subprocess.run([sys.executable, str(SCRIPT), '--check'], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stdout + p.stderr

def test_paired_table_by_hand():
    "EmerFlow minus base seed by seed; e.g. DeepFM warm_b: (.65 − .60, .67 − .64) = (+.05, +.03): mean +0.04, sample std 0.0141, a win."
    rows = tables.paired_table(pd.DataFrame(records())).splitlines()
    assert rows[0] == '| dataset | backbone | cold | warm_a | warm_b | warm_c |'
    deepfm = rows[2].split(' | ')
    assert deepfm[:2] == ['| toy', 'DeepFM'] and deepfm[2].endswith('± 0.0071 vs base (tie)')  # +.005 and −.005
    assert deepfm[3:] == ['−0.0500 ± 0.0000 vs base (loss)', '+0.0400 ± 0.0141 vs base', '+0.0200 ± 0.0141 vs base |']
    assert rows[3].split(' | ')[:2] == ['| toy', 'Wide&Deep'] and len(rows) == 4
    one_seed = pd.DataFrame([r for r in records() if r['seed'] == 0])
    with pytest.raises(ValueError, match='two seeds or more'): tables.paired_table(one_seed)

def test_paired_marker(tmp_path):
    root = repo(tmp_path, '<!-- paired: toy -->\nstale\n<!-- /results -->\n', [])
    assert tables.update(root) == ['README.md: paired: toy']
    assert (root / 'README.md').read_text() == f'<!-- paired: toy -->\n{tables.paired_table(pd.DataFrame(records()))}<!-- /results -->\n'
    (root / 'README.md').write_text('<!-- paired: toy nope -->\n<!-- /results -->\n')
    with pytest.raises(tables.MissingResults, match=r'the marker `<!-- paired: toy nope -->` names benchmarks/results/nope.json'):
        tables.update(root, check=True)
