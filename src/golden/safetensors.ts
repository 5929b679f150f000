/**
 * The Hugging Face safetensors format, read and written here without dependencies. Golden files
 * and backend outputs are safetensors files, so any framework (PyTorch, JAX, MLX, llm.c-style C)
 * can produce and consume them.
 *
 * Layout (https://github.com/huggingface/safetensors, README "Format" and the validation in
 * `safetensors/src/tensor.rs`):
 *
 *   bytes 0..8        N, the header length, unsigned 64-bit little-endian
 *   bytes 8..8+N      the header: UTF-8 JSON object
 *                       { "__metadata__": { "<key>": "<string value>", ... },          (optional)
 *                         "<tensor name>": { "dtype": "F32", "shape": [2, 3],
 *                                            "data_offsets": [begin, end] }, ... }
 *   bytes 8+N..       the data section; tensor bytes are data[begin, end), row-major, little-endian
 *
 * Rules the reader enforces (each violation is a `MoEOracleError` naming the problem):
 *   - the file holds at least the 8 length bytes, and 8 + N ≤ file size, N ≤ 100 000 000 (as the
 *     reference implementation);
 *   - the header is valid UTF-8 and valid JSON, an object, with no key given twice;
 *   - `__metadata__`, when present, maps strings to strings (`null` counts as absent, as in the
 *     reference reader);
 *   - every tensor entry has exactly the keys dtype, shape, data_offsets; shape is an array of
 *     non-negative integers; data_offsets is two integers begin ≤ end ≤ data size;
 *     end − begin = product(shape) · size(dtype);
 *   - sorted by offsets, the tensors tile the data section exactly: the first begins at 0, each
 *     begins where the previous ends (no gap, no overlap), the last ends at the end of the file.
 *
 * Dtypes read: F32 and I32 bit for bit; F16 and BF16 widened to float32 (exact: every half and
 * bfloat16 value, NaN payloads included, is a float32 value); F64 rounded to float32 with IEEE
 * round-to-nearest-even (what `tensor.float()` does; magnitudes beyond float32 become ±Infinity);
 * I64 narrowed to int32, rejecting values outside [−2^31, 2^31 − 1]. Other dtypes (BOOL, U8, F8_*, ...)
 * are rejected. Written: F32 (float32 tensors) and I32 (int32 tensors).
 *
 * The writer is deterministic byte for byte:
 *   - tensors are sorted by name in UTF-8 byte order (Rust's `str` order, which the reference writer
 *     uses among tensors of one dtype), and the data section holds them in that same order;
 *   - `__metadata__` comes first, its keys sorted the same way, and is left out when empty (as the
 *     reference writer does without metadata); entry keys are in the order dtype, shape, data_offsets;
 *   - the JSON has no whitespace and is padded with spaces to a multiple of 8 bytes, so every tensor
 *     starts 8-byte aligned in the file (F32 and I32 need 4).
 * For the reference implementation's own serialization test vectors this yields identical bytes.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, fsyncSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import ndarray from 'ndarray';
import { MoEOracleError, describe } from '../tensor/errors.js';
import { checkShape, contiguous, formatShape, type IntTensor, type Tensor } from '../tensor/tensor.js';

/** Element types this module reads. Only F32 and I32 are written. */
export type SafetensorsDtype = 'F32' | 'I32' | 'F16' | 'BF16' | 'F64' | 'I64';

/** The content of a safetensors file. */
export interface SafetensorsFile {
  /** Tensors by name: float32 for F32/F16/BF16/F64 entries, int32 for I32/I64 entries. */
  tensors: Record<string, Tensor | IntTensor>;
  /** The `__metadata__` strings (empty when the file has none). */
  metadata: Record<string, string>;
  /** The dtype each tensor was stored in, before conversion (tells a bf16 output from an fp32 one). */
  dtypes: Record<string, SafetensorsDtype>;
}

/** The largest header accepted, as in the reference implementation (`MAX_HEADER_SIZE`). */
export const MAX_HEADER_BYTES = 100_000_000;

const HEADER_LENGTH_BYTES = 8;
const HEADER_ALIGNMENT = 8;
const METADATA_KEY = '__metadata__';
const ENTRY_KEYS = ['dtype', 'shape', 'data_offsets'] as const;

/** How one dtype is stored and turned into a float32 or int32 array. */
interface DtypeCodec {
  /** Bytes per element. */
  size: number;
  /** Decodes `count` little-endian elements from `view` (which may start at any byte). */
  decode(view: DataView, count: number, tensorName: string): Float32Array | Int32Array;
}

