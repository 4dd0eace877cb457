import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../src/common/logger.js';

const CANARY = 'CANARY-9f1c2e-secret-material';

function logOnce(fields: Record<string, unknown>): string {
  const lines: string[] = [];
  const logger = createLogger({ level: 'trace', name: 'test', destination: { write: (line: string) => lines.push(line) } });
  logger.info(fields, 'line');
  return lines.join('');
}

describe('logger redaction (second line of defence)', () => {
  const leaks: Record<string, Record<string, unknown>> = {
    'a password': { password: CANARY },
    'an auth string': { auth: CANARY },
    'a token': { token: CANARY },
    'an ECR authorizationToken': { authorizationToken: CANARY },
    'dockerconfigjson': { dockerconfigjson: CANARY },
    'Secret data': { data: { '.dockerconfigjson': CANARY } },
    'a request body': { body: { anything: CANARY } },
    'a review object': { request: { object: { data: { x: CANARY } }, oldObject: { data: { x: CANARY } } } },
    'an authorization header': { headers: { authorization: `Bearer ${CANARY}` } },
    'an AWS secret key': { secretAccessKey: CANARY },
  };
  for (const [what, fields] of Object.entries(leaks)) {
    it(`never writes ${what}`, () => {
      const line = logOnce(fields);
      assert.ok(!line.includes(CANARY), line);
      assert.match(line, /\[redacted\]/);
    });
  }

  it('keeps the safe fields an admission line carries', () => {
    const line = JSON.parse(logOnce({ uid: 'u-1', secret: 'team-a/ecr', outcome: 'patched', detail: 'registries x' })) as Record<string, unknown>;
    assert.deepEqual([line.uid, line.secret, line.outcome, line.detail], ['u-1', 'team-a/ecr', 'patched', 'registries x']);
  });
});
