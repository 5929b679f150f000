/**
 * The WebAssembly SIMD kernel of `linear`, written as a TypeScript description that `assembler.ts`
 * turns into module bytes. One call computes one tile of y = x·Wᵀ: 4 tokens × 4 outputs.
 *
 * Numerics, the same as src/backends/cpu/linear.ts bit for bit: each output is one float64 sum over
 * i = 0, 1, …, n − 1 in increasing order of the exact products float64(x[t, i]) · float64(W[o, i]),
 * started at 0; the caller adds the bias and rounds once. WebAssembly's f64x2.mul and f64x2.add are
 * IEEE-754 operations lane by lane and may not be fused into a multiply-add, so each lane performs
 * exactly the scalar loop's additions.
 *
 * Lanes run across tokens: an f64x2 holds (token 0, token 1) or (token 2, token 3) of one output, and
 * a weight is broadcast to both lanes. So W is read straight from its rows, [out, in] as the caller
 * has it (copied, not transposed); only x is repacked per call, which is small.
 *
 * Memory layout (byte addresses, all in the one imported memory):
 *
 *   xTile   [n][4] float64      x of the tile's 4 tokens interleaved: x[t0,i] x[t1,i] x[t2,i] x[t3,i]
 *   w       4 rows of n float32 at wRow, wRow + wStride, wRow + 2·wStride, wRow + 3·wStride
 *   yTile   [4][4] float64      y transposed: output j of the tile at yTile + j·yStride, its 4 tokens
 *                               contiguous (the caller reads them back into [T, out])
 *
 *   for i in 0 … n−1:
 *     x01 = (x[t0,i], x[t1,i])          x23 = (x[t2,i], x[t3,i])
 *     for j in 0 … 3:  w = splat(float64(W[o+j, i]))
 *                      acc[j].01 += x01 · w      acc[j].23 += x23 · w
 *
 * Eight f64x2 accumulators = 16 independent sums, 32 floating-point operations per 6 loads.
 */
import { assembleModule, control, f64x2, i32, i32ops, local, v128, v128ops, type FunctionDefinition, type ValueType } from './assembler.js';

// Parameters of `tile` (byte addresses and sizes), then its locals, by index.
const X = 0, W0 = 1, Y = 2, N = 3, W_STRIDE = 4, Y_STRIDE = 5;
const W1 = 6, W2 = 7, W3 = 8;
const X01 = 9, X23 = 10, WEIGHT = 11;
const ACC = [12, 13, 14, 15, 16, 17, 18, 19]; // ACC[2j] tokens 0–1 of output j, ACC[2j + 1] tokens 2–3

/** local = local + constant, or local = other + stride. */
const addTo = (target: number, base: number, amount: number[]) => [...local.get(base), ...amount, ...i32ops.add(), ...local.set(target)];

/** for (; counter < limit; counter++) body — counter and limit are i32 locals. */
const countedLoop = (counter: number, limit: number, body: number[][]) => [
  control.block(), control.loop(),
  local.get(counter), local.get(limit), i32ops.geU(), control.brIf(1),
  ...body,
  addTo(counter, counter, i32ops.const(1)),
  control.br(0),
  control.end(), control.end(),
];

/** acc = acc + x · weight, lane by lane. */
const multiplyAdd = (acc: number, x: number) => [...local.get(acc), ...local.get(x), ...local.get(WEIGHT), ...f64x2.mul(), ...f64x2.add(), ...local.set(acc)];

/** One weight of row `row` (a byte address local), widened to float64 in both lanes, into WEIGHT. */
const loadWeight = (row: number) => [...local.get(row), ...v128ops.load32Splat(), ...f64x2.promoteLowF32x4(), ...local.set(WEIGHT)];

const rows = [W0, W1, W2, W3];

