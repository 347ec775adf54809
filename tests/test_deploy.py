"The deployment API as a user meets it: a model saved in one process and loaded in another, and a save that crashes."
import json, subprocess, sys, textwrap
from pathlib import Path
import numpy as np
import torch
import pytest
from emerflow.all import EmerFlow, make_synthetic, split_dataset, established_catalogue
import emerflow.persist

@pytest.fixture(scope='module')
def deployed():
    syn = make_synthetic(seed=0); split = split_dataset(syn)
    ef = EmerFlow.from_dataset(established_catalogue(syn, split), 'deepfm', seed=0, views=('raw',), meta_epochs=2)
    ef.add_items(syn.item_features.loc[split.emerging_items]); ef.update(split.warm_a)
    return ef, split

def test_load_in_a_fresh_process_gives_identical_scores(deployed, tmp_path):
    ef, split = deployed
    ef.save(tmp_path/'model')
    users, items = split.test.user.tolist()[:300], split.test.item.tolist()[:300]
    (tmp_path/'pairs.json').write_text(json.dumps({'users': users, 'items': items}))
    script = textwrap.dedent(f"""
        import json, numpy as np
        from emerflow.all import EmerFlow
        p = json.load(open({str(tmp_path/'pairs.json')!r}))
        ef = EmerFlow.load({str(tmp_path/'model')!r})
        np.save({str(tmp_path/'scores.npy')!r}, ef.score(p['users'], p['items']))
        ef.recommend([0, 1], k=4).to_json({str(tmp_path/'top.json')!r})
    """)
    subprocess.run([sys.executable, '-c', script], check=True)
    np.testing.assert_array_equal(np.load(tmp_path/'scores.npy'), ef.score(users, items))
    import pandas as pd
    assert pd.read_json(tmp_path/'top.json')[['item', 'rank']].values.tolist() == ef.recommend([0, 1], k=4)[['item', 'rank']].values.tolist()

def _crash(*a, **k): raise KeyboardInterrupt("simulated crash")

@pytest.mark.parametrize('where', ['weights', 'switch'])
def test_a_crash_mid_save_leaves_the_old_model(deployed, tmp_path, monkeypatch, where):
    ef, split = deployed
    ef.save(tmp_path/'model')
    before = ef.score(split.test.user, split.test.item)
    changed = EmerFlow.load(tmp_path/'model'); changed.update(split.warm_b)
    assert not np.array_equal(changed.score(split.test.user, split.test.item), before)
    if where == 'weights':  # dies while writing the new weights
        import safetensors.torch
        def half(tensors, path, metadata=None): Path(path).write_bytes(b'\0' * 100); raise KeyboardInterrupt("simulated crash")
        monkeypatch.setattr(safetensors.torch, 'save_file', half)
    # dies at the switch of emerflow.json; patched where the bound `save` looks it up, which is a notebook's namespace
    # when a notebook that defines it ran earlier in this process (test_notebooks), not emerflow.persist
    else: monkeypatch.setitem(EmerFlow.save.__globals__, 'atomic_write', _crash)
    with pytest.raises(KeyboardInterrupt): changed.save(tmp_path/'model', overwrite=True)
    monkeypatch.undo()
    np.testing.assert_array_equal(EmerFlow.load(tmp_path/'model').score(split.test.user, split.test.item), before)
    changed.save(tmp_path/'model', overwrite=True)  # the next save succeeds and leaves one weights file
    assert len(list((tmp_path/'model').glob('weights-*.safetensors'))) == 1
    np.testing.assert_array_equal(EmerFlow.load(tmp_path/'model').score(split.test.user, split.test.item), changed.score(split.test.user, split.test.item))

