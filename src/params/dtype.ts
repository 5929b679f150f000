/**
 * Storage types and their sizes, shared by the weight-memory and KV-cache figures (cost.ts,
 * src/attention/kv-cache-size.ts): fp32 4 bytes, bf16 2, fp8 1, int4 ½ per value (the scales that
 * quantised formats also store are not counted).
 */

/** Bytes per element of each storage type. */
export const DTYPE_BYTES = { fp32: 4, bf16: 2, fp8: 1, int4: 0.5 } as const;
/** A storage type: fp32, bf16, fp8 or int4. */
export type Dtype = keyof typeof DTYPE_BYTES;
/** The storage types, in the order tables list them. */
export const DTYPES = Object.keys(DTYPE_BYTES) as Dtype[];

/** Bytes that `elements` values take in `dtype` (int4 rounds up to whole bytes). */
export function bytesOf(elements: number, dtype: Dtype): number {
  return Math.ceil(elements * DTYPE_BYTES[dtype]);
}

/** Bytes that `elements` values take in each storage type. */
export function bytesPerDtype(elements: number): Record<Dtype, number> {
  const bytes = {} as Record<Dtype, number>;
  for (const dtype of DTYPES) bytes[dtype] = bytesOf(elements, dtype);
  return bytes;
}
