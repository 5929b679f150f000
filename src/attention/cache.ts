/**
 * KV caches of incremental decoding: what one attention layer keeps per token, contiguous or paged.
 *
 * A cache row is everything one token leaves behind for later tokens to attend to:
 *
 *   MLA        [c_KV (kvLoraRank) | k_rope (qkRopeHeadDim)]   the normalised latent and the rotated,
 *                                                             head-shared RoPE key (DeepSeek-V3
 *                                                             inference/model.py `kv_cache`, `pe_cache`;
 *                                                             FlashMLA and vLLM keep the two side by side,
 *                                                             576 = 512 + 64 values per token)
 *   MHA / GQA / MQA  [keys (n_kv·d) | values (n_kv·d)]         rotated keys and values of each KV head
 *
 * so a row has `kvCacheElementsPerToken(config)` values (kv-cache-size.ts), whatever the form (naive
 * or weight-absorbed) that reads it.
 *
 *   contiguous  rows [capacity, w]; token t is row t.
 *   paged       a pool of numBlocks blocks of blockSize rows, [numBlocks · blockSize, w], and a block
 *               table (int32, one entry per logical block): token t lives in row
 *               blockTable[⌊t / blockSize⌋] · blockSize + t mod blockSize of the pool, as vLLM's
 *               PagedAttention and FlashMLA's `block_table` address it. Reading the cache gathers
 *               those rows with the `gatherRows` kernel.
 *
 * A cache belongs to one layer (`layerIndex`) and one config; the attention call checks both, and
 * that the tokens it appends fit, before it changes anything.
 */
import { checkInteger, checkObject, MoEOracleError, describe } from '../tensor/errors.js';
import { MAX_TENSOR_ELEMENTS, tensor, type Tensor } from '../tensor/tensor.js';
import type { DeviceTensor, Kernels } from '../backends/kernels.js';
import { ATTENTION_KINDS, resolveAttentionConfig, type AttentionConfig, type AttentionKind, type ResolvedAttentionConfig } from './config.js';

/** One named block of columns of a cache row. */
export interface CachePart {
  name: 'c_kv' | 'k_rope' | 'keys' | 'values';
  width: number;
}

/** What a row of a cache holds. */
export interface CacheLayout {
  kind: AttentionKind;
  /** Values per token per layer. */
  rowWidth: number;
  parts: CachePart[];
}

interface CacheBase {
  /** The layer this cache belongs to. */
  readonly layerIndex: number;
  readonly layout: CacheLayout;
  /** Tokens cached so far. */
  length: number;
}

/** Rows one after another. */
export interface ContiguousAttentionCache extends CacheBase {
  readonly storage: 'contiguous';
  /** Most tokens the cache can hold. */
  readonly capacity: number;
  /** [capacity, rowWidth] row-major; rows ≥ length are 0. */
  readonly rows: Float32Array;
}

/** Rows in fixed-size blocks found through a block table. */
export interface PagedAttentionCache extends CacheBase {
  readonly storage: 'paged';
  readonly blockSize: number;
  /** Physical blocks in the pool. */
  readonly numBlocks: number;
  /** Logical block → physical block. Capacity = blockTable.length · blockSize. */
  readonly blockTable: Int32Array;
  /** [numBlocks · blockSize, rowWidth] row-major. */
  readonly pool: Float32Array;
}

export type AttentionCache = ContiguousAttentionCache | PagedAttentionCache;

/** The row layout of `config`'s cache. */
export function cacheLayoutOf(config: AttentionConfig | ResolvedAttentionConfig): CacheLayout {
  const c = resolveAttentionConfig(config as AttentionConfig);
  const parts: CachePart[] =
    c.kind === 'mla'
      ? [{ name: 'c_kv', width: c.kvLoraRank }, { name: 'k_rope', width: c.qkRopeHeadDim }]
      : [{ name: 'keys', width: c.numKeyValueHeads * c.headDim }, { name: 'values', width: c.numKeyValueHeads * c.headDim }];
  return { kind: c.kind, rowWidth: parts[0].width + parts[1].width, parts };
}

/** Zeroed storage for `rows` rows of `rowWidth` values; at most 2^31 − 1 values (the typed-array limit of tensor.ts). */
function cacheStorage(argument: string, rows: number, rowWidth: number): Float32Array {
  if (rows * rowWidth > MAX_TENSOR_ELEMENTS) {
    throw new MoEOracleError(argument, `a cache of at most 2^31 − 1 = ${MAX_TENSOR_ELEMENTS} values`, `${rows} rows of ${rowWidth} values`);
  }
  return new Float32Array(rows * rowWidth);
}

