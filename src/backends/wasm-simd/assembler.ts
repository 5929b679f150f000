/**
 * A tiny WebAssembly binary writer: just enough of the format (WebAssembly Core Specification 2.0,
 * chapter 5 "Binary Format", and the fixed-width SIMD proposal's opcode table) to write the one
 * kernel of `kernel.ts` from a readable TypeScript description instead of shipping an opaque blob.
 *
 * A module here is: function types, one imported memory (shared, so worker threads can run the same
 * code on the same bytes), functions with their locals and bodies, and exports. Instructions are
 * written as small functions returning their bytes, e.g. `f64x2.add()`, `local.get(3)`.
 */

/** Value types. */
export const i32 = 0x7f;
export const i64 = 0x7e;
export const f64 = 0x7c;
export const v128 = 0x7b;
export type ValueType = typeof i32 | typeof i64 | typeof f64 | typeof v128;

/** Unsigned LEB128 (sizes, indices, alignments, offsets). */
export function unsigned(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}

/** Signed LEB128 (i32.const). */
export function signed(value: number): number[] {
  const bytes: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    const done = (value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0);
    bytes.push(done ? byte : byte | 0x80);
    if (done) return bytes;
  }
}

const utf8 = (text: string) => [...new TextEncoder().encode(text)];
const name = (text: string) => [...unsigned(utf8(text).length), ...utf8(text)];
const vector = (items: number[][]) => [...unsigned(items.length), ...items.flat()];
const section = (id: number, body: number[]) => [id, ...unsigned(body.length), ...body];

/** Memory access immediate: log2 of the alignment and a constant byte offset. */
const memarg = (alignLog2: number, offset: number) => [...unsigned(alignLog2), ...unsigned(offset)];
/** Instructions of the SIMD proposal are 0xfd followed by their LEB128 opcode. */
const simd = (opcode: number, ...immediate: number[]) => [0xfd, ...unsigned(opcode), ...immediate];

/** The instructions the kernel uses, grouped as the text format names them. */
export const local = {
  get: (index: number) => [0x20, ...unsigned(index)],
  set: (index: number) => [0x21, ...unsigned(index)],
};
export const i32ops = {
  const: (value: number) => [0x41, ...signed(value | 0)],
  add: () => [0x6a],
  sub: () => [0x6b],
  mul: () => [0x6c],
  eqz: () => [0x45],
  geU: () => [0x4f],
  xor: () => [0x73],
  shrU: () => [0x76],
  /** The low 32 bits of an i64. */
  wrapI64: () => [0xa7],
};
export const i64ops = {
  const: (value: number) => [0x42, ...signed(value)], // small values only (|value| < 2^31)
  mul: () => [0x7e],
  shrU: () => [0x88],
  /** An i32 read as unsigned, widened to i64. */
  extendI32U: () => [0xad],
};
export const f64ops = {
  /** The float64 constant, as its 8 little-endian bytes. */
  const: (value: number) => [0x44, ...new Uint8Array(new Float64Array([value]).buffer)],
  add: () => [0xa0],
  mul: () => [0xa2],
  /** An i32 read as unsigned, converted exactly to float64. */
  convertI32U: () => [0xb8],
};
export const f32ops = {
  /** float64 → float32, round to nearest even (JavaScript's Math.fround). */
  demoteF64: () => [0xb6],
  store: (offset = 0) => [0x38, ...memarg(2, offset)],
};
export const control = {
  /** `block` / `loop` with no result, closed by `end`. */
  block: () => [0x02, 0x40],
  loop: () => [0x03, 0x40],
  end: () => [0x0b],
  br: (depth: number) => [0x0c, ...unsigned(depth)],
  brIf: (depth: number) => [0x0d, ...unsigned(depth)],
  /** Calls function `index` of the module (arguments on the stack). */
  call: (index: number) => [0x10, ...unsigned(index)],
};
export const v128ops = {
  /** 16 bytes from address + offset. */
  load: (offset = 0) => simd(0x00, ...memarg(4, offset)),
  /** One float32 from address + offset, copied into all four f32 lanes. */
  load32Splat: (offset = 0) => simd(0x09, ...memarg(2, offset)),
  store: (offset = 0) => simd(0x0b, ...memarg(4, offset)),
  /** One float64 from address + offset, copied into both f64 lanes. */
  load64Splat: (offset = 0) => simd(0x0a, ...memarg(3, offset)),
  /** One float32 into lane 0, the other lanes 0. */
  load32Zero: (offset = 0) => simd(0x5c, ...memarg(2, offset)),
  /** One float32 into lane `lane` of the vector on the stack (address below it). */
  load32Lane: (lane: number, offset = 0) => simd(0x56, ...memarg(2, offset), lane),
};
export const f64x2 = {
  add: () => simd(0xf0),
  mul: () => simd(0xf2),
  /** The two low f32 lanes, each converted exactly to float64. */
  promoteLowF32x4: () => simd(0x5f),
};

/** A function: parameter types, local types beyond the parameters, body instructions (no results). */
export interface FunctionDefinition {
  exportName: string;
  parameters: ValueType[];
  locals: ValueType[];
  body: number[][];
}

/**
 * The module bytes: the functions, all exported, and one memory imported as `env.memory`
 * (shared, at most `maximumPages` pages of 64 KiB).
 */
export function assembleModule(functions: FunctionDefinition[], maximumPages: number): Uint8Array {
  const types = section(1, vector(functions.map((f) => [0x60, ...vector(f.parameters.map((t) => [t])), ...vector([])])));
  const imports = section(2, vector([[...name('env'), ...name('memory'), 0x02, 0x03, ...unsigned(1), ...unsigned(maximumPages)]]));
  const declarations = section(3, vector(functions.map((_, index) => unsigned(index))));
  const exports = section(7, vector(functions.map((f, index) => [...name(f.exportName), 0x00, ...unsigned(index)])));
  const bodies = functions.map((f) => {
    const locals = vector(f.locals.map((t) => [...unsigned(1), t]));
    const code = [...locals, ...f.body.flat(), ...control.end()];
    return [...unsigned(code.length), ...code];
  });
  const code = section(10, vector(bodies));
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...types, ...imports, ...declarations, ...exports, ...code]);
}
