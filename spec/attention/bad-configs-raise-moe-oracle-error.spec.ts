// Bad attention configs and caches get MoEOracleError naming the argument, the expected and the actual
// value, and leave the cache untouched: head dims that do not match the weights, an odd rope dim, a
// cache from another layer or config, a position that is not the cache's length, a full cache, a block
// table pointing past the pool, an absorbed form for MHA.
import { describe, expect, it } from 'vitest';
import {
  attention, createAttentionCache, createPagedAttentionCache, initAttentionParams, MoEOracleError, randomNormal,
  type MLAConfig, type StandardAttentionConfig,
} from '../../src/index.js';

const mla: MLAConfig = { kind: 'mla', hiddenSize: 8, numHeads: 2, qLoraRank: 4, kvLoraRank: 4, qkNopeHeadDim: 2, qkRopeHeadDim: 2, vHeadDim: 3 };
const gqa: StandardAttentionConfig = { kind: 'gqa', hiddenSize: 8, numHeads: 4, numKeyValueHeads: 2, headDim: 2 };
const params = initAttentionParams(mla, 1);
const x = randomNormal([3, 8], { seed: 1, name: 'x' });

/** Runs `fn`, expects a MoEOracleError whose message contains every fragment. */
function expectError(fn: () => unknown, ...fragments: string[]) {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(MoEOracleError);
  for (const fragment of fragments) expect((error as Error).message).toContain(fragment);
}

describe('bad attention configs and caches raise MoEOracleError', () => {
  it('head dims that do not match the weight shapes name the parameter and both shapes', () => {
    expectError(() => attention(x, params, { ...mla, qkNopeHeadDim: 4 }), 'params["kv_b_proj.weight"]', '[14, 4]', '[10, 4]');
    expectError(() => attention(x, params, { ...mla, qLoraRank: 3 }), 'params["q_a_proj.weight"]', '[3, 8]', '[4, 8]');
    expectError(() => attention(x, params, { ...mla, vHeadDim: 2 }), 'params["kv_b_proj.weight"]', '[8, 4]', '[10, 4]');
    expectError(() => attention(x, params, { ...mla, qLoraRank: null }), 'params["q_proj.weight"]', 'no such parameter');
    expectError(() => attention(x, initAttentionParams(gqa, 1), { ...gqa, numKeyValueHeads: 4, kind: 'mha' }), 'params["k_proj.weight"]', '[8, 8]', '[4, 8]');
  });

  it('an odd rope dim, an odd head dim, a bad head count', () => {
    expectError(() => attention(x, params, { ...mla, qkRopeHeadDim: 3 }), 'config.qkRopeHeadDim', 'even', '3');
    expectError(() => attention(x, params, { ...gqa, headDim: 3 }), 'config.headDim', 'even');
    expectError(() => attention(x, params, { ...gqa, numKeyValueHeads: 3 }), 'config.numKeyValueHeads', 'divisor of numHeads (4)', '3');
    expectError(() => attention(x, params, { ...mla, kind: 'mqa' } as never), 'config');
  });

  it('a cache from another layer or of another config', () => {
    const other = createAttentionCache(mla, { capacity: 8, layerIndex: 2 });
    expectError(() => attention(x, params, mla, { cache: other, layerIndex: 1 }), 'options.cache', 'layer 1', 'layer 2');
    const wider = createAttentionCache({ ...mla, kvLoraRank: 5 }, { capacity: 8 });
    expectError(() => attention(x, params, mla, { cache: wider }), 'options.cache', 'c_kv 4', 'c_kv 5');
    const gqaCache = createAttentionCache(gqa, { capacity: 8 });
    expectError(() => attention(x, params, mla, { cache: gqaCache }), 'options.cache', 'mla rows', 'gqa rows');
  });

  it('a cache of the wrong length: a position that does not continue it, no room, a corrupted length', () => {
    const cache = createAttentionCache(mla, { capacity: 4 });
    attention(x, params, mla, { cache });
    const oneToken = randomNormal([1, 8], { seed: 2, name: 'x' });
    expectError(() => attention(oneToken, params, mla, { cache, positionOffset: 0 }), 'options.positionOffset', "cache's length 3", '0');
    expectError(() => attention(x, params, mla, { cache }), 'options.cache', 'room for 3 more token(s) (capacity 4, 3 cached)', 'room for 1');
    const before = Array.from(cache.rows);
    cache.length = 7;
    expectError(() => attention(x, params, mla, { cache }), 'options.cache.length', '[0, 4]', '7');
    cache.length = 3;
    expect(Array.from(cache.rows)).toEqual(before); // failed calls changed nothing
  });

  it('a block table pointing past the pool, or twice at one block', () => {
    expectError(() => createPagedAttentionCache(mla, { blockSize: 2, numBlocks: 3, blockTable: [0, 3] }), 'options.blockTable[1]', '[0, 3)', '3');
    expectError(() => createPagedAttentionCache(mla, { blockSize: 2, numBlocks: 3, blockTable: [1, 1] }), 'options.blockTable[1]', 'block 1 again');
    const paged = createPagedAttentionCache(mla, { blockSize: 2, numBlocks: 3, blockTable: [2, 0] });
    paged.blockTable[1] = 5; // corrupted after creation
    expectError(() => attention(x, params, mla, { cache: paged }), 'options.cache.blockTable[1]', '[0, 3)', '5');
    expect(paged.length).toBe(0);
  });

  it('the absorbed form of MHA, a NaN weight', () => {
    expectError(() => attention(x, initAttentionParams(gqa, 1), gqa, { form: 'absorbed' }), 'options.form', "'naive'");
    const broken = { ...params, 'kv_b_proj.weight': randomNormal([10, 4], { seed: 1, name: 'w' }) };
    broken['kv_b_proj.weight'].data[5] = NaN;
    expectError(() => attention(x, broken, mla), 'params["kv_b_proj.weight"]', 'finite values', 'NaN');
  });
});
