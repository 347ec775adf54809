"Bad input to the dataset loaders and `RecDataset` is refused with the file, column, line and value named; nothing is silently wrong (issue 12)."
import hashlib, logging
from pathlib import Path
import numpy as np
import pandas as pd
import pytest
import emerflow.all as ef
from emerflow.protocol import split_dataset

SHARED = ef.shared_data_dir()
ML100K = SHARED/'ml-100k' if SHARED and (SHARED/'ml-100k').exists() else None
DB = SHARED/'drugbank' if SHARED and (SHARED/'drugbank').exists() else None

# ---------------------------------------------------------------- tiny MovieLens folders in each of the three formats
GOOD = [('1', '1', '4', '100'), ('1', '2', '3', '101'), ('2', '1', '5', '102')]   # (user, item, rating, timestamp) as written
TITLES = {1: 'Toy Story (1995)', 2: 'Heat (1995)'}

def write_small(d:Path, rows, titles=TITLES):
    d.mkdir(parents=True, exist_ok=True)
    (d/'ratings.csv').write_text('userId,movieId,rating,timestamp\n' + ''.join(','.join(r) + '\n' for r in rows))
    (d/'movies.csv').write_text('movieId,title,genres\n' + ''.join(f'{i},{t},Comedy\n' for i, t in titles.items()))
    (d/'tags.csv').write_text('userId,movieId,tag,timestamp\n1,1,pixar,5\n')

def write_100k(d:Path, rows, titles=TITLES, encoding='latin-1'):
    d.mkdir(parents=True, exist_ok=True)
    (d/'u.data').write_text(''.join('\t'.join(r) + '\n' for r in rows))
    flags = '|'.join(['0'] * 19)
    (d/'u.item').write_text(''.join(f'{i}|{t}|01-Jan-1995||http://x|{flags}\n' for i, t in titles.items()), encoding=encoding)
    (d/'u.user').write_text('1|24|M|technician|85711\n2|53|F|other|94043\n')

def write_1m(d:Path, rows, titles=TITLES, encoding='latin-1'):
    d.mkdir(parents=True, exist_ok=True)
    (d/'ratings.dat').write_text(''.join('::'.join(r) + '\n' for r in rows))
    (d/'movies.dat').write_text(''.join(f'{i}::{t}::Comedy\n' for i, t in titles.items()), encoding=encoding)
    (d/'users.dat').write_text('1::F::1::10::48067\n2::M::56::16::70072\n')

FORMATS = {  # writer, loader, ratings file, its column names, the line of the first data row
    'ml-latest-small': (write_small, ef.load_movielens_small, 'ratings.csv', ('userId', 'movieId', 'rating', 'timestamp'), 2),
    'ml-100k': (write_100k, ef.load_movielens_100k, 'u.data', ('user', 'item', 'rating', 'timestamp'), 1),
    'ml-1m': (write_1m, ef.load_movielens_1m, 'ratings.dat', ('user', 'item', 'rating', 'timestamp'), 1),
}

def load(fmt, tmp_path, rows, **kw):
    write, loader, *_ = FORMATS[fmt]
    write(tmp_path/fmt, rows, **kw)
    return loader(tmp_path/fmt)

@pytest.mark.parametrize('fmt', FORMATS)
def test_good_rows_load(fmt, tmp_path):
    ds = load(fmt, tmp_path, GOOD)
    assert ds.interactions.values.tolist() == [[1, 1, 1, 100], [1, 2, 0, 101], [2, 1, 1, 102]]

# ---------------------------------------------------------------- 1, 4, 5, 6: every value of the ratings file is checked
BAD_VALUES = [  # (column index, written value, words the error must hold)
    (2, '', 'empty'), (2, 'NaN', "'NaN'"), (2, 'inf', "'inf'"), (2, '99', "'99'"), (2, '-3', "'-3'"),   # 1: ratings outside the range
    (2, 'abc', "'abc'"),                                                                              # 4: a non-numeric rating
    (0, '1.5', "'1.5'"),                                                                              # 1: a non-integer id is no id
    (0, '', 'empty'), (1, '', 'empty'),                                                               # 5: empty ids
    (3, 'inf', "'inf'"), (3, 'NaN', "'NaN'"), (3, 'yesterday', "'yesterday'"),                         # 1, 6: timestamps
]

@pytest.mark.parametrize('fmt', FORMATS)
@pytest.mark.parametrize('col,value,words', BAD_VALUES, ids=[f'{c}={v!r}' for c, v, _ in BAD_VALUES])
def test_bad_value(fmt, col, value, words, tmp_path):
    _, _, fname, cols, first = FORMATS[fmt]
    rows = [list(r) for r in GOOD]; rows[1][col] = value
    with pytest.raises(ValueError) as e: load(fmt, tmp_path, [tuple(r) for r in rows])
    msg = str(e.value)
    for w in (fname, f'line {first + 1}', repr(cols[col]), words): assert w in msg, (w, msg)

