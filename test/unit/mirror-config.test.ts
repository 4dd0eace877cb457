// Options of `mirror` and `mirror cleanup`: defaults, environment, and a clear refusal of each bad value.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { repositoriesUnderPrefix } from '../../src/mirror/cleanup.js';
import { parseCleanupConfig, parseMirrorConfig } from '../../src/mirror/config.js';
import { artefactLine, formatBytes, statusLine } from '../../src/mirror/progress.js';
import { replicationResult, updatedImages } from '../../src/mirror/outputs.js';

const ENV = { AWS_REGION: 'eu-west-1' };

describe('parseMirrorConfig', () => {
  it('has safe defaults', () => {
    const config = parseMirrorConfig(['-f', 'm.yaml', '--prefix', 'proj'], ENV);
    assert.equal(config.file, 'm.yaml');
    assert.equal(config.prefix, 'proj');
    assert.equal(config.region, 'eu-west-1');
    assert.equal(config.registry, undefined);
    assert.equal(config.outputDir, '.');
    assert.equal(config.dryRun, false);
    assert.equal(config.immutableTags, false);
    assert.equal(config.concurrency, 4);
    assert.equal(config.chunkSize, 16 * 1024 * 1024);
    assert.equal(config.helm, 'helm');
  });

  it('takes the region and account from --registry', () => {
    const config = parseMirrorConfig(['-f', 'm', '--prefix', 'p', '--registry', '210987654321.dkr.ecr.ap-south-1.amazonaws.com'], ENV);
    assert.equal(config.region, 'ap-south-1');
    assert.equal(config.registry?.accountId, '210987654321');
  });

  it('reads the environment', () => {
    const config = parseMirrorConfig([], { ...ENV, MIRROR_FILE: 'f', MIRROR_PREFIX: 'p', MIRROR_IMMUTABLE_TAGS: 'true', MIRROR_SCAN_ON_PUSH: '1', MIRROR_CONCURRENCY: '2', HELM: '/opt/helm' });
    assert.deepEqual([config.file, config.prefix, config.immutableTags, config.scanOnPush, config.concurrency, config.helm], ['f', 'p', true, true, 2, '/opt/helm']);
  });

  const bad: Array<[string[], Record<string, string>, RegExp]> = [
    [['--prefix', 'p'], ENV, /-f\/--file is required/],
    [['-f', 'm'], ENV, /--prefix is required/],
    [['-f', 'm', '--prefix', 'P!'], ENV, /--prefix: the prefix "P!" is not usable/],
    [['-f', 'm', '--prefix', 'p'], {}, /AWS_REGION is required/],
    [['-f', 'm', '--prefix', 'p', '--registry', 'quay.io'], ENV, /--registry "quay.io": expected <12-digit account>/],
    [['-f', 'm', '--prefix', 'p', '--chunk-size', '10'], ENV, /--chunk-size must be at least 1024/],
    [['-f', 'm', '--prefix', 'p', '--concurrency', '0'], ENV, /--concurrency must be a whole number/],
    [['-f', 'm', '--prefix', 'p'], { ...ENV, MIRROR_SCAN_ON_PUSH: 'maybe' }, /MIRROR_SCAN_ON_PUSH must be true or false/],
  ];
  for (const [argv, env, message] of bad) {
    it(`refuses ${argv.join(' ')} ${JSON.stringify(env)}`, () => assert.throws(() => parseMirrorConfig(argv, env), message));
  }
});

describe('parseCleanupConfig and the prefix rule', () => {
  it('retains unless told to destroy', () => {
    assert.equal(parseCleanupConfig(['--prefix', 'p'], ENV).retention, 'retain');
    assert.equal(parseCleanupConfig(['--prefix', 'p', '--retention', 'DESTROY'], ENV).retention, 'destroy');
    assert.throws(() => parseCleanupConfig(['--prefix', 'p', '--retention', 'all'], ENV), /--retention must be retain or destroy/);
    assert.throws(() => parseCleanupConfig([], ENV), /--prefix is required/);
  });

  it('selects only names under <prefix>/', () => {
    assert.deepEqual(repositoriesUnderPrefix(['proj/b', 'proj-other/a', 'project/x', 'proj', 'proj/a/c', 'other/proj/a'], 'proj'), ['proj/a/c', 'proj/b']);
  });
});

describe('progress and outputs', () => {
  it('formats bytes, the status line and artefact lines', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(5 * 1024 ** 3), '5.0 GiB');
    assert.equal(statusLine({ chartsTotal: 2, chartsDone: 1, imagesTotal: 7, imagesDone: 3, failures: 0, bytesMoved: 2048 }), 'charts 1/2  images 3/7  2.0 KiB moved');
    assert.match(statusLine({ chartsTotal: 0, chartsDone: 0, imagesTotal: 1, imagesDone: 1, failures: 1, bytesMoved: 0 }), /1 failed$/);
    assert.equal(artefactLine({ kind: 'image', outcome: 'copied', source: 's', target: 't', bytesMoved: 10 }), 'image s → t: copied (10 B)');
    assert.equal(artefactLine({ kind: 'image', outcome: 'unchanged', source: 's', target: 't' }), 'image s → t: already in ECR');
    assert.equal(artefactLine({ kind: 'chart', outcome: 'failed', source: 'c', target: undefined, code: 'X', error: 'why' }), 'chart c: FAILED X why');
  });

  it('sorts the outputs and keeps one line per image', () => {
    const images = updatedImages([
      { source: 'b', target: 'tb', digest: 'd2' },
      { source: 'a', target: 'ta', digest: 'd1' },
      { source: 'b', target: 'tb', digest: 'd2' },
    ]);
    assert.deepEqual(images.map((image) => image.source), ['a', 'b']);
    const chart = { source: { repo: 'r', chart: 'c', version: '1' }, target: { repo: 't', chart: 'c', version: '1' }, digest: 'd', images: [], values: {} };
    assert.deepEqual(Object.keys(replicationResult(new Map([['z', chart], ['a', chart]]))), ['a', 'z']);
  });
});
