#!/usr/bin/env node
// The single entry point: `ecr-anywhere webhook | refresh | status | mirror | migrate`.
import { EcrAnywhereError, ErrorCodes, describeError } from './common/errors.js';
import { parseWebhookConfig, WEBHOOK_USAGE } from './webhook/config.js';
import { parseRefreshConfig, parseStatusConfig, REFRESH_USAGE, STATUS_USAGE } from './refresher/config.js';
import { MIRROR_USAGE, parseMirrorCommand } from './mirror/config.js';
import { MIGRATE_USAGE, parseMigrateConfig } from './migrate/config.js';

const USAGE = `Usage: ecr-anywhere <command> [options]

Commands:
  webhook   serve the mutating admission webhook (POST /sync over TLS)
  refresh   refresh the managed Secrets whose ECR credentials are stale (the CronJob)
  status    show managed Secrets, their registries and time to expiry
  mirror    copy Helm charts and every image they use into ECR (mirror cleanup: list or delete them)
  migrate   take over the Secrets of KubeECR, eatr, k8s-ecr-login-renew or registry-creds, keeping their names

Run 'ecr-anywhere <command> --help' for the options of a command.`;

interface Command {
  readonly usage: string;
  readonly run: (argv: readonly string[]) => Promise<number>;
}

/**
 * A command whose options are checked first and whose program is loaded only when it runs: the webhook never holds
 * the refresher's Kubernetes client, and a bad option fails before anything heavy loads.
 */
function lazyCommand<C>(usage: string, parse: (argv: readonly string[], env: NodeJS.ProcessEnv) => C, load: () => Promise<(config: C) => Promise<number>>): Command {
  return {
    usage,
    run: async (argv) => {
      const config = parse(argv, process.env);
      return (await load())(config);
    },
  };
}

const COMMANDS: Record<string, Command> = {
  webhook: lazyCommand(WEBHOOK_USAGE, parseWebhookConfig, async () => {
    const { runWebhook } = await import('./webhook/main.js');
    return async (config) => {
      await runWebhook(config);
      return 0;
    };
  }),
  refresh: lazyCommand(REFRESH_USAGE, parseRefreshConfig, async () => (await import('./refresher/main.js')).runRefreshCommand),
  status: lazyCommand(STATUS_USAGE, parseStatusConfig, async () => (await import('./refresher/main.js')).runStatusCommand),
  mirror: lazyCommand(MIRROR_USAGE, parseMirrorCommand, async () => {
    const { runCleanupCommand, runMirrorCommand } = await import('./mirror/main.js');
    return (parsed) => (parsed.command === 'cleanup' ? runCleanupCommand(parsed.config) : runMirrorCommand(parsed.config));
  }),
  migrate: lazyCommand(MIGRATE_USAGE, parseMigrateConfig, async () => (await import('./migrate/main.js')).runMigrateCommand),
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
    const isConfig =
      (error instanceof EcrAnywhereError && error.code === ErrorCodes.CONFIG.code) || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`ecr-anywhere: ${describeError(error)}\n`);
    process.exitCode = isConfig ? 2 : 1;
  },
);
