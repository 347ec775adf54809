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
