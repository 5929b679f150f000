/**
 * Bench helper (not a test): runs one `moe-oracle` command in this process and prints, as the last
 * line on stderr, JSON with its exit code, wall seconds and the process's peak resident memory
 * (VmHWM of /proc/self/status, KiB). Used by run-verify-full-width.ts. Not `resourceUsage().maxRSS`:
 * Linux carries ru_maxrss across exec, so a child spawned by a large parent would report the
 * parent's peak; VmHWM belongs to this process's own address space.
 */
import { readFileSync } from 'node:fs';
import { main } from '../src/cli/main.js';

const started = process.hrtime.bigint();
const code = await main(process.argv.slice(2));
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
const maxRssKiB = hwm ? Number(hwm[1]) : process.resourceUsage().maxRSS;
process.stderr.write(`\n${JSON.stringify({ code, seconds, maxRssKiB })}\n`);
process.exitCode = code;
