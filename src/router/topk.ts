/**
 * top-k selection with a pinned tie rule, plus the per-token margin at the selection boundary.
 *
 *   values [T, k]   the k largest entries of each row, in descending order
 *   indices [T, k]  their column (expert) indices, int32
 *   margins [T]     values[t, k−1] − (k+1)-th largest of row t; +Infinity when k = N
 *
 * Tie rule: descending value, and among equal values the lower index first, i.e. a stable
 * descending sort. This is the rule of `jax.lax.top_k`, TensorFlow's TopK, ONNX TopK (opset ≥ 11) and
 * vLLM's fused kernels; PyTorch's `torch.topk` leaves tie order unspecified. The margin lets a
 * verifier tell a real disagreement from a near-tie: when it is 0 (or below the backend's error),
 * another valid implementation may pick a different set. −Infinity entries (masked experts) are
 * allowed; two equal entries, −Infinity included, have margin 0.
 */
import { checkInteger, MoEOracleError } from '../tensor/errors.js';
import { checkFinite, checkShape, contiguous, intTensor, tensor, type IntTensor, type Tensor } from '../tensor/tensor.js';

/** Result of {@link topK}. */
export interface TopKResult {
  /** [T, k] the selected scores, descending. */
  values: Tensor;
  /** [T, k] int32 expert indices of the selected scores. */
  indices: IntTensor;
  /** [T] k-th minus (k+1)-th largest score; +Infinity when k equals the number of columns. */
  margins: Tensor;
}

/** Difference a − b that is 0 for equal values (so −Infinity − −Infinity gives 0, not NaN). */
export function gap(a: number, b: number): number {
  return a === b ? 0 : a - b;
}

/** True when column a comes before column b in the ranking: higher value, or equal value and lower index. */
function precedes(row: ArrayLike<number>, a: number, b: number): boolean {
  return row[a] === row[b] ? a < b : row[a] > row[b];
}

/**
 * Columns of one row ordered by descending value, ties broken by lower index: the ranking every
 * selection in moe-oracle uses (a full sort; `rankTop` gives its first entries faster).
 */
export function rankDescending(row: ArrayLike<number>): number[] {
  const order = Array.from({ length: row.length }, (_, i) => i);
  order.sort((a, b) => (row[a] === row[b] ? a - b : row[b] - row[a]));
  return order;
}

/**
 * The first `count` columns of `rankDescending(row)`, by partial selection instead of a full sort:
 * one pass over the columns in increasing index, each inserted into a sorted list of the best
 * `count` so far (O(N·count) instead of O(N log N) with a comparator call per step). A column that
 * ties a listed one goes after it, since it has the higher index: the same tie rule, the same result.
 */
export function rankTop(row: ArrayLike<number>, count: number): Int32Array {
  const best = new Int32Array(count);
  let filled = 0;
  for (let c = 0; c < row.length; c++) {
    if (filled === count && !precedes(row, c, best[count - 1])) continue;
    let position = filled < count ? filled++ : count - 1;
    while (position > 0 && precedes(row, c, best[position - 1])) {
      best[position] = best[position - 1];
      position--;
    }
    best[position] = c;
  }
  return best;
}

/** Row-wise top-k of `scores` [T, N] under the tie rule above. */
export function topK(scores: Tensor, k: number, argument = 'scores'): TopKResult {
  checkShape(argument, scores, ['T', 'N']);
  const [tokens, columns] = scores.shape;
  checkInteger('k', k, 1, columns);
  checkFinite(argument, scores, { allowNegativeInfinity: true });
  const data = contiguous(scores).data;
  const values = new Float32Array(tokens * k);
  const indices = new Int32Array(tokens * k);
  const margins = new Float32Array(tokens);
  for (let t = 0; t < tokens; t++) {
    const row = data.subarray(t * columns, (t + 1) * columns);
    const order = rankTop(row, Math.min(k + 1, columns));
    for (let j = 0; j < k; j++) {
      indices[t * k + j] = order[j];
      values[t * k + j] = row[order[j]];
    }
    margins[t] = k === columns ? Infinity : gap(row[order[k - 1]], row[order[k]]);
  }
  return { values: tensor(values, [tokens, k]), indices: intTensor(indices, [tokens, k]), margins: tensor(margins, [tokens]) };
}

/** Checks a user-supplied selection: [T, k] int32, each index in [0, N), no repeats within a token. */
export function checkSelection(argument: string, indices: IntTensor, tokens: number, k: number, numExperts: number): void {
  checkShape(argument, indices, [tokens, k], { kind: 'int32' });
  const data = contiguous(indices).data;
  for (let t = 0; t < tokens; t++) {
    const seen = new Set<number>();
    for (let j = 0; j < k; j++) {
      const e = data[t * k + j];
      if (e < 0 || e >= numExperts) throw new MoEOracleError(`${argument}[${t}, ${j}]`, `an expert index in [0, ${numExperts})`, String(e));
      if (seen.has(e)) throw new MoEOracleError(`${argument}[${t}]`, 'k distinct expert indices', `expert ${e} twice`);
      seen.add(e);
    }
  }
}
