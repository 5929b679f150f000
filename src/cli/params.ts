/**
 * `moe-oracle params`: parameter counts (total and active), forward FLOPs per token, weight memory
 * and KV-cache size of a published model (a preset) or of any supported Hugging Face config.json.
 * A thin layer over src/params/: it parses the options, builds the report and prints it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { ACTIVE_EMBEDDINGS_CHOICES, MTP_CHOICES, type CountOptions } from '../params/count.js';
import { PARAMS_MODEL_TYPES } from '../hf/model.js';
import { findPreset, PRESETS } from '../params/presets.js';
import { buildReport, renderReport, type ReportSubject } from '../params/report.js';
import { checkOneOf, MoEOracleError } from '../tensor/errors.js';
import { integerOption, parseOptions, rejectOptions } from './args.js';
import type { CliCommand } from './main.js';

const HELP = `usage: moe-oracle params <preset | path/to/config.json> [options]
       moe-oracle params --list

Counts the parameters of a transformer (total, and active per token), its forward
FLOPs per token, its weight memory (fp32, bf16, fp8, int4) and its KV cache per token.
A preset is a published model (see --list); a config.json may be of model_type
${PARAMS_MODEL_TYPES.join(', ')}.

options:
  --json                     machine-readable output (total and active as integers)
  --breakdown                per-component tables (whole model and one layer of each kind)
  --tied-embeddings          count the LM head as the input embedding matrix (one [vocab, H] matrix)
  --untied-embeddings        count a separate LM head (default: as tie_word_embeddings says)
  --active-embeddings WHICH  which [vocab, H] matrices count as active: ${ACTIVE_EMBEDDINGS_CHOICES.join(', ')}
                             (default both; DeepSeek counts lm-head only)
  --mtp WHAT                 DeepSeek-V3 multi-token-prediction modules: ${MTP_CHOICES.join(', ')}
                             (default exclude; checkpoint also counts the embedding and head
                             copies that the Hugging Face checkpoint stores: 685B)
  --context N                context length for the attention FLOPs (default 4096)
  --list                     list the presets
  -h, --help                 this help
`;

/** A preset by name, or a config.json file by path. */
function loadSubject(target: string): ReportSubject {
  const preset = findPreset(target);
  if (preset) return { name: preset.name, config: preset.config, preset };
  if (!existsSync(target)) {
    throw new MoEOracleError(
      'params',
      'a preset name (moe-oracle params --list) or the path of a config.json file',
      JSON.stringify(target),
    );
  }
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(target, 'utf8'));
  } catch (error) {
    throw new MoEOracleError(target, 'a readable JSON file', (error as Error).message);
  }
  return { name: target, config };
}

function listPresets(): string {
  const width = Math.max(...PRESETS.map((preset) => preset.name.length));
  const lines = PRESETS.map((preset) => {
    const published = preset.published.map((figure) => `${figure.quantity} ${figure.text}`).join(', ');
    return `  ${preset.name.padEnd(width)}  ${preset.title} (${published})`;
  });
  return `presets:\n${lines.join('\n')}\n`;
}

export const paramsCommand: CliCommand = {
  summary: 'parameters, FLOPs and memory of a published model or a config.json',
  run(args, io) {
    const { values, positionals } = parseOptions('params', {
      args,
      allowPositionals: true,
      options: {
        json: { type: 'boolean' },
        breakdown: { type: 'boolean' },
        'tied-embeddings': { type: 'boolean' },
        'untied-embeddings': { type: 'boolean' },
        'active-embeddings': { type: 'string' },
        mtp: { type: 'string' },
        context: { type: 'string' },
        list: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      io.stdout(HELP);
      return 0;
    }
    if (values.list) {
      if (positionals.length > 0) throw new MoEOracleError('--list', 'no model with --list (it lists the presets)', JSON.stringify(positionals[0]));
      rejectOptions('params --list', values, ['json', 'breakdown', 'tied-embeddings', 'untied-embeddings', 'active-embeddings', 'mtp', 'context']);
      io.stdout(listPresets());
      return 0;
    }
    if (positionals.length !== 1) {
      throw new MoEOracleError('params', 'one preset name or config.json path (see --help)', `${positionals.length} arguments`);
    }
    if (values['tied-embeddings'] && values['untied-embeddings']) {
      throw new MoEOracleError('--tied-embeddings', 'not combined with --untied-embeddings', 'both');
    }
    const options: CountOptions = {
      tiedEmbeddings: values['tied-embeddings'] ? true : values['untied-embeddings'] ? false : undefined,
      activeEmbeddings: checkOneOf('--active-embeddings', values['active-embeddings'] ?? 'both', ACTIVE_EMBEDDINGS_CHOICES),
      mtp: checkOneOf('--mtp', values.mtp ?? 'exclude', MTP_CHOICES),
    };
    const contextLength = integerOption('context', values.context, 4096, 0);
    const report = buildReport(loadSubject(positionals[0]), options, contextLength);
    if (values.mtp !== undefined && options.mtp !== 'exclude' && report.breakdown.mtp.total === 0) {
      io.stderr(`moe-oracle: warning: --mtp ${options.mtp} does not apply to ${report.name} (it has no multi-token-prediction modules)\n`);
    }
    if (values.json) {
      io.stdout(JSON.stringify(report, null, 2) + '\n');
      return 0;
    }
    io.stdout(renderReport(report, { breakdown: values.breakdown }));
    return 0;
  },
};
