// `ecr-anywhere mirror` as a user meets it without any registry: help, exit codes, and clear refusals that leave
// nothing behind; a run whose ECR credentials are refused still writes both (empty) output files.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { standInAwsEnv } from '../../harness/aws-env.js';
import { runCli } from '../../harness/cli-process.js';
import { startEcrStandIn, type EcrStandIn } from '../../harness/ecr-stand-in.js';

describe('ecr-anywhere mirror CLI', () => {
  let dir: string;
  let standIn: EcrStandIn;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ecr-anywhere-mirror-cli-'));
    standIn = await startEcrStandIn();
  });

  after(async () => {
    await standIn.close();
    await rm(dir, { recursive: true, force: true });
  });

  const env = (): Record<string, string> => ({ ...standInAwsEnv(standIn.url), HOME: dir });

  it('is listed in the usage, with its own help', async () => {
    const top = await runCli(['--help']);
    assert.match(top.stdout, /^ {2}mirror +copy Helm charts and every image they use into ECR/m);
    const help = await runCli(['mirror', '--help']);
    assert.equal(help.code, 0);
    for (const option of ['--file', '--prefix', '--registry', '--dry-run', '--output', '--retention', '--immutable-tags', '--scan-on-push']) assert.match(help.stdout, new RegExp(option));
    assert.match(help.stdout, /mirror cleanup --prefix NAME/);
  });

  it('exits 2 on missing or bad options', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['mirror', '--prefix', 'p'], /-f\/--file is required/],
      [['mirror', '-f', 'x.yaml'], /--prefix is required/],
      [['mirror', '-f', 'x.yaml', '--prefix', 'p', '--bogus'], /Unknown option '--bogus'/],
      [['mirror', 'cleanup', '--prefix', 'p', '--retention', 'everything'], /--retention must be retain or destroy/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args, { env: env() });
      assert.equal(result.code, 2, args.join(' '));
      assert.match(result.stderr, message);
    }
  });

  it('exits 2 on a mirror file it cannot use, naming every problem, and writes nothing', async () => {
    const out = join(dir, 'out-bad');
    const missing = await runCli(['mirror', '-f', join(dir, 'absent.yaml'), '--prefix', 'p', '--output', out], { env: env() });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read the mirror file .*absent\.yaml \(ENOENT\)/);
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'charts:\n  - {repo: "oci://h/c", chart: demo}\nimages:\n  - "Bad Ref"\n');
    const bad = await runCli(['mirror', '-f', file, '--prefix', 'p', '--output', out], { env: env() });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /charts\[0\]\.version: is required/);
    assert.match(bad.stderr, /images\[0\]: "Bad Ref" is not an image reference/);
    assert.equal(existsSync(out), false);
    assert.equal(standIn.calls.length, 0, 'no AWS call before the file is valid');
  });

  it('exits 1 when ECR refuses the token, and still writes both files', async () => {
    const file = join(dir, 'ok.yaml');
    await writeFile(file, 'images:\n  - 127.0.0.1:9/a/b:1\n');
    const out = join(dir, 'out-refused');
    standIn.behaviour = 'refuse';
    const result = await runCli(['mirror', '-f', file, '--prefix', 'p', '--output', out], { env: env() });
    standIn.behaviour = 'ok';
    assert.equal(result.code, 1);
    const line = result.logLines.find((entry) => String(entry.msg).startsWith('mirror run failed: no ECR credentials'));
    assert.ok(line, result.stdout);
    assert.equal(line.code, 'ECR_ANYWHERE_ECR_REFUSED');
    assert.deepEqual(JSON.parse(await readFile(join(out, 'updated_images.json'), 'utf8')), []);
    assert.deepEqual(JSON.parse(await readFile(join(out, 'replication_result.json'), 'utf8')), {});
  });

  it('cleanup lists nothing for a prefix with no repositories, and never a look-alike prefix', async () => {
    standIn.repositories.set('proj-other/app', { name: 'proj-other/app', imageTagMutability: 'MUTABLE', scanOnPush: false });
    const result = await runCli(['mirror', 'cleanup', '--prefix', 'proj'], { env: env() });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /no ECR repository starts with proj\/: nothing to list/);
    assert.doesNotMatch(result.stdout, /proj-other/);
    assert.ok(standIn.calls.some((call) => call.target.endsWith('DescribeRepositories')));
  });
});
