/**
 * Generating and checking the golden suite.
 *
 *   generateSuite(dir)  writes golden/<case>.safetensors for every case and golden/index.json
 *                       (every case with its file's SHA-256), each file atomically
 *   checkSuite(dir)     regenerates every case into a temporary folder and compares the bytes with the
 *                       committed files and index.json: any changed number is a visible, reviewed change
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { MoEOracleError } from '../tensor/errors.js';
import { buildCase, caseBytes, NUMERIC_SEMANTICS_VERSION, type GoldenCase } from './case.js';
import { GOLDEN_CASES } from './cases/index.js';
import { TEMPORARY_FILE_PATTERN, writeFileAtomically } from './safetensors.js';

/** One line of golden/index.json. */
export interface IndexEntry {
  case: string;
  file: string;
  component: string;
  description: string;
  bytes: number;
  sha256: string;
}

/**
 * Selects cases: `only` is a substring or a glob with `*` matched against case names. Errors name the
 * filter `onlyArgument` (default 'options.only'; the CLI passes its flag).
 */
export function selectCases(options: { only?: string; large?: boolean; onlyArgument?: string } = {}): GoldenCase[] {
  if (typeof options !== 'object' || options === null) throw new MoEOracleError('options', 'an object {only?, large?}', JSON.stringify(options) ?? String(options));
  const pattern = options.only;
  const onlyArgument = options.onlyArgument ?? 'options.only';
  if (pattern !== undefined && typeof pattern !== 'string') throw new MoEOracleError(onlyArgument, 'a pattern (text, with * as a wildcard)', JSON.stringify(pattern) ?? String(pattern));
  const matches = (name: string) => {
    if (pattern === undefined) return true;
    if (!pattern.includes('*')) return name.includes(pattern);
    const regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&')).join('.*')}$`);
    return regex.test(name);
  };
  const selected = GOLDEN_CASES.filter((c) => (options.large ? true : !c.large) && matches(c.name));
  if (selected.length === 0) throw new MoEOracleError(onlyArgument, `a pattern matching at least one case (e.g. "moe/", "router/*ties*")`, JSON.stringify(pattern));
  return selected;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function indexText(entries: IndexEntry[]): string {
  const sorted = [...entries].sort((a, b) => (a.case < b.case ? -1 : a.case > b.case ? 1 : 0));
  return JSON.stringify({ numeric_semantics_version: NUMERIC_SEMANTICS_VERSION, cases: sorted }, null, 2) + '\n';
}

function entryFor(goldenCase: GoldenCase, bytes: Uint8Array): IndexEntry {
  return { case: goldenCase.name, file: `${goldenCase.name}.safetensors`, component: goldenCase.component, description: goldenCase.description, bytes: bytes.length, sha256: sha256(bytes) };
}

/**
 * Writes the selected cases into `dir`, and index.json listing them (merged with the entries of
 * cases already listed there when only some are regenerated). `onProgress` reports each case.
 */
export function generateSuite(dir: string, options: { only?: string; large?: boolean; onProgress?: (done: number, total: number, name: string) => void; argument?: string; onlyArgument?: string } = {}): IndexEntry[] {
  if (typeof options !== 'object' || options === null) throw new MoEOracleError('options', 'an object {only?, large?, onProgress?}', String(options));
  const argument = options.argument ?? 'dir';
  if (typeof dir !== 'string' || dir === '') throw new MoEOracleError(argument, 'a folder path', JSON.stringify(dir));
  const cases = selectCases(options);
  makeFolder(dir, argument);
  const indexPath = join(dir, 'index.json');
  const previous: IndexEntry[] = options.only !== undefined && existsSync(indexPath) ? readIndex(indexPath) : [];
  const entries = new Map(previous.map((e) => [e.case, e]));
  cases.forEach((goldenCase, i) => {
    options.onProgress?.(i, cases.length, goldenCase.name);
    const bytes = caseBytes(buildCase(goldenCase));
    const path = join(dir, `${goldenCase.name}.safetensors`);
    makeFolder(dirname(path), argument);
    writeFileAtomically(path, bytes, argument);
    entries.set(goldenCase.name, entryFor(goldenCase, bytes));
  });
  options.onProgress?.(cases.length, cases.length, 'index.json');
  writeFileAtomically(indexPath, new TextEncoder().encode(indexText([...entries.values()])), argument);
  return [...entries.values()];
}

/** The entries of an existing index.json; a damaged one is an error naming the file. */
function readIndex(indexPath: string): IndexEntry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(indexPath, 'utf8'));
  } catch (error) {
    throw new MoEOracleError(indexPath, 'a readable index.json (JSON); delete it, or regenerate every case (no case filter)', (error as Error).message);
  }
  const cases = (parsed as { cases?: unknown })?.cases;
  const valid = Array.isArray(cases) && cases.every((e) => typeof e === 'object' && e !== null && typeof (e as IndexEntry).case === 'string');
  if (!valid) throw new MoEOracleError(indexPath, 'an object {"cases": [{"case": …}, …]}; delete it, or regenerate every case (no case filter)', JSON.stringify(parsed)?.slice(0, 60) ?? 'nothing');
  return cases as IndexEntry[];
}