/** An empty contiguous cache for up to `capacity` tokens of one layer. */
export function createAttentionCache(config: AttentionConfig, options: { capacity: number; layerIndex?: number }): ContiguousAttentionCache {
  const layout = cacheLayoutOf(config);
  checkObject('options', options, 'an object { capacity, layerIndex? }');
  const capacity = checkInteger('options.capacity', options.capacity, 1);
  return { storage: 'contiguous', layerIndex: checkInteger('options.layerIndex', options.layerIndex ?? 0, 0), layout, length: 0, capacity, rows: cacheStorage('options.capacity', capacity, layout.rowWidth) };
}

/** An empty paged cache: a pool of `numBlocks` blocks and the block table of one sequence. */
export function createPagedAttentionCache(
  config: AttentionConfig,
  options: { blockSize: number; numBlocks: number; blockTable: Int32Array | readonly number[]; layerIndex?: number },
): PagedAttentionCache {
  const layout = cacheLayoutOf(config);
  checkObject('options', options, 'an object { blockSize, numBlocks, blockTable, layerIndex? }');
  const blockSize = checkInteger('options.blockSize', options.blockSize, 1);
  const numBlocks = checkInteger('options.numBlocks', options.numBlocks, 1);
  if (!Array.isArray(options.blockTable) && !ArrayBuffer.isView(options.blockTable)) throw new MoEOracleError('options.blockTable', 'an array of block indices', describe(options.blockTable));
  const blockTable = Int32Array.from(options.blockTable as ArrayLike<number>);
  if (blockTable.length === 0) throw new MoEOracleError('options.blockTable', 'at least one block', 'an empty block table');
  checkBlockTable('options.blockTable', blockTable, numBlocks);
  return {
    storage: 'paged', layerIndex: checkInteger('options.layerIndex', options.layerIndex ?? 0, 0), layout, length: 0,
    blockSize, numBlocks, blockTable, pool: cacheStorage('options.numBlocks', numBlocks * blockSize, layout.rowWidth),
  };
}

/** Entries must be distinct physical blocks inside the pool. */
function checkBlockTable(argument: string, blockTable: ArrayLike<number>, numBlocks: number): void {
  const seen = new Set<number>();
  for (let b = 0; b < blockTable.length; b++) {
    const block = blockTable[b];
    if (!Number.isInteger(block) || block < 0 || block >= numBlocks) {
      throw new MoEOracleError(`${argument}[${b}]`, `a block index in [0, ${numBlocks}) (the pool has ${numBlocks} blocks)`, describe(block));
    }
    if (seen.has(block)) throw new MoEOracleError(`${argument}[${b}]`, 'a block no other logical block uses', `block ${block} again`);
    seen.add(block);
  }
}

function capacityOf(cache: AttentionCache): number {
  return cache.storage === 'contiguous' ? cache.capacity : cache.blockTable.length * cache.blockSize;
}

/** Most tokens the cache can hold. */
export function cacheCapacity(cache: AttentionCache): number {
  checkCache('cache', cache);
  return capacityOf(cache);
}

/**
 * Throws unless `cache` is whole, as createAttentionCache / createPagedAttentionCache make it: a row
 * layout, a layer index, storage of the size its layout and capacity give, a length within the
 * capacity, a block table of distinct blocks inside the pool. O(blocks).
 */
export function checkCache(argument: string, cache: AttentionCache): void {
  if (typeof cache !== 'object' || cache === null || (cache.storage !== 'contiguous' && cache.storage !== 'paged')) {
    throw new MoEOracleError(argument, 'a cache from createAttentionCache or createPagedAttentionCache', describe(cache));
  }
  const layout = cache.layout;
  const wholeLayout =
    typeof layout === 'object' && layout !== null && ATTENTION_KINDS.includes(layout.kind) && Array.isArray(layout.parts) && layout.parts.length === 2 &&
    layout.parts.every((p) => typeof p === 'object' && p !== null && typeof p.name === 'string' && Number.isInteger(p.width) && p.width >= 0) &&
    layout.rowWidth === layout.parts[0].width + layout.parts[1].width;
  if (!wholeLayout) throw new MoEOracleError(`${argument}.layout`, 'a row layout { kind, rowWidth, parts } (cacheLayoutOf)', describe(layout));
  checkInteger(`${argument}.layerIndex`, cache.layerIndex, 0);
  let stored: unknown;
  let expectedStored: number;
  if (cache.storage === 'contiguous') {
    expectedStored = checkInteger(`${argument}.capacity`, cache.capacity, 1) * layout.rowWidth;
    stored = cache.rows;
  } else {
    expectedStored = checkInteger(`${argument}.numBlocks`, cache.numBlocks, 1) * checkInteger(`${argument}.blockSize`, cache.blockSize, 1) * layout.rowWidth;
    if (!(cache.blockTable instanceof Int32Array)) throw new MoEOracleError(`${argument}.blockTable`, 'an Int32Array', describe(cache.blockTable));
    stored = cache.pool;
  }
  if (!(stored instanceof Float32Array) || stored.length !== expectedStored) {
    throw new MoEOracleError(argument, `storage of ${expectedStored} float32 values`, stored instanceof Float32Array ? `${stored.length}` : describe(stored));
  }
  const capacity = capacityOf(cache);
  if (!Number.isInteger(cache.length) || cache.length < 0 || cache.length > capacity) {
    throw new MoEOracleError(`${argument}.length`, `an integer in [0, ${capacity}] (the cache's capacity)`, describe(cache.length));
  }
  if (cache.storage === 'paged') checkBlockTable(`${argument}.blockTable`, cache.blockTable, cache.numBlocks);
}

