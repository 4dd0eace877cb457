#!/usr/bin/env node
// The single entry point: `ecr-anywhere webhook | refresh | status`.
import { EcrAnywhereError, ErrorCodes, describeError } from './common/errors.js';
import { parseWebhookConfig, WEBHOOK_USAGE } from './webhook/config.js';
import { parseRefreshConfig, parseStatusConfig, REFRESH_USAGE, STATUS_USAGE } from './refresher/config.js';

const USAGE = `Usage: ecr-anywhere <command> [options]

Commands:
  webhook   serve the mutating admission webhook (POST /sync over TLS)
  refresh   refresh the managed Secrets whose ECR credentials are stale (the CronJob)
  status    show managed Secrets, their registries and time to expiry

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