@pytest.mark.parametrize('fmt', ['ml-latest-small', 'ml-100k'])
def test_truncated_file(fmt, tmp_path):
    "A file cut off mid-line: the short last line is named, not 'Cannot convert non-finite values'."
    _, _, fname, cols, first = FORMATS[fmt]
    load(fmt, tmp_path, GOOD)
    f = tmp_path/fmt/fname
    f.write_bytes(f.read_bytes()[:-5])   # '2,1,5,102\n' -> '2,1,5' (ratings.csv), '2\t1\t5' (u.data): no timestamp
    with pytest.raises(ValueError) as e: FORMATS[fmt][1](tmp_path/fmt)
    msg = str(e.value)
    for w in (fname, f'line {first + 2}', repr(cols[3])): assert w in msg, (w, msg)

@pytest.mark.parametrize('fmt', FORMATS)
def test_rating_range_is_an_argument(fmt, tmp_path):
    write, loader, *_ = FORMATS[fmt]
    write(tmp_path/fmt, GOOD[:2] + [('2', '1', '10', '102')])
    with pytest.raises(ValueError, match=r"'10'"): loader(tmp_path/fmt)
    assert loader(tmp_path/fmt, rating_range=(1, 10)).interactions.label.tolist() == [1, 0, 1]
    with pytest.raises(ValueError, match='like_threshold'): loader(tmp_path/fmt, like_threshold=11, rating_range=(1, 10))

def test_blank_lines_keep_line_numbers(tmp_path):
    write_small(tmp_path/'s', GOOD)
    f = tmp_path/'s'/'ratings.csv'
    f.write_text(f.read_text().replace('\n1,2,3,101', '\n\n1,2,3,101').replace('2,1,5,102', '2,1,x,102'))
    with pytest.raises(ValueError, match='line 5'): ef.load_movielens_small(tmp_path/'s')

# ---------------------------------------------------------------- 7: tags.csv without a tag column
def test_tags_without_tag_column(tmp_path):
    write_small(tmp_path/'s', GOOD)
    (tmp_path/'s'/'tags.csv').write_text('userId,movieId,label,timestamp\n1,1,pixar,5\n')
    with pytest.raises(ValueError, match=r"tags.csv.*missing columns \['tag'\]"): ef.load_movielens_small(tmp_path/'s')

# ---------------------------------------------------------------- 2: repeated (user, item) pairs
@pytest.mark.parametrize('fmt', FORMATS)
def test_duplicated_rows(fmt, tmp_path):
    fname = FORMATS[fmt][2]
    with pytest.raises(ValueError) as e: load(fmt, tmp_path, GOOD + GOOD[:2])
    msg = str(e.value)
    for w in (fname, '2 (user, item) pairs', 'more than once', '(1, 1)'): assert w in msg, (w, msg)
    with pytest.raises(ValueError, match='more than once'): load(fmt, tmp_path, GOOD + [('1', '2', '5', '900')])  # a second rating

def test_duplicated_shipped_file(tmp_path):
    "Every row of ml-latest-small twice: refused (today 1,109 of 6,978 test pairs of K=7 also sit in warm phases)."
    src = ef.assets_path('ml-latest-small')
    d = tmp_path/'twice'; d.mkdir()
    for f in ('movies.csv', 'tags.csv'): (d/f).write_bytes((src/f).read_bytes())
    lines = (src/'ratings.csv').read_text().splitlines()
    (d/'ratings.csv').write_text('\n'.join(lines + lines[1:]) + '\n')
    with pytest.raises(ValueError, match=r'100,836 \(user, item\) pairs occur more than once'): ef.load_movielens_small(d)

def toy(inter, **kw):
    users = pd.DataFrame(index=pd.Index(sorted(inter.user.unique()), name='user'))
    items = pd.DataFrame(index=pd.Index(sorted(inter.item.unique()), name='item'))
    return ef.RecDataset('toy', 'thing', inter, users, items, {}, **kw)

def test_recdataset_pair_policy():
    inter = pd.DataFrame({'user': [1, 2, 1, 1], 'item': [10, 10, 10, 11], 'label': [0, 1, 0, 1], 'timestamp': [5, 6, 7, 8]})
    with pytest.raises(ValueError, match=r"toy: 1 \(user, item\) pairs occur more than once \(2 rows\), e.g. \[\(1, 10\)\]"): toy(inter)
    with pytest.raises(ValueError, match="not the latest rows of their item"): toy(inter, repeated_pairs='last')  # user 2 at t=6 sits between
    ok = toy(inter.assign(timestamp=[5, 4, 7, 8]), repeated_pairs='last')                                       # copies last: allowed
    assert len(ok.interactions) == 4
    with pytest.raises(ValueError, match='one label'): toy(inter.assign(timestamp=[5, 4, 7, 8], label=[0, 1, 1, 1]), repeated_pairs='last')
    with pytest.raises(ValueError, match='repeated_pairs must be one of'): toy(inter, repeated_pairs='keep')

