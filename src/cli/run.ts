/**
 * `moe-oracle run <component> --in in.safetensors --out out.safetensors [--config cfg.json]
 *  [--routing backend.safetensors] [--with-inputs] [--allow-unused]`: runs the reference on the
 * user's own tensors.
 *
 * The input file holds `inputs.*` and `params.*` tensors named as in the golden files (a golden
 * case itself is a valid input); it is read lazily, each tensor when the component uses it, so a
 * full-width layer runs expert by expert. The output file holds `outputs.*` and the case metadata
 * (with `--with-inputs` also a copy of the inputs and params, making it a self-contained golden file
 * that `verify` can replay). `--routing` replays a backend's own expert choice: its
 * `outputs.topk_indices` (or `outputs.indices` for topk) replace the router's.
 *
 * Every `inputs.*` / `params.*` tensor of the input file that the component did not read is listed,
 * and is an error (exit 2) unless `--allow-unused`: a shared expert the config does not declare, a
 * misspelled parameter name or a config of the wrong model would otherwise change the layer silently.
 */
import { readFileSync } from 'node:fs';
import { assembleCase, tensorsUnder } from '../golden/case.js';
import { getComponent, type TensorMap } from '../golden/components.js';
import { readSafetensorsFile, requireIntTensor, writeSafetensorsFile } from '../golden/safetensors.js';
import { readCaseMetadata } from '../golden/verify.js';
import type { StateDict } from '../moe/params.js';
import { MoEOracleError } from '../tensor/errors.js';
import { parseOptions } from './args.js';
import type { CliCommand } from './main.js';
import { progressLine, reportReads } from './progress.js';

const HELP = `usage: moe-oracle run <component> --in in.safetensors --out out.safetensors [--config cfg.json]
                      [--routing file.safetensors] [--with-inputs] [--allow-unused]

components: moe, router, topk, expert, softmax, rmsnorm, activation
  --in            inputs.* and params.* tensors (names as in the golden files; a golden case works);
                  read lazily, one tensor at a time
  --config        the component's config as JSON: a moe-oracle MoEConfig or a Hugging Face config.json
                  (model_type mixtral, qwen2_moe, qwen3_moe, olmoe, deepseek_v2, deepseek_v3, switch_transformers);
                  default: the config stored in the --in file's metadata
  --routing       a file whose outputs.topk_indices (topk: outputs.indices) replace the router's choice
  --out           where to write outputs.* and the case metadata (atomically)
  --with-inputs   also copy the inputs and params into --out (a self-contained golden file)
  --allow-unused  run even if some inputs.* / params.* tensors of --in are not used (they are listed)
`;

function readConfigJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new MoEOracleError('--config', 'a readable JSON file', `${JSON.stringify(path)} (${code ?? (error as Error).message})`);
  }
}

export const runCommand: CliCommand = {
  summary: 'run the reference on your own tensors (safetensors in, safetensors out)',
  run(args, io) {
    const { values, positionals } = parseOptions('run', {
      args,
      allowPositionals: true,
      options: {
        config: { type: 'string' }, in: { type: 'string' }, out: { type: 'string' }, routing: { type: 'string' },
        'with-inputs': { type: 'boolean' }, 'allow-unused': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      io.stdout(HELP);
      return 0;
    }
    if (positionals.length !== 1) throw new MoEOracleError('run', 'one component name (see `moe-oracle run --help`)', `${positionals.length} arguments`);
    const component = getComponent(positionals[0]);
    if (values.in === undefined) throw new MoEOracleError('--in', 'an input safetensors file', 'nothing');
    if (values.out === undefined) throw new MoEOracleError('--out', 'an output path', 'nothing');
    const input = readSafetensorsFile(values.in, '--in');

    let configJson: unknown;
    if (values.config !== undefined) {
      configJson = readConfigJson(values.config);
    } else if (input.metadata.config !== undefined) {
      const stored = readCaseMetadata(input, `--in ${values.in}`);
      if (stored.component.name !== component.name) {
        throw new MoEOracleError('--config', `a config for ${component.name} (the --in file is a ${stored.component.name} case)`, 'none given');
      }
      configJson = JSON.parse(input.metadata.config);
    } else {
      throw new MoEOracleError('--config', 'a config file (the --in file carries none)', 'nothing');
    }
    const config = component.parseConfig(configJson);

    const progress = progressLine(io, 'run');
    const used = new Set<string>();
    const inputs = reportReads(tensorsUnder(input.tensors, 'inputs.'), 'inputs.', progress, used);
    const params = reportReads(tensorsUnder(input.tensors, 'params.'), 'params.', progress, used) as StateDict;
    let override;
    if (values.routing !== undefined) {
      if (!component.routing) throw new MoEOracleError('--routing', `a component that chooses experts (moe, router, topk)`, component.name);
      override = requireIntTensor(readSafetensorsFile(values.routing, '--routing'), `outputs.${component.routing.indices}`);
    }
    let outputs: TensorMap;
    try {
      outputs = component.run(config, inputs, params, override);
    } finally {
      progress.done();
    }
    const unused = Object.keys(input.tensors).filter((name) => (name.startsWith('inputs.') || name.startsWith('params.')) && !used.has(name));
    if (unused.length > 0) {
      const listed = unused.length > 12 ? `${unused.slice(0, 12).join(', ')}, … (${unused.length} in all)` : unused.join(', ');
      if (!values['allow-unused']) {
        throw new MoEOracleError('--in', `only tensors the ${component.name} component uses with this config (or --allow-unused)`, `${unused.length} unused: ${listed}`);
      }
      io.stderr(`moe-oracle: warning: --in tensors the ${component.name} component did not use (--allow-unused): ${listed}\n`);
    }
    const seed = input.metadata.seed !== undefined && /^\d+$/.test(input.metadata.seed) ? Number(input.metadata.seed) : null;
    const withInputs = values['with-inputs'] === true;
    const built = assembleCase({
      name: `run/${component.name}`,
      description: `moe-oracle run ${component.name} on ${values.in}${override ? ` with the routing of ${values.routing}` : ''}`,
      component: component.name,
      config,
      seed,
      inputs: withInputs ? tensorsUnder(input.tensors, 'inputs.') : {},
      params: withInputs ? (tensorsUnder(input.tensors, 'params.') as StateDict) : {},
      outputs,
    });
    writeSafetensorsFile(values.out, built.tensors, built.metadata, '--out');
    io.stdout(`wrote ${values.out}: ${Object.keys(outputs).map((n) => `outputs.${n}`).join(', ')}${withInputs ? ' (with inputs.* and params.*)' : ''}\n`);
    return 0;
  },
};
