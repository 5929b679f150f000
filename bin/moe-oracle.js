#!/usr/bin/env node
// The `moe-oracle` command. The TypeScript sources are compiled to dist/ by `npm run build`
// (the published package ships dist/; a fresh clone gets it from `npm ci`, see package.json).
import { main, removePendingTemporaries } from '../dist/cli/main.js';

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
