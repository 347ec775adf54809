"The command line as a careless user meets it: every bad option or missing model is one clear line on stderr, exit code 2, before any training."
from pathlib import Path
import pytest
from emerflow.cli import main

def _run(capsys, *args):
    rc = main(['run', '--dataset', 'synthetic', '--seeds', '0', '--quiet', *args])
    return rc, capsys.readouterr().err

def _trained_nothing(out:Path)->bool:
    "No backbone was pretrained into `out` (checkpoints are the first thing a run writes after its checks)."
    return not (out/'backbones').exists() or not any(p.is_file() for p in (out/'backbones').rglob('*'))

@pytest.mark.parametrize('args,says', [
    (['--threads', '-3'], '--threads must be 0'),
    (['--quantization', 'q3', '--methods', 'base'], "--quantization must be one of"),  # refused even where no method uses it
    (['--methods', 'EmerFlow', '--quantization', 'q3'], 'quantization must be one of'),
    (['--methods', 'base', '--backbones', 'deepfm', 'nosuch'], 'unknown backbone'),
    (['--methods', 'EmerFlow', '--llm', 'nosuch/model'], "LLM 'nosuch/model' is not available"),
    (['--methods', 'EmerFlow-enrichment', '--encoder', 'nosuch'], "text encoder 'nosuch' is not available"),
])
def test_bad_options_fail_at_once_by_name(tmp_path, capsys, args, says):
    out = tmp_path/'out'
    rc, err = _run(capsys, '--out', str(out), *args)
    assert rc == 2 and says in err, err
    assert 'Traceback' not in err and err.count('\n') == 1, err  # one line, no traceback
    assert _trained_nothing(out)

def test_unwritable_output_fails_before_training(tmp_path, capsys):
    blocker = tmp_path/'a-file'; blocker.write_text('x')
    rc, err = _run(capsys, '--methods', 'base', '--out', str(blocker/'out'))  # a folder cannot be made inside a file (root can write anywhere else)
    assert rc == 2 and str(blocker) in err, err
    assert 'Traceback' not in err

def test_bad_ratings_file_is_named(tmp_path, capsys):
    src = Path(__file__).resolve().parents[1]/'emerflow'/'assets'/'ml-latest-small'
    bad = tmp_path/'ml'; bad.mkdir()
    for f in ('movies.csv', 'tags.csv'): (bad/f).write_bytes((src/f).read_bytes())
    lines = (src/'ratings.csv').read_text().splitlines()
    lines[5] = lines[5].rsplit(',', 2)[0].rsplit(',', 1)[0] + ',four,' + lines[5].rsplit(',', 1)[1]  # a non-numeric rating on line 6
    (bad/'ratings.csv').write_text('\n'.join(lines) + '\n')
    rc = main(['run', '--dataset', 'ml-latest-small', '--path', str(bad), '--methods', 'base', '--seeds', '0', '--quiet', '--out', str(tmp_path/'o')])
    err = capsys.readouterr().err
    assert rc == 2 and 'ratings.csv' in err and 'rating' in err, err
    assert 'Traceback' not in err

def test_build_shipped_is_a_command():
    "The shipped-file builder has its own command, installed with the package."
    from importlib.metadata import entry_points
    from emerflow.shipped import enrich_cache
    eps = [e for e in entry_points(group='console_scripts') if e.name == 'emerflow-build-shipped']
    assert len(eps) == 1 and eps[0].load() is enrich_cache

def test_enrich_runs_and_exports(tmp_path, capsys):
    "`emerflow enrich` parses its options (dashes or underscores), caches every chunk, exports a datasets table, and skips what is cached."
    args = ['enrich', '--dataset', 'synthetic', '--views', 'raw', '--limit', '12', '--chunk-size', '5', '--threads_per_worker', '1',
            '--cache', str(tmp_path/'c.sqlite'), '--export', str(tmp_path/'exp'), '--quiet']
    assert main(args) == 0
    assert '3 of 3 chunks computed' in capsys.readouterr().out
    assert main(args) == 0
    assert '0 of 3 chunks computed (3 already cached)' in capsys.readouterr().out
    import datasets
    table = datasets.load_dataset(str(tmp_path/'exp'), cache_dir=str(tmp_path/'hf'))['train']
    assert table.num_rows == 12 and set(table['view']) == {'raw'} and len(table[0]['vector']) == 384

@pytest.mark.parametrize('args', [['--workers', '2'], ['--address', 'auto']])
def test_enrich_without_ray_fails_at_once(tmp_path, capsys, monkeypatch, args):
    "More than one worker, or a cluster, without Ray installed: one line naming the install command, before the dataset is read."
    import sys
    monkeypatch.setitem(sys.modules, 'ray', None)  # as if Ray were not installed, whether or not it is
    rc = main(['enrich', '--dataset', 'ml-100k', '--path', str(tmp_path/'missing'), '--cache', str(tmp_path/'c.sqlite'), *args])
    err = capsys.readouterr().err
    assert rc == 2 and 'pip install "emerflow[workers]"' in err, err  # about Ray, not about the missing dataset
    assert 'Traceback' not in err and err.count('\n') == 1, err
    assert not (tmp_path/'c.sqlite').exists()

@pytest.mark.parametrize('args,says', [
    (['--views', 'raw', 'nope'], 'unknown views'),
    (['--chunk-size', '0'], 'chunk_size must be'),
    (['--threads-per-worker', '-1'], 'threads_per_worker must be'),
    (['--quantization', 'q3'], 'quantization must be one of'),
    (['--workers', '0'], 'workers must be'),
])
def test_enrich_bad_options_fail_at_once(tmp_path, capsys, args, says):
    rc = main(['enrich', '--dataset', 'ml-100k', '--path', str(tmp_path/'missing'), *args])
    err = capsys.readouterr().err
    assert rc == 2 and says in err and 'Traceback' not in err, err

def test_enrich_is_a_command():
    import subprocess
    out = subprocess.run(['emerflow', 'enrich', '--help'], capture_output=True, text=True)
    assert out.returncode == 0 and '--workers' in out.stdout and '--export' in out.stdout
