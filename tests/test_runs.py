"""Reruns, checkpoints and concurrent writers of `run_experiment` (issue 12): nothing reused that was made with other
settings, no checkpoint that can run code, no lost records, and every mistake caught before any training."""
import json, logging, os, pickle, subprocess, sys, textwrap
from pathlib import Path
import pytest
import torch
import emerflow.evaluate as ev
from emerflow.data import make_synthetic, RecDataset
from emerflow.movielens import load_movielens_small
from emerflow.protocol import split_dataset, emerging_split
from emerflow.evaluate import run_experiment, TrainConfig, WarmUpMethod, summarize

CFG = TrainConfig(pretrain_max_epochs=2)
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope='module', autouse=True)
def one_thread():
    n = torch.get_num_threads(); torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def syn(seed=0): return make_synthetic(n_users=60, n_items=120, seed=seed)


def run(out=None, ds=None, **kw):
    kw = {'methods': ('base',), 'seeds': (0,), 'config': CFG, 'show': False, **kw}
    return run_experiment(ds or syn(), out_dir=out, **kw)


def numbers(res): return res[['backbone', 'method', 'seed', 'phase', 'auc', 'f1', 'logloss']].values.tolist()


def records(out): return json.loads((Path(out)/'results.json').read_text())


@pytest.fixture
def no_training(monkeypatch):
    "Fail the test if anything is pretrained: for checks that must come before any training."
    calls = []
    def pretrain(*a, **k): calls.append(1); raise AssertionError("pretraining started before the mistake was reported")
    monkeypatch.setattr(ev, 'pretrain', pretrain)
    return calls


# ---------------------------------------------------------------- A: reruns reuse only exactly matching work
@pytest.mark.parametrize('change', [dict(n_old=40), dict(k=3), dict(ds=syn(1)), dict(config=TrainConfig(pretrain_max_epochs=3))],
                         ids=['n_old', 'k', 'data', 'config'])
def test_rerun_with_other_settings_recomputes(tmp_path, change):
    "A rerun into the same folder with another N, K, data content or TrainConfig gives that run's numbers, not the old ones."
    first = run(tmp_path/'R')
    fresh = run(tmp_path/'fresh', **change)
    again = run(tmp_path/'R', **change)
    assert numbers(again) == numbers(fresh) and numbers(again) != numbers(first)
    recs = records(tmp_path/'R')
    assert len(recs) == 8 and len({r['run'] for r in recs}) == 2       # both runs kept, told apart by their key
    assert numbers(run(tmp_path/'R')) == numbers(first)                   # and the first is still reused exactly


def test_moved_results_do_not_reuse_a_backbone_of_other_settings(tmp_path):
    "With results.json moved away, a rerun with another N must not load the backbone pretrained at the old N."
    run(tmp_path/'R')
    (tmp_path/'R'/'results.json').rename(tmp_path/'moved.json')
    again = run(tmp_path/'R', n_old=40)
    assert numbers(again) == numbers(run(tmp_path/'fresh', n_old=40))
    assert len(list((tmp_path/'R'/'backbones').iterdir())) == 2          # one checkpoint per pretraining key


def test_a_checkpoint_of_other_settings_is_never_loaded(tmp_path, caplog):
    "A checkpoint of another N copied over the expected one is refused (warned, retrained), not loaded."
    run(tmp_path/'A'); want = run(tmp_path/'B', n_old=40)
    (tmp_path/'B'/'results.json').unlink()
    [src], [dst] = (list((tmp_path/x/'backbones').iterdir()) for x in 'AB')
    dst.write_bytes(src.read_bytes())
    with caplog.at_level(logging.WARNING, logger='emerflow'): again = run(tmp_path/'B', n_old=40)
    assert numbers(again) == numbers(want)
    assert dst.name in caplog.text


class Counting(WarmUpMethod):
    "A method with one option; counts its fits, so a test sees whether it ran or was reused."
    name, fits = 'counting', 0
    def __init__(self, scale=1.0): self.scale = scale
    def settings(self): return {'scale': self.scale}
    def fit(self, ctx): Counting.fits += 1


def test_method_settings_are_part_of_the_key(tmp_path):
    Counting.fits = 0
    run(tmp_path, methods=[Counting(1.0)]); run(tmp_path, methods=[Counting(1.0)])
    assert Counting.fits == 1                                             # the same settings: reused
    run(tmp_path, methods=[Counting(2.0)])
    assert Counting.fits == 2                                             # other settings: run again
    assert WarmUpMethod().settings() == {}


def test_returns_only_this_calls_records(tmp_path):
    "Records already in --out for other seeds or methods are neither returned nor summarized."
    run(tmp_path, seeds=(0, 1)); run(tmp_path, methods=[Counting()], seeds=(0,))
    res = run(tmp_path, seeds=(1,))
    assert sorted(set(zip(res.method, res.seed))) == [('base', 1)] and len(res) == 4
    assert len(summarize(res)) == 1
    assert len(records(tmp_path)) == 3 * 4