const CODECS: Record<SafetensorsDtype, DtypeCodec> = {
  F32: { size: 4, decode: (view, n) => asFloat32(decodeEach(4, new Uint32Array(n), (at) => view.getUint32(at, true))) },
  I32: { size: 4, decode: (view, n) => decodeEach(4, new Int32Array(n), (at) => view.getInt32(at, true)) },
  F16: { size: 2, decode: (view, n) => asFloat32(decodeEach(2, new Uint32Array(n), (at) => float16BitsToFloat32Bits(view.getUint16(at, true)))) },
  BF16: { size: 2, decode: (view, n) => asFloat32(decodeEach(2, new Uint32Array(n), (at) => view.getUint16(at, true) << 16)) },
  F64: { size: 8, decode: (view, n) => decodeEach(8, new Float32Array(n), (at) => view.getFloat64(at, true)) },
  I64: { size: 8, decode: (view, n, name) => decodeEach(8, new Int32Array(n), (at) => int64ToInt32(view.getBigInt64(at, true), name, at / 8)) },
};

const DTYPES = Object.keys(CODECS) as SafetensorsDtype[];

/** Fills `out[i]` with `read(i · elementSize)`; the one decoding loop every dtype shares. */
function decodeEach<T extends Uint32Array | Int32Array | Float32Array>(elementSize: number, out: T, read: (byteOffset: number) => number): T {
  for (let i = 0; i < out.length; i++) out[i] = read(i * elementSize);
  return out;
}

/** Reinterprets float32 bit patterns as float32 values (no conversion, NaN payloads kept). */
function asFloat32(bits: Uint32Array): Float32Array {
  return new Float32Array(bits.buffer, bits.byteOffset, bits.length);
}

/**
 * IEEE binary16 bits → binary32 bits, exactly. Normal numbers re-bias the exponent (15 → 127) and
 * shift the 10-bit fraction to 23 bits; subnormals (exponent 0) are normalized; Inf/NaN keep their
 * fraction (NaN payload) shifted into place.
 */
export function float16BitsToFloat32Bits(half: number): number {
  const sign = (half & 0x8000) << 16;
  let exponent = (half >> 10) & 0x1f;
  let fraction = half & 0x3ff;
  if (exponent === 0x1f) return (sign | 0x7f800000 | (fraction << 13)) >>> 0;
  if (exponent === 0) {
    if (fraction === 0) return sign >>> 0;
    exponent = 1;
    while ((fraction & 0x400) === 0) {
      fraction <<= 1;
      exponent--;
    }
    fraction &= 0x3ff;
  }
  return (sign | ((exponent - 15 + 127) << 23) | (fraction << 13)) >>> 0;
}

function int64ToInt32(value: bigint, tensorName: string, index: number): number {
  if (value < -0x80000000n || value > 0x7fffffffn) {
    throw new MoEOracleError(`tensor ${JSON.stringify(tensorName)}`, 'I64 values within the int32 range', `${value} at flat index ${index}`);
  }
  return Number(value);
}

// ---------------------------------------------------------------------------------------------
// Writing

/** A tensor to write, declared by its shape and produced only when its bytes are written. */
export interface TensorToWrite {
  name: string;
  dtype: 'F32' | 'I32';
  shape: readonly number[];
  /** The row-major values (product(shape) of them); called once, when the tensor is written. */
  values: () => Float32Array | Int32Array;
}

/** The layout of a file to write: the header bytes (length field included) and the tensors in order. */
interface WritePlan {
  header: Uint8Array;
  entries: TensorToWrite[];
  dataSize: number;
}