const tile: FunctionDefinition = {
  exportName: 'tile',
  parameters: [i32, i32, i32, i32, i32, i32],
  locals: [i32, i32, i32, v128, v128, v128, ...ACC.map((): ValueType => v128)], // accumulators start at 0
  body: [
    // The other three weight rows.
    addTo(W1, W0, local.get(W_STRIDE)),
    addTo(W2, W1, local.get(W_STRIDE)),
    addTo(W3, W2, local.get(W_STRIDE)),
    // for (; n !== 0; n--)  — skipped entirely when n = 0 (the sums stay 0)
    control.block(),
    local.get(N), i32ops.eqz(), control.brIf(0),
    control.loop(),
    local.get(X), v128ops.load(0), local.set(X01),
    local.get(X), v128ops.load(16), local.set(X23),
    ...rows.flatMap((row, j) => [loadWeight(row), multiplyAdd(ACC[2 * j], X01), multiplyAdd(ACC[2 * j + 1], X23)]),
    addTo(X, X, i32ops.const(32)), // next i: 4 float64 of x
    ...rows.map((row) => addTo(row, row, i32ops.const(4))), // and one float32 along each weight row
    local.get(N), i32ops.const(1), i32ops.sub(), local.set(N),
    local.get(N), control.brIf(0), // loop again while n ≠ 0
    control.end(),
    control.end(),
    // Store: output j's 4 tokens at Y + j·yStride.
    ...rows.flatMap((_, j) => [
      [...local.get(Y), ...local.get(ACC[2 * j]), ...v128ops.store(0)],
      [...local.get(Y), ...local.get(ACC[2 * j + 1]), ...v128ops.store(16)],
      addTo(Y, Y, local.get(Y_STRIDE)),
    ]),
  ],
};

// Parameters of `tiles`, then its locals.
const T_X = 0, T_W = 1, T_Y = 2, T_N = 3, T_W_STRIDE = 4, T_Y_STRIDE = 5, TOKEN_TILES = 6, OUTPUT_TILE = 7, END_OUTPUT_TILE = 8;
const TOKEN_TILE = 9, X_TILE = 10, W_TILE = 11, Y_TILE = 12;

/**
 * tiles(x, w, y, n, wStride, yStride, tokenTiles, firstOutputTile, endOutputTile): `tile` over every
 * token tile of the output tiles [firstOutputTile, endOutputTile), one call per thread and job:
 *
 *   for o in first … end−1:  for t in 0 … tokenTiles−1:
 *     tile(x + t·n·32, w + o·4·wStride, y + o·4·yStride + t·32, n, wStride, yStride)
 */
const tiles: FunctionDefinition = {
  exportName: 'tiles',
  parameters: [i32, i32, i32, i32, i32, i32, i32, i32, i32],
  locals: [i32, i32, i32, i32],
  body: countedLoop(OUTPUT_TILE, END_OUTPUT_TILE, [
    [...local.get(OUTPUT_TILE), ...i32ops.const(4), ...i32ops.mul(), ...local.get(T_W_STRIDE), ...i32ops.mul(), ...local.get(T_W), ...i32ops.add(), ...local.set(W_TILE)],
    [...local.get(OUTPUT_TILE), ...i32ops.const(4), ...i32ops.mul(), ...local.get(T_Y_STRIDE), ...i32ops.mul(), ...local.get(T_Y), ...i32ops.add(), ...local.set(Y_TILE)],
    [...local.get(T_X), ...local.set(X_TILE)],
    [...i32ops.const(0), ...local.set(TOKEN_TILE)],
    ...countedLoop(TOKEN_TILE, TOKEN_TILES, [
      [...local.get(X_TILE), ...local.get(W_TILE), ...local.get(Y_TILE), ...local.get(T_N), ...local.get(T_W_STRIDE), ...local.get(T_Y_STRIDE), ...control.call(0)],
      addTo(X_TILE, X_TILE, [...local.get(T_N), ...i32ops.const(32), ...i32ops.mul()]),
      addTo(Y_TILE, Y_TILE, i32ops.const(32)),
    ]),
  ]),
};

// Parameters of `row`, then its locals.
const R_X = 0, R_W0 = 1, R_Y = 2, R_N = 3, R_W_STRIDE = 4;
const R_ROWS = [R_W0, 5, 6, 7, 8, 9, 10, 11]; // the 8 weight rows' byte addresses
const R_XV = 12, R_V = 13;
const R_ACC = [14, 15, 16, 17]; // R_ACC[p]: outputs 2p and 2p + 1

/**
 * row(x, w, y, n, wStride): one token × 8 outputs, for the tokens a 4-token tile would pad (an expert
 * chosen by 1–3 tokens, the last 1–3 tokens of any batch). Lanes run across outputs here:
 *
 *   x   n float64 (the token)      w   8 rows of n float32, wStride bytes apart      y   8 float64
 *   for i in 0 … n−1:  xv = splat(x[i])
 *     for p in 0 … 3:   acc[p] += xv · (float64(W[o+2p, i]), float64(W[o+2p+1, i]))
 *
 * Each lane is still one output's float64 sum over i in increasing order.
 */
