// fast-check runs with a fixed seed so that `npm test` and CI are reproducible; set
// FAST_CHECK_SEED=<integer> to replay another seed, or FAST_CHECK_SEED=random to explore new cases
// (a failure prints its seed and counterexample).
import fc from 'fast-check';

const requested = process.env.FAST_CHECK_SEED;
if (requested !== 'random') fc.configureGlobal({ seed: requested === undefined ? 20261125 : Number(requested) });