def test_recdataset_timestamps_finite():
    inter = pd.DataFrame({'user': [1, 2], 'item': [10, 10], 'label': [0, 1], 'timestamp': [5.0, np.inf]})
    with pytest.raises(ValueError, match='finite'): toy(inter)

def test_synthetic_pairs_unique():
    ds = ef.make_synthetic(seed=0)
    assert not ds.interactions.duplicated(['user', 'item']).any() and ds.repeated_pairs == 'error'

def test_ddi_repeated_negatives_come_last():
    "Three positives, two non-partners: one negative pair repeats, and both its copies are drug 0's latest rows."
    for seed in range(5):
        rows = ef.ddi_ctr_rows([[0, 1], [0, 2], [0, 3]], partners=[1, 2, 3, 4, 5], seed=seed).sort_values('timestamp')
        assert rows.duplicated(['user', 'item'], keep=False).tolist() == [False] * 4 + [True] * 2, (seed, rows)
        assert sorted(rows.timestamp) == list(range(6)) and rows.label.sum() == 3

@pytest.mark.skipif(DB is None, reason='the DrugBank development copy (../shared/data/drugbank) is absent')
@pytest.mark.parametrize('setting', ['approval', 's1'])
def test_drugbank_no_pair_in_two_parts(setting):
    ds = ef.load_drugbank(DB, setting=setting)
    assert ds.repeated_pairs == 'last'
    sp = split_dataset(ds)
    parts = {n: set(map(tuple, p[['user', 'item']].values.tolist())) for n, p in sp.parts.items()}
    names = ['base', 'warm_a', 'warm_b', 'warm_c', 'test']
    for i, a in enumerate(names):
        for b in names[i + 1:]: assert not parts[a] & parts[b], (a, b, sorted(parts[a] & parts[b])[:5])
    for i, a in enumerate(['meta_a', 'meta_b', 'meta_c', 'meta_d']):
        for b in ['meta_a', 'meta_b', 'meta_c', 'meta_d'][i + 1:]: assert not parts[a] & parts[b], (a, b)

# ---------------------------------------------------------------- 3: the encoding of u.item (and movies.dat)
CITE = {1: 'Cité des enfants perdus, La (1995)', 2: 'Heat (1995)'}

@pytest.mark.parametrize('fmt', ['ml-100k', 'ml-1m'])
@pytest.mark.parametrize('encoding', ['latin-1', 'utf-8'])
def test_item_file_encoding(fmt, encoding, tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger='emerflow'): ds = load(fmt, tmp_path, GOOD, titles=CITE, encoding=encoding)
    assert ds.item_features.loc[1, 'title'] == 'Cité des enfants perdus, La'
    assert ('as UTF-8' in caplog.text) == (encoding == 'utf-8'), caplog.text

@pytest.mark.parametrize('fmt,fname', [('ml-100k', 'u.item'), ('ml-1m', 'movies.dat')])
def test_item_file_utf16(fmt, fname, tmp_path):
    with pytest.raises(ValueError) as e: load(fmt, tmp_path, GOOD, titles=CITE, encoding='utf-16')
    assert fname in str(e.value) and 'UTF-16' in str(e.value), str(e.value)

@pytest.mark.skipif(ML100K is None, reason='the MovieLens-100K development copy (../shared/data/ml-100k) is absent')
def test_real_100k_as_utf8(tmp_path, caplog):
    "The real u.item is Latin-1; re-encoded as UTF-8 it gives the same item table (today: 9 garbled titles)."
    ref = ef.load_movielens_100k(ML100K)
    d = tmp_path/'ml-100k'; d.mkdir()
    for f in ('u.data', 'u.user'): (d/f).write_bytes((ML100K/f).read_bytes())
    (d/'u.item').write_text((ML100K/'u.item').read_text(encoding='latin-1'), encoding='utf-8')
    with caplog.at_level(logging.INFO, logger='emerflow'): got = ef.load_movielens_100k(d)
    assert 'as UTF-8' in caplog.text
    pd.testing.assert_frame_equal(got.item_features, ref.item_features)
    assert ref.item_features.loc[543, 'title'] == 'Misérables, Les'

# ---------------------------------------------------------------- what works today keeps working
def frame_md5(df): return hashlib.md5(df.reset_index().astype(str).to_csv(index=False).encode()).hexdigest()

def test_shipped_small_unchanged():
    "The shipped ml-latest-small loads exactly as before these checks (digests taken before the change)."
    ml = ef.load_movielens_small()
    assert frame_md5(ml.interactions) == 'a16e0edac6a7188b9dae66dddddb359f'
    assert frame_md5(ml.item_features) == '9d7e7457a880faeb0da301464b1750ee'
    assert frame_md5(ml.user_features) == 'cef40ba14256c8b287d3dddfb372578b'
