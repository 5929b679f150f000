/**
 * Philox4x32-10 uniform draws as a WebAssembly function, assembled like kernel.ts, for the one job
 * that dominates golden generation at real widths: filling parameter tensors. It computes exactly the
 * recipe of src/tensor/prng.ts, bit for bit:
 *
 *   for index in [first, first + count):   (index < 2^32: counter [index, 0, 0, 0])
 *     (c0, c1, c2, c3) = (index, 0, 0, 0);  (k0, k1) = key
 *     10 rounds:  p0 = M0 · c0,  p1 = M1 · c2           (full 64-bit products: i64.mul of zero-extended words)
 *                 (c0, c1, c2, c3) = (hi(p1) ^ c1 ^ k0,  lo(p1),  hi(p0) ^ c3 ^ k1,  lo(p0))
 *                 k0 += W0,  k1 += W1                    (mod 2^32)
 *     out[index − first] = float32(low + scale · ((c0 >>> 8) · 2^-24))     scale = high − low
 *
 * The conversion is float64 multiply, float64 add and one rounding to float32 (f32.demote_f64 rounds to
 * nearest even, as Math.fround): the same IEEE operations as prng.ts's `uniformFromBlock`, so the same
 * bits (spec/tensor/fast-philox-gives-the-same-stream.spec.ts). JavaScript needs four 16-bit partial
 * products per 32×32-bit high word; WebAssembly has the 64-bit multiply.
 */
import { availableParallelism } from 'node:os';
import { HelperThread } from '../threads/helper-thread.js';
import { assembleModule, control, f32ops, f64, f64ops, i32, i32ops, i64, i64ops, local, type FunctionDefinition } from './assembler.js';

const PHILOX_M0 = 0xd2511f53, PHILOX_M1 = 0xcd9e8d57, PHILOX_W0 = 0x9e3779b9, PHILOX_W1 = 0xbb67ae85;

// Parameters of `philoxUniform(out, first, count, key0, key1, low, scale)`, then locals.
const OUT = 0, INDEX = 1, COUNT = 2, KEY0 = 3, KEY1 = 4, LOW = 5, SCALE = 6;
const C0 = 7, C1 = 8, C2 = 9, C3 = 10, K0 = 11, K1 = 12;
const P0 = 13, P1 = 14; // i64 products

/** product = M · c as a full 64-bit product. */
const product = (target: number, multiplier: number, word: number) => [
  ...i32ops.const(multiplier), ...i64ops.extendI32U(), ...local.get(word), ...i64ops.extendI32U(), ...i64ops.mul(), ...local.set(target),
];
const high = (p: number) => [...local.get(p), ...i64ops.const(32), ...i64ops.shrU(), ...i32ops.wrapI64()];
const lowWord = (p: number) => [...local.get(p), ...i32ops.wrapI64()];
const xor3 = (a: number[], b: number, c: number) => [...a, ...local.get(b), ...i32ops.xor(), ...local.get(c), ...i32ops.xor()];

/** One Philox round, updating C0…C3 and the key. */
const round = () => [
  product(P0, PHILOX_M0, C0),
  product(P1, PHILOX_M1, C2),
  [...xor3(high(P1), C1, K0), ...local.set(C0)],
  [...lowWord(P1), ...local.set(C1)],
  [...xor3(high(P0), C3, K1), ...local.set(C2)],
  [...lowWord(P0), ...local.set(C3)],
  [...local.get(K0), ...i32ops.const(PHILOX_W0), ...i32ops.add(), ...local.set(K0)],
  [...local.get(K1), ...i32ops.const(PHILOX_W1), ...i32ops.add(), ...local.set(K1)],
];