def test_molecule_view_after_fit(tmp_path):
    "Items with a structure: the Morgan table chosen at fit serves items added later, a new item without its SMILES column is refused, and save/load keeps it."
    pytest.importorskip('rdkit', reason='the molecule view needs RDKit: pip install "emerflow[chem]"')
    import torch
    from emerflow.all import RecDataset
    syn = make_synthetic(seed=0)
    smiles = ['CCO', 'c1ccccc1', 'CC(=O)O', 'CCN', 'CCCl', 'c1ccncc1', 'OCC(O)CO', 'CC(C)O']
    items = syn.item_features.assign(smiles=[smiles[i % len(smiles)] for i in range(len(syn.item_features))])
    ds = RecDataset(syn.name, syn.item_type, syn.interactions, syn.user_features, items, {**syn.feature_kinds, 'smiles': 'molecule'}, syn.protocol_defaults)
    split = split_dataset(ds)
    ef = EmerFlow.from_dataset(established_catalogue(ds, split), 'deepfm', seed=0, views=('raw', 'molecule'), meta_epochs=2)
    morgan = [v for v in ef.views.names if v.startswith('molecule_morgan@')]
    assert len(morgan) == 1 and 'molecule_maccs' in ef.views.names  # one Morgan candidate kept, on old items
    new = ds.item_features.loc[split.emerging_items]
    assert ef.add_items(new[:5]).shape == (5, ef.model.item_id.embedding_dim)
    with pytest.raises(ValueError, match=r"missing feature columns \['smiles'\]"): ef.add_items(new[5:7].drop(columns=['smiles']))
    ef.save(tmp_path/'model'); loaded = EmerFlow.load(tmp_path/'model')
    assert torch.equal(loaded.add_items(new[7:9]), ef.add_items(new[7:9]))

def test_tuned_finetuning_is_kept(tmp_path):
    "refine='tuned': the learning rate and epochs chosen at fit are saved, so a loaded model refines new rows exactly as the one saved."
    syn = make_synthetic(seed=0); split = split_dataset(syn)
    ef = EmerFlow.from_dataset(established_catalogue(syn, split), 'deepfm', seed=0, views=('raw',), refine='tuned')
    assert set(ef.warmup) == {'lr', 'epochs'}
    ef.add_items(syn.item_features.loc[split.emerging_items]); ef.save(tmp_path/'model')
    loaded = EmerFlow.load(tmp_path/'model')
    assert loaded.warmup == ef.warmup and loaded.config.refine == 'tuned'
    np.testing.assert_array_equal(loaded.update(split.warm_a).numpy(), ef.update(split.warm_a).numpy())

@pytest.mark.parametrize('refine_from_corrected', [True, False])
def test_start_correction_is_kept(tmp_path, refine_from_corrected):
    "start_correction_steps: the correction kept at fit is saved, so a loaded model starts, refines and scores new items exactly as the one saved, whether the correction serves refinement too or only the cold start; off, nothing of it is written."
    syn = make_synthetic(seed=0); split = split_dataset(syn)
    ef = EmerFlow.from_dataset(established_catalogue(syn, split), 'deepfm', seed=0, views=('raw',), start_correction_steps=60,
                               refine_from_corrected=refine_from_corrected, meta_epochs=2)
    assert ef.aligner.correction['kept_step'] > 0 and ef.aligner.corr_weight.shape == (ef.aligner.center.numel(),) * 2
    new = syn.item_features.loc[split.emerging_items]
    starts = ef.add_items(new); ef.save(tmp_path/'model')
    loaded = EmerFlow.load(tmp_path/'model')
    assert torch.equal(loaded.aligner.corr_weight, ef.aligner.corr_weight) and loaded.aligner.correction == ef.aligner.correction
    assert torch.equal(loaded.add_items(new, replace=True), starts)
    users, items = split.test['user'].tolist()[:50], split.test['item'].tolist()[:50]
    np.testing.assert_array_equal(loaded.score(users, items), ef.score(users, items))
    assert torch.equal(loaded.update(split.warm_a), ef.update(split.warm_a))  # refined from the same start
    np.testing.assert_array_equal(loaded.score(users, items), ef.score(users, items))
    state = json.loads((tmp_path/'model'/'emerflow.json').read_text())
    assert state['config']['start_correction_steps'] == 60
    assert state['config'].get('refine_from_corrected', True) == refine_from_corrected  # left out at its former behaviour
    plain = EmerFlow.from_dataset(established_catalogue(syn, split), 'deepfm', seed=0, views=('raw',), meta_epochs=2)
    plain.save(tmp_path/'plain')
    assert 'start_correction_steps' not in json.loads((tmp_path/'plain'/'emerflow.json').read_text())['config']