/** Lays the file out (see the file comment for the ordering rules) from declared shapes, touching no values. */
function planSafetensors(declared: readonly TensorToWrite[], metadata: Record<string, string>): WritePlan {
  checkMetadata('metadata', metadata);
  const entries = [...declared].sort((a, b) => compareUtf8(a.name, b.name));
  const jsonParts: string[] = [];
  const metadataKeys = Object.keys(metadata).sort(compareUtf8);
  if (metadataKeys.length > 0) {
    const pairs = metadataKeys.map((key) => `${JSON.stringify(key)}:${JSON.stringify(metadata[key])}`);
    jsonParts.push(`"${METADATA_KEY}":{${pairs.join(',')}}`);
  }
  let dataSize = 0;
  for (const entry of entries) {
    if (typeof entry?.name !== 'string') throw new MoEOracleError('tensors', 'entries {name, dtype, shape, values}', describe(entry));
    checkName(entry.name);
    const argument = `tensors[${JSON.stringify(entry.name)}]`;
    if (entry.dtype !== 'F32' && entry.dtype !== 'I32') throw new MoEOracleError(`${argument} dtype`, '"F32" or "I32"', describe(entry.dtype));
    if (!Array.isArray(entry.shape) || !entry.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new MoEOracleError(`${argument} shape`, 'an array of non-negative integers', describe(entry.shape));
    if (typeof entry.values !== 'function') throw new MoEOracleError(`${argument} values`, 'a function returning the values', describe(entry.values));
    const begin = dataSize;
    dataSize += entry.shape.reduce((product, d) => product * d, 1) * CODECS[entry.dtype].size;
    jsonParts.push(`${JSON.stringify(entry.name)}:{"dtype":"${entry.dtype}","shape":[${entry.shape.join(',')}],"data_offsets":[${begin},${dataSize}]}`);
  }
  const json = new TextEncoder().encode(`{${jsonParts.join(',')}}`);
  const headerLength = Math.ceil(json.length / HEADER_ALIGNMENT) * HEADER_ALIGNMENT;
  const header = new Uint8Array(HEADER_LENGTH_BYTES + headerLength).fill(0x20);
  new DataView(header.buffer).setBigUint64(0, BigInt(headerLength), true);
  header.set(json, HEADER_LENGTH_BYTES);
  return { header, entries, dataSize };
}

/** Declares each tensor of a record for writing (checking it is a float32 or int32 tensor). */
function declareTensors(tensors: Record<string, Tensor | IntTensor>): TensorToWrite[] {
  checkPlainObject('tensors', tensors);
  return Object.keys(tensors).map((name) => {
    const value = checkWritableTensor(name, tensors[name]);
    const dtype = value.data instanceof Int32Array ? 'I32' : 'F32';
    return { name, dtype, shape: [...value.shape], values: () => contiguous(tensors[name]).data };
  });
}

/** The little-endian bytes of a tensor's values (bit patterns copied, so NaN payloads survive). */
function valueBytes(entry: TensorToWrite): Uint8Array {
  const values = entry.values();
  const count = entry.shape.reduce((product, d) => product * d, 1);
  const wanted = entry.dtype === 'I32' ? Int32Array : Float32Array;
  if (!(values instanceof wanted) || values.length !== count) {
    throw new MoEOracleError(`tensors[${JSON.stringify(entry.name)}]`, `${count} ${entry.dtype} values (shape ${formatShape(entry.shape)})`, describe(values));
  }
  if (LITTLE_ENDIAN_HOST) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const bytes = new Uint8Array(bits.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < bits.length; i++) view.setUint32(i * 4, bits[i], true);
  return bytes;
}

/**
 * Serializes tensors and metadata to safetensors bytes, deterministically (see the file comment for
 * the ordering rules). Float32 tensors are stored as F32, int32 tensors as I32; non-contiguous views
 * are written in row-major order.
 */
export function writeSafetensors(tensors: Record<string, Tensor | IntTensor>, metadata: Record<string, string> = {}): Uint8Array {
  const plan = planSafetensors(declareTensors(tensors), metadata);
  const bytes = new Uint8Array(plan.header.length + plan.dataSize);
  bytes.set(plan.header, 0);
  let at = plan.header.length;
  for (const entry of plan.entries) {
    const data = valueBytes(entry);
    bytes.set(data, at);
    at += data.length;
  }
  return bytes;
}

/** Orders strings by their UTF-8 bytes (= Unicode code point order, unlike `<` on UTF-16 units). */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Unpaired UTF-16 surrogates cannot be encoded as UTF-8, so other readers would reject them. */
const UNPAIRED_SURROGATE = /\p{Cs}/u;

function checkName(name: string): void {
  if (name === METADATA_KEY || UNPAIRED_SURROGATE.test(name)) {
    throw new MoEOracleError('tensors', `tensor names other than "${METADATA_KEY}", without unpaired surrogates`, JSON.stringify(name));
  }
}

function checkWritableTensor(name: string, value: unknown): Tensor | IntTensor {
  const isTensor =
    typeof value === 'object' &&
    value !== null &&
    'shape' in value &&
    'data' in value &&
    ((value as Tensor).data instanceof Float32Array || (value as IntTensor).data instanceof Int32Array);
  if (!isTensor) {
    throw new MoEOracleError(`tensors[${JSON.stringify(name)}]`, 'a float32 or int32 tensor (ndarray over a Float32Array or Int32Array)', describe(value));
  }
  return value as Tensor | IntTensor;
}

function checkPlainObject(argument: string, value: unknown): asserts value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MoEOracleError(argument, 'an object', describe(value));
  }
}

