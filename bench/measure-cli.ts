/**
 * Bench helper (not a test): runs one `moe-oracle` command in this process and prints, as the last
 * line on stderr, JSON with its exit code, wall seconds and the process's peak resident memory
 * (`process.resourceUsage().maxRSS`, KiB). Used by run-verify-full-width.ts.
 */
import { main } from '../src/cli/main.js';

const started = process.hrtime.bigint();
const code = await main(process.argv.slice(2));
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
process.stderr.write(`\n${JSON.stringify({ code, seconds, maxRssKiB: process.resourceUsage().maxRSS })}\n`);
process.exitCode = code;
