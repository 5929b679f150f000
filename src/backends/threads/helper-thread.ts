/**
 * A second core for the WebAssembly kernels: one `worker_threads` worker that instantiates the same
 * module on the same shared memory and runs one exported function call per job while the calling
 * thread does its own share (the other half of a matrix product's output tiles, or of a parameter
 * tensor's elements). Every output element is computed by the same function from the same bytes
 * whichever thread runs it, so results are the same bit for bit with 1 or 2 threads
 * (spec/backends/threads-give-the-same-bits-as-one-thread.spec.ts).
 *
 * The caller stays synchronous (moeForward is): it writes the job into a small shared control block
 * and bumps a sequence number (Atomics.store + Atomics.notify), does its own share, then blocks in
 * Atomics.wait until the worker has stored the same sequence number as done. Node allows Atomics.wait
 * on the main thread. The worker is unref'd, so it never keeps a process alive.
 *
 * Control block (a SharedArrayBuffer seen as Int32Array and, from byte 64, as Float64Array):
 *   int32 [0] job sequence number (the worker waits for it to change)   [1] last job done
 *         [2] worker ready (1) or failed to start (−1)                  [3] index of the function
 *   float64 [8 …] the call's arguments (float64 holds every i32 and f64 argument exactly)
 */
import { Worker } from 'node:worker_threads';
import { MoEOracleError } from '../../tensor/errors.js';

const SEQUENCE = 0, DONE = 1, READY = 2, FUNCTION = 3;
const ARGUMENTS = 8; // in float64 slots: byte 64
const MAX_ARGUMENTS = 12;

/**
 * The worker's whole program, run with `eval` so that no file path or loader is needed. It uses only a
 * dynamic import, valid both as a CommonJS script and as an ES module (a parent run with
 * `--input-type=module` would make it one), and it is started with no inherited Node flags.
 */
const WORKER_SOURCE = `
import('node:worker_threads').then(({ workerData }) => {
  const control = new Int32Array(workerData.control);
  const args = new Float64Array(workerData.control);
  let functions;
  try {
    const exports = new WebAssembly.Instance(workerData.module, { env: { memory: workerData.memory } }).exports;
    functions = workerData.functionNames.map((name) => exports[name]);
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
    functions[control[${FUNCTION}]](...args.subarray(${ARGUMENTS}, ${ARGUMENTS + MAX_ARGUMENTS}));
    Atomics.store(control, ${DONE}, seen);
    Atomics.notify(control, ${DONE});
  }
});
`;

/** How long the caller waits for the worker before reporting it broken (it starts in ~50 ms). */
const WORKER_TIMEOUT_MS = 60_000;

export class HelperThread {
  private readonly buffer = new SharedArrayBuffer(8 * (ARGUMENTS + MAX_ARGUMENTS));
  private readonly control = new Int32Array(this.buffer);
  private readonly args = new Float64Array(this.buffer);
  private sequence = 0;
  private readonly worker: Worker;

  /** A worker running `functionNames` of `module` (instantiated on `memory`, shared with this thread). */
  constructor(module: WebAssembly.Module, memory: WebAssembly.Memory, private readonly functionNames: readonly string[]) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { module, memory, control: this.buffer, functionNames } });
    this.worker.unref();
  }

  /** Starts `name(...args)` on the worker and returns at once; call `wait()` after doing the caller's share. */
  start(name: string, args: readonly number[]): void {
    this.args.fill(0, ARGUMENTS);
    args.forEach((value, i) => (this.args[ARGUMENTS + i] = value));
    this.control[FUNCTION] = this.functionNames.indexOf(name);
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
      if (Atomics.load(this.control, READY) === -1) throw new MoEOracleError('helper thread', 'a worker thread that can run the kernel', 'a worker that failed to start');
      const left = deadline - Date.now();
      if (left <= 0) throw new MoEOracleError('helper thread', `a worker thread that answers within ${WORKER_TIMEOUT_MS / 1000} s`, 'no answer');
      Atomics.wait(this.control, DONE, done, Math.min(left, 1000));
    }
  }

  /** Stops the worker. */
  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}
