import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fillableShape } from '../../src/common/secret-shape.js';

describe('fillableShape', () => {
  const argo = (value: string): Record<string, string> => ({ 'argocd.argoproj.io/secret-type': value });
  const table: Array<[string, string | undefined, Record<string, string> | undefined, ReturnType<typeof fillableShape>]> = [
    ['a pull Secret', 'kubernetes.io/dockerconfigjson', undefined, 'dockerconfigjson'],
    ['a pull Secret, whatever its labels', 'kubernetes.io/dockerconfigjson', argo('repository'), 'dockerconfigjson'],
    ['an Opaque repository Secret', 'Opaque', argo('repository'), 'argocd-repository'],
    ['an Opaque repo-creds Secret', 'Opaque', argo('repo-creds'), 'argocd-repository'],
    ['an untyped (so Opaque) repository Secret', undefined, argo('repository'), 'argocd-repository'],
    ['an Opaque Secret without the label', 'Opaque', {}, undefined],
    ['an Opaque Argo CD cluster Secret', 'Opaque', argo('cluster'), undefined],
    ['a repository label with another value case', 'Opaque', argo('Repository'), undefined],
    ['a repository label on kubernetes.io/basic-auth', 'kubernetes.io/basic-auth', argo('repository'), undefined],
    ['a legacy kubernetes.io/dockercfg Secret', 'kubernetes.io/dockercfg', undefined, undefined],
  ];
  for (const [label, type, labels, expected] of table) {
    it(`${label} → ${expected ?? 'not fillable'}`, () => assert.equal(fillableShape(type, labels), expected));
  }
});
