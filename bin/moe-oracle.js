#!/usr/bin/env node
// The `moe-oracle` command. The installed package runs the compiled dist/ (built by `npm pack`'s
// prepack script). In a clone of the repository (src/ present, tsx installed by `npm ci`) it runs
// the TypeScript sources directly, so no build step is needed and dist/ can never be stale.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
let cli;
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import(source.href);
} else {
  cli = await import('../dist/cli/main.js');
}
const { main, removePendingTemporaries } = cli;

// A reader that stops early (`moe-oracle golden list | head`) closes the pipe: end quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

// Ctrl-C (or a kill) during a write: remove the temporary file of the write in progress, never
// leave it behind; exit 128 + the signal number, as shells do.
for (const [signal, number] of [['SIGINT', 2], ['SIGTERM', 15], ['SIGHUP', 1]]) {
  process.on(signal, () => {
    removePendingTemporaries();
    process.exit(128 + number);
  });
}

process.exitCode = await main(process.argv.slice(2));