def test_legacy_results_load_and_are_never_reused(tmp_path, caplog):
    "A results.json from before run keys: kept in the file, not reused, and said so."
    legacy = [{'dataset': 'synthetic', 'backbone': 'deepfm', 'method': 'base', 'seed': 0, 'phase': p,
               'auc': 0.123, 'f1': 0.5, 'logloss': 0.7} for p in ('cold', 'warm_a', 'warm_b', 'warm_c')]
    (tmp_path/'results.json').write_text(json.dumps(legacy))
    with caplog.at_level(logging.INFO, logger='emerflow'): res = run(tmp_path)
    assert 0.123 not in res.auc.tolist()
    assert 'unknown settings' in caplog.text
    recs = records(tmp_path)
    assert sum(r['auc'] == 0.123 for r in recs) == 4 and len(recs) == 8


# ---------------------------------------------------------------- B: checkpoints cannot run code, and bad ones do not block
class Planted:
    def __init__(self, marker): self.marker = marker
    def __reduce__(self): return (exec, (f"open({str(self.marker)!r}, 'w').write('pwned')",))


def test_a_planted_pickle_does_not_run(tmp_path, caplog):
    want = run(tmp_path)
    (tmp_path/'results.json').unlink()
    marker = tmp_path/'marker'
    [ck] = list((tmp_path/'backbones').iterdir())
    with open(ck, 'wb') as f: pickle.dump(Planted(marker), f)
    with caplog.at_level(logging.WARNING, logger='emerflow'): again = run(tmp_path)
    assert not marker.exists()
    assert numbers(again) == numbers(want) and ck.name in caplog.text
    with open(ck, 'wb') as f: pickle.dump(Planted(marker), f)
    from emerflow.backbone import load_backbone
    from emerflow.data import encode
    with pytest.raises(ValueError, match='not a readable emerflow backbone checkpoint'): load_backbone(ck, encode(syn()))
    assert not marker.exists()