/**
 * Checks that `cache` can take `newTokens` more tokens of a layer with `config` at `layerIndex`:
 * the right kind and widths, the right layer, a consistent length and storage, a block table inside
 * the pool, room left. Throws before anything is changed.
 */
export function checkCacheFor(cache: AttentionCache, config: ResolvedAttentionConfig, layerIndex: number, newTokens: number): void {
  checkCache('options.cache', cache);
  const layout = cacheLayoutOf(config);
  const describeLayout = (l: CacheLayout) => `${l.kind} rows of ${l.parts.map((p) => `${p.name} ${p.width}`).join(' + ')}`;
  if (cache.layout.kind !== layout.kind || cache.layout.parts.some((p, i) => p.width !== layout.parts[i].width)) {
    throw new MoEOracleError('options.cache', `a cache of ${describeLayout(layout)} (this layer's config)`, `a cache of ${describeLayout(cache.layout)}`);
  }
  if (cache.layerIndex !== layerIndex) {
    throw new MoEOracleError('options.cache', `the cache of layer ${layerIndex} (options.layerIndex)`, `the cache of layer ${cache.layerIndex}`);
  }
  const capacity = capacityOf(cache);
  if (cache.length + newTokens > capacity) {
    throw new MoEOracleError('options.cache', `room for ${newTokens} more token(s) (capacity ${capacity}, ${cache.length} cached)`, `room for ${capacity - cache.length}`);
  }
}

/** Row of the storage that holds token t. */
function storageRow(cache: AttentionCache, token: number): number {
  if (cache.storage === 'contiguous') return token;
  return cache.blockTable[Math.floor(token / cache.blockSize)] * cache.blockSize + (token % cache.blockSize);
}

/** Appends rows [T, rowWidth] (already checked to fit). */
export function appendCacheRows(cache: AttentionCache, rows: Tensor): void {
  const width = cache.layout.rowWidth;
  const storage = cache.storage === 'contiguous' ? cache.rows : cache.pool;
  for (let r = 0; r < rows.shape[0]; r++) storage.set(rows.data.subarray(r * width, (r + 1) * width), storageRow(cache, cache.length + r) * width);
  cache.length += rows.shape[0];
}

/** Every cached row on the device, [length, rowWidth] (paged: gathered through the block table). */
export function cachedRowsOnDevice(kernels: Kernels, cache: AttentionCache): DeviceTensor {
  const width = cache.layout.rowWidth;
  if (cache.storage === 'contiguous') return kernels.upload(tensor(cache.rows.subarray(0, cache.length * width), [cache.length, width]));
  const rows = Int32Array.from({ length: cache.length }, (_, t) => storageRow(cache, t));
  return kernels.gatherRows(kernels.upload(tensor(cache.pool, [cache.numBlocks * cache.blockSize, width])), rows);
}

/** The cached values by part ('c_kv' and 'k_rope', or 'keys' and 'values'), each [length, width], in token order. */
export function cacheContents(cache: AttentionCache): Record<string, Tensor> {
  checkCache('cache', cache);
  const width = cache.layout.rowWidth;
  const storage = cache.storage === 'contiguous' ? cache.rows : cache.pool;
  const result: Record<string, Tensor> = {};
  let offset = 0;
  for (const part of cache.layout.parts) {
    const values = new Float32Array(cache.length * part.width);
    for (let t = 0; t < cache.length; t++) {
      const from = storageRow(cache, t) * width + offset;
      values.set(storage.subarray(from, from + part.width), t * part.width);
    }
    result[part.name] = tensor(values, [cache.length, part.width]);
    offset += part.width;
  }
  return result;
}
