import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MANAGED_LABEL, REGISTRIES_ANNOTATION } from '../../src/common/names.js';
import { planAdmission } from '../../src/admission/plan.js';
import { managedSecret, secretReview } from '../../harness/reviews.js';

describe('planAdmission', () => {
  const skips: Array<[string, Parameters<typeof secretReview>]> = [
    ['an unlabeled Secret', [managedSecret({ labels: {} })]],
    ['a Secret labeled managed=false', [managedSecret({ labels: { [MANAGED_LABEL]: 'false' } })]],
    ['an UPDATE that removed the label', [managedSecret({ labels: { app: 'x' } }), { operation: 'UPDATE', oldObject: managedSecret() }]],
    ['kube-system', [managedSecret({ namespace: 'kube-system' })]],
    ['kube-public', [managedSecret({ namespace: 'kube-public' })]],
    ['a DELETE', [managedSecret(), { operation: 'DELETE' }]],
  ];
  for (const [label, args] of skips) {
    it(`skips ${label}`, () => assert.equal(planAdmission(secretReview(...args).request, 'us-east-1').action, 'skip'));
  }

  it('skips objects that are not core Secrets', () => {
    const review = secretReview(managedSecret());
    review.request.kind = { group: 'apps', version: 'v1', kind: 'Deployment' };
    assert.equal(planAdmission(review.request, 'us-east-1').action, 'skip');
  });

  it('injects the default registry of the configured region when no annotation is set', () => {
    const plan = planAdmission(secretReview(managedSecret()).request, 'eu-west-1');
    assert.equal(plan.action, 'inject');
    assert.deepEqual(plan.action === 'inject' && [plan.registries, plan.regions], [[], ['eu-west-1']]);
  });

  it('plans one region per distinct region of the annotated registries', () => {
    const annotations = {
      [REGISTRIES_ANNOTATION]:
        '111111111111.dkr.ecr.us-east-1.amazonaws.com,222222222222.dkr.ecr.us-east-1.amazonaws.com,111111111111.dkr.ecr.eu-west-1.amazonaws.com',
    };
    const plan = planAdmission(secretReview(managedSecret({ annotations })).request, 'ap-south-1');
    assert.equal(plan.action, 'inject');
    assert.deepEqual(plan.action === 'inject' && plan.regions, ['us-east-1', 'eu-west-1']);
  });

  it('refuses a malformed registries entry and names it', () => {
    const annotations = { [REGISTRIES_ANNOTATION]: '111111111111.dkr.ecr.us-east-1.amazonaws.com,registry.example.com' };
    const plan = planAdmission(secretReview(managedSecret({ annotations })).request, 'us-east-1');
    assert.equal(plan.action, 'refuse');
    assert.match(plan.action === 'refuse' ? plan.error.message : '', /invalid entry "registry\.example\.com"/);
    assert.equal(plan.action === 'refuse' && plan.error.code, 'ECR_ANYWHERE_INVALID_REGISTRY');
  });

  it('refuses a managed Secret of another type, naming the type', () => {
    const plan = planAdmission(secretReview(managedSecret({ type: 'Opaque' })).request, 'us-east-1');
    assert.equal(plan.action, 'refuse');
    assert.match(plan.action === 'refuse' ? plan.error.message : '', /has type Opaque; managed Secrets must have type kubernetes\.io\/dockerconfigjson/);
  });

  it('refuses a CREATE that carries no object', () => {
    const plan = planAdmission(secretReview(null).request, 'us-east-1');
    assert.equal(plan.action === 'refuse' && plan.error.code, 'ECR_ANYWHERE_BAD_REVIEW');
  });
});
