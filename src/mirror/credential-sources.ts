// Reads source credentials where the mirror file says they are: a local file (relative to the mirror file) or a
// Kubernetes Secret. Each source is read once, when a registry first needs it; a failure names the credentials
// entry, never the content.
import { CoreV1Api } from '@kubernetes/client-node';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { EcrAnywhereError, ErrorCodes } from '../common/errors.js';
import { loadKubeConfig } from '../common/kubernetes-client.js';
import { credentialsFromSecretData, credentialsFromText, type BasicCredentials, type CredentialsResult } from './credentials.js';
import type { CredentialRule } from './mirror-file.js';

export type CredentialsFor = (host: string) => Promise<BasicCredentials | undefined>;

async function readRule(rule: CredentialRule, mirrorFile: string, kube: { kubeconfig: string | undefined; context: string | undefined }): Promise<CredentialsResult> {
  if (rule.from.kind === 'file') {
    const path = resolve(dirname(mirrorFile), rule.from.path);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      return { ok: false, reason: `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
    }
    return credentialsFromText(text, rule.entry);
  }
  const { namespace, name } = rule.from;
  let data: Record<string, string>;
  try {
    const api = loadKubeConfig({ kubeconfig: kube.kubeconfig, context: kube.context }).makeApiClient(CoreV1Api);
    const secret = await api.readNamespacedSecret({ namespace, name });
    data = Object.fromEntries(Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64').toString('utf8')]));
  } catch (error) {
    const status = (error as { code?: number }).code;
    return { ok: false, reason: `cannot read Secret ${namespace}/${name}${typeof status === 'number' ? ` (HTTP ${status})` : `: ${(error as Error).message.slice(0, 200)}`}` };
  }
  return credentialsFromSecretData(data, rule.entry);
}

export function credentialSources(rules: readonly CredentialRule[], mirrorFile: string, kube: { kubeconfig: string | undefined; context: string | undefined }): CredentialsFor {
  const read = new Map<string, Promise<BasicCredentials | undefined>>();
  return (host) => {
    const key = host.toLowerCase();
    let pending = read.get(key);
    if (pending === undefined) {
      const rule = rules.find((candidate) => candidate.registry === key);
      pending =
        rule === undefined
          ? Promise.resolve(undefined)
          : readRule(rule, mirrorFile, kube).then((result) => {
              if (!result.ok) throw new EcrAnywhereError(ErrorCodes.MIRROR_CREDENTIALS, `credentials for ${host} (${rule.origin}): ${result.reason}`);
              return result.credentials;
            });
      read.set(key, pending);
    }
    return pending;
  };
}
