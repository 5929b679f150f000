/**
 * A second core for the WebAssembly kernel: one `worker_threads` worker that instantiates the same
 * module on the same shared memory and computes part of a `linear` while the calling thread computes
 * the rest. The split is by output tiles (4 outputs × all tokens each), and every tile is computed by
 * the same `tile` function from the same bytes whichever thread runs it, so the result is the same
 * bit for bit with 1 or 2 threads (spec/backends/threads-give-the-same-bits-as-one-thread.spec.ts).
 *
 * The caller stays synchronous (moeForward is): it posts a job by bumping a sequence number in a
 * small shared control block (Atomics.store + Atomics.notify), computes its own tiles, then blocks in
 * Atomics.wait until the worker has stored the same sequence number as done. Node allows
 * Atomics.wait on the main thread. The worker is unref'd, so it never keeps a process alive.
 *
 * Control block (Int32Array over a SharedArrayBuffer):
 *   [0] job sequence number (the worker waits for it to change)   [1] last job done
 *   [2] worker ready (1) or failed to start (−1)
 *   [3…] the job: xBase, wBase, yBase, n, tokenTiles, firstOutputTile, endOutputTile, wStride, yStride
 */
import { Worker } from 'node:worker_threads';
import { MoEOracleError } from '../../tensor/errors.js';

const SEQUENCE = 0, DONE = 1, READY = 2, JOB = 3;

/** The worker's whole program (CommonJS, run with `eval`), so no file path or loader is needed. */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const control = new Int32Array(workerData.control);
let tile;
try {
  tile = new WebAssembly.Instance(workerData.module, { env: { memory: workerData.memory } }).exports.tile;
  Atomics.store(control, ${READY}, 1);
} catch (error) {
  Atomics.store(control, ${READY}, -1);
  Atomics.notify(control, ${DONE});
  throw error;
}
let seen = 0;
for (;;) {
  Atomics.wait(control, ${SEQUENCE}, seen);
  seen = Atomics.load(control, ${SEQUENCE});
  const [xBase, wBase, yBase, n, tokenTiles, firstOutputTile, endOutputTile, wStride, yStride] = control.subarray(${JOB}, ${JOB} + 9);
  for (let o = firstOutputTile; o < endOutputTile; o++)
    for (let t = 0; t < tokenTiles; t++) tile(xBase + t * n * 32, wBase + o * 4 * wStride, yBase + o * 4 * yStride + t * 32, n, wStride, yStride);
  Atomics.store(control, ${DONE}, seen);
  Atomics.notify(control, ${DONE});
}
`;

/** A job: the arguments of the tiles `tile(…)` for output tiles [firstOutputTile, endOutputTile). */
export interface TileJob {
  xBase: number;
  wBase: number;
  yBase: number;
  n: number;
  tokenTiles: number;
  firstOutputTile: number;
  endOutputTile: number;
  wStride: number;
  yStride: number;
}

/** How long the caller waits for the worker before reporting it broken (it starts in ~50 ms). */
const WORKER_TIMEOUT_MS = 60_000;

export class HelperThread {
  private readonly control = new Int32Array(new SharedArrayBuffer(4 * (JOB + 9)));
  private sequence = 0;
  private readonly worker: Worker;

  constructor(module: WebAssembly.Module, memory: WebAssembly.Memory) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, memory, control: this.control.buffer } });
    this.worker.unref();
  }

  /** Starts `job` on the worker and returns at once; call `wait()` after doing the caller's share. */
  start(job: TileJob): void {
    const values = [job.xBase, job.wBase, job.yBase, job.n, job.tokenTiles, job.firstOutputTile, job.endOutputTile, job.wStride, job.yStride];
    values.forEach((value, i) => (this.control[JOB + i] = value));
    this.sequence = (this.sequence + 1) | 0 || 1; // never 0, the worker's initial value
    Atomics.store(this.control, SEQUENCE, this.sequence);
    Atomics.notify(this.control, SEQUENCE);
  }

  /** Blocks until the worker has finished the last job. */
  wait(): void {
    const deadline = Date.now() + WORKER_TIMEOUT_MS;
    for (;;) {
      const done = Atomics.load(this.control, DONE);
      if (done === this.sequence) return;
      if (Atomics.load(this.control, READY) === -1) throw new MoEOracleError('wasm-simd threads', 'a worker thread that can run the kernel', 'a worker that failed to start');
      const left = deadline - Date.now();
      if (left <= 0) throw new MoEOracleError('wasm-simd threads', `a worker thread that answers within ${WORKER_TIMEOUT_MS / 1000} s`, 'no answer');
      Atomics.wait(this.control, DONE, done, Math.min(left, 1000));
    }
  }

  /** Stops the worker. */
  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}
