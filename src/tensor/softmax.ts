/**
 * Softmax and log-sum-exp over the last axis, max-subtracted so that logits of ±1e4 neither
 * overflow nor underflow to 0/0:
 *
 *   m = max_j z_j,   softmax(z)_i = e^(z_i − m) / Σ_j e^(z_j − m),   logsumexp(z) = m + ln Σ_j e^(z_j − m)
 *
 * Exponentials and the sum are float64 (Math.exp, summed in index order). −Infinity entries are
 * allowed (masked logits) and get probability exactly 0; a row whose entries are all −Infinity has no
 * softmax and is rejected. These are the row functions of the `softmax`, `logSumExp` and
 * `maskedSoftmax` kernels (src/backends/cpu/softmax.ts) and of the router's softmax over the k chosen
 * logits; each kernel rounds its outputs to float32 once.
 */
import { MoEOracleError } from './errors.js';

/**
 * Softmax of a list of float64 values, as float64 (the shared kernel: the router also uses it for
 * the softmax over the k selected logits). Throws if every value is −Infinity.
 */
export function softmaxValues(values: ArrayLike<number>, argument = 'logits'): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) if (values[i] > max) max = values[i];
  if (max === -Infinity) throw new MoEOracleError(argument, 'at least one entry per row above -Infinity', 'a row that is all -Infinity');
  const out = new Float64Array(values.length);
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    out[i] = Math.exp(values[i] - max);
    sum += out[i];
  }
  for (let i = 0; i < values.length; i++) out[i] /= sum;
  return out;
}

/** log Σ e^(z_i), float64, max-subtracted. */
export function logSumExpValues(values: ArrayLike<number>, argument = 'logits'): number {
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) if (values[i] > max) max = values[i];
  if (max === -Infinity) throw new MoEOracleError(argument, 'at least one entry per row above -Infinity', 'a row that is all -Infinity');
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += Math.exp(values[i] - max);
  return max + Math.log(sum);
}
