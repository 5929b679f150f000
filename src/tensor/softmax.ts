/**
 * Softmax and log-sum-exp over the last axis, max-subtracted so that logits of ±1e4 neither
 * overflow nor underflow to 0/0:
 *
 *   m = max_j z_j,   softmax(z)_i = e^(z_i − m) / Σ_j e^(z_j − m),   logsumexp(z) = m + ln Σ_j e^(z_j − m)
 *
 * Exponentials and the sum are float64 (Math.exp, summed in index order); each output is rounded to
 * float32 once. −Infinity entries are allowed (masked logits) and get probability exactly 0; a row
 * whose entries are all −Infinity has no softmax and is rejected, as are NaN and +Infinity.
 *
 *   softmax:   z [R, C] → [R, C]        logSumExp: z [R, C] → [R]
 */
import { MoEOracleError } from './errors.js';
import { checkFinite, checkShape, contiguous, tensor, type Tensor } from './tensor.js';

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

function checkLogits(z: Tensor, argument: string): Tensor {
  checkShape(argument, z, ['rows', 'columns']);
  checkFinite(argument, z, { allowNegativeInfinity: true });
  return contiguous(z);
}

/** Row-wise softmax. z [R, C] → [R, C]. */
export function softmax(z: Tensor, argument = 'logits'): Tensor {
  const logits = checkLogits(z, argument);
  const [rows, columns] = logits.shape;
  const out = new Float32Array(rows * columns);
  for (let r = 0; r < rows; r++) {
    const row = logits.data.subarray(r * columns, (r + 1) * columns);
    out.set(softmaxValues(row, `${argument}[${r}]`), r * columns);
  }
  return tensor(out, [rows, columns]);
}

/** Row-wise log-sum-exp. z [R, C] → [R]. */
export function logSumExp(z: Tensor, argument = 'logits'): Tensor {
  const logits = checkLogits(z, argument);
  const [rows, columns] = logits.shape;
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) out[r] = logSumExpValues(logits.data.subarray(r * columns, (r + 1) * columns), `${argument}[${r}]`);
  return tensor(out, [rows]);
}