function checkMetadata(argument: string, value: unknown): asserts value is Record<string, string> {
  checkPlainObject(argument, value);
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string' || UNPAIRED_SURROGATE.test(key) || UNPAIRED_SURROGATE.test(item)) {
      throw new MoEOracleError(argument, 'an object of string values (metadata is string → string)', `key ${JSON.stringify(key)} with value ${describe(item)}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Reading

/** A tensor entry of the header after its own checks, before the layout check. */
interface HeaderEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

/** The header of a safetensors file, checked: metadata and tensor entries, before any tensor is decoded. */
interface ParsedHeader {
  metadata: Record<string, string>;
  entries: HeaderEntry[];
  /** Byte offset of the data section in the file (8 + header length). */
  dataStart: number;
}

/** Reads the 8-byte length field and checks it against the bytes that follow (`fileSize` in all). */
function headerLengthOf(lengthField: Uint8Array, fileSize: number): number {
  if (fileSize < HEADER_LENGTH_BYTES) {
    throw new MoEOracleError('safetensors file', 'at least 8 bytes (the header length)', `${fileSize} bytes`);
  }
  const headerLength = new DataView(lengthField.buffer, lengthField.byteOffset, HEADER_LENGTH_BYTES).getBigUint64(0, true);
  const available = fileSize - HEADER_LENGTH_BYTES;
  if (headerLength > BigInt(Math.min(available, MAX_HEADER_BYTES))) {
    throw new MoEOracleError(
      'safetensors header length',
      `at most ${Math.min(available, MAX_HEADER_BYTES)} bytes (the bytes after the length field, and at most ${MAX_HEADER_BYTES})`,
      `${headerLength}`,
    );
  }
  return Number(headerLength);
}

/** Checks the header bytes (UTF-8 JSON, metadata, entries, layout) of a file whose data section has `dataSize` bytes. */
function parseHeader(headerBytes: Uint8Array, dataSize: number): ParsedHeader {
  const header = parseHeaderJson(headerBytes);
  const metadata = readMetadata(header[METADATA_KEY]);
  const entries = Object.keys(header)
    .filter((name) => name !== METADATA_KEY)
    .map((name) => readEntry(name, header[name], dataSize));
  checkLayout(entries, dataSize);
  return { metadata, entries, dataStart: HEADER_LENGTH_BYTES + headerBytes.length };
}

/** Decodes one tensor from its stored bytes (exactly end − begin of them). */
function decodeEntry(entry: HeaderEntry, bytes: Uint8Array, owned = false): Tensor | IntTensor {
  const count = bytes.byteLength / CODECS[entry.dtype].size;
  // Fast path: F32 / I32 bytes that this reader owns, 4-byte aligned, on a little-endian host are
  // already the values (same bits as the DataView decoding: NaN payloads kept).
  if (owned && LITTLE_ENDIAN_HOST && bytes.byteOffset % 4 === 0 && (entry.dtype === 'F32' || entry.dtype === 'I32')) {
    const values = entry.dtype === 'F32' ? new Float32Array(bytes.buffer, bytes.byteOffset, count) : new Int32Array(bytes.buffer, bytes.byteOffset, count);
    return ndarray<Float32Array | Int32Array>(values, entry.shape) as Tensor | IntTensor;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values = CODECS[entry.dtype].decode(view, count, entry.name);
  return ndarray<Float32Array | Int32Array>(values, entry.shape) as Tensor | IntTensor;
}

/** Whether typed arrays of this machine are little-endian (every common CPU): bytes can be used as they are. */
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Parses safetensors bytes. Every malformed input is reported as a `MoEOracleError` that names the
 * rule it breaks (see the file comment); no other exception escapes.
 */
export function readSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (!(bytes instanceof Uint8Array)) throw new MoEOracleError('bytes', 'a Uint8Array', describe(bytes));
  const headerLength = headerLengthOf(bytes, bytes.length);
  const dataStart = HEADER_LENGTH_BYTES + headerLength;
  const { metadata, entries } = parseHeader(bytes.subarray(HEADER_LENGTH_BYTES, dataStart), bytes.length - dataStart);
  const data = bytes.subarray(dataStart);
  const tensors: Record<string, Tensor | IntTensor> = Object.create(null);
  const dtypes: Record<string, SafetensorsDtype> = Object.create(null);
  for (const entry of entries) {
    tensors[entry.name] = decodeEntry(entry, data.subarray(entry.begin, entry.end));
    dtypes[entry.name] = entry.dtype;
  }
  return { tensors, metadata, dtypes };
}

function parseHeaderJson(headerBytes: Uint8Array): Record<string, unknown> {
  let text: string;
  try {
    // `ignoreBOM` keeps a byte-order mark in the text, so that JSON.parse rejects it as serde_json does.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    throw new MoEOracleError('safetensors header', 'valid UTF-8', 'invalid UTF-8 bytes');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    throw new MoEOracleError('safetensors header', 'valid JSON', `invalid JSON (${(error as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new MoEOracleError('safetensors header', 'a JSON object', describe(header));
  }
  const depth = nestingDepth(text);
  if (depth > MAX_NESTING_DEPTH) {
    throw new MoEOracleError('safetensors header', `JSON nested at most ${MAX_NESTING_DEPTH} deep (as serde_json's recursion limit)`, `nesting ${depth} deep`);
  }
  const duplicate = findDuplicateKey(text);
  if (duplicate !== undefined) {
    throw new MoEOracleError('safetensors header', 'every tensor name and metadata key at most once', `${JSON.stringify(duplicate)} more than once`);
  }
  return header as Record<string, unknown>;
}

/** serde_json's recursion limit, which the reference reader inherits; a header needs depth 3. */
const MAX_NESTING_DEPTH = 128;

/** The deepest nesting of objects and arrays in valid JSON text, counted without recursion. */
function nestingDepth(json: string): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '{' || c === '[') deepest = Math.max(deepest, ++depth);
    else if (c === '}' || c === ']') depth--;
    else if (c === '"') while (json[++i] !== '"') if (json[i] === '\\') i++;
  }
  return deepest;
}

