// Settings of TLS_MODE=self: where the Secret and the webhook configuration are, which names the certificate
// must cover, and how long certificates live. Read by src/webhook/config.ts with the shared helpers.
import { isIP } from 'node:net';
import { configError, isDnsLabel, parseDurationSetting, pick, type Env } from '../../common/config.js';
import { DAY_MS, formatDuration } from '../../common/time.js';

export interface SelfTlsConfig {
  /** The Secret holding the CA and the serving certificate (created empty by the chart). */
  readonly secretName: string;
  /** Namespace of that Secret (the pod's own). */
  readonly namespace: string;
  /** The MutatingWebhookConfiguration whose `ecr-anywhere.centml.ai` entry gets the caBundle. */
  readonly webhookConfigurationName: string;
  readonly serviceName: string;
  /** Every name the serving certificate must cover: the Service's DNS names, then TLS_EXTRA_HOSTS. */
  readonly hosts: readonly string[];
  /** Only --kubeconfig: the KUBECONFIG variable is read by the standard client loading itself. */
  readonly kubeconfig: string | undefined;
  readonly checkIntervalMs: number;
  readonly leafValidityMs: number;
  readonly caValidityMs: number;
}

export const SELF_TLS_OPTIONS = {
  'tls-secret-name': { type: 'string' },
  namespace: { type: 'string' },
  'webhook-configuration-name': { type: 'string' },
  'service-name': { type: 'string' },
  'tls-extra-hosts': { type: 'string' },
  kubeconfig: { type: 'string' },
  'tls-check-interval': { type: 'string' },
  'tls-leaf-validity': { type: 'string' },
  'tls-ca-validity': { type: 'string' },
} as const;

export type SelfTlsFlags = { readonly [K in keyof typeof SELF_TLS_OPTIONS]?: string | undefined };

export const SELF_TLS_USAGE = `  With --tls-mode self (the Helm chart's default) the webhook keeps a CA and its certificate in a Secret,
  patches its MutatingWebhookConfiguration's caBundle and rotates both before they expire:
  --tls-secret-name NAME   existing Secret to keep them in [TLS_SECRET_NAME] (required)
  --namespace NAME         namespace of that Secret [POD_NAMESPACE] (required)
  --webhook-configuration-name NAME
                           MutatingWebhookConfiguration to patch [WEBHOOK_CONFIGURATION_NAME] (required)
  --service-name NAME      Service in front of the webhook; names the certificate [SERVICE_NAME] (required)
  --tls-extra-hosts LIST   more DNS names or IP addresses, comma-separated [TLS_EXTRA_HOSTS]
  --kubeconfig PATH        outside a pod: kubeconfig to use [KUBECONFIG]
  --tls-check-interval DUR how often to re-read the Secret [TLS_CHECK_INTERVAL] (default 60s)
  --tls-leaf-validity DUR  serving certificate lifetime [TLS_LEAF_VALIDITY] (default 365d)
  --tls-ca-validity DUR    CA lifetime [TLS_CA_VALIDITY] (default 3650d)`;

/** `90s` or `1d 0h`: formatDuration rounds to minutes, too coarse for the short durations tests use. */
function describe(ms: number): string {
  return ms < 60_000 ? `${ms / 1000}s` : formatDuration(ms);
}

function required(value: string | undefined, setting: string, why: string): string {
  if (value === undefined) throw configError(`${setting} is required with TLS_MODE=self: ${why}`);
  return value;
}

/** Kubernetes object names: a DNS subdomain (Secrets, webhook configurations) or a DNS label (namespaces, Services). */
function objectName(value: string, setting: string, kind: 'label' | 'subdomain'): string {
  const valid = kind === 'label' ? isDnsLabel(value) : isDnsName(value);
  if (!valid) throw configError(`${setting} "${value}" is not a valid Kubernetes name (lowercase letters, digits, '-'${kind === 'label' ? '' : ", '.'"})`);
  return value;
}

