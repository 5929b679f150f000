// A deliberately asynchronous wrapper of the cpu backend, standing in for gpu.js's WebGPU mode: every
// kernel returns its handle at once, but the handle's values arrive in a Promise resolved in a later
// macrotask (as a WebGPU readback through mapAsync does), and readSync refuses. Output shapes are
// known at once, as on a real device.
import { cpuBackend, MoEOracleError, type DeviceTensor, type Kernels, type Tensor } from '../../src/index.js';

/** A value in flight: its shape now, its data later. */
class Pending implements DeviceTensor {
  constructor(
    readonly shape: readonly number[],
    readonly values: Promise<Tensor>,
  ) {}
}

/** Resolves `compute()` in a later macrotask, after the inputs have arrived. */
function later(shape: readonly number[], inputs: DeviceTensor[], compute: (...hosts: Tensor[]) => Tensor): Pending {
  const values = Promise.all(inputs.map((t) => (t as Pending).values)).then(
    (hosts) => new Promise<Tensor>((resolve, reject) => setTimeout(() => {
      try { resolve(compute(...hosts)); } catch (error) { reject(error); }
    }, 0)),
  );
  return new Pending(shape, values);
}

export const asyncCpuBackend: Kernels = {
  name: 'async-cpu',
  synchronous: false,
  upload: (t) => new Pending(t.shape, Promise.resolve(cpuBackend.upload(t) as Tensor)),
  readSync: () => {
    throw new MoEOracleError('readSync', 'a synchronous backend', "the asynchronous 'async-cpu'");
  },
  read: (t) => (t as Pending).values,
  linear: (x, w, b) => later([x.shape[0], w.shape[0]], b === undefined ? [x, w] : [x, w, b], (xh, wh, bh) => cpuBackend.linear(xh, wh, bh) as Tensor),
  activation: (x, name) => later(x.shape, [x], (xh) => cpuBackend.activation(xh, name) as Tensor),
  siluAndMul: (g, u) => later(g.shape, [g, u], (gh, uh) => cpuBackend.siluAndMul(gh, uh) as Tensor),
  clampedSwiGLU: (g, u, options) => later(g.shape, [g, u], (gh, uh) => cpuBackend.clampedSwiGLU(gh, uh, options) as Tensor),
  softmax: (z) => later(z.shape, [z], (zh) => cpuBackend.softmax(zh) as Tensor),
  logSumExp: (z) => later([z.shape[0]], [z], (zh) => cpuBackend.logSumExp(zh) as Tensor),
  rmsNorm: (x, w, eps) => later(x.shape, [x, w], (xh, wh) => cpuBackend.rmsNorm(xh, wh, eps) as Tensor),
  gatherRows: (x, rows) => later([rows.length, x.shape[1]], [x], (xh) => cpuBackend.gatherRows(xh, rows) as Tensor),
  scatterRows: (parts, rowCount, hidden) =>
    later([rowCount, hidden], parts.map((p) => p.values), (...hosts) => cpuBackend.scatterRows(parts.map((p, i) => ({ values: hosts[i], rows: p.rows })), rowCount, hidden) as Tensor),
  combine: (w, slots, shared) =>
    later([w.shape[0], slots.shape[1]], shared === undefined ? [w, slots] : [w, slots, shared.output, shared.gate], (wh, sh, out, gate) =>
      cpuBackend.combine(wh, sh, shared === undefined ? undefined : { output: out, gate }) as Tensor),
  batchedMatmul: (a, b, options) =>
    later([a.shape[0], a.shape[1], options?.transposeB ? b.shape[1] : b.shape[2]], [a, b], (ah, bh) => cpuBackend.batchedMatmul(ah, bh, options) as Tensor),
  maskedSoftmax: (s, options) => later(s.shape, [s], (sh) => cpuBackend.maskedSoftmax(sh, options) as Tensor),
  splitHeads: (x, heads, columns) => later([heads, x.shape[0], columns.width], [x], (xh) => cpuBackend.splitHeads(xh, heads, columns) as Tensor),
  mergeHeads: (x) => later([x.shape[1], x.shape[0] * x.shape[2]], [x], (xh) => cpuBackend.mergeHeads(xh) as Tensor),
  concatLastAxis: (parts) => {
    const rank = parts[0].shape.length;
    const width = parts.reduce((sum, p) => sum + p.shape[rank - 1], 0);
    const shape = rank === 3 ? [Math.max(...parts.map((p) => p.shape[0])), parts[0].shape[1], width] : [parts[0].shape[0], width];
    return later(shape, [...parts], (...hosts) => cpuBackend.concatLastAxis(hosts) as Tensor);
  },
  rope: (x, rotation) => later(x.shape, [x], (xh) => cpuBackend.rope(xh, rotation) as Tensor),
};
