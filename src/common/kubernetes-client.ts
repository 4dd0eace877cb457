// The one place that loads Kubernetes client configuration and turns client errors into our coded error
// (ECR_ANYWHERE_KUBERNETES_API with the API server's HTTP status, or ECR_ANYWHERE_KUBERNETES_UNREACHABLE).
// In a pod it uses the service account; elsewhere KUBECONFIG (or ~/.kube/config) and an optional context.
import {
  ApiException,
  KubeConfig,
  ServerConfiguration,
  createConfiguration,
  type Configuration,
  type Middleware,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { EcrAnywhereError, ErrorCodes } from './errors.js';
import { KeepAliveAuthentication } from './keep-alive-auth.js';

export interface KubeConfigOptions {
  readonly context?: string | undefined;
  readonly kubeconfig?: string | undefined;
}

/**
 * Asks the API server for metadata only, as client-go's metadata client does: names, labels, annotations — never a
 * Secret's data. No plain-JSON fallback: a server that cannot answer so refuses (406) rather than sending whole objects.
 */
export const METADATA_ONLY_LIST_ACCEPT = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';
/** The same for watch events, which carry one PartialObjectMetadata each (the List form is refused for a watch). */
export const METADATA_ONLY_WATCH_ACCEPT = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';

const NO_CLUSTER = 'no Kubernetes cluster configured: run in a pod, or set KUBECONFIG / --kubeconfig';

/** True when the default loader has nothing to load and would fall back to http://localhost:8080. */
export function hasDefaultKubeConfig(env: Readonly<Record<string, string | undefined>>, home: string): boolean {
  return Boolean(env.KUBECONFIG) || Boolean(env.KUBERNETES_SERVICE_HOST) || existsSync(join(home, '.kube', 'config'));
}

export function loadKubeConfig(options: KubeConfigOptions = {}): KubeConfig {
  const config = new KubeConfig();
  if (options.kubeconfig) config.loadFromFile(options.kubeconfig);
  else if (hasDefaultKubeConfig(process.env, homedir())) config.loadFromDefault();
  else throw new EcrAnywhereError(ErrorCodes.KUBERNETES_CONFIG, NO_CLUSTER);
  if (options.context) {
    if (!config.getContexts().some((context) => context.name === options.context)) {
      throw new EcrAnywhereError(ErrorCodes.KUBERNETES_CONFIG, `context "${options.context}" is not in the kubeconfig`);
    }
    config.setCurrentContext(options.context);
  }
  if (!config.getCurrentCluster()) {
    throw new EcrAnywhereError(ErrorCodes.KUBERNETES_CONFIG, NO_CLUSTER);
  }
  return config;
}

/**
 * A Kubernetes API failure: the API server's HTTP status and its own message, or status 0 when it was not reached
 * (or did not answer in time).
 */
export function kubernetesError(apiStatus: number, message: string): EcrAnywhereError {
  return new EcrAnywhereError(apiStatus === 0 ? ErrorCodes.KUBERNETES_UNREACHABLE : ErrorCodes.KUBERNETES_API, message, { apiStatus });
}

/** The API server's HTTP status of a Kubernetes API failure (0: not reached); undefined for any other failure. */
export function apiStatusOf(error: unknown): number | undefined {
  return error instanceof EcrAnywhereError ? error.apiStatus : undefined;
}

/** Worth another attempt: the API server was not reached, or answered a conflict, throttling or a server error. */
export function isRetryableApiFailure(error: unknown): boolean {
  const status = apiStatusOf(error);
  return status !== undefined && (status === 0 || status === 409 || status === 429 || status >= 500);
}

function statusMessage(body: unknown): string | undefined {
  if (typeof body === 'string') {
    try {
      return statusMessage(JSON.parse(body));
    } catch {
      return undefined;
    }
  }
  const message = (body as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : undefined;
}

/**
 * Maps a client failure to our coded error. Only the Status message is kept: the client's own error text embeds
 * whole response bodies, which we never want in a log.
 */
export function toKubernetesError(error: unknown, action: string): EcrAnywhereError {
  if (apiStatusOf(error) !== undefined) return error as EcrAnywhereError;
  if (error instanceof ApiException) {
    const message = statusMessage(error.body) ?? `HTTP ${error.code}`;
    return kubernetesError(error.code, `${action}: ${message}`);
  }
  const cause = error as { code?: unknown; message?: unknown };
  const detail = typeof cause.code === 'string' ? cause.code : typeof cause.message === 'string' ? cause.message.slice(0, 200) : 'unknown error';
  return kubernetesError(0, `${action}: API server unreachable (${detail})`);
}

/** Each request gets its own deadline: the client has none, and a silent API server must not stall a caller. */
function deadlineMiddleware(timeoutMs: number): Middleware {
  return {
    pre: (context: RequestContext) => {
      context.setSignal(AbortSignal.timeout(timeoutMs));
      return Promise.resolve(context);
    },
    post: (context: ResponseContext) => Promise.resolve(context),
  };
}

/**
 * Client configuration for the API clients of one adapter: the kubeconfig's credentials, one keep-alive connection
 * pool for every request, and a per-request deadline. `close()` releases the kept-alive connections.
 */
export function createApiConfiguration(
  kubeConfig: KubeConfig,
  options: {
    readonly requestTimeoutMs: number;
    /**
     * false: a connection per request, as client-node does. For adapters that make a few requests an hour: a reused
     * connection buys them nothing, and node-fetch 2 (under client-node) can fail a complete chunked answer on a
     * reused socket with ERR_STREAM_PREMATURE_CLOSE (node-fetch/node-fetch#1767, #1576).
     */
    readonly keepAlive?: boolean;
  },
): { readonly configuration: Configuration; close(): void } {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new EcrAnywhereError(ErrorCodes.KUBERNETES_CONFIG, 'no Kubernetes cluster configured');
  const auth = options.keepAlive === false ? undefined : new KeepAliveAuthentication(kubeConfig);
  const configuration = createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: auth ?? kubeConfig },
    promiseMiddleware: [deadlineMiddleware(options.requestTimeoutMs)],
  });
  return { configuration, close: () => auth?.close() };
}
