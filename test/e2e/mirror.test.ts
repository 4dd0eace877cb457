// `ecr-anywhere mirror` end to end with real parts on loopback: Debian's docker-registry as an anonymous and a
// basic-auth source and as the target standing in for ECR's registry endpoint, the ECR API stand-in (repositories,
// images, tokens) with its proxyEndpoint at that target, real helm and skopeo. Test content is made here:
// multi-platform images sharing a layer, a chart in an OCI registry and one in an https chart repository.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, type CliResult } from '../../harness/cli-process.js';
import { CLI_PATH } from '../../harness/webhook-process.js';
import { mustRun, parseObjects, runTool } from '../../harness/helm.js';
import {
  buildMultiPlatformImage,
  helmEnv,
  packageChart,
  pushChart,
  pushImage,
  remoteDigest,
  serveChartRepository,
  skopeoAuth,
  type BuiltImage,
  type ChartRepositoryServer,
} from '../../harness/mirror-content.js';
import { startMirrorStand, type MirrorStand } from '../../harness/mirror-stand.js';
import { imagesOfManifests } from '../../src/mirror/manifest-images.js';

interface ImageResult {
  source: string;
  target: string;
  digest: string;
}
interface ChartResult {
  source: { repo: string; chart: string; version: string };
  target: { repo: string; chart: string; version: string };
  digest: string;
  images: string[];
  values: Record<string, unknown>;
}

