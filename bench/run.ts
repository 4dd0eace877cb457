// `npm run bench [-- webhook]`: runs the benchmarks and prints their figures. Results are recorded in docs/benchmarks.md.
import { runWebhookBench } from './webhook.js';

const wanted = new Set(process.argv.slice(2));
const all = wanted.size === 0;

if (all || wanted.has('webhook')) await runWebhookBench();
