// The seed's own test manifest (../shared/seeds/004_…, "Once deployed, you can test it by …"), verbatim: a labeled
// Namespace `test`, a managed Secret `ecr-secret` holding "FAKE", and Pod `test-pod` pulling a private ECR image
// through it. The seed text lost its indentation; this is the same YAML with the indentation restored.
export const SEED_NAMESPACE = 'test';
export const SEED_SECRET = 'ecr-secret';
export const SEED_POD = 'test-pod';
export const SEED_ECR_HOST = '544849402588.dkr.ecr.us-east-1.amazonaws.com';
/** The image path inside the registry (what the seed's image names after the host). */
export const SEED_REPOSITORY_TAG = 'test:923442bcd004d94c1f7447e1ae14f36d39d77b0e';
export const SEED_IMAGE = `${SEED_ECR_HOST}/${SEED_REPOSITORY_TAG}`;

export const SEED_MANIFEST = `apiVersion: v1
kind: Namespace
metadata:
  name: test
  labels:
    ecr-anywhere.centml.ai/namespace: "enabled"
---
apiVersion: v1
kind: Secret
metadata:
  name: ecr-secret
  namespace: test
  labels:
    ecr-anywhere.centml.ai/managed: "true"
type: kubernetes.io/dockerconfigjson
data:
  .dockerconfigjson: "FAKE"
---
apiVersion: v1
kind: Pod
metadata:
  name: test-pod
  namespace: test
  labels:
    app: test
spec:
  containers:
  - name: test-container
    image: 544849402588.dkr.ecr.us-east-1.amazonaws.com/test:923442bcd004d94c1f7447e1ae14f36d39d77b0e
  imagePullSecrets:
  - name: ecr-secret
`;
