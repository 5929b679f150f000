/**
 * `moe-oracle run <component> --config cfg.json --in in.safetensors --out out.safetensors
 *  [--routing backend.safetensors]`: runs the reference on the user's own tensors.
 *
 * The input file holds `inputs.*` and `params.*` tensors named as in the golden files (a golden
 * case itself is a valid input); the output file holds the same plus `outputs.*` and the case
 * metadata, so it can be given to `moe-oracle verify --golden`. `--routing` replays a backend's own
 * expert choice: its `outputs.topk_indices` (or `outputs.indices` for topk) replace the router's.
 */
import { readFileSync } from 'node:fs';
import { assembleCase, tensorsUnder } from '../golden/case.js';
import { getComponent } from '../golden/components.js';
import { readSafetensorsFile, requireIntTensor, writeSafetensorsFile } from '../golden/safetensors.js';
import { readCaseMetadata } from '../golden/verify.js';
import type { StateDict } from '../moe/params.js';
import { MoEOracleError } from '../tensor/errors.js';
import { parseOptions } from './args.js';
import type { CliCommand } from './main.js';

const HELP = `usage: moe-oracle run <component> --in in.safetensors --out out.safetensors [--config cfg.json] [--routing file.safetensors]

components: moe, router, topk, expert, softmax, rmsnorm, activation
  --in       inputs.* and params.* tensors (names as in the golden files; a golden case works)
  --config   the component's config as JSON: a moe-oracle MoEConfig or a Hugging Face config.json
             (model_type mixtral, qwen2_moe, qwen3_moe, olmoe, deepseek_v2, deepseek_v3, switch_transformers);
             default: the config stored in the --in file's metadata
  --routing  a file whose outputs.topk_indices (topk: outputs.indices) replace the router's choice
  --out      where to write inputs, params, outputs and metadata (atomically)
`;

export const runCommand: CliCommand = {
  summary: 'run the reference on your own tensors (safetensors in, safetensors out)',
  run(args, io) {
    const { values, positionals } = parseOptions({
      args,
      allowPositionals: true,
      options: { config: { type: 'string' }, in: { type: 'string' }, out: { type: 'string' }, routing: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help || positionals.length === 0) {
      io.stdout(HELP);
      return values.help ? 0 : 2;
    }
    const component = getComponent(positionals[0]);
    if (values.in === undefined) throw new MoEOracleError('--in', 'an input safetensors file', 'nothing');
    if (values.out === undefined) throw new MoEOracleError('--out', 'an output path', 'nothing');
    const input = readSafetensorsFile(values.in);

    let configJson: unknown;
    if (values.config !== undefined) {
      try {
        configJson = JSON.parse(readFileSync(values.config, 'utf8'));
      } catch (error) {
        throw new MoEOracleError('--config', 'a readable JSON file', `${values.config} (${(error as Error).message})`);
      }
    } else if (input.metadata.config !== undefined) {
      const stored = readCaseMetadata(input, values.in);
      if (stored.component.name !== component.name) {
        throw new MoEOracleError('--config', `a config for ${component.name} (the --in file is a ${stored.component.name} case)`, 'none given');
      }
      configJson = JSON.parse(input.metadata.config);
    } else {
      throw new MoEOracleError('--config', 'a config file (the --in file carries none)', 'nothing');
    }
    const config = component.parseConfig(configJson);

    const inputs = tensorsUnder(input.tensors, 'inputs.');
    const params = tensorsUnder(input.tensors, 'params.') as StateDict;
    let override;
    if (values.routing !== undefined) {
      if (!component.routing) throw new MoEOracleError('--routing', `a component that chooses experts (moe, router, topk)`, component.name);
      override = requireIntTensor(readSafetensorsFile(values.routing), `outputs.${component.routing.indices}`);
    }
    const outputs = component.run(config, inputs, params, override);
    const seed = input.metadata.seed !== undefined && /^\d+$/.test(input.metadata.seed) ? Number(input.metadata.seed) : null;
    const built = assembleCase({
      name: `run/${component.name}`,
      description: `moe-oracle run ${component.name} on ${values.in}${override ? ` with the routing of ${values.routing}` : ''}`,
      component: component.name,
      config,
      seed,
      inputs,
      params,
      outputs,
    });
    writeSafetensorsFile(values.out, built.tensors, built.metadata);
    io.stdout(`wrote ${values.out}: ${Object.keys(outputs).map((n) => `outputs.${n}`).join(', ')}\n`);
    return 0;
  },
};