const tokenRow: FunctionDefinition = {
  exportName: 'row',
  parameters: [i32, i32, i32, i32, i32],
  locals: [i32, i32, i32, i32, i32, i32, i32, v128, v128, v128, v128, v128, v128],
  body: [
    ...R_ROWS.slice(1).map((rowAddress, k) => addTo(rowAddress, R_ROWS[k], local.get(R_W_STRIDE))),
    control.block(),
    local.get(R_N), i32ops.eqz(), control.brIf(0),
    control.loop(),
    [...local.get(R_X), ...v128ops.load64Splat(), ...local.set(R_XV)],
    ...R_ACC.flatMap((acc, p) => [
      // (W[o+2p, i], W[o+2p+1, i], 0, 0) as float32, widened to two float64 lanes
      [...local.get(R_ROWS[2 * p + 1]), ...local.get(R_ROWS[2 * p]), ...v128ops.load32Zero(), ...v128ops.load32Lane(1), ...f64x2.promoteLowF32x4(), ...local.set(R_V)],
      [...local.get(acc), ...local.get(R_XV), ...local.get(R_V), ...f64x2.mul(), ...f64x2.add(), ...local.set(acc)],
    ]),
    addTo(R_X, R_X, i32ops.const(8)),
    ...R_ROWS.map((rowAddress) => addTo(rowAddress, rowAddress, i32ops.const(4))),
    local.get(R_N), i32ops.const(1), i32ops.sub(), local.set(R_N),
    local.get(R_N), control.brIf(0),
    control.end(),
    control.end(),
    ...R_ACC.map((acc, p) => [...local.get(R_Y), ...local.get(acc), ...v128ops.store(16 * p)]),
  ],
};

// Parameters of `rows`, then its locals.
const S_X = 0, S_W = 1, S_Y = 2, S_N = 3, S_W_STRIDE = 4, S_Y_STRIDE = 5, S_TOKENS = 6, S_FIRST_GROUP = 7, S_END_GROUP = 8;
const S_TOKEN = 9, S_GROUP = 10;

/**
 * rows(x, w, y, n, wStride, yStride, tokens, firstGroup, endGroup): `row` for every token and every
 * group of 8 outputs in [firstGroup, endGroup):
 *
 *   for t in 0 … tokens−1:  for g in first … end−1:
 *     row(x + t·n·8, w + g·8·wStride, y + t·yStride + g·64, n, wStride)
 */
const tokenRows: FunctionDefinition = {
  exportName: 'rows',
  parameters: [i32, i32, i32, i32, i32, i32, i32, i32, i32],
  locals: [i32, i32],
  body: countedLoop(S_TOKEN, S_TOKENS, [
    [...local.get(S_FIRST_GROUP), ...local.set(S_GROUP)],
    ...countedLoop(S_GROUP, S_END_GROUP, [
      [
        ...local.get(S_TOKEN), ...local.get(S_N), ...i32ops.mul(), ...i32ops.const(8), ...i32ops.mul(), ...local.get(S_X), ...i32ops.add(),
        ...local.get(S_GROUP), ...i32ops.const(8), ...i32ops.mul(), ...local.get(S_W_STRIDE), ...i32ops.mul(), ...local.get(S_W), ...i32ops.add(),
        ...local.get(S_TOKEN), ...local.get(S_Y_STRIDE), ...i32ops.mul(), ...local.get(S_GROUP), ...i32ops.const(64), ...i32ops.mul(), ...i32ops.add(), ...local.get(S_Y), ...i32ops.add(),
        ...local.get(S_N), ...local.get(S_W_STRIDE), ...control.call(2),
      ],
    ]),
  ]),
};

/** At most 65536 pages of 64 KiB: the whole 32-bit address space. */
export const MAXIMUM_PAGES = 65536;

/** The module bytes. */
export function linearKernelModule(): Uint8Array {
  return assembleModule([tile, tiles, tokenRow, tokenRows], MAXIMUM_PAGES); // function indices 0, 1, 2, 3
}
