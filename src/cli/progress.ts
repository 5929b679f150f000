/**
 * Progress on a terminal: a command calls `step(label)` before each piece of work (reading a tensor,
 * running an expert, comparing an output); once the command has run for a second, each step rewrites
 * one status line on stderr ("[3.2 s] run: reading params.experts.3.w1.weight"). Nothing is written
 * when stderr is not a terminal (pipes, CI, specs), and `done()` clears the line.
 */
import type { CliIO } from './main.js';

/**
 * `tensors` behind a proxy that reports each read as a progress step ("reading params.experts.3…")
 * and records the names read in `used` (what is never read is unused).
 */
export function reportReads<T extends object>(tensors: T, prefix: string, progress: Progress, used: Set<string> = new Set()): T {
  return new Proxy(tensors, {
    get(target, name, receiver) {
      if (typeof name === 'string' && Object.prototype.hasOwnProperty.call(target, name)) {
        used.add(`${prefix}${name}`);
        progress.step(`reading ${prefix}${name}`);
      }
      return Reflect.get(target, name, receiver);
    },
  });
}

/** Seconds a command runs quietly before progress appears. */
export const QUIET_SECONDS = 1;

export interface Progress {
  step(label: string): void;
  done(): void;
}

/** A progress line for `command`, drawn only when `io.isTTY`. */
export function progressLine(io: CliIO, command: string, now: () => number = Date.now): Progress {
  const started = now();
  let shown = false;
  return {
    step(label) {
      if (!io.isTTY) return;
      const seconds = (now() - started) / 1000;
      if (seconds < QUIET_SECONDS) return;
      const line = `[${seconds.toFixed(1)} s] ${command}: ${label}`;
      io.stderr(`\r${line.length > 100 ? `${line.slice(0, 99)}…` : line.padEnd(100)}`);
      shown = true;
    },
    done() {
      if (shown) io.stderr(`\r${' '.repeat(100)}\r`);
      shown = false;
    },
  };
}