/**
 * JSON.parse keeps the last of duplicated keys silently, so duplicates are found on the text: for
 * every open object, the set of its keys so far. `json` must already be valid JSON.
 */
const JSON_WHITESPACE = new Set([' ', '\t', '\n', '\r']);

function findDuplicateKey(json: string): string | undefined {
  const open: (Set<string> | null)[] = []; // one per open object (its keys) or array (null)
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '{') open.push(new Set());
    else if (c === '[') open.push(null);
    else if (c === '}' || c === ']') open.pop();
    else if (c === '"') {
      let end = i + 1;
      while (json[end] !== '"') end += json[end] === '\\' ? 2 : 1;
      const keys = open[open.length - 1];
      let next = end + 1;
      while (JSON_WHITESPACE.has(json[next])) next++;
      if (keys !== null && json[next] === ':') {
        const key = JSON.parse(json.slice(i, end + 1)) as string;
        if (keys.has(key)) return key;
        keys.add(key);
      }
      i = end;
    }
  }
  return undefined;
}

function readMetadata(value: unknown): Record<string, string> {
  const metadata: Record<string, string> = Object.create(null);
  if (value === undefined || value === null) return metadata;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new MoEOracleError(METADATA_KEY, 'an object of string values', describe(value));
  }
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') {
      throw new MoEOracleError(METADATA_KEY, 'an object of string values', `key ${JSON.stringify(key)} with value ${describe(item)}`);
    }
    metadata[key] = item;
  }
  return metadata;
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function readEntry(name: string, value: unknown, dataSize: number): HeaderEntry {
  const argument = `tensor ${JSON.stringify(name)}`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MoEOracleError(argument, 'an object {dtype, shape, data_offsets}', describe(value));
  }
  const keys = Object.keys(value);
  if (keys.length !== ENTRY_KEYS.length || !ENTRY_KEYS.every((key) => keys.includes(key))) {
    throw new MoEOracleError(argument, `exactly the keys ${describe([...ENTRY_KEYS])}`, describe(keys));
  }
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;

  if (typeof dtype !== 'string' || !(DTYPES as string[]).includes(dtype)) {
    throw new MoEOracleError(`${argument} dtype`, `one of ${DTYPES.map((d) => JSON.stringify(d)).join(', ')}`, describe(dtype));
  }
  if (!Array.isArray(shape) || !shape.every(isNonNegativeInteger)) {
    throw new MoEOracleError(`${argument} shape`, 'an array of non-negative integers', describe(shape));
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeInteger)) {
    throw new MoEOracleError(`${argument} data_offsets`, 'two non-negative integers [begin, end]', describe(offsets));
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) {
    throw new MoEOracleError(`${argument} data_offsets`, 'begin ≤ end', describe(offsets));
  }
  if (end > dataSize) {
    throw new MoEOracleError(`${argument} data_offsets`, `end ≤ ${dataSize} (the size of the data section)`, describe(offsets));
  }
  const size = CODECS[dtype as SafetensorsDtype].size;
  const byteLength = shape.reduce((product: number, d: number) => product * d, size);
  if (byteLength !== end - begin) {
    throw new MoEOracleError(
      `${argument} data_offsets`,
      `end − begin = ${formatShape(shape)} elements · ${size} bytes (${dtype}) = ${byteLength} bytes`,
      `${end - begin} bytes ${describe(offsets)}`,
    );
  }
  return { name, dtype: dtype as SafetensorsDtype, shape: shape as number[], begin, end };
}

