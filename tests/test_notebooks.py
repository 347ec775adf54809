"Every notebook in nbs/ is a test: run through nbdev's own test machinery, one pytest item per notebook."
import os
from pathlib import Path
import pytest
from nbdev.config import get_config
from nbdev.test import test_nb as run_notebook  # renamed: pytest would collect a name starting with test_

NBS_DIR = Path(__file__).resolve().parent.parent/'nbs'
NOTEBOOKS = sorted(p for p in NBS_DIR.glob('*.ipynb') if not p.name.startswith('_'))

def test_there_are_notebooks(): assert len(NOTEBOOKS) >= 5, NOTEBOOKS

@pytest.mark.parametrize('nb', NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook(nb):
    skip = get_config(path=NBS_DIR.parent).tst_flags.split()  # `#| slow` cells, unless forced
    force = os.environ.get('EMERFLOW_RUN_FLAGS', '').split()
    ok, secs = run_notebook(nb, skip_flags=skip, force_flags=force, showerr=True)
    assert ok, f"{nb.name} failed after {secs:.1f}s; the traceback printed above names the cell"
