/**
 * `moe-oracle golden generate | check | list`: writes the golden suite, checks that the committed
 * files regenerate byte for byte, lists the cases. `check` looks at this package's own golden/ folder
 * unless `--dir` says otherwise (so `npx moe-oracle golden check` works from any folder).
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { checkSuite, generateSuite, selectCases } from '../golden/suite.js';
import { MoEOracleError } from '../tensor/errors.js';
import { parseOptions, rejectOptions } from './args.js';
import type { CliCommand, CliIO } from './main.js';

/** The golden/ folder shipped with this package (beside src/ or dist/). */
export const PACKAGE_GOLDEN_DIR = fileURLToPath(new URL('../../golden', import.meta.url));

const HELP = `usage: moe-oracle golden generate [--out DIR] [--only PATTERN] [--large]
       moe-oracle golden check [--dir DIR]
       moe-oracle golden list [--only PATTERN] [--large]

generate  writes the cases to DIR/<case>.safetensors and DIR/index.json (default DIR: ./golden)
          --only PATTERN   only cases whose name contains PATTERN (or matches it, with *)
          --large          include the large cases at a real model's layer width (GBs; on demand)
check     regenerates the committed suite and compares it byte for byte with DIR (default: this
          package's own golden folder); exit 1 when any file differs, and names stale temporary
          files left by an interrupted generate
list      prints the cases with their descriptions
`;

/** A progress line on a terminal (stderr), nothing otherwise. */
function progress(io: CliIO) {
  return (done: number, total: number, name: string) => {
    if (io.isTTY) io.stderr(`\r[${done}/${total}] ${name}`.padEnd(70) + (done === total ? '\n' : ''));
  };
}

export const goldenCommand: CliCommand = {
  summary: 'generate, check or list the golden suite',
  run(args, io) {
    const [action, ...rest] = args;
    if (action === '--help' || action === '-h') {
      io.stdout(HELP);
      return 0;
    }
    if (action === undefined) throw new MoEOracleError('moe-oracle golden', 'an action: generate, check or list (see --help)', 'none');
    const { values } = parseOptions('golden', {
      args: rest,
      options: { out: { type: 'string' }, dir: { type: 'string' }, only: { type: 'string' }, large: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) {
      io.stdout(HELP);
      return 0;
    }
    switch (action) {
      case 'generate': {
        rejectOptions('golden generate (use --out)', values, ['dir']);
        const dir = values.out ?? 'golden';
        const started = Date.now();
        const written = selectCases({ only: values.only, large: values.large, onlyArgument: '--only' });
        const entries = generateSuite(dir, { only: values.only, large: values.large, onProgress: progress(io), argument: '--out', onlyArgument: '--only' });
        const bytes = entries.filter((e) => written.some((c) => c.name === e.case)).reduce((sum, e) => sum + e.bytes, 0);
        const listed = entries.length === written.length ? '' : ` (it lists ${entries.length} cases)`;
        io.stdout(`wrote ${written.length} case${written.length === 1 ? '' : 's'} (${(bytes / 1e6).toFixed(2)} MB) and ${join(dir, 'index.json')}${listed} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
        return 0;
      }
      case 'check': {
        rejectOptions('golden check (it checks the whole committed suite)', values, ['only', 'large', 'out']);
        const dir = values.dir ?? PACKAGE_GOLDEN_DIR;
        const differences = checkSuite(dir, progress(io), '--dir');
        if (differences.length === 0) {
          io.stdout(`golden check: all ${selectCases().length} cases and index.json in ${dir} regenerate byte for byte\n`);
          return 0;
        }
        for (const d of differences) io.stdout(`DIFFERS  ${d.file}: ${d.problem}\n`);
        io.stdout(`golden check: ${differences.length} difference(s); if the change is intended, run \`moe-oracle golden generate\` and review the diff\n`);
        return 1;
      }
      case 'list':
        rejectOptions('golden list', values, ['out', 'dir']);
        for (const c of selectCases({ only: values.only, large: values.large, onlyArgument: '--only' })) io.stdout(`${c.name.padEnd(36)} ${c.component.padEnd(10)} ${c.large ? '[large] ' : ''}${c.description}\n`);
        return 0;
      default:
        throw new MoEOracleError('golden action', '"generate", "check" or "list"', JSON.stringify(action));
    }
  },
};
