// The mirror file: what it accepts, and each problem reported with its path. Credentials as the seed keeps them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { credentialsFromDocument, credentialsFromSecretData, credentialsFromText } from '../../src/mirror/credentials.js';
import { chartHost, parseMirrorFile, type MirrorFile } from '../../src/mirror/mirror-file.js';

function ok(text: string): MirrorFile {
  const result = parseMirrorFile(text);
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.file;
}

function problems(text: string): string[] {
  const result = parseMirrorFile(text);
  assert.equal(result.ok, false, 'expected the file to be refused');
  return result.ok ? [] : [...result.problems];
}

describe('parseMirrorFile', () => {
  it('reads charts from oci and https repositories, images and credentials', () => {
    const file = ok(`
charts:
  - {repo: "oci://127.0.0.1:5000/charts/", chart: demo, version: "0.1.0", values: {image: {tag: v2}}}
  - {repo: "https://charts.example.com/stable/", chart: site, version: 1.2.3}
images:
  - nginx:1.27
  - quay.io/a/b@sha256:${'c'.repeat(64)}
credentials:
  - {registry: 127.0.0.1:5000, file: creds.json, entry: artifactory}
  - {registry: Docker.IO, secret: {namespace: ci, name: hub-creds}}
`);
    const [oci, https] = file.charts;
    assert.equal(oci?.kind, 'oci');
    assert.deepEqual(oci?.kind === 'oci' ? oci.reference : undefined, { registry: '127.0.0.1:5000', repository: 'charts/demo', tag: undefined, digest: undefined });
    assert.deepEqual(oci?.values, { image: { tag: 'v2' } });
    assert.equal(https?.kind === 'https' ? https.repo : '', 'https://charts.example.com/stable');
    assert.equal(https ? chartHost(https) : '', 'charts.example.com');
    assert.equal(oci ? chartHost(oci) : '', '127.0.0.1:5000');
    assert.equal(file.images[0]?.reference.repository, 'library/nginx');
    assert.equal(file.images[1]?.reference.tag, undefined);
    assert.deepEqual(file.credentials[0]?.from, { kind: 'file', path: 'creds.json' });
    assert.equal(file.credentials[0]?.entry, 'artifactory');
    assert.equal(file.credentials[1]?.registry, 'docker.io');
    assert.deepEqual(file.credentials[1]?.from, { kind: 'secret', namespace: 'ci', name: 'hub-creds' });
  });

  it('reports every problem at once, each with its path', () => {
    const found = problems(`
charts:
  - {repo: "http://insecure.example", chart: a, version: "1"}
  - {repo: "oci://host/charts", chart: b, versoin: "1"}
  - {repo: "https://u:p@host/x", chart: c, version: "1"}
  - {repo: "oci://host/charts", chart: d, version: 1.2}
  - {repo: "nothing", chart: "Bad Name", version: "1"}
images:
  - "Not A Reference"
  - 42
credentials:
  - {registry: "https://host/path", file: a.json}
  - {registry: host2, file: a.json, secret: {namespace: n, name: s}}
  - {registry: host3, secret: {namespace: "Bad_NS", name: s}}
extra: 1
`);
    const expected = [
      /^charts\[0\]\.repo: .*https/,
      /^charts\[1\]\.versoin: unknown key/,
      /^charts\[1\]\.version: is required/,
      /^charts\[2\]\.repo: put no credentials in the URL/,
      /^charts\[3\]\.version: must be a non-empty string \(quote it: "1\.2"\)/,
      /^charts\[4\]\.chart: "Bad Name" is not a chart name/,
      /^images\[0\]: "Not A Reference" is not an image reference/,
      /^images\[1\]: must be an image reference string/,
      /^credentials\[0\]\.registry: give the host only/,
      /^credentials\[1\]: give exactly one of file/,
      /^credentials\[2\]\.secret\.namespace: "Bad_NS" is not a namespace name/,
      /^extra: unknown key/,
    ];
    for (const pattern of expected) assert.ok(found.some((problem) => pattern.test(problem)), `${pattern} not in:\n${found.join('\n')}`);
  });

  it('refuses two charts of one name and two credentials for one registry', () => {
    const found = problems(`
charts:
  - {repo: "oci://a/charts", chart: demo, version: "1"}
  - {repo: "oci://b/charts", chart: demo, version: "2"}
credentials:
  - {registry: a, file: x}
  - {registry: A, file: y}
`);
    assert.ok(found.some((problem) => /charts\[1\]: a chart named demo is already listed at charts\[0\]/.test(problem)), found.join('\n'));
    assert.ok(found.some((problem) => /credentials\[1\]\.registry: a already has credentials at credentials\[0\]/.test(problem)), found.join('\n'));
  });

  it('refuses a file that is not YAML, not an object, or empty', () => {
    assert.match(problems('charts: [unclosed')[0] ?? '', /not YAML/);
    assert.match(problems('- a\n- b')[0] ?? '', /must be a YAML object/);
    assert.match(problems('charts: []\nimages: []')[0] ?? '', /nothing to mirror/);
    assert.match(problems('charts: {a: 1}')[0] ?? '', /^charts: must be a list/);
    assert.match(problems('images: [a]\nimages: [b]')[0] ?? '', /not YAML/);
  });
});

describe('credentials', () => {
  it('reads {username, password} or one named entry', () => {
    assert.deepEqual(credentialsFromDocument({ username: 'u', password: 'p' }, undefined), { ok: true, credentials: { username: 'u', password: 'p' } });
    const nested = { artifactory: { username: 'a', password: 'pa' }, other: { username: 'o', password: 'po' } };
    assert.deepEqual(credentialsFromDocument(nested, 'other'), { ok: true, credentials: { username: 'o', password: 'po' } });
    assert.deepEqual(credentialsFromText(JSON.stringify(nested), 'artifactory'), { ok: true, credentials: { username: 'a', password: 'pa' } });
    assert.deepEqual(credentialsFromText('username: y\npassword: "p: w"\n', undefined), { ok: true, credentials: { username: 'y', password: 'p: w' } });
  });

  it('says what is wrong without quoting the content', () => {
    const canary = 'canary-password-123';
    const cases: Array<[ReturnType<typeof credentialsFromDocument>, RegExp]> = [
      [credentialsFromDocument({ username: 'u' }, undefined), /has no password/],
      [credentialsFromDocument({ password: canary }, undefined), /has no username/],
      [credentialsFromDocument({ a: { username: 'u', password: canary } }, 'b'), /no entry "b" \(entries: a\)/],
      [credentialsFromDocument('text', undefined), /not an object/],
      [credentialsFromText(`{${canary}`, undefined), /neither JSON nor YAML/],
      [credentialsFromSecretData({ username: 'u', password: canary }, 'missing'), /no data key "missing" \(keys: password, username\)/],
      [credentialsFromSecretData({ entry: `not json ${canary}` }, 'entry'), /data key "entry" is not JSON/],
    ];
    for (const [result, reason] of cases) {
      assert.equal(result.ok, false);
      if (!result.ok) {
        assert.match(result.reason, reason);
        assert.ok(!result.reason.includes(canary));
      }
    }
  });

  it('reads a Secret as basic-auth keys or one JSON entry per data key', () => {
    assert.deepEqual(credentialsFromSecretData({ username: 'u', password: 'p' }, undefined), { ok: true, credentials: { username: 'u', password: 'p' } });
    assert.deepEqual(credentialsFromSecretData({ quay: '{"username":"q","password":"qp"}' }, 'quay'), { ok: true, credentials: { username: 'q', password: 'qp' } });
  });
});
