// A tiny TCP forwarder on loopback that spreads connections over several backends (round robin), as a Service
// spreads them over a Deployment's pods: the API server is given one webhook URL, two webhook processes serve it.
// TLS passes through untouched. A backend that refuses a connection (a killed replica, whose endpoint kube-proxy
// would drop) is skipped for that connection; connections open to a killed backend break, as they would in a cluster.
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface TcpSpreader {
  readonly port: number;
  /** Connections accepted per backend port. */
  readonly connections: Map<number, number>;
  close(): Promise<void>;
}

export async function startTcpSpreader(backendPorts: readonly number[]): Promise<TcpSpreader> {
  const connections = new Map(backendPorts.map((port) => [port, 0]));
  const open = new Set<Socket>();
  let next = 0;
  const track = (socket: Socket): void => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
  };
  const server: Server = createServer((client) => {
    track(client);
    client.pause();
    const attempt = (tried: number): void => {
      if (tried >= backendPorts.length) {
        client.destroy();
        return;
      }
      const port = backendPorts[next++ % backendPorts.length]!;
      const upstream = connect({ host: '127.0.0.1', port });
      upstream.once('connect', () => {
        track(upstream);
        connections.set(port, (connections.get(port) ?? 0) + 1);
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
        client.on('close', () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
      upstream.once('error', (error: NodeJS.ErrnoException) => {
        if (upstream.connecting || error.code === 'ECONNREFUSED') attempt(tried + 1);
      });
    };
    attempt(0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    connections,
    close: async () => {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
