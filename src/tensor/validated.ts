/**
 * Weights checked for NaN/±Infinity once per parameter set, not on every call.
 *
 * A forward pass reads each selected expert's matrices; scanning all of their values on every call
 * cost 2–24% of a forward at real widths. So the first successful check of a weight tensor is
 * remembered (a WeakSet of the tensor objects, which never keeps a tensor alive) and later calls
 * skip the scan.
 *
 * Mutating a weight in place: the library cannot see a write into `tensor.data`, so a caller who
 * changes a checked weight's values in place calls `revalidateWeights(tensor)` (or passes a fresh
 * tensor) before the next call, and the next call checks it again. Without that, a NaN written in
 * place still cannot pass silently: every layer output is checked for non-finite values
 * (`checkProducedFinite`), though the error then names the output rather than the weight.
 */
import { checkFinite, type Tensor } from './tensor.js';

const checkedWeights = new WeakSet<Tensor>();

/** `checkFinite(argument, weight)` the first time this tensor object is seen; nothing afterwards. */
export function checkWeightFiniteOnce(argument: string, weight: Tensor): void {
  if (checkedWeights.has(weight)) return;
  checkFinite(argument, weight);
  checkedWeights.add(weight);
}

/** Forgets that `weights` were checked, so the next call that uses them checks their values again. */
export function revalidateWeights(...weights: Tensor[]): void {
  for (const weight of weights) checkedWeights.delete(weight);
}
