"DrugBank: the loader on the development copy, the CTR framing's invariants, clear errors on malformed input, and the download path against a loopback file server."
import hashlib, importlib.util, shutil
from pathlib import Path
import numpy as np
import pandas as pd
import pytest
import importlib.util
import emerflow.all as ef
import emerflow.drugbank as drugbank  # its DRUGBANK_FILES is patched to point at a local server
from emerflow.protocol import split_dataset

SHARED = ef.shared_data_dir()
DB = SHARED/'drugbank' if SHARED and (SHARED/'drugbank').exists() else None
needs_shared = pytest.mark.skipif(DB is None, reason='the DrugBank development copy (../shared/data/drugbank, or $EMERFLOW_SHARED_DATA/drugbank) is absent')
needs_openpyxl = pytest.mark.skipif(importlib.util.find_spec('openpyxl') is None, reason='reading the approval-date .xlsx needs openpyxl')

def pair_set(a) -> set: return {tuple(sorted(p)) for p in np.asarray(a)[:, :2].tolist()}

def known_pairs(root:Path) -> set:
    return pair_set(np.concatenate([ef.read_triples(root/'knowddi_sumgnn_S0'/f'{s}.txt') for s in ('train', 'valid', 'test')]))

# ---------------------------------------------------------------- a tiny folder in the same layout, checkable by hand
TINY_DRUGS = [  # id, drugbank_id, name, approval_date, kg_description
    (0, 'DB00000', 'Alpha', 'Approved Prior to Jan 1, 1982', 'Alpha  gene CYP3A4  pharmacologic class Azoles'),
    (1, 'DB00001', 'Beta', '1990/01/01', 'Beta  gene CYP3A4'),
    (2, 'DB00002', 'Gamma', 'Not Found', 'Gamma'),
    (3, 'DB00003', 'Delta', '2010/05/05', 'Delta  disease asthma  side effect Headache'),
    (4, 'DB00004', 'Epsilon', '2012/01/01', 'Epsilon  gene ABCB1'),
    (5, 'DB00005', 'Zeta', '--', 'Zeta  pharmacologic class Statins'),
]
TINY_S0 = {'train': '0 1 3\n1 2 5\n0 3 7\n', 'valid': '3 4 1\n1 4 2\n', 'test': '2 5 0\n0 1 9\n'}  # (0,1) twice, with two types
TINY_RANDOM = {'train_set.txt': '0\n1\n2\n5\n', 'test_set.txt': '3\n4\n', 'train.txt': '0 1 3\n1 2 5\n2 5 0\n', 'test_S1.txt': '0 3 7\n1 4 2\n3 1 4\n'}

def make_tiny(root:Path) -> Path:
    (root/'drugs').mkdir(parents=True)
    rows = ['id\tdrugbank_id\tname\tapproval_date\tsmiles\tkg_description'] + [f'{i}\t{db}\t{n}\t{d}\tC\t{t}' for i, db, n, d, t in TINY_DRUGS]
    (root/'drugs'/'drugs.tsv').write_text('\n'.join(rows) + '\n')
    (root/'knowddi_sumgnn_S0').mkdir()
    for s, text in TINY_S0.items(): (root/'knowddi_sumgnn_S0'/f'{s}.txt').write_text(text)
    (root/'splits'/'random').mkdir(parents=True)
    for f, text in TINY_RANDOM.items(): (root/'splits'/'random'/f).write_text(text)
    return root

@pytest.fixture
def tiny(tmp_path): return make_tiny(tmp_path/'drugbank')

