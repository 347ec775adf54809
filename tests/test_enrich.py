"Plain pytest checks of stage 1 (emerflow.prompts, cache, enrich, shipped) that need no LLM: parsing, serialization, the cache's refusals, the shipped file."
import json, sqlite3
import numpy as np, pandas as pd, pytest
from emerflow.prompts import (parse_attribute_names, attributes_from_answer, parse_generation, AttributeParseError, FALLBACK_ATTRIBUTES,
                              serialize_item, item_prompt, PROMPT_VERSION)
from emerflow.llm import LazyLLM, DEFAULT_LLM
from emerflow.cache import EnrichCache, CacheError, cache_key, load_shipped, shipped_path
from emerflow.enrich import item_texts, generate_attributes, discover_attributes
from emerflow.shipped import shipped_items

RAW = ['title', 'year', 'genres', 'tags']

@pytest.mark.parametrize('text,expected', [
    ("1. Director\n2) Runtime: in minutes\n3. **Cast** - who stars\n4. director", ['director', 'runtime', 'cast']),
    ("Sure! Here they are:\n- Budget\n- Box office (gross)\n- Title\n", ['budget', 'box office']),
    ("pace, setting, soundtrack", ['pace', 'setting', 'soundtrack']),
    ("1. The movie's main character\n2. A very long sentence that is not a name at all", ['main character']),
])
def test_parse_attribute_names(text, expected):
    assert parse_attribute_names(text, exclude=RAW, item_type='movie') == expected

@pytest.mark.parametrize('garbage', ["", "I'm ready to assist.", "1. Title\n2. Year\n3. Genres", "!!!\n???\n12345", "1. 2022: 2022\n2. 2022: 2022"])
def test_unusable_discovery_raises_or_falls_back(garbage):
    with pytest.raises(AttributeParseError): attributes_from_answer(garbage, 'movie', RAW, fallback=False)
    assert attributes_from_answer(garbage, 'movie', RAW) == FALLBACK_ATTRIBUTES['movie']

def test_parse_generation_shapes():
    A = ['plot', 'mood', 'target audience']
    assert parse_generation("plot: heist, mood: tense, target audience: adults", A) == {'plot': 'heist', 'mood': 'tense', 'target audience': 'adults'}
    assert parse_generation("1. **Plot:** a heist\n2. Mood: tense\n", A) == {'plot': 'a heist', 'mood': 'tense'}
    assert parse_generation("Target-audience: teens", A) == {'target audience': 'teens'}
    assert parse_generation("garbage without any form", A) == {}
    with pytest.raises(ValueError, match='none of the attributes'): parse_generation("garbage", A, strict=True)
    with pytest.raises(TypeError): parse_generation(None, A)

def test_serialize_skips_missing():
    row = pd.Series({'name': 'X', 'description': float('nan'), 'tags': [], 'year': 2001.0, 'dose': 2.5, 'item_type': 'drug'})
    assert serialize_item(row) == 'name: X\nyear: 2001\ndose: 2.5'

def test_item_texts_joins_generated():
    items = pd.DataFrame({'title': ['A', 'B']}, index=[10, 20])
    gen = pd.DataFrame({'mood': ['dark', None], 'generation': ['mood: dark', '??'], 'n_tokens': [3, 1], 'source': ['cache']*2}, index=[10, 20])
    t = item_texts(items, gen)
    assert t[10] == 'title: A\nmood: dark' and t[20] == 'title: B'

def test_bad_item_tables(tmp_path):
    cache, lazy = EnrichCache(tmp_path/'c.sqlite'), LazyLLM(DEFAULT_LLM)
    with pytest.raises(ValueError, match='empty'): generate_attributes(pd.DataFrame({'title': []}), 'movie', ['plot'], lazy, cache=cache)
    with pytest.raises(ValueError, match='no usable feature'): generate_attributes(pd.DataFrame({'title': [np.nan]}, index=[1]), 'movie', ['plot'], lazy, cache=cache)
    with pytest.raises(TypeError): generate_attributes([{'title': 'x'}], 'movie', ['plot'], lazy, cache=cache)
    assert not lazy.loaded

def test_cache_roundtrip_and_resume(tmp_path):
    c = EnrichCache(tmp_path/'c.sqlite')
    c.put_generations([dict(key=f'k{i}', kind='item', model='m', item=i, output=f'o{i}', n_tokens=i) for i in range(3)])
    c.close()
    c = EnrichCache(tmp_path/'c.sqlite')
    assert c.get_generations(['k0', 'k2', 'k9']) == {'k0': ('o0', 0), 'k2': ('o2', 2)}
    c.put_vectors([dict(key='v', kind='embedding', model='e', vector=np.ones(5))])
    assert np.array_equal(c.get_vectors(['v'])['v'], np.ones(5, np.float32))

def test_cache_refuses_bad_files(tmp_path):
    (tmp_path/'junk').write_bytes(b'\x00garbage' * 1000)
    with pytest.raises(CacheError, match='not a readable'): EnrichCache(tmp_path/'junk')
    with sqlite3.connect(tmp_path/'other.db') as db: db.execute('CREATE TABLE t (x)')
    with pytest.raises(CacheError, match='not an emerflow'): EnrichCache(tmp_path/'other.db')
    c = EnrichCache(tmp_path/'new.db')
    with c.db: c.db.execute("UPDATE meta SET value = '99' WHERE key = 'version'")
    c.close()
    with pytest.raises(CacheError, match='newer emerflow'): EnrichCache(tmp_path/'new.db')

