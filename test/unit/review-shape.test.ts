import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateAdmissionReview } from '../../src/http/review-envelope.js';
import { managedSecret, secretReview } from '../../harness/reviews.js';

function problemOf(change: (request: Record<string, unknown>) => void): string | undefined {
  const review = JSON.parse(JSON.stringify(secretReview(managedSecret(), { operation: 'UPDATE', oldObject: managedSecret() }))) as { request: Record<string, unknown> };
  change(review.request);
  const checked = validateAdmissionReview(review);
  return 'problem' in checked ? checked.problem : undefined;
}

const object = (request: Record<string, unknown>): Record<string, unknown> => request.object as Record<string, unknown>;
const metadata = (request: Record<string, unknown>): Record<string, unknown> => object(request).metadata as Record<string, unknown>;

describe('validateAdmissionReview: types of the fields the plan reads', () => {
  it('accepts a review as the API server sends it, with null data, labels or metadata', () => {
    assert.equal(problemOf(() => undefined), undefined);
    assert.equal(problemOf((request) => (object(request).data = null)), undefined);
    assert.equal(problemOf((request) => (metadata(request).labels = null)), undefined);
    assert.equal(problemOf((request) => delete object(request).metadata), undefined);
  });

  // Regression (fuzz seed 20261202, case 1876): data as a string reached the handler and ended as an internal error.
  it('refuses object.data that is not an object of strings', () => {
    assert.equal(problemOf((request) => (object(request).data = '{".dockerconfigjson":"e30="}')), 'request.object.data must be an object of strings');
    assert.equal(problemOf((request) => (object(request).data = { '.dockerconfigjson': 42 })), 'request.object.data must be an object of strings');
    assert.equal(problemOf((request) => (object(request).data = ['e30='])), 'request.object.data must be an object of strings');
  });

  it('refuses wrongly typed kind, operation, namespace, name, dryRun, metadata, labels, annotations, type and oldObject', () => {
    const cases: Array<[(request: Record<string, unknown>) => void, string]> = [
      [(request) => (request.kind = 'Secret'), 'request.kind is not an object'],
      [(request) => (request.kind = { kind: 7 }), 'request.kind.kind must be a string'],
      [(request) => (request.operation = 1), 'request.operation must be a string'],
      [(request) => (request.namespace = ['team-a']), 'request.namespace must be a string'],
      [(request) => (request.name = {}), 'request.name must be a string'],
      [(request) => (request.dryRun = 'false'), 'request.dryRun must be a boolean'],
      [(request) => (object(request).metadata = 'x'), 'request.object.metadata is not an object'],
      [(request) => (metadata(request).namespace = 3), 'request.object.metadata.namespace must be a string'],
      [(request) => (metadata(request).labels = { 'ecr-anywhere.centml.ai/managed': true }), 'request.object.metadata.labels must be an object of strings'],
      [(request) => (metadata(request).annotations = 'a=b'), 'request.object.metadata.annotations must be an object of strings'],
      [(request) => (object(request).type = 0), 'request.object.type must be a string'],
      [(request) => (request.oldObject = 'x'), 'request.oldObject is not an object'],
      [(request) => ((request.oldObject as Record<string, unknown>).data = 5), 'request.oldObject.data must be an object of strings'],
    ];
    for (const [change, problem] of cases) assert.equal(problemOf(change), problem);
  });
});
