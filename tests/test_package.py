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