def test_tiny_by_hand(tiny):
    ds = ef.load_drugbank(tiny, emerging_since='2005-01-01')
    assert ds.protocol_defaults['emerging_items'] == [3, 4]     # dated 2010 and 2012; 'Not Found', '--' and prior-1982 are old
    pos = ds.interactions.query('label == 1')
    # pairs (0,1) (1,2) (0,3) (3,4) (1,4) (2,5); 3 and 4 are no partners, so (3,4) gives no row and (0,3), (1,4) one each
    assert sorted(map(tuple, pos[['item', 'user']].values.tolist())) == [(0, 1), (1, 0), (1, 2), (2, 1), (2, 5), (3, 0), (4, 1), (5, 2)]
    assert not ds.interactions.user.isin([3, 4]).any()
    assert (ds.interactions.groupby('item').label.mean() == 0.5).all()
    neg = ds.interactions.query('label == 0')
    assert not pair_set(neg[['user', 'item']].values) & known_pairs(tiny) and (neg.user != neg.item).all()
    assert ds.item_features.loc[3, 'diseases'] == ['asthma'] and ds.item_features.loc[2, 'genes'] == []
    assert ds.user_features.loc[0, 'partner_classes'] == ['Azoles']
    sym = ef.load_drugbank(tiny, emerging_partners=True)     # the fully symmetric table: 6 pairs, 12 positive rows
    assert sym.interactions.label.sum() == 12 and sym.protocol_defaults['emerging_items'] == [3, 4]

def test_tiny_s1(tiny):
    ds = ef.load_drugbank(tiny, setting='s1')
    assert ds.name == 'drugbank-s1' and ds.protocol_defaults == {'n_old': 0, 'k': 10, 'emerging_items': [3, 4]}
    pos = ds.interactions.query('label == 1')
    assert sorted(map(tuple, pos[['item', 'user']].values.tolist())) == [(0, 1), (1, 0), (1, 2), (2, 1), (2, 5), (3, 0), (3, 1), (4, 1), (5, 2)]
    assert set(ds.interactions.user) <= {0, 1, 2, 5}
    sp = split_dataset(ds, k=1)    # drug 3 has 2 S1 pairs, so 4 rows: one per warm phase and one to test; drug 4 has too few
    assert list(sp.emerging_items) == [3] and list(sp.old_items) == [0, 1, 2, 5]
    assert [len(sp.warm_a), len(sp.warm_b), len(sp.warm_c), len(sp.test)] == [1, 1, 1, 1]
    assert len(sp.base) == 2 * 6   # the six positive rows of the existing drugs and their negatives

def test_tiny_seeds(tiny):
    a, b, c = (ef.load_drugbank(tiny, seed=s).interactions for s in (0, 0, 1))
    pd.testing.assert_frame_equal(a, b)
    key = lambda df: sorted(map(tuple, df.query('label == 1')[['user', 'item']].values.tolist()))
    assert key(a) == key(c)    # the seed moves negatives and order, never positives

# ---------------------------------------------------------------- malformed input
def test_missing_file(tiny):
    (tiny/'knowddi_sumgnn_S0'/'test.txt').unlink()
    with pytest.raises(FileNotFoundError, match='test.txt does not exist'): ef.load_drugbank(tiny)
    with pytest.raises(FileNotFoundError, match='is not a folder'): ef.load_drugbank(tiny/'nowhere')

def test_bad_lines(tiny):
    f = tiny/'knowddi_sumgnn_S0'/'valid.txt'
    f.write_text('3 4 1\n1 four 2\n')
    with pytest.raises(ValueError, match=r"line 2 of .*valid.txt is '1 four 2'"): ef.load_drugbank(tiny)
    f.write_text('3 4 1\n1 4\n')
    with pytest.raises(ValueError, match='line 2 of'): ef.load_drugbank(tiny)
    f.write_text('3 4 1\n1 99 2\n')
    with pytest.raises(ValueError, match='not in the drug table'): ef.load_drugbank(tiny)

def test_bad_drug_table(tiny):
    t = tiny/'drugs'/'drugs.tsv'
    good = t.read_text()
    t.write_text(good.replace('2012/01/01', 'January 2012'))
    with pytest.raises(ValueError, match='January 2012'): ef.load_drugbank(tiny)
    t.write_text(good.replace('Epsilon  gene ABCB1', 'Epsilon  colour blue'))
    with pytest.raises(ValueError, match="segment 'colour blue'"): ef.load_drugbank(tiny)
    t.write_text(good.replace('kg_description', 'description'))
    with pytest.raises(ValueError, match=r"missing columns \['kg_description'\]"): ef.load_drugbank(tiny)

