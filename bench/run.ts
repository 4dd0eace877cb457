// `npm run bench [-- steps|webhook|refresher|mirror]`: runs the benchmarks and prints their figures. Results are recorded in
// docs/benchmarks.md. The refresher benchmark needs the local control plane (`npm run tools` first).
import { runAdmissionStepsBench } from './admission-steps.js';
import { runMirrorBench } from './mirror.js';
import { runRefresherBench } from './refresher.js';
import { runWebhookBench } from './webhook.js';

const wanted = new Set(process.argv.slice(2));
const all = wanted.size === 0;

if (all || wanted.has('steps')) runAdmissionStepsBench();
if (all || wanted.has('webhook')) await runWebhookBench();
if (all || wanted.has('refresher')) await runRefresherBench();
if (all || wanted.has('mirror')) await runMirrorBench();
