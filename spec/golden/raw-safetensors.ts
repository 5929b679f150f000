// Test helper (not a spec): builds safetensors bytes by hand, so specs can write files that our
// writer never would (bad headers, other dtypes, wrong offsets).
import fc from 'fast-check';

/** Little-endian bytes of float32/int32/other typed values, via DataView so the host order never matters. */
export function littleEndian(kind: 'f32' | 'i32' | 'u16' | 'f64' | 'i64', values: readonly (number | bigint)[]): Uint8Array {
  const size = { f32: 4, i32: 4, u16: 2, f64: 8, i64: 8 }[kind];
  const view = new DataView(new ArrayBuffer(values.length * size));
  values.forEach((v, i) => {
    if (kind === 'f32') view.setFloat32(i * size, Number(v), true);
    else if (kind === 'i32') view.setInt32(i * size, Number(v), true);
    else if (kind === 'u16') view.setUint16(i * size, Number(v), true);
    else if (kind === 'f64') view.setFloat64(i * size, Number(v), true);
    else view.setBigInt64(i * size, BigInt(v), true);
  });
  return new Uint8Array(view.buffer);
}

/**
 * 8-byte length + header + data. `header` is JSON text or a value to stringify; `headerLength`
 * overrides the length field (to lie about it).
 */
export function rawSafetensors(header: unknown, data: Uint8Array = new Uint8Array(0), headerLength?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const bytes = new Uint8Array(8 + json.length + data.length);
  new DataView(bytes.buffer).setBigUint64(0, headerLength ?? BigInt(json.length), true);
  bytes.set(json, 8);
  bytes.set(data, 8 + json.length);
  return bytes;
}

/** Splits a safetensors file into its header text and data bytes (for files known to be valid). */
export function splitSafetensors(bytes: Uint8Array): { header: string; data: Uint8Array } {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { header: new TextDecoder().decode(bytes.subarray(8, 8 + length)), data: bytes.subarray(8 + length) };
}

/** Float32 bit patterns: any 32-bit pattern, with the special values made frequent. */
export const float32Bits = fc.oneof(
  fc.integer({ min: 0, max: 0xffffffff }),
  fc.constantFrom(
    0x00000000, // +0
    0x80000000, // -0
    0x7f800000, // +Infinity
    0xff800000, // -Infinity
    0x00000001, // smallest positive subnormal
    0x807fffff, // largest negative subnormal
    0x00800000, // smallest positive normal
    0x7f7fffff, // largest finite
    0x7fc00000, // quiet NaN
    0x7fc0beef, // quiet NaN with a payload
    0xff800001, // signalling NaN with the sign bit set
  ),
);

/** A float32 array holding exactly the given bit patterns. */
export function float32FromBits(bits: readonly number[]): Float32Array {
  return new Float32Array(Uint32Array.from(bits).buffer);
}

/** The bit patterns of a float32 array. */
export function bitsOfFloat32(values: Float32Array): number[] {
  return Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));
}
