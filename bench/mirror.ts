// `ecr-anywhere mirror` against `skopeo copy --all` run once per image, on loopback registries: N multi-platform
// images (two platforms each) sharing one base layer (override with BENCH_MIRROR_IMAGES, BENCH_MIRROR_SHARED_KIB,
// BENCH_MIRROR_OWN_KIB). Each tool gets its own empty target registry behind a counting TCP proxy, so "bytes sent"
// is what really went over the wire (TLS and HTTP included), and "stored" is what the registry's blob store grew
// by. Both are run twice: cold (empty target) and warm (everything already there). Prints figures and ratios.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { runCli } from '../harness/cli-process.js';
import { startCountingProxy, type CountingProxy } from '../harness/counting-proxy.js';
import { mustRun } from '../harness/helm.js';
import { buildMultiPlatformImage, pushImage, skopeoAuth } from '../harness/mirror-content.js';
import { startMirrorStand } from '../harness/mirror-stand.js';
import { startRegistry, type StartedRegistry } from '../harness/registry.js';
import { formatBytes } from '../src/mirror/progress.js';
import { writeFile } from 'node:fs/promises';

const run = promisify(execFile);

const IMAGES = Number(process.env.BENCH_MIRROR_IMAGES ?? 20);
const SHARED_KIB = Number(process.env.BENCH_MIRROR_SHARED_KIB ?? 4096);
const OWN_KIB = Number(process.env.BENCH_MIRROR_OWN_KIB ?? 256);

export interface MirrorRunFigures {
  readonly tool: 'ecr-anywhere mirror' | 'skopeo copy (one by one)';
  readonly phase: 'cold' | 'warm';
  readonly wallMs: number;
  readonly bytesSent: number;
  readonly bytesStored: number;
}

async function storedBytes(registry: StartedRegistry): Promise<number> {
  const { stdout } = await run('du', ['-sb', join(registry.dir, 'storage')]);
  return Number(stdout.split('\t')[0]);
}

async function measure(tool: MirrorRunFigures['tool'], phase: MirrorRunFigures['phase'], registry: StartedRegistry, proxy: CountingProxy, work: () => Promise<void>): Promise<MirrorRunFigures> {
  const storedBefore = await storedBytes(registry);
  proxy.reset();
  const started = performance.now();
  await work();
  const wallMs = performance.now() - started;
  return { tool, phase, wallMs, bytesSent: proxy.counts.up, bytesStored: (await storedBytes(registry)) - storedBefore };
}

export async function runMirrorBench(): Promise<MirrorRunFigures[]> {
  console.log(`\n== mirror: ${IMAGES} images x 2 platforms, shared layer ${SHARED_KIB} KiB, own layers ${OWN_KIB} KiB ==`);
  const stand = await startMirrorStand();
  const skopeoTarget = await startRegistry({ password: `skopeo-${randomBytes(8).toString('hex')}` });
  const mirrorProxy = await startCountingProxy(stand.target.address);
  const skopeoProxy = await startCountingProxy(skopeoTarget.address);
  try {
    const standIn = await stand.startStandIn(stand.target.password, `https://${mirrorProxy.address}`);
    const setupStarted = performance.now();
    const shared = randomBytes(SHARED_KIB * 1024);
    const references: string[] = [];
    let logicalBytes = 0;
    for (let index = 0; index < IMAGES; index += 1) {
      const built = await buildMultiPlatformImage(join(stand.dir, `image-${index}`), { tag: '1.0', sharedLayer: shared, ownLayerBytes: OWN_KIB * 1024 });
      references.push(await pushImage(built, stand.anonymousSource, `bench/app-${index}`));
      logicalBytes += [...built.blobs.values()].reduce((sum, size) => sum + size, 0);
    }
    console.log(`setup: ${IMAGES} images pushed to the source in ${((performance.now() - setupStarted) / 1000).toFixed(1)} s; ${formatBytes(logicalBytes)} of blobs if each image is counted whole`);

    const file = join(stand.dir, 'bench.yaml');
    await writeFile(file, `images:\n${references.map((reference) => `  - ${reference}`).join('\n')}\n`);
    const env = stand.env({ AWS_ENDPOINT_URL_ECR: standIn.url });
    const mirrorOnce = async (): Promise<void> => {
      const result = await runCli(['mirror', '-f', file, '--prefix', 'bench', '--output', join(stand.dir, 'out')], { env, timeoutMs: 1_800_000 });
      if (result.code !== 0) throw new Error(`mirror failed:\n${result.stdout.slice(-3000)}\n${result.stderr}`);
    };
    const skopeoOnce = async (): Promise<void> => {
      for (const reference of references) {
        const path = reference.slice(reference.indexOf('/') + 1);
        await mustRun('skopeo', ['--policy', skopeoTarget.policyFile, 'copy', '--quiet', '--all', '--src-cert-dir', stand.anonymousSource.certDir, ...skopeoAuth(skopeoTarget, 'dest').map((arg) => arg.replace(skopeoTarget.address, skopeoProxy.address)), `docker://${reference}`, `docker://${skopeoProxy.address}/bench/${path}`], {
          env: { ...process.env, HOME: join(stand.dir, 'skopeo-home') },
          timeoutMs: 600_000,
        });
      }
    };

    const figures: MirrorRunFigures[] = [];
    figures.push(await measure('ecr-anywhere mirror', 'cold', stand.target, mirrorProxy, mirrorOnce));
    figures.push(await measure('ecr-anywhere mirror', 'warm', stand.target, mirrorProxy, mirrorOnce));
    figures.push(await measure('skopeo copy (one by one)', 'cold', skopeoTarget, skopeoProxy, skopeoOnce));
    figures.push(await measure('skopeo copy (one by one)', 'warm', skopeoTarget, skopeoProxy, skopeoOnce));

    console.log('tool                       phase  wall      sent to target  stored in target');
    for (const row of figures) {
      console.log(`${row.tool.padEnd(26)} ${row.phase.padEnd(6)} ${`${(row.wallMs / 1000).toFixed(2)} s`.padEnd(9)} ${formatBytes(row.bytesSent).padEnd(15)} ${formatBytes(row.bytesStored)}`);
    }
    const [mirrorCold, mirrorWarm, skopeoCold, skopeoWarm] = figures as [MirrorRunFigures, MirrorRunFigures, MirrorRunFigures, MirrorRunFigures];
    console.log(`ratios (mirror / skopeo): cold wall ${(mirrorCold.wallMs / skopeoCold.wallMs).toFixed(2)}x, cold bytes sent ${(mirrorCold.bytesSent / skopeoCold.bytesSent).toFixed(2)}x, warm wall ${(mirrorWarm.wallMs / skopeoWarm.wallMs).toFixed(2)}x`);
    console.log(`mirror cold: sent / stored ${(mirrorCold.bytesSent / Math.max(1, mirrorCold.bytesStored)).toFixed(2)}x; sent / whole-image bytes ${(mirrorCold.bytesSent / logicalBytes).toFixed(2)}x`);
    return figures;
  } finally {
    await mirrorProxy.close();
    await skopeoProxy.close();
    await skopeoTarget.stop();
    await stand.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runMirrorBench();