def test_bad_s1(tiny):
    (tiny/'splits'/'random'/'test_S1.txt').write_text('0 3 7\n3 4 1\n')    # a new x new pair is no S1 pair
    with pytest.raises(ValueError, match='must join a test_set drug and a train_set drug'): ef.load_drugbank(tiny, setting='s1')
    with pytest.raises(ValueError, match='setting must be one of'): ef.load_drugbank(tiny, setting='s2')
    with pytest.raises(ValueError, match='after 1982-01-01'): ef.load_drugbank(tiny, emerging_since='1980-01-01')

def test_no_openpyxl(tiny, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, 'find_spec', lambda name, *a: None if name == 'openpyxl' else real(name, *a))
    assert len(ef.drugbank_drugs(tiny)) == 6      # drugs.tsv present: no .xlsx to read
    (tiny/'drugs'/'drugs.tsv').unlink()
    for f in ('node2id.json', 'drug_DDI_GPT.json', 'id2smiles.json'): (tiny/'drugs'/f).write_text('{}')
    (tiny/'drugs'/'drug_info_with_approval_date.xlsx').write_bytes(b'PK')
    with pytest.raises(ImportError, match='openpyxl'): ef.drugbank_drugs(tiny)

# ---------------------------------------------------------------- download through a loopback server
def test_download_tiny(tiny, tmp_path, monkeypatch, loopback):
    srv = loopback(tiny)
    try:
        rels = [p.relative_to(tiny).as_posix() for p in sorted(tiny.rglob('*')) if p.is_file()]
        files = {r: (f'{srv.url}/{r}', hashlib.md5((tiny/r).read_bytes()).hexdigest()) for r in rels}
        monkeypatch.setattr(drugbank, 'DRUGBANK_FILES', files)
        monkeypatch.setenv('EMERFLOW_CACHE', str(tmp_path/'cache'))
        with pytest.raises(FileNotFoundError, match='download=False'): ef.load_drugbank(download=False)
        ds = ef.load_drugbank()
        pd.testing.assert_frame_equal(ds.interactions, ef.load_drugbank(tiny).interactions)
        assert (tmp_path/'cache'/'downloads'/'drugbank'/'drugs'/'drugs.tsv').exists()
        # a corrupt cached file is fetched again; a wrong checksum is refused and leaves nothing behind
        (tmp_path/'cache'/'downloads'/'drugbank'/'knowddi_sumgnn_S0'/'test.txt').write_text('0 1 1\n')
        pd.testing.assert_frame_equal(ef.load_drugbank().interactions, ds.interactions)
        bad = dict(files); bad['knowddi_sumgnn_S0/extra.txt'] = (files['knowddi_sumgnn_S0/test.txt'][0], '0' * 32)
        monkeypatch.setattr(drugbank, 'DRUGBANK_FILES', bad)
        with pytest.raises(ValueError, match='differs from the published'): ef.load_drugbank()
        assert not list((tmp_path/'cache'/'downloads'/'drugbank'/'knowddi_sumgnn_S0').glob('extra.txt*'))
    finally: srv.shutdown()
    monkeypatch.setattr(drugbank, 'DRUGBANK_FILES', files)   # the server is gone: the verified cache is enough
    pd.testing.assert_frame_equal(ef.load_drugbank(download=False).interactions, ds.interactions)

@needs_shared
@needs_openpyxl
def test_download_real_files(tmp_path, monkeypatch, loopback):
    "The pinned MD5s match the development copy, and a download (no drugs.tsv: the table is merged from its sources) loads the same dataset."
    srv = loopback(DB)
    monkeypatch.setattr(drugbank, 'DRUGBANK_FILES', {r: (f'{srv.url}/{r}', md5) for r, (url, md5) in ef.DRUGBANK_FILES.items()})
    monkeypatch.setenv('EMERFLOW_CACHE', str(tmp_path/'cache'))
    ds = ef.load_drugbank()
    assert not (tmp_path/'cache'/'downloads'/'drugbank'/'drugs'/'drugs.tsv').exists()
    ref = ef.load_drugbank(DB)
    pd.testing.assert_frame_equal(ds.interactions, ref.interactions)
    pd.testing.assert_frame_equal(ds.item_features, ref.item_features)