/** Sorted by offsets, the tensors must tile [0, dataSize) exactly. */
function checkLayout(entries: HeaderEntry[], dataSize: number): void {
  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expectedBegin = 0;
  let previous: HeaderEntry | undefined;
  for (const entry of byOffset) {
    if (entry.begin !== expectedBegin) {
      const what = entry.begin < expectedBegin ? `an overlap with tensor ${JSON.stringify(previous?.name)}` : `a gap after byte ${expectedBegin}`;
      throw new MoEOracleError(
        `tensor ${JSON.stringify(entry.name)} data_offsets`,
        `to begin at byte ${expectedBegin}, ${previous ? `where tensor ${JSON.stringify(previous.name)} ends` : 'the start of the data section'} (no gaps, no overlaps)`,
        `[${entry.begin}, ${entry.end}], ${what}`,
      );
    }
    expectedBegin = entry.end;
    previous = entry;
  }
  if (expectedBegin !== dataSize) {
    throw new MoEOracleError(
      'safetensors data section',
      `to be covered exactly by the tensors (${expectedBegin} bytes)`,
      `${dataSize} bytes, ${dataSize - expectedBegin} of them after the last tensor`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Looking tensors up

/** What `requireTensor` needs of a file: its tensors and, when known, their stored dtypes. */
export type TensorSource = Pick<SafetensorsFile, 'tensors'> & Partial<Pick<SafetensorsFile, 'dtypes'>>;

function findTensor(file: TensorSource, name: string, kind: 'float32' | 'int32', expectedShape?: readonly (number | string | null)[]): Tensor | IntTensor {
  if (typeof file !== 'object' || file === null || typeof file.tensors !== 'object' || file.tensors === null) throw new MoEOracleError('file', 'an object {tensors}', describe(file));
  if (typeof name !== 'string') throw new MoEOracleError('name', 'a tensor name', describe(name));
  if (expectedShape !== undefined && !Array.isArray(expectedShape)) throw new MoEOracleError('expectedShape', 'an array of sizes', describe(expectedShape));
  const argument = `tensor ${JSON.stringify(name)}`;
  const found = Object.prototype.hasOwnProperty.call(file.tensors, name) ? file.tensors[name] : undefined;
  if (found === undefined) {
    const names = Object.keys(file.tensors).sort(compareUtf8);
    const listed = names.length > 10 ? `${names.slice(0, 10).join(', ')}, … (${names.length} in all)` : names.join(', ') || 'none';
    throw new MoEOracleError(argument, `a tensor of that name in the file (it holds: ${listed})`, 'no such tensor');
  }
  const foundKind = found.data instanceof Int32Array ? 'int32' : 'float32';
  if (foundKind !== kind) {
    const withArticle = (k: string) => (k === 'int32' ? 'an int32' : 'a float32');
    const storedAs = file.dtypes?.[name] ?? foundKind;
    throw new MoEOracleError(argument, `${withArticle(kind)} tensor`, `${withArticle(foundKind)} tensor (stored as ${storedAs})`);
  }
  if (expectedShape !== undefined) checkShape(argument, found, expectedShape, { allowEmpty: true, kind });
  return found;
}

/**
 * The float32 tensor `name` of a file, checked against `expectedShape` when given (a number for a
 * fixed size, `null` for any size, a string for a named size, as in `checkShape`).
 * @throws MoEOracleError naming the tensor when it is missing, int32, or wrongly shaped.
 */
export function requireTensor(file: TensorSource, name: string, expectedShape?: readonly (number | string | null)[]): Tensor {
  return findTensor(file, name, 'float32', expectedShape) as Tensor;
}

/** Like `requireTensor`, for an int32 tensor (stored as I32 or I64). */
export function requireIntTensor(file: TensorSource, name: string, expectedShape?: readonly (number | string | null)[]): IntTensor {
  return findTensor(file, name, 'int32', expectedShape) as IntTensor;
}

// ---------------------------------------------------------------------------------------------
// Files

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException)?.code ?? String(error);
}

/** Reads exactly `length` bytes at `position` of an open file (readSync returns at most 2 GiB per call). */
function readExactly(fd: number, length: number, position: number, path: string): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let done = 0; done < length; ) {
    const chunk = Math.min(length - done, 1 << 30);
    const read = readSync(fd, bytes, done, chunk, position + done);
    if (read === 0) throw new MoEOracleError('path', `a file that keeps its size while it is read`, `${JSON.stringify(path)} ended at byte ${position + done}`);
    done += read;
  }
  return bytes;
}

