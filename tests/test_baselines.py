"The baselines' invariants on both backbones, beyond the notebook: what each method may change over a whole run, reproducibility, registration."
import copy
import pytest
import torch
from emerflow.core import seed_everything
from emerflow.data import make_synthetic, encode
from emerflow.protocol import split_dataset, WARM_PHASES
from emerflow.backbone import make_backbone, pretrain
from emerflow.evaluate import Context, TrainConfig, METHODS, run_experiment
import emerflow.baselines as bl

FAST = bl.BaselineConfig(meta_steps=30, mwuf_steps=30, cvar_steps=30, cvar_warm_epochs=2)
NAMES = ['DropoutNet', 'MetaEmb', 'MWUF', 'CVAR', 'CVAR-init']


@pytest.fixture(scope='module')
def data():
    torch.set_num_threads(1)
    syn = make_synthetic(seed=1)
    return syn, encode(syn), split_dataset(syn)


@pytest.fixture(scope='module')
def pretrained(data):
    syn, enc, split = data
    out = {}
    for b in ('deepfm', 'widedeep'):
        seed_everything(0); m = make_backbone(b, enc)
        pretrain(m, enc, split.base, max_epochs=3, seed=0, show=False)
        out[b] = m
    return out


def test_registered():
    import emerflow.all  # the face registers every method
    assert all(n in METHODS for n in NAMES)
    assert METHODS['CVAR-init'] is bl.CVARInit and issubclass(bl.CVARInit, bl.CVAR)


@pytest.mark.parametrize('backbone', ['deepfm', 'widedeep'])
@pytest.mark.parametrize('name', NAMES)
def test_only_emerging_id_rows_change(data, pretrained, backbone, name):
    "Over fit, cold start and all three warm phases, the backbone changes nowhere but the emerging items' id rows."
    syn, enc, split = data
    ctx = Context(syn, enc, split, backbone, 0, TrainConfig(pretrain_max_epochs=3))
    method = METHODS[name](FAST)
    ctx.generator = seed_everything(0)
    ctx.model = method.pretrain_backbone(ctx) or copy.deepcopy(pretrained[backbone])
    ctx.model.eval()
    start = copy.deepcopy(ctx.model.state_dict())
    method.fit(ctx); method.cold_start(ctx)
    for phase in WARM_PHASES: method.warm_up(ctx, ctx.rows(phase), phase)
    changes = bl.param_changes(start, ctx.model.state_dict())
    assert list(changes) == ['embedder.item_id.weight'], list(changes)
    assert set(changes['embedder.item_id.weight'].tolist()) <= set(ctx.emerging_rows.tolist())
    probs = method.predict(ctx, ctx.rows('test'))
    assert probs.shape == (len(split.test),) and ((probs > 0) & (probs < 1)).all()


def test_same_seed_same_records(data):
    syn, enc, split = data
    protos = [METHODS[n](FAST) for n in NAMES]
    cfg = TrainConfig(pretrain_max_epochs=2)
    a = run_experiment(syn, ('deepfm',), protos, (3,), config=cfg, show=False)
    b = run_experiment(syn, ('deepfm',), protos, (3,), config=cfg, show=False)
    assert a.values.tolist() == b.values.tolist()
    assert a[a.phase == 'cold'].auc.nunique() > 1  # the methods did run, differently


def test_bad_settings_fail_clearly(data, pretrained):
    syn, enc, split = data
    with pytest.raises(ValueError, match=r'must be in \[0, 1\]'):
        bl.dropout_bce_loss(pretrained['deepfm'], torch.tensor([1]), p=-0.1)
    ctx = Context(syn, enc, split, 'deepfm', 0, TrainConfig()); ctx.model = pretrained['deepfm']
    with pytest.raises(ValueError, match='not aligned'):
        bl.paired_meta_rows(ctx, [('meta_a', 'test')])

@pytest.mark.parametrize('name', NAMES)
def test_baseline_settings_enter_the_run_key(name):
    "A baseline run with other settings is another run: its config is part of the key, so its results are never reused for the defaults."
    from emerflow.runs import method_provenance, digest
    cls = METHODS[name]
    assert cls().settings() == bl.asdict(bl.BaselineConfig())
    assert digest(method_provenance(cls(FAST))) != digest(method_provenance(cls()))