# ---------------------------------------------------------------- the development copy
@pytest.fixture(scope='module')
def db(): return ef.load_drugbank(DB)

@needs_shared
def test_shared_loader(db):
    assert (db.name, db.item_type, db.n_items) == ('drugbank', 'drug', 1710)
    drugs = ef.drugbank_drugs(DB)
    dates = ef.parse_approval_dates(drugs.approval_date)
    emerging = db.protocol_defaults['emerging_items']
    assert emerging == sorted(drugs.index[(dates >= '2005-01-01').to_numpy()]) and len(emerging) == 285
    is_em = drugs.index.isin(emerging)
    assert dates[is_em].min() > dates[~is_em].max()                     # the most recently approved
    assert drugs.approval_date[is_em].str.fullmatch(r'\d{4}/\d{2}/\d{2}').all()   # no undated or prior-1982 drug is emerging

@needs_shared
def test_shared_framing(db):
    df, emerging = db.interactions, set(db.protocol_defaults['emerging_items'])
    known = known_pairs(DB)
    pos = df[df.label == 1]
    rows = set(map(tuple, pos[['user', 'item']].values.tolist()))
    expected = {(a, b) for p in known for a, b in (p, p[::-1]) if a not in emerging}
    assert rows == expected and len(pos) == len(rows)                  # both directions of every DDI whose partner is old, once
    assert not set(df.user) & emerging
    assert (df.groupby('item').label.mean() == 0.5).all() and df.label.mean() == 0.5
    neg = df[df.label == 0]
    assert not pair_set(neg[['user', 'item']].values) & known and (neg.user != neg.item).all()
    assert df.timestamp.is_unique

@needs_shared
def test_shared_seed(db):
    other = ef.load_drugbank(DB, seed=1).interactions
    pd.testing.assert_frame_equal(ef.load_drugbank(DB, seed=0).interactions, db.interactions)
    key = lambda df: set(map(tuple, df.query('label == 1')[['user', 'item']].values.tolist()))
    assert key(other) == key(db.interactions)
    assert not other.query('label == 0')[['user', 'item']].reset_index(drop=True).equals(db.interactions.query('label == 0')[['user', 'item']].reset_index(drop=True))

@needs_shared
@needs_openpyxl
def test_sources_make_drugs_tsv(tmp_path):
    shutil.copytree(DB/'drugs', tmp_path/'drugs', ignore=shutil.ignore_patterns('drugs.tsv'))
    pd.testing.assert_frame_equal(ef.drugbank_drugs(tmp_path), ef.drugbank_drugs(DB))

@needs_shared
def test_shared_splits(db):
    sp = split_dataset(db)
    assert (len(sp.old_items), len(sp.emerging_items), len(sp.base), len(sp.warm_a), len(sp.test)) == (1179, 243, 526_514, 2430, 97_196)
    assert not (set(sp.base.item) | set(sp.base.user)) & set(db.protocol_defaults['emerging_items'])
    s1 = split_dataset(ef.load_drugbank(DB, setting='s1'))
    new = set(ef.read_ids(DB/'splits'/'random'/'test_set.txt')); existing = set(ef.read_ids(DB/'splits'/'random'/'train_set.txt'))
    assert set(s1.emerging_items) <= new and len(s1.emerging_items) == 149
    assert set(s1.base.item) | set(s1.base.user) <= existing
    rows = pd.concat([s1.warm_a, s1.warm_b, s1.warm_c, s1.test])
    assert set(rows.user) <= existing
    s1_pairs = pair_set(ef.read_triples(DB/'splits'/'random'/'test_S1.txt'))
    got = pair_set(rows.query('label == 1')[['user', 'item']].values)
    assert got == {p for p in s1_pairs if (set(p) & set(s1.emerging_items.tolist()))}
    assert len(s1.warm_a) == 10 * 149 and (s1.warm_a.groupby('item').size() == 10).all()

@needs_shared
def test_load_dataset_names():
    assert ef.load_dataset('drugbank-s1', DB).name == 'drugbank-s1'