const DEMO_TEMPLATES = {
  'deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata: {name: {{ .Release.Name }}-web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      initContainers:
        - name: private
          image: {{ .Values.sidecar.image | quote }}
      containers:
        - name: web
          image: "{{ .Values.image.registry }}/{{ .Values.image.repository }}:{{ .Values.image.tag }}"
`,
  'cronjob.yaml': `apiVersion: batch/v1
kind: CronJob
metadata: {name: {{ .Release.Name }}-job}
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
            - name: job
              image: "{{ .Values.job.repository }}:{{ .Values.job.tag }}"
`,
  'widget.yaml': `apiVersion: example.com/v1
kind: Widget
metadata: {name: {{ .Release.Name }}-widget}
spec:
  runnerImage: {{ .Values.runner | quote }}
`,
};

const SITE_TEMPLATES = {
  'pod.yaml': `apiVersion: v1
kind: Pod
metadata: {name: {{ .Release.Name }}-site}
spec:
  containers:
    - name: site
      image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
`,
};

const BROKEN_TEMPLATES = {
  'pod.yaml': `apiVersion: v1
kind: Pod
metadata: {name: broken}
spec:
  containers:
    - name: x
      image: {{ required "broken.image is required" .Values.broken.image }}
`,
};

describe('ecr-anywhere mirror', { timeout: 600_000 }, () => {
  let stand: MirrorStand;
  let helm: { env: NodeJS.ProcessEnv; close: () => Promise<void> };
  let chartServer: ChartRepositoryServer;
  const images = new Map<string, { built: BuiltImage; reference: string }>();
  let demoDigest: string;
  let mirrorFile: string;
  let out: string;
  const chartRepoCredentials = { username: 'charts', password: `chart-pw-${randomBytes(8).toString('hex')}` };

  const run = (args: readonly string[], extra: Record<string, string> = {}): Promise<CliResult> => runCli(args, { env: stand.env(extra), timeoutMs: 240_000 });
  const noSecrets = (result: CliResult): void => {
    const all = `${result.stdout}${result.stderr}`;
    for (const secret of [stand.target.password, stand.authSource.password, chartRepoCredentials.password]) assert.ok(!all.includes(secret), 'a password appears in the output');
  };
  const targetDigest = (reference: string): Promise<string> => remoteDigest(stand.target, reference);
  const catalog = async (): Promise<string[]> => {
    const body = await mustRun('curl', ['-sf', '--cacert', stand.target.caFile, '-u', `AWS:${stand.target.password}`, `https://${stand.target.address}/v2/_catalog?n=1000`]);
    return (JSON.parse(body) as { repositories: string[] }).repositories;
  };
  const readJson = async <T>(file: string): Promise<T> => JSON.parse(await readFile(file, 'utf8')) as T;

  before(async () => {
    stand = await startMirrorStand();
    helm = await helmEnv({ SSL_CERT_FILE: stand.caBundle });
    const shared = randomBytes(8 * 1024);
    const build = async (name: string, registry: 'anonymous' | 'auth', repository: string, tag: string): Promise<void> => {
      const built = await buildMultiPlatformImage(join(stand.dir, `image-${name}`), { tag, sharedLayer: shared, ownLayerBytes: 2048 });
      const reference = await pushImage(built, registry === 'anonymous' ? stand.anonymousSource : stand.authSource, repository);
      images.set(name, { built, reference });
    };
    await build('web', 'anonymous', 'app/web', '1.0');
    await build('private', 'auth', 'team/private', '2.0');
    await build('job', 'anonymous', 'tools/job', '3');
    await build('runner', 'anonymous', 'tools/runner', '4');
    await build('tool', 'anonymous', 'extra/tool', '5');

    const src = stand.anonymousSource.address;
    const demo = await packageChart(join(stand.dir, 'charts'), {
      name: 'demo',
      version: '0.1.0',
      values: {
        image: { registry: src, repository: 'app/web', tag: '1.0' },
        sidecar: { image: images.get('private')?.reference },
        job: { repository: `${src}/tools/job`, tag: '3' },
        runner: `${src}/tools/runner:4`,
      },
      templates: DEMO_TEMPLATES,
    }, helm.env);
    await pushChart(demo, stand.authSource, 'charts', helm.env);
    demoDigest = await remoteDigest(stand.authSource, `${stand.authSource.address}/charts/demo:0.1.0`);
    const broken = await packageChart(join(stand.dir, 'broken'), { name: 'broken', version: '1.0.0', values: { broken: {} }, templates: BROKEN_TEMPLATES }, helm.env);
    await pushChart(broken, stand.anonymousSource, 'charts', helm.env);

    const siteDir = join(stand.dir, 'site-repo');
    await mkdir(siteDir, { recursive: true });
    await packageChart(join(stand.dir, 'site'), { name: 'site', version: '0.2.0', values: { image: { repository: `${src}/app/web`, tag: '1.0' } }, templates: SITE_TEMPLATES }, helm.env);
    await mustRun('cp', [join(stand.dir, 'site', 'packages', 'site-0.2.0.tgz'), siteDir]);
    chartServer = await serveChartRepository(siteDir, stand.authSource, helm.env, chartRepoCredentials);

    await writeFile(join(stand.dir, 'source-credentials.json'), JSON.stringify({ registry: { username: 'AWS', password: stand.authSource.password } }));
    await writeFile(join(stand.dir, 'chart-credentials.yaml'), `username: ${chartRepoCredentials.username}\npassword: ${chartRepoCredentials.password}\n`);
    mirrorFile = join(stand.dir, 'mirror.yaml');
    await writeFile(
      mirrorFile,
      `charts:
  - repo: oci://${stand.authSource.address}/charts
    chart: demo
    version: 0.1.0
  - repo: ${chartServer.url}
    chart: site
    version: 0.2.0
images:
  - ${images.get('tool')?.reference}
credentials:
  - registry: ${stand.authSource.address}
    file: source-credentials.json
    entry: registry
  - registry: 127.0.0.1:${new URL(chartServer.url).port}
    file: chart-credentials.yaml
`,
    );
    out = join(stand.dir, 'out');
  });

  after(async () => {
    await chartServer?.close();
    await helm?.close();
    await stand?.stop();
  });

  it('mirrors both charts and every image they render, by digest, all platforms', async () => {
    const result = await run(['mirror', '-f', mirrorFile, '--prefix', 'proj', '--output', out, '--chunk-size', '4096']);
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    noSecrets(result);
    const updated = await readJson<ImageResult[]>(join(out, 'updated_images.json'));
    assert.equal(updated.length, 5, JSON.stringify(updated));
    for (const [, { built, reference }] of images) {
      const entry = updated.find((item) => item.source === reference);
      assert.ok(entry, `${reference} is not in updated_images.json`);
      const path = reference.slice(reference.indexOf('/') + 1);
      assert.equal(entry.target, `${stand.target.address}/proj/${path}`);
      assert.equal(entry.digest, built.indexDigest);
      assert.equal(await targetDigest(entry.target), built.indexDigest, `${entry.target} in the target`);
      const repository = entry.target.slice(0, entry.target.lastIndexOf(':'));
      for (const platform of built.platformDigests) assert.equal(await targetDigest(`${repository}@${platform}`), platform);
    }
    assert.equal(await targetDigest(`${stand.target.address}/proj/charts/demo:0.1.0`), demoDigest, 'the OCI chart keeps its digest');
    const summary = result.logLines.find((line) => String(line.msg).startsWith('mirror run finished'));
    assert.ok(summary, result.stdout);
    assert.ok(Number(summary.blobsMounted) > 0, 'the shared layer is mounted, not sent again');
    assert.equal(result.logLines.filter((line) => String(line.msg).startsWith('image ')).length, 5, 'one log line per image');
    assert.equal(result.logLines.filter((line) => String(line.msg).startsWith('chart ')).length, 2, 'one log line per chart');
    // ECR refuses pushes to repositories that do not exist: every repository in the target was created first.
    const created = new Set(stand.standIn.repositories.keys());
    // (ecr-anywhere/test is scripts/registry-up.sh's own check image.)
    const pushed = (await catalog()).filter((repository) => repository !== 'ecr-anywhere/test');
    assert.ok(pushed.length >= 7);
    for (const repository of pushed) assert.ok(created.has(repository), `${repository} was pushed without CreateRepository`);
    assert.ok(chartServer.requests.some((request) => request.authorized), 'the https chart repository was read with its credentials');
  });

  it('writes values that make each mirrored chart pull only from the target', async () => {
    const results = await readJson<Record<string, ChartResult>>(join(out, 'replication_result.json'));
    assert.deepEqual(Object.keys(results), ['demo', 'site']);
    const env = helm.env;
    await mustRun('helm', ['registry', 'login', stand.target.address, '--username', 'AWS', '--password-stdin'], { env, input: stand.target.password });
    for (const [name, result] of Object.entries(results)) {
      assert.equal(result.target.repo, `oci://${stand.target.address}/proj/charts`);
      const valuesFile = join(stand.dir, `${name}-values.json`);
      await writeFile(valuesFile, JSON.stringify(result.values));
      const rendered = await mustRun('helm', ['template', name, `${result.target.repo}/${result.target.chart}`, '--version', result.target.version, '--values', valuesFile], { env });
      const found = imagesOfManifests(rendered).map((image) => image.reference);
      assert.ok(found.length >= 1, `${name} renders images`);
      for (const reference of found) assert.ok(reference.startsWith(`${stand.target.address}/proj/`), `${name} still pulls ${reference}`);
      assert.equal(parseObjects(rendered).length > 0, true);
    }
    assert.equal(results.demo?.images.length, 4);
  });

  it('a second run copies nothing and says so', async () => {
    const result = await run(['mirror', '-f', mirrorFile, '--prefix', 'proj', '--output', out]);
    assert.equal(result.code, 0, result.stdout);
    const summary = result.logLines.find((line) => String(line.msg).startsWith('mirror run: nothing copied, everything was already in ECR'));
    assert.ok(summary, result.stdout);
    assert.equal(summary.bytesMoved, 0);
    assert.equal(summary.manifestsPushed, 0);
    assert.equal((await readJson<ImageResult[]>(join(out, 'updated_images.json'))).length, 5, 'the outputs are written again in full');
  });

  it('on a terminal, shows charts, images and bytes as it goes', async () => {
    const ttyOut = join(stand.dir, 'tty-out');
    const command = [process.execPath, CLI_PATH, 'mirror', '-f', mirrorFile, '--prefix', 'tty', '--output', ttyOut, '--immutable-tags', '--scan-on-push'].map((part) => `'${part}'`).join(' ');
    // script(1) gives the CLI a pseudo-terminal, as a user's shell would.
    const result = await runTool('script', ['-qefc', command, '/dev/null'], { env: { ...stand.env(), TERM: 'xterm' }, timeoutMs: 240_000 });
    assert.equal(result.code, 0, result.stdout);
    // The status line is redrawn in place: carriage return, then ESC [2K (erase the line).
    assert.ok(result.stdout.includes('\r\u001b[2Kcharts 2/2  images 5/5  '), result.stdout);
    assert.match(result.stdout, /charts 2\/2 {2}images 5\/5 {2}[\d.]+ KiB moved/);
    assert.match(result.stdout, /image 127\.0\.0\.1:\d+\/extra\/tool:5 → 127\.0\.0\.1:\d+\/tty\/extra\/tool:5: copied \(/);
    assert.match(result.stdout, /mirror run finished: charts 2 copied/);
    assert.doesNotMatch(result.stdout, /^\{"level"/m, 'no JSON log lines on a terminal');
    assert.deepEqual(stand.standIn.repositories.get('tty/extra/tool'), { name: 'tty/extra/tool', imageTagMutability: 'IMMUTABLE', scanOnPush: true });
    assert.deepEqual(stand.standIn.repositories.get('proj/extra/tool'), { name: 'proj/extra/tool', imageTagMutability: 'MUTABLE', scanOnPush: false });
    noSecrets({ ...result, durationMs: 0, logLines: [] });
  });

  it('--dry-run says what it would do and writes nothing', async () => {
    const before = await catalog();
    const repositories = stand.standIn.repositories.size;
    const dryOut = join(stand.dir, 'dry-out');
    const result = await run(['mirror', '-f', mirrorFile, '--prefix', 'dry', '--output', dryOut, '--dry-run']);
    assert.equal(result.code, 0, result.stdout);
    assert.match(result.stdout, /would create ECR repository dry\/app\/web/);
    assert.match(result.stdout, /would copy/);
    assert.equal(stand.standIn.repositories.size, repositories, 'no repository created');
    assert.deepEqual(await catalog(), before, 'nothing pushed');
    assert.equal(existsSync(dryOut), false, 'no output files');
  });

  it('failures name the artefact, the rest goes on, exit 1, both files written', async () => {
    const src = stand.anonymousSource.address;
    const file = join(stand.dir, 'bad.yaml');
    await writeFile(
      file,
      `charts:
  - {repo: "oci://${src}/charts", chart: broken, version: 1.0.0}
images:
  - 127.0.0.1:9/unreachable/image:1
  - ${src}/app/web:no-such-tag
  - ${src}/tools/job:3
  - ${src}/extra/tool:5
`,
    );
    stand.standIn.refuseCreateRepository = /^bad\/tools\/job$/;
    const badOut = join(stand.dir, 'bad-out');
    const result = await run(['mirror', '-f', file, '--prefix', 'bad', '--output', badOut]);
    stand.standIn.refuseCreateRepository = undefined;
    assert.equal(result.code, 1, result.stdout);
    const errors = result.logLines.filter((line) => line.level === 'error' && line.outcome === 'failed');
    const codeOf = (source: string): unknown => errors.find((line) => line.source === source)?.code;
    assert.equal(codeOf('127.0.0.1:9/unreachable/image:1'), 'ECR_ANYWHERE_MIRROR_SOURCE_UNREACHABLE');
    assert.equal(codeOf(`${src}/app/web:no-such-tag`), 'ECR_ANYWHERE_MIRROR_NOT_FOUND');
    assert.equal(codeOf(`${src}/tools/job:3`), 'ECR_ANYWHERE_MIRROR_REPOSITORY_REFUSED');
    assert.equal(codeOf(`oci://${src}/charts/broken:1.0.0`), 'ECR_ANYWHERE_MIRROR_CHART_RENDER');
    assert.match(String(errors.find((line) => line.code === 'ECR_ANYWHERE_MIRROR_CHART_RENDER')?.msg), /broken\.image is required/);
    const updated = await readJson<ImageResult[]>(join(badOut, 'updated_images.json'));
    assert.deepEqual(updated.map((item) => item.source), [`${src}/extra/tool:5`], 'the good image is mirrored and recorded');
    assert.deepEqual(await readJson(join(badOut, 'replication_result.json')), {});
  });

  it('a refused push names every artefact and still writes both files', async () => {
    const wrong = await stand.startStandIn(`wrong-${randomBytes(6).toString('hex')}`);
    const refusedOut = join(stand.dir, 'refused-out');
    const result = await run(['mirror', '-f', mirrorFile, '--prefix', 'refused', '--output', refusedOut], { AWS_ENDPOINT_URL_ECR: wrong.url });
    assert.equal(result.code, 1, result.stdout);
    const failed = result.logLines.filter((line) => line.outcome === 'failed');
    assert.ok(failed.length >= 7, result.stdout);
    for (const line of failed) assert.equal(line.code, 'ECR_ANYWHERE_MIRROR_PUSH_REFUSED', JSON.stringify(line));
    assert.deepEqual(await readJson(join(refusedOut, 'updated_images.json')), []);
    assert.deepEqual(await readJson(join(refusedOut, 'replication_result.json')), {});
  });

  it('cleanup retains by default and destroys only the prefix', async () => {
    // Another team's repository, whose name shares the prefix's first letters.
    await mustRun('skopeo', ['--policy', stand.target.policyFile, 'copy', '--quiet', '--all', ...skopeoAuth(stand.target, 'src'), ...skopeoAuth(stand.target, 'dest'), `docker://${stand.target.address}/proj/extra/tool:5`, `docker://${stand.target.address}/project-other/tool:5`]);
    stand.standIn.repositories.set('project-other/tool', { name: 'project-other/tool', imageTagMutability: 'MUTABLE', scanOnPush: false });
    const mine = [...stand.standIn.repositories.keys()].filter((name) => name.startsWith('proj/')).sort();
    assert.ok(mine.length >= 7);

    const retain = await run(['mirror', 'cleanup', '--prefix', 'proj']);
    assert.equal(retain.code, 0, retain.stderr);
    for (const name of mine) assert.match(retain.stdout, new RegExp(`would delete ${name} \\(`));
    assert.doesNotMatch(retain.stdout, /project-other/);
    assert.match(retain.stdout, /retention retain: nothing deleted/);
    assert.deepEqual([...stand.standIn.repositories.keys()].filter((name) => name.startsWith('proj/')).sort(), mine);
    assert.equal(await targetDigest(`${stand.target.address}/proj/app/web:1.0`), images.get('web')?.built.indexDigest);

    const destroy = await run(['mirror', 'cleanup', '--prefix', 'proj', '--retention', 'destroy']);
    assert.equal(destroy.code, 0, `${destroy.stdout}\n${destroy.stderr}`);
    for (const name of mine) assert.match(destroy.stdout, new RegExp(`deleted ${name} \\(`));
    const left = [...stand.standIn.repositories.keys()];
    assert.deepEqual(left.filter((name) => name.startsWith('proj/')), []);
    assert.ok(left.includes('project-other/tool'), 'another prefix is untouched');
    assert.ok(left.includes('bad/extra/tool'), 'another project is untouched');
    await assert.rejects(targetDigest(`${stand.target.address}/proj/app/web:1.0`));
    assert.equal(await targetDigest(`${stand.target.address}/project-other/tool:5`), images.get('tool')?.built.indexDigest);
  });
});