def test_cache_key_sensitivity():
    base = ('gen', 'm', PROMPT_VERSION, 'user', 'plot:', {'max_new_tokens': 128})
    assert cache_key(*base) == cache_key(*base)
    for i, other in enumerate(['gen2', 'm2', 'v0', 'user2', 'mood:', {'max_new_tokens': 64}]):
        assert cache_key(*base[:i], other, *base[i+1:]) != cache_key(*base)

@pytest.mark.skipif(not shipped_path().exists(), reason='no shipped generations in this checkout')
def test_shipped_generations_cover_the_protocol_items(tmp_path):
    df, meta = load_shipped()
    items, item_type = shipped_items()
    assert meta['n_items'] == len(items) == (df.kind == 'item').sum()
    assert meta['prompt_version'] == PROMPT_VERSION and meta['quantization'] and meta['attributes']
    # the pipeline finds every item in the shipped file without loading a model
    lazy = LazyLLM(DEFAULT_LLM)
    cache = EnrichCache(tmp_path/'c.sqlite')
    attrs = discover_attributes(item_type, list(items.columns), lazy, cache=cache)
    assert attrs == meta['attributes']
    gen = generate_attributes(items, item_type, attrs, lazy, cache=cache, show=False)
    assert set(gen.source) == {'shipped'} and not lazy.loaded
    assert gen[attrs].notna().any(axis=1).mean() > 0.5  # most answers parse into at least one attribute

def test_shipped_file_refusals(tmp_path):
    import pyarrow as pa, pyarrow.parquet as pq
    pq.write_table(pa.table({'key': ['a']}), tmp_path/'f.parquet')
    with pytest.raises(CacheError, match='no emerflow metadata'): load_shipped(tmp_path/'f.parquet')
    t = pa.table({'key': ['a']}).replace_schema_metadata({b'emerflow': json.dumps({'schema': 'emerflow-enrich-cache'}).encode()})
    pq.write_table(t, tmp_path/'g.parquet')
    with pytest.raises(CacheError, match='lacks columns'): load_shipped(tmp_path/'g.parquet')

def test_shipped_hidden_states_cover_the_protocol_items(tmp_path):
    from emerflow.cache import shipped_files, read_shipped_table
    from emerflow.enrich import item_hidden_states, HIDDEN_LAYERS, HIDDEN_POOLINGS
    files = [p for p in shipped_files('hidden') if p.name.startswith('ml-latest-small')]
    if not files: pytest.skip('no shipped hidden states in this checkout')
    df, meta = read_shipped_table(files[0], {'key', 'vector'})
    items, item_type = shipped_items()
    assert meta['n_items'] == len(items) and len(df) == len(items) * len(HIDDEN_LAYERS) * len(HIDDEN_POOLINGS) and meta['prompt_version'] == PROMPT_VERSION
    assert meta['poolings'] == list(HIDDEN_POOLINGS)
    lazy = LazyLLM(DEFAULT_LLM)
    H = item_hidden_states(items.iloc[:50], item_type, lazy, layer=list(HIDDEN_LAYERS), pooling=list(HIDDEN_POOLINGS), cache=EnrichCache(tmp_path/'c.sqlite'), show=False)
    assert not lazy.loaded  # everything came from the shipped file
    assert len(H) == len(HIDDEN_LAYERS) * len(HIDDEN_POOLINGS)
    assert all(h.shape == (50, 576) and np.isfinite(h).all() and h.std() > 0 for h in H.values())
    mid = HIDDEN_LAYERS[1]
    assert not np.allclose(H[HIDDEN_LAYERS[0], 'mean'], H[mid, 'mean']) and not np.allclose(H[mid, 'mean'], H[mid, 'last'])

def test_shipped_fills_cover_the_protocol_items(tmp_path):
    from emerflow.cache import shipped_files, read_shipped_table
    from emerflow.enrich import fill_features, FILL_VERSION
    files = [p for p in shipped_files('generations') if p.name == 'ml-latest-small_smollm2-135m_fill.parquet']
    if not files: pytest.skip('no shipped fills in this checkout')
    df, meta = read_shipped_table(files[0], {'key', 'output'})
    items, item_type, examples = shipped_items(examples=True)
    assert meta['kind'] == 'fill' and meta['prompt_version'] == FILL_VERSION and meta['n_items'] == len(items) == len(df)
    assert meta['examples'] == [str(i) for i in examples.index[:meta['n_shots'] + 1]]  # the most-rated old movies all have tags
    lazy = LazyLLM(DEFAULT_LLM)
    filled = fill_features(items.iloc[:40], item_type, examples, meta['targets'], meta['n_shots'], lazy, max_new_tokens=meta['decoding']['max_new_tokens'],
                           cache=EnrichCache(tmp_path/'c.sqlite'), show=False)
    assert not lazy.loaded and set(filled.source) == {'shipped'}
    assert filled['tags'].notna().mean() > 0.9  # the loop stop keeps answers parseable
