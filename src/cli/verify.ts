/**
 * `moe-oracle verify --golden case.safetensors --actual out.safetensors [--dtype D] [--atol A]
 *  [--rtol R] [--json]`: judges a backend's outputs against a golden case. Exit 0 when everything
 *  passes, 1 when something fails, 2 for unusable files or options.
 */
import { comparisonToJson, formatComparison } from '../golden/compare.js';
import { readSafetensorsFile } from '../golden/safetensors.js';
import { COMPUTE_DTYPES } from '../golden/tolerance.js';
import { routingMismatchReason, verify } from '../golden/verify.js';
import { checkOneOf, MoEOracleError } from '../tensor/errors.js';
import { progressLine, reportReads } from './progress.js';
import { numberOption, parseOptions } from './args.js';
import type { CliCommand } from './main.js';

const HELP = `usage: moe-oracle verify --golden case.safetensors --actual out.safetensors [--dtype fp32|tf32|fp16|bf16] [--atol A] [--rtol R] [--json]

Compares every outputs.* tensor of --actual with the reference in --golden:
  routing per token as a set (a differing set passes only on a near-tie at the k-th boundary, and is then checked by
  replaying the reference with the backend's routing); floats with |Δ| ≤ atol + rtol·|ref|, the
  defaults following the tolerance model for --dtype and each output's reduction length
  (--dtype default: bf16 if the backend stored any output as BF16, fp16 if as F16, else fp32).
Every output of the component must be in --golden; the main one (y, logits, values, probs, sigmoid)
must be in --actual; other outputs are compared when --actual has them, and outputs either side
lacks are listed. A golden reference that is NaN/Infinity from finite inputs fails.
  --json   print the whole report as JSON (non-finite numbers as the strings "NaN", "Infinity")
Exit 0: all pass; 1: a check failed; 2: a file or option is unusable (message on stderr).
`;

export const verifyCommand: CliCommand = {
  summary: "check a backend's outputs against a golden case",
  run(args, io) {
    const { values } = parseOptions('verify', {
      args,
      options: {
        golden: { type: 'string' }, actual: { type: 'string' }, dtype: { type: 'string' }, atol: { type: 'string' }, rtol: { type: 'string' },
        json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      io.stdout(HELP);
      return 0;
    }
    if (values.golden === undefined) throw new MoEOracleError('--golden', 'a golden case file (see `moe-oracle verify --help`)', 'nothing');
    if (values.actual === undefined) throw new MoEOracleError('--actual', "the backend's output file (see `moe-oracle verify --help`)", 'nothing');
    const options = {
      dtype: values.dtype === undefined ? undefined : checkOneOf('--dtype', values.dtype, COMPUTE_DTYPES),
      atol: numberOption('atol', values.atol, undefined, 0),
      rtol: numberOption('rtol', values.rtol, undefined, 0),
    };
    const progress = progressLine(io, 'verify');
    const golden = readSafetensorsFile(values.golden, '--golden');
    const actual = readSafetensorsFile(values.actual, '--actual');
    let report;
    try {
      report = verify({ ...golden, tensors: reportReads(golden.tensors, '--golden ', progress) }, { ...actual, tensors: reportReads(actual.tensors, '--actual ', progress) }, options);
    } finally {
      progress.done();
    }
    if (values.json) {
      io.stdout(JSON.stringify(comparisonToJson(report), null, 2) + '\n');
      return report.passed ? 0 : 1;
    }
    io.stdout(`case ${report.case} (${report.component}): ${report.passed ? 'PASS' : 'FAIL'}; tolerances for ${report.dtype} compute\n`);
    if (report.routing) {
      const r = report.routing;
      io.stdout(`routing: ${r.tokens} tokens, ${r.nearTies.length} near-tie flips accepted, ${r.mismatches.length} mismatches, ${r.dropNearTies.length} near-tie drops accepted, ${r.dropMismatches.length} drop mismatches${r.replayed ? '; outputs compared with the reference replayed on the backend routing' : ''}\n`);
      for (const d of r.nearTies) io.stdout(`  near-tie  token ${d.token}: reference [${d.reference}] actual [${d.actual}], margin ${d.margin.toExponential(2)} < ${d.threshold.toExponential(2)}\n`);
      for (const d of r.mismatches) io.stdout(`  MISMATCH  token ${d.token}: reference [${d.reference}] actual [${d.actual}], ${routingMismatchReason(d)}\n`);
      const kept = (v: number) => (v === 1 ? 'kept' : 'dropped');
      for (const d of r.dropNearTies) io.stdout(`  near-tie  token ${d.token} choice ${d.slot + 1}: reference ${kept(d.reference)}, actual ${kept(d.actual)}, drop margin ${d.margin.toExponential(2)} < ${d.threshold.toExponential(2)}\n`);
      for (const d of r.dropMismatches) io.stdout(`  MISMATCH  token ${d.token} choice ${d.slot + 1}: reference ${kept(d.reference)}, actual ${kept(d.actual)}, drop margin ${d.margin.toExponential(2)} ≥ the near-tie threshold ${d.threshold.toExponential(2)}\n`);
    }
    for (const c of report.comparisons) io.stdout(`${formatComparison(c)}\n`);
    if (report.unchecked.length > 0) io.stdout(`not provided by the backend (unchecked): ${report.unchecked.join(', ')}\n`);
    if (report.extra.length > 0) io.stdout(`backend outputs the golden file does not hold (unchecked): ${report.extra.join(', ')}\n`);
    for (const problem of report.problems) io.stdout(`FAIL  ${problem}\n`);
    return report.passed ? 0 : 1;
  },
};