@pytest.mark.parametrize('damage', ['empty', 'truncated'])
def test_a_damaged_checkpoint_is_retrained(tmp_path, caplog, damage):
    want = run(tmp_path)
    (tmp_path/'results.json').unlink()
    [ck] = list((tmp_path/'backbones').iterdir())
    good = ck.read_bytes()
    ck.write_bytes(b'' if damage == 'empty' else good[:len(good) // 2])
    with caplog.at_level(logging.WARNING, logger='emerflow'): again = run(tmp_path)
    assert numbers(again) == numbers(want)
    assert ck.name in caplog.text and 'retrain' in caplog.text and 'delete' not in caplog.text.lower()
    assert ck.read_bytes() == good                                        # overwritten with a good one


def test_saving_is_atomic(tmp_path, monkeypatch):
    "A save that fails half-way leaves the previous checkpoint whole, and no temporary file."
    import safetensors.torch
    from emerflow.backbone import make_backbone, save_backbone, load_backbone
    from emerflow.data import encode
    enc = encode(syn()); m = make_backbone('deepfm', enc); p = tmp_path/'m.pt'
    save_backbone(m, p); good = p.read_bytes()
    def broken(obj, f, *a, **k):
        Path(f).write_bytes(b'partial'); raise OSError('disk full')
    monkeypatch.setattr(torch, 'save', broken); monkeypatch.setattr(safetensors.torch, 'save_file', broken)
    with pytest.raises(OSError, match='disk full'): save_backbone(m, p)
    assert p.read_bytes() == good and os.listdir(tmp_path) == ['m.pt']
    monkeypatch.undo()
    load_backbone(p, enc)


# ---------------------------------------------------------------- C: two processes into one folder
WORKER = textwrap.dedent('''
    import sys, time, torch
    from pathlib import Path
    from emerflow.data import make_synthetic
    from emerflow.evaluate import run_experiment, TrainConfig
    torch.set_num_threads(1)
    out, me, seeds = Path(sys.argv[1]), sys.argv[2], tuple(int(s) for s in sys.argv[3:])
    ds = make_synthetic(n_users=60, n_items=120)
    (out.parent/f'ready-{me}').touch()
    t0 = time.time()
    while len(list(out.parent.glob('ready-*'))) < 2 and time.time() - t0 < 60: time.sleep(0.01)  # start together
    run_experiment(ds, methods=('base',), seeds=seeds, config=TrainConfig(pretrain_max_epochs=2), out_dir=out, show=False)
''')


def test_two_processes_into_one_folder_keep_every_record(tmp_path):
    out = tmp_path/'R'
    env = {**os.environ, 'PYTHONPATH': str(ROOT)}
    procs = [subprocess.Popen([sys.executable, '-c', WORKER, str(out), str(i), *seeds], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for i, seeds in enumerate([('0', '1'), ('2', '3')])]
    outs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    recs = records(out)
    assert sorted({r['seed'] for r in recs}) == [0, 1, 2, 3] and len(recs) == 16
    assert len(json.loads((out/'timings.json').read_text())) == 4 + 4    # a pretraining and a method run per seed


def test_a_held_lock_fails_with_the_folder_and_holder(tmp_path):
    import fcntl
    from emerflow.runs import RunFolder, OutputFolderBusy
    folder = RunFolder(tmp_path, lock_timeout=0.2)
    with folder.locked(): pass                                            # creates the lock file and writes our pid
    with open(tmp_path/'.emerflow.lock', 'r+') as f:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)                     # someone else holds it now
        with pytest.raises(OutputFolderBusy, match=str(os.getpid())) as e: folder.merge_records([])
        assert str(tmp_path) in str(e.value)


# ---------------------------------------------------------------- D: repeated seeds and backbones
def test_repeated_seeds_and_backbones_are_refused(tmp_path, no_training):
    with pytest.raises(ValueError, match='seed 0'): run(seeds=(0, 0, 1))
    with pytest.raises(ValueError, match="'deepfm' and 'DeepFM'"): run(backbones=('deepfm', 'DeepFM'))
    with pytest.raises(ValueError, match='unknown backbone'): run(backbones=('deepfm', 'nope'))
    with pytest.raises(ValueError, match='named base'): run(methods=('base', WarmUpMethod()))
    assert no_training == []
    from emerflow.backbone import canonical_backbone
    assert [canonical_backbone(b) for b in ('DeepFM', 'deep-fm', 'Wide&Deep', 'wide_deep')] == ['deepfm', 'deepfm', 'widedeep', 'widedeep']


# ---------------------------------------------------------------- E: the protocol refuses what cannot be evaluated
def test_protocol_parameters_are_integers(no_training):
    df = syn().interactions
    for bad in (2.5, True, '4'):
        with pytest.raises(ValueError, match='integer'): emerging_split(df, 30, bad)
        with pytest.raises(ValueError, match='integer'): emerging_split(df, bad, 4)
    with pytest.raises(ValueError, match='integer'): run(k=2.5)
    assert no_training == []


def test_a_split_without_test_rows_is_refused_before_training(no_training):
    with pytest.raises(ValueError, match='no test rows'): split_dataset(syn(), 12, 4)
    with pytest.raises(ValueError, match='no test rows'): run(n_old=12, k=4)
    with pytest.raises(ValueError, match='no test rows'): run(ds=load_movielens_small(), n_old=24, k=8)
    one = syn(); inter = one.interactions.copy()
    test_items = split_dataset(one).test.item.unique()
    inter.loc[inter.item.isin(test_items), 'label'] = 1                  # every emerging item's rows positive
    allpos = RecDataset(one.name, one.item_type, inter, one.user_features, one.item_features, one.feature_kinds, one.protocol_defaults)
    with pytest.raises(ValueError, match='both positive and negative'): run(ds=allpos)
    assert no_training == []


def test_unknown_emerging_items_are_named():
    df = syn().interactions
    with pytest.raises(ValueError, match=r"not in the interactions.*'nope'"): emerging_split(df, 30, 4, emerging_items=['nope', 'gone'])
    few = df.item.value_counts().index[-1]                               # the item with the fewest rows
    with pytest.raises(ValueError, match=r'fewer than 3k=12 rows') as e: emerging_split(df, 30, 4, emerging_items=[few, 'nope'])
    assert 'nope' in str(e.value)


# ---------------------------------------------------------------- F: errors up front, named, nothing lost
def test_an_unwritable_folder_fails_before_training(tmp_path, no_training):
    if os.geteuid() == 0: out = Path('/proc/self')                      # root writes anywhere else
    else: out = tmp_path/'ro'; out.mkdir(); out.chmod(0o500)
    with pytest.raises(ValueError, match='cannot write'): run(out)
    assert no_training == []


def test_a_bad_timings_file_is_named_and_kept(tmp_path, caplog):
    (tmp_path/'timings.json').write_text('{garbage')
    with caplog.at_level(logging.WARNING, logger='emerflow'): run(tmp_path)
    kept = [p for p in tmp_path.iterdir() if p.name.startswith('timings.json.bad')]
    assert len(kept) == 1 and kept[0].read_text() == '{garbage'
    assert 'timings.json' in caplog.text and kept[0].name in caplog.text
    assert isinstance(json.loads((tmp_path/'timings.json').read_text()), list)


class Unready(WarmUpMethod):
    name = 'unready'
    def preflight(self, ctx): raise ValueError(f"unready: its model for {ctx.dataset.name} is missing")


def test_preflight_runs_before_any_training(no_training):
    with pytest.raises(ValueError, match='its model for synthetic is missing'): run(methods=('base', Unready()))
    assert no_training == []