/** Opens a file for reading, or throws MoEOracleError naming `argument` (the CLI flag). */
function openForReading(path: string, argument: string): number {
  if (typeof path !== 'string' || path === '') throw new MoEOracleError(argument, 'the path of a safetensors file', describe(path));
  try {
    const fd = openSync(path, 'r');
    if (fstatSync(fd).isDirectory()) {
      closeSync(fd);
      throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    }
    return fd;
  } catch (error) {
    throw new MoEOracleError(argument, 'a readable safetensors file', `${JSON.stringify(path)} (${errorCode(error)})`);
  }
}

/**
 * Tensors of at least this many stored bytes (64 MiB: an expert matrix of a real layer) are
 * file-backed when read lazily: the tensor object holds no values, and each read of its `data`
 * property reads them from the file again, so code that keeps a reference to every expert's matrix
 * (to check shapes up front) holds megabytes of metadata, not gigabytes of values. Read `data` once
 * into a local variable before a loop (every kernel here does).
 */
export const FILE_BACKED_BYTES = 64 * 1024 * 1024;

/** A tensor of `entry`'s shape whose `data` is `read()` on every access. */
function fileBackedTensor(entry: HeaderEntry, read: () => Float32Array | Int32Array): Tensor | IntTensor {
  const empty = entry.dtype === 'I32' || entry.dtype === 'I64' ? new Int32Array(0) : new Float32Array(0);
  const t = ndarray<Float32Array | Int32Array>(empty, entry.shape);
  Object.defineProperty(t, 'data', { get: read, enumerable: true, configurable: true });
  return t as Tensor | IntTensor;
}

/**
 * Opens a safetensors file lazily: the header is read and checked now (every rule of the file
 * comment), and each tensor is read from the file, and decoded, when its property of `tensors` is
 * read, every time it is read (nothing is cached, so memory holds only the tensors in use: a layer
 * runs expert by expert). Files of any size (beyond 2 GiB) work. The file must not change while it is
 * used. Errors are `MoEOracleError`s with the path in the argument name, e.g.
 * `moe-oracle: --actual out.safetensors: tensor "y" dtype: expected one of …, got "U8"`.
 * @param argument what to call the file in messages (a CLI flag such as "--golden"); default "path".
 */
