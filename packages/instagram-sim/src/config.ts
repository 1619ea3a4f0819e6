import { parseArgs } from 'node:util';
import { z } from 'zod';

/** The simulator's settings: flags win over environment variables, which win over defaults. */
const configSchema = z.object({
  port: z.coerce.number().int().min(0).max(65_535).default(8010),
  host: z.string().min(1).default('127.0.0.1'),
  stateFile: z.string().min(1).optional(),
  logger: z.boolean().default(true),
});
export type SimConfig = z.infer<typeof configSchema>;

export const USAGE = `Usage: instagram-sim [--port 8010] [--host 127.0.0.1] [--state ./data/sim.json] [--quiet]
Environment: SIM_PORT, SIM_HOST, SIM_STATE_FILE`;

export function loadConfig(argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): SimConfig {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
      state: { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  return configSchema.parse({
    port: values.port ?? env['SIM_PORT'],
    host: values.host ?? env['SIM_HOST'],
    stateFile: values.state ?? env['SIM_STATE_FILE'],
    logger: !values.quiet,
  });
}
