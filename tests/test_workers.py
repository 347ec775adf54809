"`emerflow.workers`: a job on two Ray workers caches bit for bit what one worker in this process caches, and an interrupted job resumes computing only the missing chunks."
import importlib.util
import numpy as np, pytest
from emerflow.cache import EnrichCache
from emerflow.llm import prepare_gguf
from emerflow.shipped import shipped_items
from emerflow.workers import enrich_items, item_chunks, RAY_INSTALL

HAVE_RAY = importlib.util.find_spec('ray') is not None
needs_ray = pytest.mark.skipif(not HAVE_RAY, reason=f"needs Ray, the optional `workers` extra: {RAY_INSTALL}")
# the LLM really runs (the shipped files hold these movies), with a short token budget; chunks of two, so both workers get some
KW = dict(views=['raw', 'llm_hidden', 'llm_text'], chunk_size=2, use_shipped=False, max_new_tokens=8, device='cpu', show=False)

class Stop(Exception): "The fake failure that interrupts a job."

@pytest.fixture(scope='module')
def items():
    prepare_gguf()  # the default GGUF converted once, before any worker could convert it at the same time
    movies, item_type = shipped_items()
    return movies.iloc[:8], item_type

@pytest.fixture(scope='module')
def one_worker(items, tmp_path_factory):
    "The reference: one worker, in this process, without Ray."
    path = tmp_path_factory.mktemp('one')/'cache.sqlite'
    return path, enrich_items(*items, cache=path, **KW)

def rows(path):
    "A cache's generations (key -> text) and vectors (key -> float32 array)."
    c = EnrichCache(path)
    try:
        return (dict(c.db.execute("SELECT key, output FROM generations")),
                {k: np.frombuffer(d, np.float32) for k, d in c.db.execute("SELECT key, data FROM vectors")})
    finally: c.close()

def assert_same(a, b):
    (ga, va), (gb, vb) = rows(a), rows(b)
    assert ga == gb  # texts, bit for bit
    assert va.keys() == vb.keys() and all(np.array_equal(va[k], vb[k]) for k in va)

def test_one_worker(one_worker):
    path, res = one_worker
    assert (res['chunks'], res['computed'], res['skipped']) == (4, 4, 0)
    # per movie: 1 generation, raw + llm_text text vectors, 3 layers x 2 poolings of hidden states; one discovery
    assert EnrichCache(path).counts() == {'generations/discovery': 1, 'generations/item': 8, 'vectors/embedding': 16, 'vectors/hidden': 48}

@needs_ray
def test_two_ray_workers_match_one(items, one_worker, tmp_path):
    res = enrich_items(*items, workers=2, cache=tmp_path/'two.sqlite', **KW)
    assert (res['workers'], res['computed']) == (2, 4)
    assert_same(tmp_path/'two.sqlite', one_worker[0])

def _interrupted(items, path, **kw):
    "A job that fails once its first chunk is stored; the chunks it stored."
    stored = []
    def stop(ids): stored.append(ids); raise Stop()
    with pytest.raises(Stop): enrich_items(*items, cache=path, on_chunk=stop, **KW, **kw)
    return stored

def test_interrupted_job_resumes(items, one_worker, tmp_path):
    chunks = [list(c.index) for c in item_chunks(items[0], KW['chunk_size'])]
    assert _interrupted(items, tmp_path/'cut.sqlite') == chunks[:1]
    computed = []
    res = enrich_items(*items, cache=tmp_path/'cut.sqlite', on_chunk=computed.append, **KW)
    assert (res['skipped'], res['computed']) == (1, 3) and computed == chunks[1:]  # only the missing chunks
    assert_same(tmp_path/'cut.sqlite', one_worker[0])

@needs_ray
def test_interrupted_ray_job_resumes(items, one_worker, tmp_path):
    "The chunk in flight when the job fails is lost, not stored half: the rerun computes all but the one stored chunk."
    (first,) = _interrupted(items, tmp_path/'cut.sqlite', workers=2)
    computed = []
    res = enrich_items(*items, cache=tmp_path/'cut.sqlite', workers=2, on_chunk=computed.append, **KW)
    assert (res['skipped'], res['computed']) == (1, 3) and first not in computed
    assert_same(tmp_path/'cut.sqlite', one_worker[0])

def test_workers_without_ray_fail_at_once(items, tmp_path, monkeypatch):
    monkeypatch.setitem(__import__('sys').modules, 'ray', None)  # as if Ray were not installed
    for kw in (dict(workers=2), dict(address='auto')):
        with pytest.raises(ImportError, match=r'pip install "emerflow\[workers\]"'):
            enrich_items(*items, cache=tmp_path/'c.sqlite', **{**KW, **kw})
    assert not (tmp_path/'c.sqlite').exists()  # refused before anything was opened or loaded
