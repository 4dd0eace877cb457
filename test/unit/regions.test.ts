import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { knownRegion } from '../../src/ecr/regions.js';
import { toEcrError } from '../../src/ecr/adapter.js';

describe('knownRegion (the AWS SDK partition data)', () => {
  it('knows the regions each partition lists, with its host suffix', () => {
    assert.deepEqual(knownRegion('us-east-1'), { partition: 'aws', dnsSuffix: 'amazonaws.com' });
    assert.deepEqual(knownRegion('cn-northwest-1'), { partition: 'aws-cn', dnsSuffix: 'amazonaws.com.cn' });
    assert.deepEqual(knownRegion('us-gov-east-1'), { partition: 'aws-us-gov', dnsSuffix: 'amazonaws.com' });
  });

  it('refuses invented names, names only a partition regex would match, and pseudo-regions', () => {
    for (const region of ['xx-fake-9', 'us-fake-9', 'eu-west-99', 'aws-global', 'aws-cn-global', 'US-EAST-1', '', 'us-east-1 ']) {
      assert.equal(knownRegion(region), undefined, region);
    }
  });
});

describe('toEcrError', () => {
  it("keeps the SDK's error code and our short reason, never the SDK's message", () => {
    const sdkError = Object.assign(new Error('User: arn:aws:iam::123456789012:user/ci is not authorized to perform: ecr:GetAuthorizationToken because no identity-based policy allows it'), { name: 'AccessDeniedException' });
    const mapped = toEcrError(sdkError, 'us-east-1', 4000);
    assert.equal(mapped.code, 'ECR_ANYWHERE_ECR_REFUSED');
    assert.match(mapped.message, /^ECR GetAuthorizationToken in region us-east-1 was refused \(AccessDeniedException: /);
    assert.ok(!mapped.message.includes('arn:aws'), mapped.message);
  });

  it('names a network error by its code and an odd error name not at all', () => {
    const network = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    assert.match(toEcrError(network, 'eu-west-1', 4000).message, /failed \(ECONNREFUSED: ECR could not be reached/);
    const odd = Object.assign(new Error('x'), { name: '<script>alert(1)</script>' });
    assert.match(toEcrError(odd, 'eu-west-1', 4000).message, /failed \(UnknownError: /);
    assert.match(toEcrError(Object.assign(new Error('aborted'), { name: 'AbortError' }), 'eu-west-1', 1500).message, /timed out \(no answer within 1500 ms\)/);
  });

  it('names ECR Public and its one region for the public.ecr.aws scope, with the same codes', () => {
    const refused = toEcrError(Object.assign(new Error('not authorized: sts:GetServiceBearerToken'), { name: 'AccessDeniedException' }), 'public.ecr.aws', 4000);
    assert.equal(refused.code, 'ECR_ANYWHERE_ECR_REFUSED');
    assert.match(refused.message, /^ECR Public GetAuthorizationToken \(for public\.ecr\.aws, in region us-east-1\) was refused \(AccessDeniedException: /);
    assert.equal(toEcrError(Object.assign(new Error('slow'), { name: 'ThrottlingException' }), 'public.ecr.aws', 4000).code, 'ECR_ANYWHERE_ECR_THROTTLED');
  });
});
