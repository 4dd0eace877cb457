#!/usr/bin/env node
// The single entry point: `ecr-anywhere webhook | refresh | status | mirror`.
import { EcrAnywhereError } from './common/errors.js';
import { parseWebhookConfig, WEBHOOK_USAGE } from './webhook/config.js';
import { parseRefreshConfig, parseStatusConfig, REFRESH_USAGE, STATUS_USAGE } from './refresher/config.js';
import { MIRROR_USAGE, parseCleanupConfig, parseMirrorConfig } from './mirror/config.js';

const USAGE = `Usage: ecr-anywhere <command> [options]

Commands:
  webhook   serve the mutating admission webhook (POST /sync over TLS)
  refresh   refresh the managed Secrets whose ECR credentials are stale (the CronJob)
  status    show managed Secrets, their registries and time to expiry
  mirror    copy Helm charts and every image they use into ECR (mirror cleanup: list or delete them)

Run 'ecr-anywhere <command> --help' for the options of a command.`;

type Command = (argv: readonly string[]) => Promise<number>;

const COMMANDS: Record<string, { usage: string; run: Command }> = {
  webhook: {
    usage: WEBHOOK_USAGE,
    run: async (argv) => {
      const config = parseWebhookConfig(argv, process.env);
      // Each program is loaded only when it runs: the webhook never holds the refresher's Kubernetes client.
      const { runWebhook } = await import('./webhook/main.js');
      await runWebhook(config);
      return 0;
    },
  },
  refresh: {
    usage: REFRESH_USAGE,
    run: async (argv) => {
      const config = parseRefreshConfig(argv, process.env);
      const { runRefreshCommand } = await import('./refresher/main.js');
      return runRefreshCommand(config);
    },
  },
  status: {
    usage: STATUS_USAGE,
    run: async (argv) => {
      const config = parseStatusConfig(argv, process.env);
      const { runStatusCommand } = await import('./refresher/main.js');
      return runStatusCommand(config);
    },
  },
  mirror: {
    usage: MIRROR_USAGE,
    run: async (argv) => {
      if (argv[0] === 'cleanup') {
        const config = parseCleanupConfig(argv.slice(1), process.env);
        const { runCleanupCommand } = await import('./mirror/main.js');
        return runCleanupCommand(config);
      }
      const config = parseMirrorConfig(argv, process.env);
      const { runMirrorCommand } = await import('./mirror/main.js');
      return runMirrorCommand(config);
    },
  },
};

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`ecr-anywhere: unknown command "${name}"\n\n${USAGE}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.usage}\n`);
    return 0;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const isConfig = error instanceof EcrAnywhereError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`ecr-anywhere: ${message}\n`);
    process.exitCode = isConfig ? 2 : 1;
  },
);