/**
 * Creates a folder and its missing parents, one level at a time (a recursive mkdir on a file system
 * such as /proc can loop); every failure is an error naming `argument`.
 */
function makeFolder(dir: string, argument: string): void {
  const missing: string[] = [];
  let at = resolve(dir);
  while (!existsSync(at)) {
    missing.unshift(at);
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
  }
  if (existsSync(at) && !statSync(at).isDirectory()) throw new MoEOracleError(argument, 'a folder (or a path where one can be made)', `${JSON.stringify(dir)}: ${JSON.stringify(at)} is a file`);
  for (const folder of missing) {
    try {
      mkdirSync(folder);
    } catch (error) {
      throw new MoEOracleError(argument, 'a folder that can be made', `${JSON.stringify(dir)} (${(error as NodeJS.ErrnoException).code ?? error})`);
    }
  }
}

/** One difference found by `checkSuite`. */
export interface SuiteDifference {
  file: string;
  problem: string;
}

/**
 * Regenerates the committed (non-large) suite into a temporary folder and compares every file, and
 * index.json, byte for byte with `dir`; files in `dir` that no case produces are reported too.
 */
export function checkSuite(dir: string, onProgress?: (done: number, total: number, name: string) => void, argument = 'dir'): SuiteDifference[] {
  if (typeof dir !== 'string' || dir === '' || !existsSync(dir)) throw new MoEOracleError(argument, 'a folder of golden files', `${JSON.stringify(dir)} (no such folder)`);
  if (!statSync(dir).isDirectory()) throw new MoEOracleError(argument, 'a folder of golden files', `${JSON.stringify(dir)} (a file)`);
  const regenerated = mkdtempSync(join(tmpdir(), 'moe-oracle-golden-check-'));
  try {
    generateSuite(regenerated, { onProgress });
    const differences: SuiteDifference[] = [];
    const expected = new Set(listFiles(regenerated));
    for (const file of expected) {
      const path = join(dir, file);
      if (!existsSync(path)) {
        differences.push({ file, problem: 'missing (not generated)' });
        continue;
      }
      const committed = readFileSync(path);
      const fresh = readFileSync(join(regenerated, file));
      if (!fresh.equals(committed)) {
        differences.push({ file, problem: `differs from the regenerated bytes (committed sha256 ${sha256(committed).slice(0, 12)}…, regenerated ${sha256(fresh).slice(0, 12)}…)` });
      }
    }
    for (const file of listFiles(dir)) {
      if (expected.has(file) || file === 'README.md') continue;
      const temporary = TEMPORARY_FILE_PATTERN.exec(basename(file));
      if (temporary) {
        const pid = Number(temporary[2]);
        const running = pid !== process.pid && processRuns(pid);
        differences.push({
          file,
          problem: running
            ? `a temporary file of a write in progress (process ${pid})`
            : `a stale temporary file left by an interrupted write (process ${pid} has ended): remove it with rm ${JSON.stringify(join(dir, file))}`,
        });
      } else differences.push({ file, problem: 'not produced by any case (stale file?)' });
    }
    return differences;
  } finally {
    rmSync(regenerated, { recursive: true, force: true });
  }
}

function listFiles(dir: string, root = dir): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? listFiles(join(dir, entry.name), root) : [relative(root, join(dir, entry.name))],
  );
}

/** Whether a process with this id runs (signal 0 checks without sending anything). */
function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
