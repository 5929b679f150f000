// Every committed moe/ and router/ golden file: its Hugging Face keys, read alone (without moe_oracle,
// as a user of another framework reads them), build exactly the layer (router cases: the router) of
// its moe_oracle config, and float fields are written as floats. Cases that no family describes
// exactly carry no model_type at all.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { moeConfigFromHuggingFace, readSafetensorsFile, resolveMoEConfig } from '../../src/index.js';
import { firstDifference } from '../../src/hf/layer-config.js';

const index = JSON.parse(readFileSync('golden/index.json', 'utf8')) as { cases: Array<{ case: string }> };
const cases = index.cases.map((entry) => entry.case).filter((name) => /^(moe|router)\//.test(name));

describe('golden metadata', () => {
  it('lists the moe/ and router/ cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
    expect(cases).toContain('router/preset-deepseek-v2-lite');
  });

  it.each(cases)('%s: family keys alone build the moe_oracle layer; floats are floats', (name) => {
    const file = readSafetensorsFile(`golden/${name}.safetensors`);
    const text = file.metadata.config;
    const { moe_oracle: exact, ...familyKeys } = JSON.parse(text) as Record<string, unknown>;
    const routerOnly = name.startsWith('router/');
    if (familyKeys.model_type === undefined) {
      expect(Object.keys(familyKeys)).toEqual([]);
      return;
    }
    const fromKeys = resolveMoEConfig(moeConfigFromHuggingFace(familyKeys, { routerOnly }));
    expect(firstDifference(resolveMoEConfig(exact as never), fromKeys, routerOnly)).toBeNull();
    expect(text).not.toMatch(/"(routed_scaling_factor|moe_normalize_expert_weights)":-?\d+[,}]/);
  });

  it('names the models truthfully: Switch routes top-1, the DeepSeek-V2 preset is V2-Lite\'s greedy router', () => {
    const switchCase = JSON.parse(readSafetensorsFile('golden/router/preset-switch.safetensors').metadata.config);
    expect(switchCase.moe_oracle.router.topK).toBe(1);
    const lite = JSON.parse(readSafetensorsFile('golden/router/preset-deepseek-v2-lite.safetensors').metadata.config);
    expect(lite).toMatchObject({ model_type: 'deepseek_v2', topk_method: 'greedy', routed_scaling_factor: 1 });
    expect(readSafetensorsFile('golden/router/preset-deepseek-v2-lite.safetensors').metadata.config).toContain('"routed_scaling_factor":1.0');
  });
});
