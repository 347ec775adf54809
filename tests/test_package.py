"The built package carries its shipped data and its command."
import subprocess, sys, zipfile, shutil
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent

@pytest.mark.skipif(shutil.which('git') is None, reason='needs git')
def test_wheel_ships_movielens_small(tmp_path):
    subprocess.run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '-q', '-w', str(tmp_path), str(ROOT)],
                   check=True, capture_output=True)
    whl, = tmp_path.glob('emerflow-*.whl')
    names = zipfile.ZipFile(whl).namelist()
    for f in ('ratings.csv', 'movies.csv', 'tags.csv', 'README.txt'):
        assert f'emerflow/assets/ml-latest-small/{f}' in names, f
    assert any(n.endswith('entry_points.txt') for n in names)

def test_console_script():
    out = subprocess.run(['emerflow', 'run', '--help'], capture_output=True, text=True)
    assert out.returncode == 0 and '--dataset' in out.stdout

def test_readme_follows_index():
    "README.md is `nbs/index.ipynb` for readers off GitHub: every paragraph, every example and every printed output of the index appears in it verbatim."
    import json
    nb = json.loads((ROOT/'nbs'/'index.ipynb').read_text())
    readme = (ROOT/'README.md').read_text()
    missing = []
    for c in nb['cells']:
        src = ''.join(c['source'])
        if c['cell_type'] == 'markdown': parts = src.split('\n\n')
        elif src.startswith('#|'): continue
        else: parts = [src] + [''.join(o.get('text') or o.get('data', {}).get('text/plain', '')) for o in c.get('outputs', [])]
        missing += [p.strip() for p in parts if p.strip() and p.strip() not in readme]
    assert not missing, f"in nbs/index.ipynb but not in README.md: {missing}"
