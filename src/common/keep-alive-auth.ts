// @kubernetes/client-node 1.4 builds a new https.Agent for every request, so every request pays a new TCP connection
// and TLS handshake (and a new secure context) on both ends: at 10 000 Secrets that was most of the CPU the
// refresher and the API server spent. This authentication wrapper lets the client apply credentials as usual
// (bearer tokens are still re-read per request, so rotated ServiceAccount tokens keep working) but hands every
// request one keep-alive agent built from the same TLS options.
import { Agent } from 'node:https';
import type { KubeConfig, RequestContext, SecurityAuthentication } from '@kubernetes/client-node';

export class KeepAliveAuthentication implements SecurityAuthentication {
  private agent: Agent | undefined;

  constructor(private readonly kubeConfig: KubeConfig) {}

  getName(): string {
    return 'default';
  }

  async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await this.kubeConfig.applySecurityAuthentication(context);
    const perRequest = context.getAgent();
    if (!(perRequest instanceof Agent)) return; // plain HTTP or a proxy agent: leave the client's choice alone
    this.agent ??= new Agent({ ...perRequest.options, keepAlive: true });
    context.setAgent(this.agent);
  }

  /** Closes idle connections (they never keep the process alive, but a finished run should not hold sockets). */
  close(): void {
    this.agent?.destroy();
  }
}
