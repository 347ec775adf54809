"The download path of the MovieLens loaders, against a file server on loopback (this machine has no internet)."
import hashlib, zipfile
import pytest
import emerflow.all as ef

ML1M_LINES = {'ratings.dat': '1::1193::5::978300760\n2::1193::3::978298413\n',
              'movies.dat': "1193::One Flew Over the Cuckoo's Nest (1975)::Drama\n",
              'users.dat': '1::F::1::10::48067\n2::M::56::16::70072\n'}

@pytest.fixture
def served(tmp_path, loopback):
    "A zip in ML-1M's layout, served over HTTP on 127.0.0.1."
    root = tmp_path/'www'; root.mkdir()
    with zipfile.ZipFile(root/'ml-1m.zip', 'w') as z:
        for name, text in ML1M_LINES.items(): z.writestr(f'ml-1m/{name}', text)
    return f'{loopback(root).url}/ml-1m.zip', hashlib.md5((root/'ml-1m.zip').read_bytes()).hexdigest()

def test_download_checked_verifies(served, tmp_path):
    url, md5 = served
    dest = ef.download_checked(url, tmp_path/'dl'/'a.zip', md5)
    assert ef.file_md5(dest) == md5
    with pytest.raises(ValueError, match='differs from the published'):
        ef.download_checked(url, tmp_path/'dl'/'b.zip', '0' * 32)
    assert not list((tmp_path/'dl').glob('b.zip*'))  # nothing unverified is left behind

def test_corrupt_cached_file_is_replaced(served, tmp_path):
    url, md5 = served
    dest = tmp_path/'c.zip'; dest.write_bytes(b'truncated')
    ef.download_checked(url, dest, md5)
    assert ef.file_md5(dest) == md5

def test_loader_downloads_into_cache(served, tmp_path, monkeypatch):
    url, md5 = served
    monkeypatch.setenv('EMERFLOW_CACHE', str(tmp_path/'cache'))
    monkeypatch.setitem(ef.MOVIELENS_ARCHIVES, 'ml-1m', (url, md5))
    ds = ef.load_movielens_1m()
    assert len(ds.interactions) == 2 and ds.interactions.label.tolist() == [1, 0]
    assert (tmp_path/'cache'/'downloads'/'ml-1m.zip').exists()
    monkeypatch.setitem(ef.MOVIELENS_ARCHIVES, 'ml-1m', ('http://127.0.0.1:9/ml-1m.zip', md5))
    assert len(ef.load_movielens_1m().interactions) == 2  # second time from the cache, no network

def test_no_network_gives_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv('EMERFLOW_CACHE', str(tmp_path/'cache'))
    monkeypatch.setitem(ef.MOVIELENS_ARCHIVES, 'ml-100k', ('http://127.0.0.1:9/ml-100k.zip', '0' * 32))
    with pytest.raises(ConnectionError, match='pass its folder'):
        ef.load_movielens_100k()
    with pytest.raises(FileNotFoundError, match='download=False'):
        ef.load_movielens_100k(download=False)
