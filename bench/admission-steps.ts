// The admission's own work in one process, without HTTP: the credential patch for the benchmark's Secret shapes with
// the plain `.dockerconfigjson` update and with the memoized one, so the memo's gain per admission is a figure.
import { credentialPatch } from '../src/admission/credential-patch.js';
import { memoizedDockerConfigUpdate, updateDockerConfig, type DockerConfigUpdate } from '../src/admission/docker-config-update.js';
import type { SecretObject } from '../src/admission/review.js';
import type { EcrToken } from '../src/ecr/token.js';
import { managedSecret } from '../harness/reviews.js';

const PASSWORD_CHARS = Number(process.env.BENCH_PASSWORD_CHARS ?? 2_000);
const ITERATIONS = Number(process.env.BENCH_STEP_ITERATIONS ?? 20_000);
const HOSTS = ['111111111111.dkr.ecr.us-east-1.amazonaws.com', '222222222222.dkr.ecr.us-east-1.amazonaws.com', '333333333333.dkr.ecr.eu-west-1.amazonaws.com'];

function tokenOf(region: string, generation: number): EcrToken {
  return { region, password: `${region}-${generation}-`.padEnd(PASSWORD_CHARS, 'x'), proxyHost: HOSTS[0]!, expiresAt: new Date(Date.now() + 12 * 3_600_000), fetchedAt: new Date() };
}

/** Microseconds per credential patch over ITERATIONS rounds (after as many rounds of warm-up). */
function timePerPatch(secret: SecretObject, tokens: Map<string, EcrToken>, update: DockerConfigUpdate): number {
  const now = new Date();
  for (let i = 0; i < ITERATIONS; i += 1) credentialPatch(secret, tokens, now, update);
  const started = performance.now();
  for (let i = 0; i < ITERATIONS; i += 1) credentialPatch(secret, tokens, now, update);
  return ((performance.now() - started) * 1000) / ITERATIONS;
}

export function runAdmissionStepsBench(): void {
  const us = new Map([[HOSTS[0]!, tokenOf('us-east-1', 1)]]);
  const three = new Map([[HOSTS[0]!, tokenOf('us-east-1', 1)], [HOSTS[1]!, tokenOf('us-east-1', 1)], [HOSTS[2]!, tokenOf('eu-west-1', 1)]]);
  // A Secret holding the previous tokens: what a refresher run sends, every 12 hours, for every Secret.
  const previous = (tokens: Map<string, EcrToken>): SecretObject => {
    const older = new Map([...tokens].map(([host, token]) => [host, tokenOf(token.region, 0)]));
    return managedSecret({ data: { '.dockerconfigjson': updateDockerConfig(undefined, older)! } });
  };
  const shapes: Array<[string, SecretObject, Map<string, EcrToken>]> = [
    ['placeholder, 1 registry', managedSecret(), us],
    ['previous token, 1 registry', previous(us), us],
    ['previous tokens, 3 registries', previous(three), three],
  ];
  console.log(`\nCredential patch in process, ${PASSWORD_CHARS}-character passwords, ${ITERATIONS} rounds: µs per admission`);
  console.log(`${'Secret'.padEnd(32)} ${'plain'.padStart(8)} ${'memoized'.padStart(9)} ${'saved'.padStart(7)}`);
  for (const [name, secret, tokens] of shapes) {
    const plain = timePerPatch(secret, tokens, updateDockerConfig);
    const memoized = timePerPatch(secret, tokens, memoizedDockerConfigUpdate());
    console.log(`${name.padEnd(32)} ${plain.toFixed(1).padStart(8)} ${memoized.toFixed(1).padStart(9)} ${(plain - memoized).toFixed(1).padStart(7)}`);
  }
}