export function readSafetensorsFile(path: string, argument = 'path'): SafetensorsFile {
  const fd = openForReading(path, argument);
  const where = (error: MoEOracleError) => new MoEOracleError(`${argument} ${path}: ${error.argument}`, error.expected, error.actual);
  let parsed: ParsedHeader;
  let fileSize: number;
  try {
    fileSize = fstatSync(fd).size;
    const lengthField = readExactly(fd, Math.min(HEADER_LENGTH_BYTES, fileSize), 0, path);
    const headerLength = headerLengthOf(lengthField, fileSize);
    parsed = parseHeader(readExactly(fd, headerLength, HEADER_LENGTH_BYTES, path), fileSize - HEADER_LENGTH_BYTES - headerLength);
  } catch (error) {
    if (error instanceof MoEOracleError) throw where(error);
    throw new MoEOracleError(argument, 'a readable safetensors file', `${JSON.stringify(path)} (${errorCode(error)})`);
  } finally {
    closeSync(fd);
  }
  const load = (entry: HeaderEntry): Tensor | IntTensor => {
    const reader = openForReading(path, argument);
    try {
      if (fstatSync(reader).size !== fileSize) throw new MoEOracleError('path', `a file that keeps its size (${fileSize} bytes) while it is used`, `${JSON.stringify(path)} changed`);
      return decodeEntry(entry, readExactly(reader, entry.end - entry.begin, parsed.dataStart + entry.begin, path), true);
    } catch (error) {
      if (error instanceof MoEOracleError) throw where(error);
      throw new MoEOracleError(argument, 'a readable safetensors file', `${JSON.stringify(path)} (${errorCode(error)})`);
    } finally {
      closeSync(reader);
    }
  };
  const tensors: Record<string, Tensor | IntTensor> = Object.create(null);
  const dtypes: Record<string, SafetensorsDtype> = Object.create(null);
  for (const entry of parsed.entries) {
    dtypes[entry.name] = entry.dtype;
    const fileBacked = entry.end - entry.begin >= FILE_BACKED_BYTES;
    Object.defineProperty(tensors, entry.name, {
      enumerable: true,
      configurable: true,
      get: () => (fileBacked ? fileBackedTensor(entry, () => load(entry).data) : load(entry)),
    });
  }
  return { tensors, metadata: parsed.metadata, dtypes };
}

/**
 * Writes a safetensors file atomically (see `writeFileAtomically`), tensor by tensor: the bytes of
 * `writeSafetensors`, without holding the whole file in memory (tensors of a lazily read file are
 * read one at a time).
 * @param argument what to call the path in messages (a CLI flag such as "--out"); default "path".
 */
export function writeSafetensorsFile(path: string, tensors: Record<string, Tensor | IntTensor>, metadata: Record<string, string> = {}, argument = 'path'): void {
  writeSafetensorsStream(path, declareTensors(tensors), metadata, argument);
}

/**
 * Writes a safetensors file atomically from tensors declared by name, dtype and shape, producing each
 * tensor's values only when it is written (a multi-gigabyte file needs one tensor in memory at a
 * time). The bytes equal those of `writeSafetensors` for the same tensors.
 */
export function writeSafetensorsStream(path: string, tensors: readonly TensorToWrite[], metadata: Record<string, string> = {}, argument = 'path'): void {
  if (!Array.isArray(tensors)) throw new MoEOracleError('tensors', 'an array of {name, dtype, shape, values}', describe(tensors));
  const plan = planSafetensors(tensors, metadata);
  writeAtomically(path, argument, (write) => {
    write(plan.header);
    for (const entry of plan.entries) write(valueBytes(entry));
  });
}

/** Temporary files being written now: removed by `removePendingTemporaries` (the CLI's signal handler). */
const pendingTemporaries = new Set<string>();

/** Removes the temporary files of writes in progress (call it before exiting on a signal). */
export function removePendingTemporaries(): void {
  for (const temporary of pendingTemporaries) rmSync(temporary, { force: true });
  pendingTemporaries.clear();
}

/** The name pattern of temporary files: `.<file name>.<pid>.<12 hex digits>.tmp`, beside the target. */
export const TEMPORARY_FILE_PATTERN = /^\.(.+)\.(\d+)\.[0-9a-f]{12}\.tmp$/;

/**
 * Writes bytes atomically: they go to a temporary file in the same folder, are flushed to disk, and
 * the temporary file is renamed over `path` (rename within one file system is atomic), so readers
 * see the old file or the complete new one, never a half-written file. The temporary file is removed
 * on failure, and by `removePendingTemporaries` on a signal.
 */
export function writeFileAtomically(path: string, bytes: Uint8Array, argument = 'path'): void {
  writeAtomically(path, argument, (write) => write(bytes));
}

function writeAtomically(path: string, argument: string, produce: (write: (bytes: Uint8Array) => void) => void): void {
  if (typeof path !== 'string' || path === '') throw new MoEOracleError(argument, 'a file path', describe(path));
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(temporary, 'wx');
    pendingTemporaries.add(temporary);
    const target = fd;
    produce((bytes) => {
      for (let written = 0; written < bytes.length; ) written += writeSync(target, bytes, written, Math.min(bytes.length - written, 1 << 30));
    });
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temporary, path);
    pendingTemporaries.delete(temporary);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    rmSync(temporary, { force: true });
    pendingTemporaries.delete(temporary);
    if (error instanceof MoEOracleError) throw error;
    throw new MoEOracleError(argument, 'a writable file location', `${JSON.stringify(path)} (${errorCode(error)})`);
  }
}
