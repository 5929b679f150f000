/**
 * Generating and checking the golden suite.
 *
 *   generateSuite(dir)  writes golden/<case>.safetensors for every case and golden/index.json
 *                       (every case with its file's SHA-256), each file atomically
 *   checkSuite(dir)     regenerates every case into a temporary folder and compares the bytes with the
 *                       committed files and index.json: any changed number is a visible, reviewed change
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { MoEOracleError } from '../tensor/errors.js';
import { buildCase, caseBytes, LIBRARY_VERSION, NUMERIC_SEMANTICS_VERSION, type GoldenCase } from './case.js';
import { GOLDEN_CASES } from './cases/index.js';
import { writeSafetensorsFile } from './safetensors.js';

/** One line of golden/index.json. */
export interface IndexEntry {
  case: string;
  file: string;
  component: string;
  description: string;
  bytes: number;
  sha256: string;
}

/** Selects cases: `only` is a substring or a glob with `*` matched against case names. */
export function selectCases(options: { only?: string; large?: boolean } = {}): GoldenCase[] {
  const pattern = options.only;
  const matches = (name: string) => {
    if (pattern === undefined) return true;
    if (!pattern.includes('*')) return name.includes(pattern);
    const regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&')).join('.*')}$`);
    return regex.test(name);
  };
  const selected = GOLDEN_CASES.filter((c) => (options.large ? true : !c.large) && matches(c.name));
  if (selected.length === 0) throw new MoEOracleError('--only', `a pattern matching at least one case (e.g. "moe/", "router/*ties*")`, JSON.stringify(pattern));
  return selected;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function indexText(entries: IndexEntry[]): string {
  const sorted = [...entries].sort((a, b) => (a.case < b.case ? -1 : a.case > b.case ? 1 : 0));
  return JSON.stringify({ library_version: LIBRARY_VERSION, numeric_semantics_version: NUMERIC_SEMANTICS_VERSION, cases: sorted }, null, 2) + '\n';
}

function entryFor(goldenCase: GoldenCase, bytes: Uint8Array): IndexEntry {
  return { case: goldenCase.name, file: `${goldenCase.name}.safetensors`, component: goldenCase.component, description: goldenCase.description, bytes: bytes.length, sha256: sha256(bytes) };
}

/**
 * Writes the selected cases into `dir`, and index.json listing them (merged with the entries of
 * cases already listed there when only some are regenerated). `onProgress` reports each case.
 */
export function generateSuite(dir: string, options: { only?: string; large?: boolean; onProgress?: (done: number, total: number, name: string) => void } = {}): IndexEntry[] {
  const cases = selectCases(options);
  mkdirSync(dir, { recursive: true });
  const indexPath = join(dir, 'index.json');
  const previous: IndexEntry[] = options.only !== undefined && existsSync(indexPath) ? (JSON.parse(readFileSync(indexPath, 'utf8')).cases as IndexEntry[]) : [];
  const entries = new Map(previous.map((e) => [e.case, e]));
  cases.forEach((goldenCase, i) => {
    options.onProgress?.(i, cases.length, goldenCase.name);
    const built = buildCase(goldenCase);
    const path = join(dir, `${goldenCase.name}.safetensors`);
    mkdirSync(dirname(path), { recursive: true });
    writeSafetensorsFile(path, built.tensors, built.metadata);
    entries.set(goldenCase.name, entryFor(goldenCase, caseBytes(built)));
  });
  options.onProgress?.(cases.length, cases.length, 'index.json');
  const temporary = `${indexPath}.${process.pid}.tmp`;
  writeFileSync(temporary, indexText([...entries.values()]));
  renameSync(temporary, indexPath);
  return [...entries.values()];
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
export function checkSuite(dir: string, onProgress?: (done: number, total: number, name: string) => void): SuiteDifference[] {
  const regenerated = mkdtempSync(join(tmpdir(), 'moe-oracle-golden-check-'));
  try {
    generateSuite(regenerated, { onProgress });
    const differences: SuiteDifference[] = [];
    const expected = new Set(listFiles(regenerated));
    for (const file of expected) {
      const path = join(dir, file);
      if (!existsSync(path)) {
        differences.push({ file, problem: 'missing (run `moe-oracle golden generate`)' });
        continue;
      }
      const committed = readFileSync(path);
      const fresh = readFileSync(join(regenerated, file));
      if (!fresh.equals(committed)) {
        differences.push({ file, problem: `differs from the regenerated bytes (committed sha256 ${sha256(committed).slice(0, 12)}…, regenerated ${sha256(fresh).slice(0, 12)}…)` });
      }
    }
    for (const file of listFiles(dir)) if (!expected.has(file) && file !== 'README.md') differences.push({ file, problem: 'not produced by any case (stale file?)' });
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
