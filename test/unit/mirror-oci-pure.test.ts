// The pure parts of the OCI client and the chart artifact: challenges, manifests, deterministic chart packing.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EcrAnywhereError, ErrorCodes } from '../../src/common/errors.js';
import { chartArtifact } from '../../src/mirror/chart-artifact.js';
import { describeFailure } from '../../src/mirror/failures.js';
import { RegistryError, type RegistryFailure } from '../../src/mirror/oci/registry-client.js';
import { parseChallenge, repositoryScope } from '../../src/mirror/oci/challenge.js';
import { HELM_CHART_CONTENT, HELM_CONFIG, manifestMediaType, readManifest, sha256Digest } from '../../src/mirror/oci/media-types.js';

const D = (c: string): string => `sha256:${c.repeat(64)}`;

describe('parseChallenge', () => {
  it('reads Basic and Bearer challenges as registries send them', () => {
    assert.deepEqual(parseChallenge('Basic realm="registry"'), { scheme: 'basic' });
    assert.deepEqual(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"'), {
      scheme: 'bearer',
      realm: 'https://auth.docker.io/token',
      service: 'registry.docker.io',
      scope: 'repository:library/nginx:pull',
    });
    assert.deepEqual(parseChallenge('bearer realm=https://h/t, service="s \\"q\\""'), { scheme: 'bearer', realm: 'https://h/t', service: 's "q"', scope: undefined });
  });
  it('answers nothing it cannot use', () => {
    assert.equal(parseChallenge(null), undefined);
    assert.equal(parseChallenge('Negotiate abc'), undefined);
    assert.equal(parseChallenge('Bearer service="x"'), undefined);
  });
  it('names the scope of an operation', () => {
    assert.equal(repositoryScope('a/b', false), 'repository:a/b:pull');
    assert.equal(repositoryScope('a/b', true), 'repository:a/b:pull,push');
  });
});

describe('readManifest', () => {
  it('reads indexes and manifest lists', () => {
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ mediaType: 'x', digest: D('a'), size: 1, platform: { os: 'linux', architecture: 'arm64' } }] }));
    const read = readManifest(index, '');
    assert.equal(read.kind, 'index');
    assert.equal(read.kind === 'index' ? read.manifests[0]?.platform?.architecture : '', 'arm64');
    const list = Buffer.from(JSON.stringify({ schemaVersion: 2, manifests: [] }));
    assert.equal(readManifest(list, 'application/vnd.docker.distribution.manifest.list.v2+json').kind, 'index');
  });
  it('reads image manifests: config and layers', () => {
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, config: { mediaType: 'c', digest: D('c'), size: 2 }, layers: [{ mediaType: 'l', digest: D('l'.replace('l', 'e')), size: 3 }] }));
    const read = readManifest(manifest, 'application/vnd.docker.distribution.manifest.v2+json');
    assert.ok(read.kind === 'image');
    assert.equal(read.config.digest, D('c'));
    assert.equal(read.layers.length, 1);
  });
  it('refuses what it cannot copy', () => {
    assert.throws(() => readManifest(Buffer.from('{'), ''), /not JSON/);
    assert.throws(() => readManifest(Buffer.from('{"schemaVersion":1,"fsLayers":[]}'), 'application/vnd.docker.distribution.manifest.v1+prettyjws'), { code: 'ECR_ANYWHERE_MIRROR_UNSUPPORTED', message: /unsupported manifest media type/ });
    assert.throws(() => readManifest(Buffer.from('{"config":{"digest":1}}'), ''), /config is not a descriptor/);
  });
  it('sends a manifest back with its own media type first', () => {
    assert.equal(manifestMediaType(Buffer.from('{"mediaType":"application/vnd.oci.image.index.v1+json"}'), 'text/plain'), 'application/vnd.oci.image.index.v1+json');
    assert.equal(manifestMediaType(Buffer.from('{}'), 'application/vnd.docker.distribution.manifest.v2+json; charset=utf-8'), 'application/vnd.docker.distribution.manifest.v2+json');
  });
});

describe('chartArtifact', () => {
  it('packs a chart as helm push does, the same bytes every time', () => {
    const archive = Buffer.from('chart archive bytes');
    const metadata = { apiVersion: 'v2', name: 'site', version: '0.2.0', description: 'd' };
    const first = chartArtifact(archive, metadata);
    const second = chartArtifact(Buffer.from(archive), { ...metadata });
    assert.equal(first.digest, second.digest);
    assert.equal(first.digest, sha256Digest(first.manifest));
    const manifest = JSON.parse(first.manifest.toString('utf8')) as { config: { mediaType: string; digest: string }; layers: Array<{ mediaType: string; digest: string; size: number }>; annotations: Record<string, string> };
    assert.equal(manifest.config.mediaType, HELM_CONFIG);
    assert.equal(manifest.layers[0]?.mediaType, HELM_CHART_CONTENT);
    assert.equal(manifest.layers[0]?.digest, sha256Digest(archive));
    assert.equal(manifest.layers[0]?.size, archive.length);
    assert.equal(manifest.annotations['org.opencontainers.image.version'], '0.2.0');
    assert.deepEqual(JSON.parse(first.blobs[0]?.bytes.toString('utf8') ?? ''), metadata);
  });
});

describe('describeFailure', () => {
  const target = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
  const at = (host: string, failure: RegistryFailure): string => describeFailure('image', 'x', new RegistryError(host, failure, 'm'), target, ErrorCodes.MIRROR_SOURCE_UNREACHABLE).code;
  it('tells the source\'s failures from the target\'s', () => {
    assert.equal(at('quay.io', 'unreachable'), 'ECR_ANYWHERE_MIRROR_SOURCE_UNREACHABLE');
    assert.equal(at(target, 'unreachable'), 'ECR_ANYWHERE_MIRROR_TARGET_UNREACHABLE');
    assert.equal(at('quay.io', 'not-found'), 'ECR_ANYWHERE_MIRROR_NOT_FOUND');
    assert.equal(at(target, 'not-found'), 'ECR_ANYWHERE_MIRROR_PUSH_REFUSED');
    assert.equal(at('quay.io', 'auth'), 'ECR_ANYWHERE_MIRROR_SOURCE_AUTH');
    assert.equal(at(target, 'refused'), 'ECR_ANYWHERE_MIRROR_PUSH_REFUSED');
    assert.equal(at('quay.io', 'digest'), 'ECR_ANYWHERE_MIRROR_DIGEST_MISMATCH');
  });
  it('keeps a coded error\'s code and gives anything else the step\'s', () => {
    assert.equal(describeFailure('chart', 'c', new EcrAnywhereError(ErrorCodes.MIRROR_CREDENTIALS, 'm'), target, ErrorCodes.MIRROR_CHART_PULL).code, 'ECR_ANYWHERE_MIRROR_CREDENTIALS');
    const other = describeFailure('chart', 'c', new Error('helm exited 1'), target, ErrorCodes.MIRROR_CHART_RENDER);
    assert.deepEqual(other, { kind: 'chart', artefact: 'c', code: 'ECR_ANYWHERE_MIRROR_CHART_RENDER', message: 'helm exited 1' });
  });
});
