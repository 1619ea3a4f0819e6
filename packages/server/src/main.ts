import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.ts';
import { buildApp } from './app.ts';
import { commands, type Command } from './cli/commands.ts';
import { VERSION } from './shared/version.ts';

const HELP = `threadline <command> [options]

Commands:
${Object.entries(commands)
  .map(([name, c]) => `  ${name.padEnd(24)} ${c.summary}`)
  .join('\n')}

Run "threadline <command> --help" for the options of one command; "threadline --version" prints the version.
Configuration comes from the environment (see .env.example).`;

/** "threadline user --help": the commands of one group ("user create", …). */
function groupHelp(group: string): string | null {
  const members = Object.entries(commands).filter(([name]) => name.startsWith(`${group} `));
  if (members.length === 0) return null;
  return `threadline ${group} <command> [options]\n\nCommands:\n${members.map(([name, c]) => `  ${name.padEnd(24)} ${c.summary}`).join('\n')}\n\nRun "threadline ${group} <command> --help" for the options of one command.`;
}

async function main(argv: string[]): Promise<number> {
  const [first, second, ...rest] = argv;
  if (!first || first === '--help' || first === '-h' || first === 'help') {
    console.log(HELP);
    return first ? 0 : 1;
  }
  if (first === '--version' || first === '-v' || first === 'version') {
    console.log(`threadline ${VERSION}`);
    return 0;
  }
  const twoWord = second && !second.startsWith('-') ? `${first} ${second}` : null;
  const name = twoWord && twoWord in commands ? twoWord : first;
  const command: Command | undefined = commands[name];
  const args = name === twoWord ? rest : [second, ...rest].filter((a): a is string => a !== undefined);
  if (!command) {
    const group = groupHelp(first);
    if (group && (second === undefined || second === '--help' || second === '-h')) {
      console.log(group);
      return second === undefined ? 1 : 0;
    }
    console.error(`Unknown command "${[first, second].filter(Boolean).join(' ')}".\n\n${group ?? HELP}`);
    return 2;
  }
  const parsed = parseArgs({ args, options: { help: { type: 'boolean', short: 'h' }, ...command.options }, allowPositionals: false, strict: true });
  if (parsed.values.help) {
    console.log(`threadline ${name}: ${command.summary}\n\n${command.usage}`);
    return 0;
  }
  let config;
  try {
    config = loadConfig(undefined, { isTty: Boolean(process.stdout.isTTY) });
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 78;
    }
    throw error;
  }
  return command.run({ config, values: parsed.values, buildApp });
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== -1) process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