const philoxUniform: FunctionDefinition = {
  exportName: 'philoxUniform',
  parameters: [i32, i32, i32, i32, i32, f64, f64],
  locals: [i32, i32, i32, i32, i32, i32, i64, i64],
  body: [
    control.block(),
    local.get(COUNT), i32ops.eqz(), control.brIf(0),
    control.loop(),
    [...local.get(INDEX), ...local.set(C0)],
    [...i32ops.const(0), ...local.set(C1)],
    [...i32ops.const(0), ...local.set(C2)],
    [...i32ops.const(0), ...local.set(C3)],
    [...local.get(KEY0), ...local.set(K0)],
    [...local.get(KEY1), ...local.set(K1)],
    ...Array.from({ length: 10 }, round).flat(),
    // out[i] = float32(low + scale · ((c0 >>> 8) · 2^-24))
    [
      ...local.get(OUT),
      ...local.get(LOW), ...local.get(SCALE),
      ...local.get(C0), ...i32ops.const(8), ...i32ops.shrU(), ...f64ops.convertI32U(), ...f64ops.const(2 ** -24), ...f64ops.mul(),
      ...f64ops.mul(), ...f64ops.add(), ...f32ops.demoteF64(), ...f32ops.store(0),
    ],
    [...local.get(OUT), ...i32ops.const(4), ...i32ops.add(), ...local.set(OUT)],
    [...local.get(INDEX), ...i32ops.const(1), ...i32ops.add(), ...local.set(INDEX)],
    [...local.get(COUNT), ...i32ops.const(1), ...i32ops.sub(), ...local.set(COUNT)],
    local.get(COUNT), control.brIf(0),
    control.end(),
    control.end(),
  ],
};

/** The module bytes. */
export function philoxKernelModule(): Uint8Array {
  return assembleModule([philoxUniform], 65536);
}

/** Elements per call: a 4 MiB window of the module's memory per thread, copied out after each call. */
const CHUNK = 1 << 20;
/** Tensors of at least this many elements are split between this thread and a helper thread. */
const SPLIT_AT = 1 << 18;

type PhiloxUniformFunction = (out: number, first: number, count: number, key0: number, key1: number, low: number, scale: number) => void;
interface PhiloxRuntime {
  run: PhiloxUniformFunction;
  /** Window 0 (this thread) and window 1 (the helper thread). */
  windows: [Float32Array, Float32Array];
  helper: HelperThread | null;
}
let philox: PhiloxRuntime | null | undefined;

function philoxRuntime(): PhiloxRuntime | null {
  if (philox === undefined) {
    try {
      const memory = new WebAssembly.Memory({ initial: (2 * CHUNK * 4) / 65536, maximum: 65536, shared: true });
      const module = new WebAssembly.Module(philoxKernelModule());
      const instance = new WebAssembly.Instance(module, { env: { memory } });
      const buffer = memory.buffer as unknown as ArrayBuffer;
      philox = {
        run: instance.exports.philoxUniform as PhiloxUniformFunction,
        windows: [new Float32Array(buffer, 0, CHUNK), new Float32Array(buffer, CHUNK * 4, CHUNK)],
        helper: availableParallelism() >= 2 ? new HelperThread(module, memory, ['philoxUniform']) : null,
      };
    } catch {
      philox = null;
    }
  }
  return philox;
}

/**
 * Fills `data[i]` with the uniform draw of element i (i < 2^32) for Philox key `key`, or returns false
 * where the runtime has no WebAssembly (the caller then runs the JavaScript loop). Large tensors go in
 * pairs of chunks, the first computed on this thread and the second on the helper thread at the same
 * time; each element is the same function of its index on either thread.
 */
export function fillUniformWasm(data: Float32Array, key: readonly number[], low: number, high: number): boolean {
  const runtime = philoxRuntime();
  if (runtime === null || data.length > 4294967296) return false;
  const scale = high - low;
  const helper = data.length >= SPLIT_AT ? runtime.helper : null;
  const step = helper === null ? CHUNK : 2 * CHUNK;
  for (let first = 0; first < data.length; first += step) {
    const mine = Math.min(CHUNK, data.length - first);
    const theirs = helper === null ? 0 : Math.min(CHUNK, data.length - first - mine);
    if (theirs > 0) helper!.start('philoxUniform', [CHUNK * 4, first + mine, theirs, key[0], key[1], low, scale]);
    runtime.run(0, first, mine, key[0], key[1], low, scale);
    if (theirs > 0) helper!.wait();
    data.set(runtime.windows[0].subarray(0, mine), first);
    if (theirs > 0) data.set(runtime.windows[1].subarray(0, theirs), first + mine);
  }
  return true;
}
