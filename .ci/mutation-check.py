#!/usr/bin/env python3
# Mutation check, run by hand (not in CI): applies one deliberate bug at a time to src/, runs the
# spec that guards the property, and reports whether the spec caught it; the file is restored after
# each run, and golden/ is restored from git (commit your work first). Usage, from the repo root:
#   python3 .ci/mutation-check.py [name-substring ...]
import subprocess, sys
muts = [
 ("probabilities sum to 1", "src/tensor/softmax.ts", "for (let i = 0; i < values.length; i++) out[i] /= sum;", "for (let i = 0; i < values.length; i++) out[i] /= sum * 1.001;", "spec/router/router-weights-follow-their-named-normalisation.spec.ts -t probabilities"),
 ("top-k tie rule", "src/router/topk.ts", "(row[a] === row[b] ? a - b : row[b] - row[a])", "(row[a] === row[b] ? b - a : row[b] - row[a])", "spec/router/topk-returns-true-maxima-under-tie-rule.spec.ts"),
 ("renormalised weights sum to 1", "src/router/router.ts", "weights = Float64Array.from(chosenScores, (s) => s / denominator);", "weights = Float64Array.from(chosenScores, (s) => s / (denominator * 1.0001));", "spec/router/router-weights-follow-their-named-normalisation.spec.ts -t sum"),
 ("softmax-topk equals renormalised softmax", "src/router/router.ts", "weights = softmaxValues(chosenLogits, `logits[${token}]`);", "weights = softmaxValues(chosenScores, `logits[${token}]`);", "spec/router/router-weights-follow-their-named-normalisation.spec.ts -t renormalise"),
 ("permuting tokens permutes output", "src/moe/layer.ts", "for (let j = 0; j < k; j++) sum += w[t * k + j] * slotOutputs[(t * k + j) * H + h];", "for (let j = 0; j < k; j++) sum += w[(t === 0 ? 0 : t - 1) * k + j] * slotOutputs[(t * k + j) * H + h];", "spec/moe/layer-symmetries.spec.ts -t tokens"),
 ("permuting experts with router rows", "src/moe/layer.ts", "loadExpert(params, names.expert(e), resolved", "loadExpert(params, names.expert(N - 1 - e), resolved", "spec/moe/layer-symmetries.spec.ts -t 'permuting experts'"),
 ("k = N renormalised equals dense", "src/moe/layer.ts", "normalization: 'none' as const, routedScalingFactor: 1 }", "normalization: 'none' as const, routedScalingFactor: 1.01 }", "spec/moe/layer-symmetries.spec.ts -t dense"),
 ("one expert k = 1 equals FFN", "src/moe/dispatch.ts", "slotOutputs.set(expertOutput.data.subarray(r * hidden, (r + 1) * hidden), slots[r] * hidden);", "slotOutputs.set(expertOutput.data.subarray(r * hidden, (r + 1) * hidden), slots[slots.length - 1 - r] * hidden);", "spec/moe/layer-symmetries.spec.ts -t 'one expert'"),
 ("fine-grained split reproduces FFN", "src/experts/fine-grained.ts", "w2: columnsSlice(params.w2, s * size, (s + 1) * size),", "w2: columnsSlice(params.w2, 0, size),", "spec/experts/fine-grained-split-reproduces-the-ffn.spec.ts"),
 ("shared-only layer equals its FFN", "src/moe/layer.ts", "const gate = new Float32Array(T).fill(1);", "const gate = new Float32Array(T).fill(0.5);", "spec/moe/layer-symmetries.spec.ts -t shared"),
 ("layer equals naive mixture", "src/moe/dispatch.ts", "const token = Math.floor(slots[r] / k);", "const token = Math.floor(slots[r] / k) % 2;", "spec/moe/layer-equals-naive-per-token-mixture.spec.ts"),
 ("bad input: NaN rejected", "src/tensor/tensor.ts", "if (Number.isFinite(v) || (options.allowNegativeInfinity && v === -Infinity)) continue;", "if (Number.isFinite(v) || Number.isNaN(v) || (options.allowNegativeInfinity && v === -Infinity)) continue;", "spec/moe/bad-input-raises-moe-oracle-error.spec.ts"),
 ("score-correction bias selection only", "src/router/router.ts", "chosenScores[j] = scores.data[t * numExperts + expert];", "chosenScores[j] = selection.data[t * numExperts + expert];", "spec/router/router-weights-follow-their-named-normalisation.spec.ts -t steers"),
 ("erf matches python", "src/tensor/erf.ts", "const SERIES_LIMIT = 2;", "const SERIES_LIMIT = 6;", "spec/tensor/erf-matches-python-math.spec.ts"),
 ("golden suite regenerates byte for byte", "src/moe/layer.ts", "for (let j = 0; j < k; j++) sum += w[t * k + j] * slotOutputs[(t * k + j) * H + h];", "for (let j = k - 1; j >= 0; j--) sum += Math.fround(w[t * k + j] * slotOutputs[(t * k + j) * H + h]);", "spec/golden/committed-suite-regenerates-byte-for-byte.spec.ts"),
 ("verify rejects routing disagreements above the near-tie threshold", "src/golden/verify.ts", "const threshold = 2 * allowedError(kth, scoreTolerance);", "const threshold = Infinity;", "spec/golden/verify-judges-backend-outputs.spec.ts"),
 ("verify replays the backend routing", "src/golden/verify.ts", "reference = component.run(config, inputs, params, actIndices);", "component.run(config, inputs, params, actIndices);", "spec/golden/verify-judges-backend-outputs.spec.ts"),
 ("python stdlib recomputation", "src/router/router.ts", "for (let j = 0; j < k; j++) weights[j] *= options.routedScalingFactor;", "for (let j = 0; j < k; j++) weights[j] *= options.routedScalingFactor * (1 + 1e-5);", "REGENERATE spec/golden/python-stdlib-recomputes-golden-moe-cases.spec.ts"),
 ("verify: an incomplete golden file fails (no blind spot)", "src/golden/verify.ts", "missingInGolden: expected.filter((name) => !(name in reference)),", "missingInGolden: [] as string[],", "spec/golden/verify-never-passes-what-it-did-not-compare.spec.ts"),
 ("verify: a reference overflow from finite inputs fails", "src/golden/verify.ts", "  if (found.length === 0) return found;", "  if (found.length >= 0) return [];", "spec/golden/verify-never-passes-what-it-did-not-compare.spec.ts -t NaN"),
 ("verify: a missing main output fails", "src/golden/verify.ts", "  if (report.unchecked.includes(mainName)) {", "  if (report.unchecked.includes(mainName) && false) {", "spec/golden/verify-never-passes-what-it-did-not-compare.spec.ts"),
 ("verify: __proto__ is an ordinary tensor name", "src/golden/case.ts", "  const result: TensorMap = Object.create(null);", "  const result: TensorMap = {};", "spec/golden/verify-never-passes-what-it-did-not-compare.spec.ts -t __proto__"),
 ("golden metadata stores the tolerances verify applies", "src/golden/output-tolerance.ts", "    const { atol, rtol } = outputTolerance(component, config, name, outputs, 'fp32');", "    const { atol, rtol } = outputTolerance(component, config, name, outputs, 'fp32', name === 'margins' ? { atol: 1e-9 } : {});", "REGENERATE spec/golden/golden-metadata-stores-the-tolerances-verify-applies.spec.ts"),
 ("fuzz: verify never crashes or passes a golden without its main output", "src/golden/verify.ts", "missingInGolden: expected.filter((name) => !(name in reference)),", "missingInGolden: [] as string[],", "spec/cli/run-and-verify-end-in-a-result-a-clean-error-or-fail-under-fuzzing.spec.ts"),
 ("safetensors header nesting limit", "src/golden/safetensors.ts", "const MAX_NESTING_DEPTH = 128;", "const MAX_NESTING_DEPTH = 1e9;", "spec/golden/safetensors-rejects-deeply-nested-headers.spec.ts"),
 ("run reports unused params", "src/cli/run.ts", "    if (unused.length > 0) {", "    if (unused.length > 1e9) {", "spec/cli/cli-errors-name-the-argument-and-exit-2.spec.ts -t unused"),
 ("CLI integers are decimal digits", "src/cli/args.ts", "const INTEGER_TEXT = /^[+-]?\\d+$/;", "const INTEGER_TEXT = /^.*$/s;", "spec/cli/cli-errors-name-the-argument-and-exit-2.spec.ts -t integers"),
 ("CLI file-system errors exit 2 naming the flag", "src/golden/suite.ts", "  if (existsSync(at) && !statSync(at).isDirectory()) throw", "  if (false) throw", "spec/cli/cli-errors-name-the-argument-and-exit-2.spec.ts -t file-system"),
 ("packaging: strict consumers get the ndarray types", "package.json", '    "@types/ndarray": "^1.1.0",\n    "ndarray": "^1.1.1",', '    "ndarray": "^1.1.1",', "spec/packaging/packed-package-type-checks-and-runs-in-a-strict-consumer.spec.ts"),
]
only = sys.argv[1:]
for name, path, old, new, spec in muts:
    if only and not any(o in name for o in only): continue
    src = open(path).read()
    assert src.count(old) == 1, (name, src.count(old))
    open(path, 'w').write(src.replace(old, new))
    try:
        # REGENERATE: the spec reads the committed golden files, so rewrite them with the mutated code first.
        if spec.startswith("REGENERATE "):
            spec = spec[len("REGENERATE "):]
            subprocess.run("npx tsx -e \"import('./src/golden/suite.ts').then((m) => m.generateSuite('golden'))\"", shell=True, check=True, capture_output=True)
        r = subprocess.run(f"npx vitest run {spec}", shell=True, capture_output=True, text=True)
        status = "CAUGHT (spec failed)" if r.returncode != 0 else "NOT CAUGHT"
    finally:
        open(path, 'w').write(src)
        subprocess.run("git checkout -- golden", shell=True, check=True)
    print(f"{status:22} {name}  [{path}]", flush=True)