function isDnsName(value: string): boolean {
  return value.length <= 253 && value.split('.').every((label) => isDnsLabel(label));
}

function parseExtraHosts(value: string | undefined): string[] {
  if (value === undefined) return [];
  const hosts = value
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry !== '');
  for (const host of hosts) {
    if (isIP(host) === 0 && !isDnsName(host)) throw configError(`TLS_EXTRA_HOSTS: "${host}" is neither a DNS name nor an IP address`);
  }
  return hosts;
}

/** The Service's DNS names, shortest first, as clients inside the cluster may use any of them. */
export function serviceHosts(serviceName: string, namespace: string): string[] {
  return [serviceName, `${serviceName}.${namespace}`, `${serviceName}.${namespace}.svc`, `${serviceName}.${namespace}.svc.cluster.local`];
}

export function parseSelfTlsConfig(flags: SelfTlsFlags, env: Env): SelfTlsConfig {
  const secretName = objectName(
    required(pick(flags['tls-secret-name'], env, 'TLS_SECRET_NAME'), 'TLS_SECRET_NAME', 'the Secret that holds the CA and certificate'),
    'TLS_SECRET_NAME',
    'subdomain',
  );
  const namespace = objectName(
    required(pick(flags.namespace, env, 'POD_NAMESPACE'), 'POD_NAMESPACE', "the namespace of that Secret (the pod's own: fieldRef metadata.namespace)"),
    'POD_NAMESPACE',
    'label',
  );
  const webhookConfigurationName = objectName(
    required(
      pick(flags['webhook-configuration-name'], env, 'WEBHOOK_CONFIGURATION_NAME'),
      'WEBHOOK_CONFIGURATION_NAME',
      'the MutatingWebhookConfiguration whose caBundle the webhook keeps current',
    ),
    'WEBHOOK_CONFIGURATION_NAME',
    'subdomain',
  );
  const serviceName = objectName(
    required(pick(flags['service-name'], env, 'SERVICE_NAME'), 'SERVICE_NAME', 'the Service in front of the webhook; the certificate is issued for its DNS names'),
    'SERVICE_NAME',
    'label',
  );
  const extraHosts = parseExtraHosts(pick(flags['tls-extra-hosts'], env, 'TLS_EXTRA_HOSTS'));
  const hosts = [...new Set([...serviceHosts(serviceName, namespace), ...extraHosts])];

  const checkIntervalMs = parseDurationSetting(pick(flags['tls-check-interval'], env, 'TLS_CHECK_INTERVAL'), 'TLS_CHECK_INTERVAL', 60_000);
  const leafValidityMs = parseDurationSetting(pick(flags['tls-leaf-validity'], env, 'TLS_LEAF_VALIDITY'), 'TLS_LEAF_VALIDITY', 365 * DAY_MS);
  const caValidityMs = parseDurationSetting(pick(flags['tls-ca-validity'], env, 'TLS_CA_VALIDITY'), 'TLS_CA_VALIDITY', 3650 * DAY_MS);
  // A certificate is renewed in the last third of its life; the CA renews before it could cut a certificate short.
  if (leafValidityMs * 3 > caValidityMs) {
    throw configError(
      `TLS_LEAF_VALIDITY (${describe(leafValidityMs)}) must be at most a third of TLS_CA_VALIDITY (${describe(caValidityMs)}), so the CA is renewed before it could cut a certificate short`,
    );
  }
  if (checkIntervalMs * 2 > leafValidityMs / 3) {
    throw configError(
      `TLS_CHECK_INTERVAL (${describe(checkIntervalMs)}) is too long for TLS_LEAF_VALIDITY (${describe(leafValidityMs)}): the last third of a certificate's life must span at least two checks`,
    );
  }
  return {
    secretName,
    namespace,
    webhookConfigurationName,
    serviceName,
    hosts,
    kubeconfig: pick(flags.kubeconfig, env, undefined),
    checkIntervalMs,
    leafValidityMs,
    caValidityMs,
  };
}
