import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MANAGED_LABEL, REGISTRIES_ANNOTATION } from '../../src/common/names.js';
import { planAdmission } from '../../src/admission/plan.js';
import { argoCdRepositorySecret, managedSecret, secretReview } from '../../harness/reviews.js';

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
    assert.match(plan.action === 'refuse' ? plan.error.message : '', /or be Opaque Argo CD repository Secrets labeled argocd\.argoproj\.io\/secret-type=repository or repo-creds/);
  });

  it('plans ECR Public as a token scope of its own next to the private registries', () => {
    const annotations = { [REGISTRIES_ANNOTATION]: 'public.ecr.aws,111111111111.dkr.ecr.us-east-1.amazonaws.com' };
    const plan = planAdmission(secretReview(managedSecret({ annotations })).request, 'eu-west-1');
    assert.equal(plan.action, 'inject');
    assert.deepEqual(plan.action === 'inject' && [plan.shape, plan.regions], ['dockerconfigjson', ['public.ecr.aws', 'us-east-1']]);
  });

  it('refuses a CREATE that carries no object', () => {
    const plan = planAdmission(secretReview(null).request, 'us-east-1');
    assert.equal(plan.action === 'refuse' && plan.error.code, 'ECR_ANYWHERE_BAD_REVIEW');
  });
});

describe('planAdmission of Argo CD repository Secrets', () => {
  const HOST = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
  const refusal = (secret: Parameters<typeof secretReview>[0]): { code: string; message: string } => {
    const plan = planAdmission(secretReview(secret).request, 'us-east-1');
    assert.equal(plan.action, 'refuse', JSON.stringify(plan));
    return plan.action === 'refuse' ? { code: plan.error.code, message: plan.error.message } : { code: '', message: '' };
  };

  for (const secretType of ['repository', 'repo-creds']) {
    it(`plans the url's registry and its region for a ${secretType} Secret`, () => {
      const plan = planAdmission(secretReview(argoCdRepositorySecret(`oci://${HOST}/charts`, { secretType })).request, 'us-east-1');
      assert.equal(plan.action, 'inject');
      assert.deepEqual(plan.action === 'inject' && [plan.shape, plan.registries.map((r) => r.host), plan.regions], ['argocd-repository', [HOST], ['eu-west-1']]);
    });
  }

  it('plans ECR Public for an oci://public.ecr.aws url', () => {
    const plan = planAdmission(secretReview(argoCdRepositorySecret('oci://public.ecr.aws/team')).request, 'us-east-1');
    assert.deepEqual(plan.action === 'inject' && plan.regions, ['public.ecr.aws']);
  });

  it('refuses a url that is not an ECR host, with its code and the host', () => {
    const { code, message } = refusal(argoCdRepositorySecret('oci://ghcr.io/team/charts'));
    assert.equal(code, 'ECR_ANYWHERE_INVALID_REPOSITORY_URL');
    assert.match(message, /Argo CD repository Secret team-a\/ecr-secret .* its url key names no ECR registry \(its host "ghcr\.io" is not an ECR registry/);
  });

  it('refuses a repository Secret without a url key', () => {
    const secret = argoCdRepositorySecret(HOST);
    delete secret.data!.url;
    assert.deepEqual(refusal(secret).code, 'ECR_ANYWHERE_INVALID_REPOSITORY_URL');
    assert.match(refusal(secret).message, /there is no url key/);
  });

  it('refuses the registries annotation on it: the url alone names the registry', () => {
    const { code, message } = refusal(argoCdRepositorySecret(HOST, { annotations: { [REGISTRIES_ANNOTATION]: HOST } }));
    assert.equal(code, 'ECR_ANYWHERE_INVALID_REGISTRY');
    assert.match(message, /its registry is the one its url names \(123456789012\.dkr\.ecr\.eu-west-1\.amazonaws\.com\): remove the annotation/);
  });

  it('still refuses other Opaque Secrets, and the Argo CD label on other types', () => {
    assert.equal(refusal(argoCdRepositorySecret(HOST, { secretType: 'cluster' })).code, 'ECR_ANYWHERE_WRONG_SECRET_TYPE');
    const basicAuth = { ...argoCdRepositorySecret(HOST), type: 'kubernetes.io/basic-auth' };
    assert.equal(refusal(basicAuth).code, 'ECR_ANYWHERE_WRONG_SECRET_TYPE');
  });

  it('refuses an immutable one like any managed Secret', () => {
    assert.equal(refusal({ ...argoCdRepositorySecret(HOST), immutable: true }).code, 'ECR_ANYWHERE_IMMUTABLE_SECRET');
  });
});
